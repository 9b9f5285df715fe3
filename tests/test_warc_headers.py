"""WARC response records carry the response header bytes a crawl received, non-ASCII included.

A loopback site sends a UTF-8 ``Content-Disposition`` filename and a GBK header value (raw
bytes, as many Chinese servers do); it is crawled through the CLI, exported with
tjcrawl.warc.write_warc and read back with warcio, and each response record's header block is
compared with the bytes that were sent.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import run_cli
from warcio.archiveiterator import ArchiveIterator

from tjcrawl.warc import write_warc

SLUG = "raw_headers"
HOST = "headers.tjcrawl.test"
LISTING = f"http://{HOST}/news/index.html"
DETAIL = f"http://{HOST}/news/a.html"
SENT_HEADERS = [
    b'Content-Disposition: attachment; filename="\xe9\x99\x84\xe4\xbb\xb6.pdf"',  # 附件 (UTF-8)
    b"X-Notice: \xcd\xa8\xd6\xaa \xcc\xec\xbd\xf2",  # 通知 天津 (GBK)
]
PROFILE = f"""\
name = "测试：非 ASCII 响应头"
allowed_domains = ["{HOST}"]
start_urls = ["{LISTING}"]

[listing]
entries = "ul.list > li"
link = "a::attr(href)"
title = "a"
date = "span.date"

[detail]
title = "h1"
date = "span.date"
body = "div.content"
"""
PAGES = {
    "/robots.txt": b"User-agent: *\nAllow: /\n",
    "/news/index.html": (
        "<html><head><meta charset='utf-8'></head><body><ul class='list'>"
        "<li><a href='a.html'>关于附件的通知</a><span class='date'>2025-08-22</span></li>"
        "</ul></body></html>"
    ).encode(),
    "/news/a.html": (
        "<html><head><meta charset='utf-8'></head><body><h1>关于附件的通知</h1>"
        "<span class='date'>2025-08-22</span><div class='content'>"
        "<p>天津市招商引资工作动态：附件见响应头所列文件名。</p></div></body></html>"
    ).encode(),
}


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = PAGES.get(self.path.split(HOST, 1)[-1])
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"not here"
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        # http.server writes a header line as latin-1: these str are exactly the bytes above.
        for line in SENT_HEADERS:
            name, value = line.decode("latin-1").split(": ", 1)
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def response_header_blocks(path: Path) -> dict[str, bytes]:
    """Target URI -> the raw HTTP header block of its response record, as stored in the file."""
    data = path.read_bytes()
    blocks = {}
    with path.open("rb") as handle:
        records = ArchiveIterator(handle, check_digests="raise")
        for record in records:
            if record.rec_type != "response":
                continue
            record.content_stream().read()  # the digests are checked as the record is read
            uri = record.rec_headers.get_header("WARC-Target-URI")
            start = records.get_record_offset()
            warc_end = data.index(b"\r\n\r\n", start) + 4
            blocks[uri] = data[warc_end : data.index(b"\r\n\r\n", warc_end) + 4]
    return blocks


def test_non_ascii_response_header_bytes_round_trip_through_warc(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / f"{SLUG}.toml").write_text(PROFILE, encoding="utf-8")
    db = tmp_path / "a.db"
    with site() as proxy:
        crawl = run_cli(
            "crawl",
            SLUG,
            "--db",
            str(db),
            "--proxy",
            f"{HOST}={proxy}",
            env={"TJCRAWL_SOURCES_DIR": str(sources)},
        )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    out = tmp_path / "pages.warc"  # not gzipped, so the records' bytes can be read in place
    with closing(sqlite3.connect(db)) as conn:
        assert write_warc(conn, out) == 2
    blocks = response_header_blocks(out)
    assert set(blocks) == {LISTING, DETAIL}
    for uri, block in blocks.items():
        lines = block.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 200 OK", uri
        for sent in SENT_HEADERS:
            assert sent in lines, (uri, block)
    # What a replay tool reads: warcio decodes a header as UTF-8 where it is UTF-8.
    with out.open("rb") as handle:
        detail = next(
            r
            for r in ArchiveIterator(handle)
            if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI") == DETAIL
        )
        assert detail.http_headers.get_header("Content-Disposition") == (
            'attachment; filename="附件.pdf"'
        )
