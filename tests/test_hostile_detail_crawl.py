"""Hostile detail pages through the crawl's generic fallback: nothing escapes, nothing is lost.

A loopback site (a proxy target for hostile.tjcrawl.test, as in tests/link_server.py) lists
detail pages that are 9.5 MB, over the 10 MiB download cap, nested 10,000 deep, left with 3,000
unclosed tags, full of NUL bytes, broken, or binary. Its profile's body selector matches nothing,
so every page's body goes through the generic extractor, as it would when a portal changes its
template. Each page ends as an archived article or a recorded fault, never as an exception.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import REPO, run_cli
from parsel import Selector

from tjcrawl.extract.generic import decode_page, extract_article

HOST = "hostile.tjcrawl.test"
SENTENCE = "天津市政府召开常务会议，研究部署下一阶段重点工作。"
PROSE = f"<p>{SENTENCE}会议强调，要压实工作责任，加强统筹协调，确保各项任务按时保质完成。</p>"


def _page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><span class='date'>2025-09-01 10:30</span>"
        f"<div class='text'>{body}</div></body></html>"
    ).encode()


# path -> (page bytes, whether its article text must be archived)
PAGES: dict[str, tuple[bytes, bool]] = {
    "/h/plain.html": (_page("普通页面", PROSE * 3), True),
    # Under DOWNLOAD_MAXSIZE (10 MiB): fetched whole, cut by the extractor at 2,000,000 chars.
    "/h/big.html": (_page("九兆页面", PROSE * 52_000), True),
    # Over it: the download is refused, a fault, no article.
    "/h/oversize.html": (_page("超大页面", PROSE * 100_000), False),
    "/h/deep.html": (_page("万层嵌套", "<div>" * 10_000 + PROSE * 3 + "</div>" * 10_000), False),
    "/h/unclosed.html": (_page("三千层未闭合", PROSE * 3 + "<font>" * 3_000 + PROSE), True),
    "/h/nul.html": (_page("空字节", (PROSE * 3).replace("，", "，\x00")), False),
    "/h/broken.html": (
        _page("残缺标记", "<p>unclosed <b><i>" + PROSE * 3 + "</td></tr></table><p <a href=>"),
        True,
    ),
    "/h/binary.html": (random.Random(7).randbytes(20_000), False),
}


def _listing() -> bytes:
    items = "".join(f'<li><a href="{path}">{path}</a></li>' for path in PAGES)
    return f"<html><body><ul class='list'>{items}</ul></body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        path = parts.path or "/"
        if host == HOST and path == "/h/index.html":
            status, body = 200, _listing()
        elif host == HOST and path in PAGES:
            status, body = 200, PAGES[path][0]
        else:
            status, body = 404, b"<html><body>404</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The crawler hangs up on a page over its download cap.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            self.wfile.write(body)


PROFILE = f"""
name = "测试：恶意详情页"
allowed_domains = ["{HOST}"]
start_urls = ["http://{HOST}/h/index.html"]

[listing]
entries = "ul.list > li"
link = "./a/@href"
title = "a"

