"""Pages whose bytes and charset disagree, crawled on loopback: each is archived as real text.

A small site (served as the proxy for enc.tjcrawl.test) lists four articles made from the seed
news texts: a Big5 page declaring gb2312 in a <meta>, one declaring it in Content-Type, a long
GB18030 article (~14,000 characters) with a few damaged bytes, and the same kind of page with
no charset anywhere. One crawl through the CLI; each test checks one promise.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_cli
from encoding_pages import (
    LONG_ARTICLE_CHARS,
    Page,
    big5_page,
    damaged_gb_page,
    long_paragraphs,
    seed_articles,
)

HOST = "enc.tjcrawl.test"
SLUG = "encoding_site"


def build_pages() -> dict[str, Page]:
    articles = seed_articles()
    pages = [
        big5_page("/news/big5-meta.html", *articles[0], in_header=False),
        big5_page("/news/big5-header.html", *articles[1], in_header=True),
        damaged_gb_page(
            "/news/gb-lossy.html", articles[2][0], long_paragraphs(articles, 2), declared=True
        ),
        damaged_gb_page(
            "/news/gb-lossy-undeclared.html",
            articles[3][0],
            long_paragraphs(articles, 5),
            declared=False,
        ),
    ]
    return {page.path: page for page in pages}


PAGES = build_pages()


def listing_html() -> bytes:
    entries = "\n".join(
        f'<div class="item"><a href="{path}">第{n}篇</a><span>2025-08-22</span></div>'
        for n, path in enumerate(PAGES, 1)
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>招商动态</title></head>'
        f'<body><div class="list">\n{entries}\n</div></body></html>\n'
    ).encode()


PROFILE = f"""
name = "测试：编码站点"
allowed_domains = ["{HOST}"]
start_urls = ["http://{HOST}/news/index.html"]

[listing]
entries = "div.list > div.item"
link = "a::attr(href)"
title = "a"
date = "span"

[detail]
title = "head > title"
date = {{ select = "div.info", regex = "(\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}})" }}
body = "div.content"
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/news/index.html":
            body, content_type, status = listing_html(), "text/html", 200
        elif path in PAGES:
            body, content_type, status = PAGES[path].body, PAGES[path].content_type, 200
        elif path == "/robots.txt":
            body, content_type, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
        else:
            body, content_type, status = b"not found", "text/plain", 404
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Crawl:
    db: Path
    context: str

    def rows(self, sql: str, *params: object) -> list[sqlite3.Row]:
        with closing(sqlite3.connect(self.db)) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()

    def article(self, path: str) -> sqlite3.Row:
        rows = self.rows("SELECT * FROM articles WHERE url = ?", f"http://{HOST}{path}")
        assert len(rows) == 1, f"{path}: {len(rows)} articles; {self.context}"
        return rows[0]

    def page(self, path: str) -> sqlite3.Row:
        rows = self.rows("SELECT * FROM pages WHERE url = ?", f"http://{HOST}{path}")
        assert len(rows) == 1, f"{path}: {len(rows)} pages; {self.context}"
        return rows[0]

    def faults(self, path: str) -> list[str]:
        rows = self.rows("SELECT kind FROM faults WHERE url = ?", f"http://{HOST}{path}")
        return [row["kind"] for row in rows]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    folder = tmp_path_factory.mktemp("encodings")
    (folder / "profiles").mkdir()
    (folder / "profiles" / f"{SLUG}.toml").write_text(PROFILE, "utf-8")
    db = folder / "archive.db"
    with serving() as proxy:
        result = run_cli(
            "crawl",
            SLUG,
            "--db",
            str(db),
            "--proxy",
            f"{HOST}={proxy}",
            env={"TJCRAWL_SOURCES_DIR": str(folder / "profiles")},
            timeout=120,
        )
    context = f"exit {result.returncode}; stderr:\n{result.stderr[-3000:]}"
    assert db.exists(), context
    return Crawl(db, context)


@pytest.mark.parametrize("path", ["/news/big5-meta.html", "/news/big5-header.html"])
def test_a_big5_page_declaring_gb2312_is_archived_as_its_text(crawl: Crawl, path: str) -> None:
    page = PAGES[path]
    article = crawl.article(path)
    assert article["title"] == page.title
    assert article["body"].splitlines() == list(page.expected_paragraphs)
    stored = crawl.page(path)
    assert (stored["declared_encoding"], stored["used_encoding"]) == ("gb2312", "big5")
    assert stored["encoding_how"] == "big5 despite declaration"
    assert crawl.faults(path) == [], "a page read right is no fault"


@pytest.mark.parametrize("path", ["/news/gb-lossy.html", "/news/gb-lossy-undeclared.html"])
def test_a_long_gb_page_with_a_few_bad_bytes_is_archived_and_flagged_lossy(
    crawl: Crawl, path: str
) -> None:
    page = PAGES[path]
    assert sum(map(len, page.paragraphs)) >= LONG_ARTICLE_CHARS
    article = crawl.article(path)
    assert article["title"] == page.title
    # Every character but the damaged ones, each of which is a U+FFFD.
    assert article["body"].splitlines() == list(page.expected_paragraphs)
    stored = crawl.page(path)
    assert stored["used_encoding"] == "gb18030"
    assert stored["encoding_how"].endswith(", lossy")
    assert crawl.faults(path) == ["lossy_decode"]


def test_an_undeclared_damaged_gb_page_is_never_read_as_latin_or_cyrillic(crawl: Crawl) -> None:
    path = "/news/gb-lossy-undeclared.html"
    stored = crawl.page(path)
    assert stored["declared_encoding"] is None
    assert stored["encoding_how"] == "detected, lossy"
    body = crawl.article(path)["body"]
    assert not re.search(r"[\u00c0-\u024f\u0370-\u04ff]", body), "Latin or Cyrillic mojibake"


def test_lossy_pages_are_counted_in_the_run(crawl: Crawl) -> None:
    (run,) = crawl.rows("SELECT * FROM crawl_runs WHERE source = ?", SLUG)
    assert json.loads(run["faults"] or "{}") == {"lossy_decode": 2}, crawl.context
    assert run["items_scraped"] == len(PAGES), crawl.context
