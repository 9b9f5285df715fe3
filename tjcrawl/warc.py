"""The archive's raw pages as a WARC file (ISO 28500, WARC/1.1), for wayback tools such as pywb.

`tjcrawl export --format warc OUT.warc.gz` writes one gzip member per record: first a
``warcinfo`` record naming tjcrawl and its version, then for every stored page (oldest first) a
``response`` record and its ``request`` record:

* the response holds the HTTP status line, the stored headers (as the bytes received, non-ASCII
  ones included) and the exact stored body bytes.
  The stored body is what Scrapy handed over, already un-gzipped and de-chunked, so
  ``Content-Encoding`` and ``Transfer-Encoding`` are dropped and ``Content-Length`` is set to
  the body's length (left alone for 1xx, 204 and 304 answers, which have no body);
* the request is a GET for the URL with ``Host`` and tjcrawl's ``User-Agent``. The archive does
  not keep the request a crawl actually sent (conditional headers, cookies none), so the request
  record is reconstructed; the warcinfo record says so;
* both carry ``WARC-Date`` = the page's fetch time (``pages.fetched_at``, the first fetch of
  these bytes) in UTC with microseconds, ``WARC-Target-URI`` = the stored URL, and the request's
  ``WARC-Concurrent-To`` names its response (as warcio's capture does).

A page fetched again with identical bytes is one row in ``pages`` and so one response record.

After the pages, every kept attachment file (``attachment_files``; with a source, those its
articles link) is a response record with the file's exact stored bytes, read through
`tjcrawl.storage.attachments.attachment_bytes`, and its request record. The archive keeps
only its Content-Type of the headers, so the record's headers are that and Content-Length.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from tjcrawl import __version__
from tjcrawl.atomic_write import atomic_output
from tjcrawl.storage.attachments import attachment_bytes
from tjcrawl.storage.compression import PageUnreadable, page_body

#: Hop-by-hop or transfer framing that no longer describes the stored (decoded) body.
DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding"})
#: Statuses whose answer has no body, whose Content-Length is not the body's.
NO_BODY_STATUSES = frozenset({204, 304})
#: What a tjcrawl crawl sends besides the User-Agent (Scrapy's DEFAULT_REQUEST_HEADERS).
REQUEST_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

_PAGES_SQL = (
    "SELECT id, url, status, headers, body, compression, fetched_at FROM pages{where} ORDER BY id"
)


def _connection(conn: Any) -> sqlite3.Connection:
    """Accept a sqlite-utils Database too, since the CLI holds one."""
    return conn.conn if hasattr(conn, "conn") else conn


def warc_date(fetched_at: str) -> str:
    """An archive time (ISO 8601 with offset) as a WARC/1.1 date: UTC, microseconds kept."""
    moment = datetime.fromisoformat(fetched_at)
    if moment.tzinfo is None:
        raise ValueError(f"fetch time without a time zone: {fetched_at!r}")
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def response_headers(
    status: int, stored: dict[str, list[str]], body_length: int
) -> list[tuple[str, str]]:
    """The stored headers as (name, value) pairs, fixed to describe the stored body."""
    headers = [
        (name, value)
        for name, values in stored.items()
        if name.lower() not in DROPPED_HEADERS
        for value in values
    ]
    if status in NO_BODY_STATUSES or 100 <= status < 200:
        return headers
    headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
    headers.append(("Content-Length", str(body_length)))
    return headers


class ReceivedHeaders(StatusAndHeaders):
    """A response's status line and headers, written as the bytes that were received.

    The crawl stores header names and values decoded as latin-1, one character per byte (HTTP
    says nothing of their charset, and a server may send UTF-8 or GBK). Encoding them back with
    latin-1 gives the bytes received; warcio would instead percent-encode every non-ASCII value
    (RFC 8187), so a replay would serve bytes the server never sent.
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        text = self.to_str(header_filter)
        try:
            block = text.encode("latin-1")
        except UnicodeEncodeError:  # not stored by a crawl: its characters, as UTF-8
            block = text.encode("utf-8")
        self.headers_buff = block + b"\r\n"


def request_headers(url: str, user_agent: str) -> StatusAndHeaders:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return StatusAndHeaders(
        f"GET {target} HTTP/1.1",
        [("Host", host), ("User-Agent", user_agent), ("Accept", REQUEST_ACCEPT)],
        is_http_request=True,
    )


def _page_bytes(
    page_id: int, url: str, body: bytes | None, compression: str | None, conn: sqlite3.Connection
) -> bytes:
    try:
        return page_body(body, compression, conn)
    except PageUnreadable as exc:
        raise type(exc)(f"page {page_id} ({url}): {exc}") from None


