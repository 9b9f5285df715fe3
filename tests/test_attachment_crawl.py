"""Attachments in a crawl: one small site on 127.0.0.1 serving every bad file of issue 20's
item 5 from one article page, a 详见附件 page and a plain one. Each bad file ends with its
state and a fault row, the crawl's other articles are archived, and nothing hangs; a second
nightly run asks for no file already kept; robots.txt and the per-host delay hold for files as
for pages."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from attachment_files import make_docx, make_pdf, make_zip_bomb
from conftest import run_cli
from loopback import LoopbackHandler, LoopbackServer, Target
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from tjcrawl.extract.generic import extract_article
from tjcrawl.pipelines.attachment_reading import AttachmentReader
from tjcrawl.pipelines.validate import ValidatePipeline
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS
from tjcrawl.storage.pages import attachment_body

HOST = "files.tjcrawl.test"
SLUG = "files_site"
#: Seconds a whole crawl of this site may take (the 200 MB file is cut at the cap at once).
BOUND = 60
CAP = 2 * 1024 * 1024  # TJCRAWL_ATTACHMENT_MAX_BYTES in these crawls
HUGE = 200 * 1024 * 1024

PROFILE = f"""
name = "测试：附件站点"
allowed_domains = ["{HOST}"]
start_urls = ["http://{HOST}/list.html"]

[listing]
entries = "li"
link = "a::attr(href)"
title = "a"
date = "span"

[detail]
title = "h1"
date = "p.date"
body = "div.content"
"""


def make_encrypted_pdf() -> bytes:
    """A PDF under the standard security handler with a password nobody knows (its /U entry
    matches no password), as a portal's locked file reads to a crawler."""
    pdf = make_pdf([["secret"]])
    head, tail = pdf.rsplit(b"trailer\n", 1)
    encrypt = (
        f"/Encrypt << /Filter /Standard /V 1 /R 2 /O <{'4f' * 32}> /U <{'a5' * 32}> /P -4 >>"
        f" /ID [<{'01' * 16}> <{'01' * 16}>]"
    ).encode()
    return head + b"trailer\n" + tail.replace(b"/Root 1 0 R", b"/Root 1 0 R " + encrypt)


GOOD_PDF = make_pdf([["Tianjin Binhai signed projects 2025"]])
CUT_PDF = make_pdf([[f"line {i}" for i in range(60)]])
ERROR_PAGE = "<!DOCTYPE html><html><head><title>404</title></head><body>页面不存在</body></html>"
#: path: (body, Content-Type); the state reading it must come to.
FILES: dict[str, tuple[bytes, str]] = {
    "/att/W020250903000001.zip": (make_zip_bomb(), "application/zip"),
    "/att/W020250903000002.pdf": (make_pdf([["loop"]], prev_loop=True), "application/pdf"),
    "/att/W020250903000004.pdf": (make_encrypted_pdf(), "application/pdf"),
    "/att/W020250903000005.pdf": (ERROR_PAGE.encode(), "application/pdf"),
    "/att/W020250903000007.pdf": (GOOD_PDF, "text/html; charset=utf-8"),  # wrong type
    "/att/P020250903000009.docx": (
        make_docx(["天津滨海新区2025年签约项目：天津海河精工科技有限公司"]),
        "application/octet-stream",
    ),
    "/att/P020250903000010.pdf": (make_pdf([["plain article attachment"]]), "application/pdf"),
}
HUGE_PATH = "/att/W020250903000003.pdf"  # 200 MB, streamed without Content-Length
CUT_PATH = "/att/W020250903000006.pdf"  # Content-Length larger than the body
PRIVATE_PATH = "/private/W020250903000008.pdf"  # robots.txt says no
STATES = {
    "/att/W020250903000001.zip": "too_large",
    "/att/W020250903000002.pdf": "damaged",
    HUGE_PATH: "too_large",
    "/att/W020250903000004.pdf": "encrypted",
    "/att/W020250903000005.pdf": "not_a_file",
    CUT_PATH: "damaged",
    "/att/W020250903000007.pdf": "ok",
    "/att/P020250903000009.docx": "ok",
    "/att/P020250903000010.pdf": "ok",
}
#: The fault each bad file leaves (kind), besides the state.
FAULTS = {
    "/att/W020250903000001.zip": "attachment_too_large",
    "/att/W020250903000002.pdf": "attachment_damaged",
    HUGE_PATH: "too_large",
    "/att/W020250903000004.pdf": "attachment_encrypted",
    "/att/W020250903000005.pdf": "attachment_not_a_file",
    CUT_PATH: "incomplete",
    PRIVATE_PATH: "robots_disallowed",
}


def _page(title: str, body: str) -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
        f"<p class='date'>2025-09-03</p><div class='content'>{body}</div></body></html>"
    ).encode()


def _links(paths: list[str]) -> str:
    return "".join(
        f"<p><a href='{p}'>附件{i}：{p.rsplit('/', 1)[1]}</a></p>" for i, p in enumerate(paths, 1)
    )


