"""The archive as a WACZ package (Web Archive Collection Zipped, 1.1.1), for ReplayWeb.page.

`tjcrawl export --format wacz OUT.wacz` writes a ZIP file holding:

* ``archive/data.warc.gz``: the stored pages as `tjcrawl.warc` writes them, stored in the ZIP
  without compression (the spec's rule: a replay reads records by offset, in place);
* ``indexes/index.cdx``: a CDXJ line per response record (SURT key, 14-digit time, JSON with
  URL, MIME type, status, payload digest, record offset and length in the WARC), sorted;
* ``pages/pages.jsonl``: the article pages, one line per article with its page's URL, capture
  time (``ts``, the page's WARC-Date), title and publish date (``published_at``); an entry of a
  listing that carries whole articles adds its own URL (``article_url``). The crawl knows which
  pages are articles, so nothing is guessed: py-wacz's ``--detect-pages`` would keep only HTML
  that some request names as its Referer, which reconstructed request records cannot state;
* ``datapackage.json`` (every file with its SHA-256 and size, as Frictionless Data's data
  package) and ``datapackage-digest.json`` (the hash of datapackage.json).

Like every export, the file appears whole or not at all (tjcrawl.atomic_write).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from tjcrawl import __version__, clock
from tjcrawl.atomic_write import atomic_output
from tjcrawl.warc import warc_date, write_warc

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"
# A fixed time for every ZIP entry: the same archive gives the same bytes but for `created`.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class WaczSummary:
    pages: int  # stored pages in the WARC
    articles: int  # article pages listed in pages.jsonl


def _connection(conn: Any) -> sqlite3.Connection:
    return conn.conn if hasattr(conn, "conn") else conn


def surt(url: str) -> str:
    """The Sort-friendly URI Reordering Transform of a URL, as CDX indexes key them:
    ``http://www.gov.tjcrawl.test/a/b?q=1`` is ``test,tjcrawl,gov)/a/b?q=1``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = ",".join(reversed(host.split(".")))
    if parts.port and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
        key += f":{parts.port}"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{key})" + (parts.path or "/").lower() + (f"?{query.lower()}" if query else "")


def cdxj_lines(warc: IO[bytes], filename: str) -> Iterator[str]:
    """One CDXJ line per response record of a WARC file, in file order."""
    records = ArchiveIterator(warc)
    for record in records:
        if record.rec_type != "response":
            continue
        headers = record.rec_headers
        http = record.http_headers
        url = headers.get_header("WARC-Target-URI")
        moment = datetime.strptime(headers.get_header("WARC-Date")[:19], "%Y-%m-%dT%H:%M:%S")
        fields = {
            "url": url,
            "mime": (http.get_header("Content-Type") or "unk").split(";")[0].strip(),
            "status": http.get_statuscode(),
            "digest": headers.get_header("WARC-Payload-Digest"),
        }
        record.raw_stream.read()  # to the record's end, so that its length is known
        fields["length"] = str(records.get_record_length())
        fields["offset"] = str(records.get_record_offset())
        fields["filename"] = filename
        yield f"{surt(url)} {moment:%Y%m%d%H%M%S} {json.dumps(fields, ensure_ascii=False)}"


def article_pages(conn: sqlite3.Connection, source: str | None = None) -> Iterator[dict[str, Any]]:
    """pages.jsonl lines: the stored page of every article, with its title and date.

    ``url`` is the page the article was read from, which is what a replay can open. An entry
    of a listing that carries whole articles has a URL of its own (``…/index.html#entry-…``,
    keyed on the first listing page, whichever page it is on): that is ``article_url``.
    """
    sql = (
        "SELECT a.id, a.url, p.url, a.title, a.published_at, p.fetched_at FROM articles a"
        " JOIN pages p ON p.id = a.page_id"
        + (" WHERE a.source = ?" if source else "")
        + " ORDER BY p.fetched_at, a.id"
    )
    for article_id, url, page_url, title, published_at, fetched_at in conn.execute(
        sql, (source,) if source else ()
    ):
        page = {
            "id": f"article-{article_id}",
            "url": page_url,
            "ts": warc_date(fetched_at),
            "title": title,
            "published_at": published_at,
        }
        if url != page_url:
            page["article_url"] = url
        yield page


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def write_wacz(conn: Any, out_path: str | Path, source: str | None = None) -> WaczSummary:
    """Write the archive's pages (one source's, if named) and article list as a WACZ file."""
    conn = _connection(conn)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="tjcrawl-wacz-") as work:
        folder = Path(work)
        files = {
            f"archive/{WARC_NAME}": folder / WARC_NAME,
            "indexes/index.cdx": folder / "index.cdx",
            "pages/pages.jsonl": folder / "pages.jsonl",
        }
        pages = write_warc(conn, files[f"archive/{WARC_NAME}"], source, gzip=True)
        with files[f"archive/{WARC_NAME}"].open("rb") as warc:
            index = sorted(cdxj_lines(warc, WARC_NAME))
        files["indexes/index.cdx"].write_text(
            "".join(line + "\n" for line in index), encoding="utf-8"
        )
        header = {"format": "json-pages-1.0", "id": "pages", "title": "Article pages"}
        articles = 0
        with files["pages/pages.jsonl"].open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(header) + "\n")
            for page in article_pages(conn, source):
                handle.write(json.dumps(page, ensure_ascii=False) + "\n")
                articles += 1
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": "tjcrawl archive" + (f": {source}" if source else ""),
            "description": "Pages and article list exported from a tjcrawl archive.",
            "created": clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "software": f"tjcrawl/{__version__}",
            "resources": [
                {
                    "name": Path(name).name,
                    "path": name,
                    "hash": _sha256(path),
                    "bytes": path.stat().st_size,
                }
                for name, path in files.items()
            ],
        }
        package_bytes = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
        digest = {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
        }
        with atomic_output(out_path) as handle, zipfile.ZipFile(handle, "w") as package_zip:
            for name, path in files.items():
                entry = zipfile.ZipInfo(name, ZIP_TIME)
                # The WARC stays uncompressed in the ZIP, for reads by offset; it is gzipped
                # record by record already.
                entry.compress_type = (
                    zipfile.ZIP_STORED if name.startswith("archive/") else zipfile.ZIP_DEFLATED
                )
                with path.open("rb") as source_file, package_zip.open(entry, "w") as target:
                    while chunk := source_file.read(1 << 20):
                        target.write(chunk)
            for name, data in (
                ("datapackage.json", package_bytes),
                ("datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8")),
            ):
                entry = zipfile.ZipInfo(name, ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                package_zip.writestr(entry, data)
    return WaczSummary(pages=pages, articles=articles)
