"""`tjcrawl export --format warc`: every stored page round-trips through the WARC file.

The file is read back with warcio's ArchiveIterator: one warcinfo record, then a response and a
request record per page, each its own gzip member, with the page's exact bytes, URL, status,
headers and fetch time. Where pywb is installed, one archived page is also replayed through a
real pywb on 127.0.0.1 and compared byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import zlib
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from tjcrawl import __version__
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.compression import page_body
from tjcrawl.warc import write_warc

# pywb pins pyOpenSSL<26.2 (downgrading the cryptography Scrapy uses), werkzeug and redis, and
# gevent-patches whoever imports its apps, so it lives in its own environment, which
# `make test` creates: .venv-replay (or the interpreter named in TJCRAWL_PYWB_PYTHON).
PYWB_PYTHON = Path(
    os.environ.get("TJCRAWL_PYWB_PYTHON")
    or Path(__file__).resolve().parents[1] / ".venv-replay" / "bin" / "python"
)


def read_records(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            records.append(
                {
                    "type": record.rec_type,
                    "warc": record.rec_headers,
                    "http": record.http_headers,
                    "payload": record.raw_stream.read(),
                }
            )
    return records


def gzip_members(data: bytes) -> int:
    members = 0
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        inflater.decompress(data)
        assert inflater.eof, "a truncated gzip member"
        data = inflater.unused_data
        members += 1
    return members


def stored_pages(db: Path, source: str | None = None) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        where, params = ("WHERE source = ?", (source,)) if source else ("", ())
        rows = conn.execute(
            "SELECT id, url, status, headers, body, compression, fetched_at, body_sha256"
            f" FROM pages {where} ORDER BY id",
            params,
        ).fetchall()
        pages = [
            {**dict(row), "bytes": page_body(row["body"], row["compression"], conn)} for row in rows
        ]
    for page in pages:  # the bytes as fetched, whatever the compression
        assert hashlib.sha256(page["bytes"]).hexdigest() == page["body_sha256"]
    return pages


def same_moment(warc_date: str, fetched_at: str) -> bool:
    assert warc_date.endswith("Z"), warc_date
    return datetime.fromisoformat(warc_date[:-1] + "+00:00") == datetime.fromisoformat(fetched_at)


def test_every_page_round_trips(demo_archive: Any, tmp_path: Path) -> None:
    out = tmp_path / "demo.warc.gz"
    with closing(sqlite3.connect(demo_archive.path)) as conn:
        written = write_warc(conn, out)
    pages = stored_pages(demo_archive.path)
    assert written == len(pages) > 30
    assert {p["status"] for p in pages} >= {200, 404}  # a listing past its last page

    with closing(sqlite3.connect(demo_archive.path)) as conn:
        files = conn.execute("SELECT count(*) FROM attachment_files").fetchone()[0]
    records = read_records(out)
    # The pages, then the attachment files (tests/test_attachment_exports.py checks those).
    assert gzip_members(out.read_bytes()) == len(records) == 1 + 2 * (len(pages) + files)
    assert all(r["warc"].protocol == "WARC/1.1" for r in records)
    info, rest = records[0], records[1 : 1 + 2 * len(pages)]
    assert info["type"] == "warcinfo"
    assert f"software: tjcrawl/{__version__}".encode() in info["payload"]
    info_id = info["warc"].get_header("WARC-Record-ID")

    responses = [r for r in rest if r["type"] == "response"]
    requests = [r for r in rest if r["type"] == "request"]
    assert len(responses) == len(requests) == len(pages)
    assert [r["type"] for r in rest] == ["response", "request"] * len(pages)

    for page, response, request in zip(pages, rest[0::2], rest[1::2], strict=True):
        warc, http = response["warc"], response["http"]
        assert warc.get_header("WARC-Target-URI") == page["url"]
        assert response["payload"] == page["bytes"], page["url"]  # the exact stored bytes
        assert http.get_statuscode() == str(page["status"])
        assert http.get_header("Content-Length") == str(len(page["bytes"]))
        assert http.get_header("Content-Encoding") is None
        assert http.get_header("Transfer-Encoding") is None
        assert same_moment(warc.get_header("WARC-Date"), page["fetched_at"])
        assert warc.get_header("WARC-Warcinfo-ID") == info_id
        stored = [
            (name, value)
            for name, values in json.loads(page["headers"]).items()
            if name.lower() not in ("content-encoding", "transfer-encoding", "content-length")
            for value in values
        ]
        assert [(n, v) for n, v in http.headers if n != "Content-Length"] == stored

        assert request["warc"].get_header("WARC-Target-URI") == page["url"]
        assert request["warc"].get_header("WARC-Date") == warc.get_header("WARC-Date")
        assert request["warc"].get_header("WARC-Concurrent-To") == warc.get_header("WARC-Record-ID")
        assert request["http"].protocol == "GET"
        host = page["url"].split("/")[2]
        assert request["http"].get_header("Host") == host
        assert request["http"].get_header("User-Agent").startswith(f"tjcrawl/{__version__}")


def _store(archive: Archive, url: str, status: int, headers: dict, body: bytes, at: str) -> None:
    archive.store_page(
        url=url,
        source="one" if "one.test" in url else "two",
        kind="detail",
        status=status,
        headers=headers,
        body=body,
        encoding=None,
        fetched_at=at,
        run_id="r1",
    )


def test_headers_describe_the_stored_body_and_each_status_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive = Archive.acquire(db)
    html = "<html><body><p>天津市招商引资</p></body></html>".encode()
    try:
        _store(
            archive,
            "http://one.test:8080/news/a.html?id=7",
            200,
            {
                "Content-Type": ["text/html; charset=utf-8"],
                "Content-Encoding": ["gzip"],  # Scrapy had un-gzipped it
                "Transfer-Encoding": ["chunked"],
                "Content-Length": ["17"],
                "Set-Cookie": ["a=1", "b=2"],
            },
            html,
            "2025-08-22T10:30:00+08:00",
        )
        _store(
            archive,
            "http://one.test:8080/news/a.html?id=7",
            200,
            {"Content-Type": ["text/html; charset=utf-8"]},
            html + b"<!-- edited -->",
            "2025-08-23T10:30:00.250000+08:00",
        )
        _store(
            archive,
            "http://one.test/gone.html",
            404,
            {"Content-Length": ["9"]},
            b"not here",
            "2025-08-24T00:00:00+08:00",
        )
        _store(
            archive,
            "http://two.test/x.html",
            304,
            {"ETag": ['"abc"'], "Content-Length": ["512"]},
            b"",
            "2025-08-25T00:00:00+08:00",
        )
    finally:
        archive.release()

    out = tmp_path / "pages.warc.gz"
    with closing(sqlite3.connect(db)) as conn:
        assert write_warc(conn, out) == 4
        assert write_warc(conn, tmp_path / "two.warc", source="two") == 1
    responses = [r for r in read_records(out) if r["type"] == "response"]
    first, second, gone, not_modified = responses

    assert first["payload"] == html and second["payload"] == html + b"<!-- edited -->"
    headers = dict(first["http"].headers)
    assert "Content-Encoding" not in headers and "Transfer-Encoding" not in headers
    assert headers["Content-Length"] == str(len(html))
    assert [v for n, v in first["http"].headers if n == "Set-Cookie"] == ["a=1", "b=2"]
    assert first["warc"].get_header("WARC-Date") == "2025-08-22T02:30:00Z"
    assert second["warc"].get_header("WARC-Date") == "2025-08-23T02:30:00.250000Z"
    assert first["http"].statusline == "200 OK"

    assert gone["http"].statusline == "404 Not Found" and gone["payload"] == b"not here"
    assert gone["http"].get_header("Content-Length") == "8"
    assert not_modified["http"].statusline == "304 Not Modified"
    assert not_modified["payload"] == b""
    assert not_modified["http"].get_header("ETag") == '"abc"'

    requests = [r for r in read_records(out) if r["type"] == "request"]
    assert requests[0]["http"].statusline == "/news/a.html?id=7 HTTP/1.1"
    assert requests[0]["http"].get_header("Host") == "one.test:8080"

    plain = (tmp_path / "two.warc").read_bytes()
    assert plain.startswith(b"WARC/1.1\r\n")  # not gzipped: the name does not end in .gz
    only_two = read_records(tmp_path / "two.warc")
    assert [r["warc"].get_header("WARC-Target-URI") for r in only_two[1:]] == [
        "http://two.test/x.html"
    ] * 2
    assert not list(tmp_path.glob(".*.part"))


# -- replay through pywb -----------------------------------------------------------------


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _python(code: str, *args: str, cwd: Path) -> None:
    result = subprocess.run(
        [str(PYWB_PYTHON), "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _fetch_through_pywb(url: str, server: subprocess.Popen[bytes], log: Path) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    deadline = time.monotonic() + 60
    while True:
        try:
            with opener.open(url, timeout=10) as answer:
                return answer.read()
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"pywb did not answer: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)


def test_an_archived_page_replays_through_pywb(demo_archive: Any, tmp_path: Path) -> None:
    assert PYWB_PYTHON.exists(), (
        f"no pywb environment at {PYWB_PYTHON}: run `make test`, or python3 -m venv "
        ".venv-replay && .venv-replay/bin/pip install pywb"
    )
    out = tmp_path / "demo.warc.gz"
    with closing(sqlite3.connect(demo_archive.path)) as conn:
        write_warc(conn, out)
    page = next(
        p
        for p in stored_pages(demo_archive.path, "demo_trs")
        if p["status"] == 200 and "/2024" in p["url"]  # a GBK detail page
    )
    root = tmp_path / "pywb"
    root.mkdir()
    manager = "from pywb.manager.manager import main; main()"
    _python(manager, "init", "tj", cwd=root)
    _python(manager, "add", "tj", str(out), cwd=root)
    port = _free_port()
    log = tmp_path / "pywb.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [
                str(PYWB_PYTHON),
                "-c",
                "from pywb.apps.cli import wayback; wayback()",
                *("-p", str(port), "-b", "127.0.0.1", "-d", str(root)),
            ],
            cwd=root,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        moment = datetime.fromisoformat(page["fetched_at"]).astimezone(UTC)
        # id_: the archived bytes as they are, not rewritten for the browser
        url = f"http://127.0.0.1:{port}/tj/{moment:%Y%m%d%H%M%S}id_/{page['url']}"
        assert _fetch_through_pywb(url, server, log) == page["bytes"]
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