BAD = [*list(FILES)[:5], HUGE_PATH, CUT_PATH, PRIVATE_PATH]
PAGES = {
    "/list.html": (
        "<html><body><ul>"
        "<li><a href='/a1.html'>关于公布问题附件的通知</a><span>2025-09-03</span></li>"
        "<li><a href='/a2.html'>关于2025年签约项目的公示</a><span>2025-09-03</span></li>"
        "<li><a href='/a3.html'>天津市普通新闻</a><span>2025-09-03</span></li>"
        "</ul></body></html>"
    ).encode(),
    "/a1.html": _page(
        "关于公布问题附件的通知", "<p>各有关单位：现将有关文件公布如下。</p>" + _links(BAD)
    ),
    # Only 详见附件 and its link: the article is what the file says.
    "/a2.html": _page(
        "关于2025年签约项目的公示",
        "<p>详见附件</p><p><a href='/att/P020250903000009.docx'>附件下载</a></p>",
    ),
    "/a3.html": _page(
        "天津市普通新闻",
        "<p>天津市召开会议，部署全年工作。</p>" + _links(["/att/P020250903000010.pdf"]),
    ),
}


class _Handler(LoopbackHandler):
    server: FileSite

    def answer(self, target: Target) -> None:
        path = target.path
        self.server.record(path)
        with self.server.lock:
            self.server.times.append((time.monotonic(), path))
        if path == "/robots.txt":
            self.send_page(200, b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        elif path in PAGES:
            self.send_page(200, PAGES[path])
        elif path in FILES:
            body, content_type = FILES[path]
            self.send_page(200, body, content_type=content_type)
        elif path == CUT_PATH:
            self.send_page(200, CUT_PDF[: len(CUT_PDF) * 2 // 3], declared=len(CUT_PDF),
                           content_type="application/pdf")  # fmt: skip
        elif path == HUGE_PATH:
            self._stream_huge()
        else:
            self.send_page(404, b"<html><body>404</body></html>")

    def _stream_huge(self) -> None:
        """200 MB of PDF-looking bytes as one stream with no Content-Length: the crawler
        learns the size only as the bytes come, and must stop at its cap."""
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)
        sent = 0
        try:
            while sent < HUGE and not self.server.stopping.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
        finally:
            with self.server.lock:
                self.server.huge_sent = max(self.server.huge_sent, sent)


class FileSite(LoopbackServer):
    handler = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, str]] = []
        self.huge_sent = 0


@pytest.fixture
def site() -> Iterator[FileSite]:
    with FileSite() as server:
        yield server