[detail]
title = "h1"
date = "span.date"
body = "div.no-such-body"
"""


class Crawl:
    def __init__(self, db: Path, result: subprocess.CompletedProcess[str]) -> None:
        self.db, self.result = db, result

    def rows(self, sql: str) -> list[sqlite3.Row]:
        assert self.db.exists(), self.result.stderr[-3000:]
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "sources").mkdir()
    (tmp / "sources" / "hostile_site.toml").write_text(PROFILE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0}
        result = run_cli(
            "crawl",
            "hostile_site",
            "--db",
            str(tmp / "a.db"),
            "--proxy",
            f"{HOST}=http://127.0.0.1:{server.server_address[1]}",
            env={
                "TJCRAWL_SOURCES_DIR": str(tmp / "sources"),
                "TJCRAWL_SETTINGS": json.dumps(settings),
            },
        )
    finally:
        server.shutdown()
        server.server_close()
    yield Crawl(tmp / "a.db", result)


def test_no_hostile_page_raises_in_the_crawl(crawl: Crawl) -> None:
    stderr = crawl.result.stderr
    assert "Traceback" not in stderr and "spider_exceptions" not in stderr, stderr[-3000:]
    # An exception in a callback would be an extraction_failed fault naming it; the only one
    # here is the page nested past the parser's depth, whose text never reached the tree.
    failed = crawl.rows("SELECT url, detail FROM faults WHERE kind = 'extraction_failed'")
    assert [(r["url"], r["detail"]) for r in failed] == [
        (f"http://{HOST}/h/deep.html", "missing body")
    ]
    # The body selector matched nothing anywhere: reported broken, exit 3.
    assert crawl.result.returncode == 3, stderr[-3000:]
    assert "field detail.body matched nothing on 5 of 6 pages" in stderr, stderr[-3000:]


def test_every_hostile_page_is_an_article_or_a_fault(crawl: Crawl) -> None:
    articles = {r["url"]: r for r in crawl.rows("SELECT url, body, field_sources FROM articles")}
    faults: dict[str, set[str]] = {}
    for row in crawl.rows("SELECT url, kind FROM faults"):
        faults.setdefault(row["url"], set()).add(row["kind"])
    for path, (_page_bytes, must_archive) in PAGES.items():
        url = f"http://{HOST}{path}"
        if url in articles:
            sources = json.loads(articles[url]["field_sources"])
            assert sources["body"] == "generic", (path, sources)
            assert SENTENCE in articles[url]["body"], path
            assert "selector_missed" in faults.get(url, set()), (path, faults.get(url))
        else:
            assert not must_archive, f"{path} holds an article and was not archived"
            assert faults.get(url, set()) - {"selector_missed"}, f"{path}: no article, no fault"


def test_each_page_without_an_article_has_the_fault_that_says_why(crawl: Crawl) -> None:
    kinds = {
        (r["url"].rsplit("/", 1)[1], r["kind"])
        for r in crawl.rows("SELECT url, kind FROM faults WHERE kind != 'selector_missed'")
    }
    assert kinds == {
        ("oversize.html", "too_large"),
        ("deep.html", "too_deep"),
        ("deep.html", "extraction_failed"),
        ("unclosed.html", "too_deep"),  # archived all the same: its text came before
        ("binary.html", "undecodable"),
    }


# The two largest are past MAX_TEXT_CHARS, parsed anew whatever the tree.
@pytest.mark.parametrize(
    "path", ["/h/plain.html", "/h/deep.html", "/h/unclosed.html", "/h/nul.html", "/h/broken.html"]
)
def test_the_crawls_parsed_tree_gives_the_article_a_fresh_parse_gives(path: str) -> None:
    """The crawl hands the generic extractor the response's tree instead of a second parse:
    the article must be the one `tjcrawl extract` (a parse of its own) gets from the page."""
    text = decode_page(PAGES[path][0])
    fresh = extract_article(text, f"http://{HOST}{path}")
    reused = extract_article(text, f"http://{HOST}{path}", tree=Selector(text=text).root)
    assert reused == fresh


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            f"<p>开头<!-- 注释 -->，{SENTENCE}</p><?php echo 1 ?>" + PROSE * 2, id="comments"
        ),
        pytest.param(PROSE.replace("，", "，\x14") * 3, id="control-characters"),
    ],
)
def test_a_reused_tree_with_comments_or_control_characters_gives_the_same_article(
    body: str,
) -> None:
    # parse_html drops comments (whose following text a tree walk would lose) and control
    # characters; a Scrapy response's tree keeps both.
    text = decode_page(_page("注释与控制字符", body))
    fresh = extract_article(text, "http://example.test/a.html")
    reused = extract_article(text, "http://example.test/a.html", tree=Selector(text=text).root)
    assert fresh.paragraphs and reused == fresh


def test_every_fixture_page_gives_the_same_article_from_a_reused_tree() -> None:
    pages = sorted((REPO / "fixtures").rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        text = decode_page(page.read_bytes())
        fresh = extract_article(text, "http://example.test/a.html")
        reused = extract_article(text, "http://example.test/a.html", tree=Selector(text=text).root)
        assert reused == fresh, page


def test_random_bytes_hold_no_article() -> None:
    # The crawl refuses such a page as undecodable; `tjcrawl extract` printed its mojibake.
    article = extract_article(PAGES["/h/binary.html"][0], "http://example.test/a.html")
    assert article.no_article is not None and "binary content" in article.no_article
    assert not article.paragraphs