def _user_agent() -> str:
    from tjcrawl.settings import USER_AGENT

    return USER_AGENT


def stored_pages(
    conn: sqlite3.Connection, source: str | None = None
) -> Iterator[tuple[int, str, int, dict[str, list[str]], bytes, str]]:
    """(id, url, status, headers, body bytes, fetched_at) of every stored page, oldest first."""
    where, params = (" WHERE source = ?", (source,)) if source else ("", ())
    # A cursor of its own: rows are streamed, one page's bytes in memory at a time.
    for page_id, url, status, headers, body, compression, fetched_at in conn.execute(
        _PAGES_SQL.format(where=where), params
    ):
        yield (
            page_id,
            url,
            int(status),
            json.loads(headers) if headers else {},
            _page_bytes(page_id, url, body, compression, conn),
            fetched_at,
        )


def stored_attachments(
    conn: sqlite3.Connection, source: str | None = None
) -> Iterator[tuple[str, int, dict[str, list[str]], bytes, str]]:
    """(url, status, headers, bytes, fetched_at) of every kept attachment file (linked from
    one of the source's articles, if named), in URL order."""
    where, params = "", ()
    if source:
        where = (
            " WHERE f.url IN (SELECT l.url FROM attachments l JOIN articles a"
            " ON a.id = l.article_id WHERE a.source = ?)"
        )
        params = (source,)
    rows = conn.execute(
        f"SELECT f.url, f.status, f.content_type, f.fetched_at FROM attachment_files f{where}"
        " ORDER BY f.url",
        params,
    ).fetchall()
    for url, status, content_type, fetched_at in rows:
        try:
            body = attachment_bytes(conn, url)
        except PageUnreadable as exc:
            raise type(exc)(f"attachment {url}: {exc}") from None
        if body is None:
            continue
        headers = {"Content-Type": [content_type]} if content_type else {}
        yield url, int(status or 200), headers, body, fetched_at


def write_warc(
    conn: Any,
    out_path: str | Path,
    source: str | None = None,
    *,
    gzip: bool | None = None,
    user_agent: str | None = None,
    counts: dict[str, int] | None = None,
) -> int:
    """Write the archive's stored pages and attachment files (one source's, if named) as WARC;
    returns the page count (`counts`, if given, gets "pages" and "attachments").

    Gzipped per record unless ``gzip`` is False (default: when the name ends in ``.gz``). The
    file appears whole or not at all (see tjcrawl.atomic_write): it is written beside
    ``out_path``, fsynced and renamed; an interrupted export leaves no ``.part`` file.
    """
    conn = _connection(conn)
    out_path = Path(out_path)
    if gzip is None:
        gzip = out_path.name.endswith(".gz")
    user_agent = user_agent or _user_agent()
    pages = attachments = 0
    with atomic_output(out_path) as handle:
        writer = WARCWriter(handle, gzip=gzip, warc_version="1.1")
        info = writer.create_warcinfo_record(
            out_path.name,
            {
                "software": f"tjcrawl/{__version__}",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                "warc-format/warc-1.1/",
                "http-header-user-agent": user_agent,
                "robots": "obey",
                "description": "Pages and attachment files from a tjcrawl archive"
                + (f", source {source}" if source else "")
                + ". Response bodies are the stored bytes, already decoded from any"
                " Content-Encoding; request records are reconstructed (GET, Host, User-Agent).",
            },
        )
        writer.write_record(info)
        info_id = info.rec_headers.get_header("WARC-Record-ID")
        for _page_id, url, status, headers, body, fetched_at in stored_pages(conn, source):
            _write_pair(writer, url, status, headers, body, fetched_at, info_id, user_agent)
            pages += 1
        for url, status, headers, body, fetched_at in stored_attachments(conn, source):
            _write_pair(writer, url, status, headers, body, fetched_at, info_id, user_agent)
            attachments += 1
    if counts is not None:
        counts.update(pages=pages, attachments=attachments)
    return pages


def _write_pair(
    writer: WARCWriter,
    url: str,
    status: int,
    headers: dict[str, list[str]],
    body: bytes,
    fetched_at: str,
    info_id: str,
    user_agent: str,
) -> None:
    common = {"WARC-Date": warc_date(fetched_at), "WARC-Warcinfo-ID": info_id}
    response = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        warc_headers_dict=dict(common),
        http_headers=ReceivedHeaders(
            status_line(status),
            response_headers(status, headers, len(body)),
            protocol="HTTP/1.1",
        ),
    )
    request = writer.create_warc_record(
        url,
        "request",
        warc_headers_dict=dict(common),
        http_headers=request_headers(url, user_agent),
    )
    # Response first, then its request pointing back to it (WARC-Concurrent-To).
    writer.write_request_response_pair(request, response)