def crawl(server: FileSite, root: Path, **settings: object) -> float:
    """One crawl of the site into root/archive.db; how long it took."""
    profiles = root / "profiles"
    profiles.mkdir(exist_ok=True)
    (profiles / f"{SLUG}.toml").write_text(PROFILE, encoding="utf-8")
    values = {**LOOPBACK_FAST_SETTINGS, "TJCRAWL_ATTACHMENT_MAX_BYTES": CAP, **settings}
    env = {"TJCRAWL_SOURCES_DIR": str(profiles), "TJCRAWL_SETTINGS": json.dumps(values)}
    started = time.monotonic()
    result = run_cli(
        "crawl", SLUG, "--db", str(root / "archive.db"), *server.proxy_args(HOST),
        env=env, timeout=BOUND,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return took


def url(path: str) -> str:
    return f"http://{HOST}{path}"


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_bad_file_gets_its_state_and_fault_and_every_article_is_archived(
    site: FileSite, tmp_path: Path
) -> None:
    took = crawl(site, tmp_path)
    db = tmp_path / "archive.db"
    assert took < BOUND
    titles = {t for (t,) in rows(db, "SELECT title FROM articles")}
    assert titles == {"关于公布问题附件的通知", "关于2025年签约项目的公示", "天津市普通新闻"}
    states = dict(rows(db, "SELECT url, state FROM attachment_texts"))
    assert states == {url(p): s for p, s in STATES.items()}
    faults = rows(db, "SELECT url, kind, detail FROM faults")
    for path, kind in FAULTS.items():
        found = [(k, d) for u, k, d in faults if u == url(path) and k == kind]
        assert len(found) == 1, (path, kind, faults)
        assert found[0][1] and "\n" not in found[0][1] and "Traceback" not in found[0][1]
    assert not [f for f in faults if f[0] in {url(p) for p in FILES if STATES[p] == "ok"}]
    # The bytes as received are kept, the cut file's too; the 200 MB one is not, and was cut
    # off near the cap, never held whole.
    with sqlite3.connect(db) as conn:
        for path, (body, _) in FILES.items():
            assert attachment_body(conn, url(path)) == body, path
        assert attachment_body(conn, url(CUT_PATH)) == CUT_PDF[: len(CUT_PDF) * 2 // 3]
        assert attachment_body(conn, url(HUGE_PATH)) is None
    assert site.huge_sent < HUGE // 4
    [(huge,)] = rows(db, "SELECT detail FROM attachment_texts WHERE url = ?", url(HUGE_PATH))
    assert huge.startswith(f"over TJCRAWL_ATTACHMENT_MAX_BYTES ({CAP} bytes)"), huge
    assert site.hits(PRIVATE_PATH) == 0, "robots.txt holds for attachments"
    # The wrong Content-Type did not stop the PDF from being read.
    texts = dict(rows(db, "SELECT url, text FROM attachment_texts"))
    assert texts[url("/att/W020250903000007.pdf")] == "Tianjin Binhai signed projects 2025"

    # The 详见附件 page: archived, its file read, no fault, and its source healthy.
    [(body, failed)] = rows(
        db,
        "SELECT a.body, r.items_failed FROM articles a, crawl_runs r WHERE a.url = ?",
        url("/a2.html"),
    )
    assert body.startswith("详见附件") and failed == 0
    [(state, text)] = rows(
        db,
        "SELECT t.state, t.text FROM attachment_texts t JOIN attachments l USING (url)"
        " JOIN articles a ON a.id = l.article_id WHERE a.url = ?",
        url("/a2.html"),
    )
    assert state == "ok" and "天津海河精工科技有限公司" in text
    assert not rows(db, "SELECT * FROM faults WHERE url = ?", url("/a2.html"))
    health = run_cli(
        "health", "--db", str(db), env={"TJCRAWL_SOURCES_DIR": str(tmp_path / "profiles")}
    )
    [line] = [x for x in health.stdout.splitlines() if x.startswith(SLUG)]
    assert line.split()[1] == "ok" and "extraction" not in line, line


def test_a_second_nightly_run_fetches_no_file_it_keeps(site: FileSite, tmp_path: Path) -> None:
    """Counted at the server. The articles fall due for their revisit and their pages are
    fetched again (this server sends no validators, so no 304 spares them): their files are
    not. The first run also shows files waiting their turn behind the per-host delay: one
    downloader slot per host, so no request, file or page, follows another to the host sooner
    than Scrapy's randomised delay allows (0.5 × DOWNLOAD_DELAY)."""
    delay = 0.1
    crawl(site, tmp_path, DOWNLOAD_DELAY=delay, CONCURRENT_REQUESTS_PER_DOMAIN=1)
    times = sorted(t for t, p in site.times if p != "/robots.txt")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= delay * 0.5 * 0.9, gaps
    db = tmp_path / "archive.db"
    first = site.snapshot()
    files = [p for p in first if p.startswith("/att/")]
    assert len(files) == len(STATES)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET next_revisit_at = '2000-01-01T00:00:00+08:00'")
    site.reset_counts()
    crawl(site, tmp_path)
    second = site.snapshot()
    assert second["/a1.html"] == second["/a2.html"] == second["/a3.html"] == 1
    assert {p: n for p, n in second.items() if p.startswith("/att/")} == {}
    with sqlite3.connect(db) as conn:
        counts = conn.execute("SELECT requests FROM crawl_runs ORDER BY id").fetchall()
    print(f"requests: first run {counts[0][0]}, second {counts[1][0]};"
          f" attachment requests: first {sum(first[p] for p in files)}, second 0")  # fmt: skip


def test_the_generic_extractor_takes_a_see_the_attachment_page_as_an_article() -> None:
    """The lines that send the reader to the file are the body, as the page says them, and
    the file is its attachment: no `no_article`, so no failed extraction."""
    page = PAGES["/a2.html"].decode()
    article = extract_article(page, url("/a2.html"))
    assert article.no_article is None
    assert article.paragraphs == ["详见附件", "附件下载"]
    assert article.attachments == [{"url": url("/att/P020250903000009.docx"), "text": "附件下载"}]
    # Without a file link, a short page is still no article: nothing is invented.
    bare = extract_article(page.replace("/att/P020250903000009.docx", "/a3.html"), url("/a2.html"))
    assert bare.no_article is not None and bare.no_article.startswith("no article")


def test_an_article_that_is_only_its_files_is_not_a_failed_extraction() -> None:
    stats = StatsCollector(get_crawler())
    pipeline = ValidatePipeline(stats)
    files = [{"url": url("/att/P020250903000009.docx"), "text": ""}]
    item = {"url": url("/a2.html"), "title": "公示", "body": "", "attachments": files}
    assert pipeline.process_item(item) is item
    assert stats.get_value("tjcrawl/missing/body") is None
    with pytest.raises(DropItem):
        pipeline.process_item({**item, "attachments": []})


def test_a_file_that_could_not_be_handed_to_the_writer_is_a_lost_write() -> None:
    """The reading thread waits for nothing but its files; one it could not hand to the
    writer is counted, so that the run is write_failed, never finished."""

    class Refusing:
        def submit(self, *args: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

    session = SimpleNamespace(store_file=None, store_text=None, store_unkept=None)
    reader = AttachmentReader(Refusing(), session)  # type: ignore[arg-type]
    started = time.monotonic()
    reader.add(url("/att/a.pdf"), GOOD_PDF, "application/pdf", "2025-09-03T10:00:00+08:00")
    time.sleep(0.5)  # the first is settled (and forgotten) when the second comes: still counted
    reader.add(url("/att/b.pdf"), GOOD_PDF, "application/pdf", "2025-09-03T10:00:00+08:00")
    assert reader.finish() == 2
    assert time.monotonic() - started < BOUND
