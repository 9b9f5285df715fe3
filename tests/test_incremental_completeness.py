"""Nightly runs that miss nothing: pagination drift, the listing sweep, pages that come back
after a 404, servers whose 304s lie, `--full` without validators, the newest ETag.

A small news site on 127.0.0.1 (reached as news.tjcrawl.test through --proxy) that a test can
change between runs, or during one: it answers conditional GETs by ETag, can hide a listing
entry once the first listing page has been served (drift), can answer 404 for a page, and
can lie (304 to every conditional GET). It logs every request with its validators.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import count, run_cli

from tjcrawl.clock import NOW_ENV, SHANGHAI
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS
from tjcrawl.storage.archive import Archive

HOST = "news.tjcrawl.test"
SLUG = "drift_site"
PER_PAGE = 5
# The newest article is a day old at the first run; the others a week and more, so a run a
# day later re-checks the newest one alone (revisits come after about an article's age).
FIRST_RUN = datetime(2025, 3, 12, 2, 30, tzinfo=SHANGHAI)
PROFILE = f"""
name = "测试：增量站点"
allowed_domains = ["{HOST}"]
start_urls = ["http://{HOST}/list/index.html"]

[listing]
entries = "div.list > div.list-item"
link = "a::attr(href)"
title = "a"
date = "span.date"

[pagination]
next = "div.pager a.next::attr(href)"
max_pages = 20

[detail]
title = "h1"
date = {{ select = "div.info", regex = "发布时间[:：]\\\\s*(\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}})" }}
body = "div.content"
"""


@dataclass
class Page:
    path: str
    title: str
    date: str
    text: str

    @property
    def url(self) -> str:
        return f"http://{HOST}{self.path}"

    def html(self) -> bytes:
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{self.title}</title>"
            f"</head><body><h1>{self.title}</h1><div class='info'>发布时间：{self.date}</div>"
            f"<div class='content'><p>{self.text}</p></div></body></html>"
        ).encode()


def make_articles(n: int) -> list[Page]:
    """n articles, newest first: the newest dated the day before the first run."""
    pages = []
    for i in range(n, 0, -1):
        day = FIRST_RUN.date() - timedelta(days=1 if i == n else 7 + n - i)
        pages.append(
            Page(
                f"/news/a{i:02d}.html",
                f"第{i}号通知：天津市召开专题会议",
                day.isoformat(),
                f"这是第{i}号通知的正文，会议研究部署了相关工作。",
            )
        )
    return pages


@dataclass
class Request:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


@dataclass
class SiteState:
    articles: list[Page]
    hidden: set[str] = field(default_factory=set)  # paths left out of the listing
    gone: set[str] = field(default_factory=set)  # paths answering 404
    lying_304: bool = False  # a 304 to every conditional GET
    etag_salt: str = "v1"
    # Called after a listing page is served (drift: change the listing mid-walk).
    after_listing: Callable[[str], None] | None = None
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def listing(self, page: int) -> bytes | None:
        shown = [a for a in self.articles if a.path not in self.hidden]
        entries = shown[page * PER_PAGE : (page + 1) * PER_PAGE]
        if page and not entries:
            return None
        items = "".join(
            f"<div class='list-item'><a href='{a.path}'>{a.title}</a>"
            f"<span class='date'>{a.date}</span></div>"
            for a in entries
        )
        more = len(shown) > (page + 1) * PER_PAGE
        pager = f"<a class='next' href='index_{page + 1}.html'>下一页</a>" if more else ""
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>通知公告</title></head>"
            f"<body><div class='list'>{items}</div><div class='pager'>{pager}</div></body></html>"
        ).encode()

    def etag(self, body: bytes) -> str:
        return f'"{self.etag_salt}-{hashlib.sha1(body).hexdigest()[:12]}"'

    def since(self, mark: int) -> list[Request]:
        with self.lock:
            return self.log[mark:]


def listing_page_number(path: str) -> int | None:
    if path == "/list/index.html":
        return 0
    name = path.removeprefix("/list/index_").removesuffix(".html")
    return int(name) if path.startswith("/list/index_") and name.isdigit() else None


class Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"
    timeout = 15

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        body: bytes | None
        page = listing_page_number(path)
        with state.lock:
            if path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
            elif page is not None:
                body = state.listing(page)
            else:
                article = next((a for a in state.articles if a.path == path), None)
                body = article.html() if article and path not in state.gone else None
            status, etag = self.answer(state, body)
            state.log.append(
                Request(
                    path,
                    self.headers.get("If-None-Match"),
                    self.headers.get("If-Modified-Since"),
                    status,
                )
            )
        if status == 304:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            payload = body if status == 200 and body is not None else b"<h1>404</h1>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if status == 200:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        if page is not None and status == 200 and state.after_listing is not None:
            state.after_listing(path)

    def answer(self, state: SiteState, body: bytes | None) -> tuple[int, str]:
        if body is None:
            return 404, ""
        etag = state.etag(body)
        asked = self.headers.get("If-None-Match")
        conditional = asked is not None or self.headers.get("If-Modified-Since") is not None
        if (state.lying_304 and conditional) or asked == etag:
            return 304, etag
        return 200, etag


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: SiteState) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Site:
    state: SiteState
    server: SiteServer
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "archive.db"

    def env(self, later: timedelta = timedelta(), **settings: int) -> dict[str, str]:
        return {
            "TJCRAWL_SOURCES_DIR": str(self.root / "profiles"),
            "TJCRAWL_NOW": (FIRST_RUN + later).isoformat(),
            "TJCRAWL_SETTINGS": json.dumps({**LOOPBACK_FAST_SETTINGS, **settings}),
        }

    def crawl(
        self, *extra: str, later: timedelta = timedelta(), **settings: int
    ) -> tuple[sqlite3.Row, list]:
        """One crawl at FIRST_RUN + later; its crawl_runs row and the requests it made."""
        mark = len(self.state.since(0))
        env = self.env(later, **settings)
        result = run_cli(
            "crawl", SLUG, "--db", str(self.db), "--proxy", f"{HOST}={self.server.proxy_url}",
            *extra, env=env, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            run = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        return run, self.state.since(mark)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, params).fetchall()

    def archived(self, page: Page) -> bool:
        return bool(self.query("SELECT 1 FROM articles WHERE url = ?", page.url))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / f"{SLUG}.toml").write_text(PROFILE, encoding="utf-8")
    state = SiteState(make_articles(12))
    server = SiteServer(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(state, server, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def validators_sent(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.if_none_match or r.if_modified_since]


def test_pagination_drift_is_caught_by_the_next_incremental_run(site: Site) -> None:
    # 12 articles, 5 a page. While the first run reads page 1, the top article is taken off
    # the listing (an editor re-publishing it): page 2 starts one entry later, and the entry
    # that moved up onto page 1, already read, is missed. Then the top article is back.
    articles = site.state.articles
    top, moved = articles[0], articles[PER_PAGE]

    def drift(path: str) -> None:
        if path == "/list/index.html":
            site.state.hidden.add(top.path)
            site.state.after_listing = None

    site.state.after_listing = drift
    site.crawl()
    assert not site.archived(moved), "the drift did not happen as the test intends"
    site.state.hidden.clear()

    run, requests = site.crawl(later=timedelta(hours=1))
    assert run["mode"] == "incremental"
    assert site.archived(moved), f"requests: {[(r.path, r.status) for r in requests]}"
    assert [r.path for r in requests if r.path.startswith("/news/")] == [moved.path]


def test_the_weekly_sweep_finds_an_entry_behind_the_overlap(site: Site) -> None:
    site.crawl()
    # An old entry shows up on the last listing page (published late, back-dated): no
    # incremental walk reaches it; the sweep, a week after the last full walk, does.
    late = Page("/news/late.html", "补发：关于春季招商活动的通知", "2025-02-01", "补发的通知正文。")
    site.state.articles.append(late)
    run, _ = site.crawl(later=timedelta(days=1))
    assert run["mode"] == "incremental" and not site.archived(late)
    run, requests = site.crawl(later=timedelta(days=7))
    assert run["mode"] == "sweep"
    assert site.archived(late)
    listings = [r for r in requests if r.path.startswith("/list/")]
    assert len(listings) == 3  # every listing page, each once
    # Conditional GETs: the two unchanged pages cost a 304 each, not a page.
    assert [r.status for r in listings] == [304, 304, 200]
    assert all(r.if_none_match for r in listings)
    # Known, unchanged entries are not fetched again (only the new one, and due revisits).
    known = [r for r in requests if r.path.startswith("/news/a")]
    assert known, "a week on, the young articles are due for a re-check"
    # Each by a conditional GET; at most two answered 304 are fetched again whole, to check
    # that the server's 304s tell the truth.
    verified = [r for r in known if not r.if_none_match]
    assert len(verified) <= 2
    assert all((r.path, 304) in {(k.path, k.status) for k in known} for r in verified)


def test_a_sweep_that_finds_nothing_new_is_healthy(site: Site) -> None:
    site.crawl()
    run, requests = site.crawl(later=timedelta(hours=1), TJCRAWL_SWEEP_DAYS=0)
    assert run["mode"] == "sweep" and run["items_scraped"] == 0
    assert [r.status for r in requests if r.path.startswith("/list/")] == [304, 304, 304]
    health = run_cli("health", "--db", str(site.db), env=site.env(timedelta(hours=2)))
    assert health.returncode == 0, health.stdout + health.stderr


def test_a_page_back_after_one_404_is_archived_again(site: Site) -> None:
    site.crawl()
    newest = site.state.articles[0]
    site.state.gone.add(newest.path)
    site.crawl(later=timedelta(days=1))  # its first revisit: a 404

    site.state.gone.clear()
    newest.text = "更正后的正文：会议时间调整为三月十五日。"
    run, requests = site.crawl(later=timedelta(days=2))
    assert newest.path in [r.path for r in requests]
    body, withdrawn = site.query(
        "SELECT body, withdrawn_at FROM articles WHERE url = ?", newest.url
    )[0]
    assert body == newest.text and withdrawn is None
    assert run["items_changed"] == 1
    assert count(site.db, "SELECT count(*) FROM revisions") == 1


def test_a_withdrawal_takes_two_misses_and_is_rechecked_on_a_widening_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://{HOST}/news/old.html"

    def at(days: int) -> str:
        moment = FIRST_RUN + timedelta(days=days)
        monkeypatch.setenv(NOW_ENV, moment.isoformat())
        return moment.isoformat(timespec="seconds")

    def state() -> tuple:
        return archive.conn.execute(
            "SELECT withdrawn_at, missed_count, next_revisit_at, change_seq FROM articles"
        ).fetchone()

    at(0)
    archive = Archive(tmp_path / "a.db")
    try:
        # Years old: no revisits of its own, yet its misses and its withdrawal are re-checked.
        article = {"url": url, "source": SLUG, "title": "旧通知", "body": "正文。",
                   "content_hash": "h", "published_at": "2020-01-01T00:00:00+08:00"}  # fmt: skip
        archive.store_article(article, None, "run-0")
        seq = state()[3]
        assert archive.mark_withdrawn(url, "run-1") is False  # one miss: recorded, not more
        assert archive.mark_withdrawn(url, "run-1") is False  # the same run's miss again
        assert state() == (None, 1, at(1), seq)
        assert archive.due_for_revisit(SLUG) == [url]
        assert archive.mark_withdrawn(url, "run-2") is True  # the second run in a row
        withdrawn = at(1)
        assert state() == (withdrawn, 2, at(2), seq + 1)
        schedule = []
        for run in range(3, 10):
            due_day = (datetime.fromisoformat(state()[2]) - FIRST_RUN).days
            at(due_day - 1)
            assert archive.due_for_revisit(SLUG) == []  # not a day early
            at(due_day)
            assert archive.due_for_revisit(SLUG) == [url]
            archive.mark_withdrawn(url, f"run-{run}")
            schedule.append(archive.conn.execute("SELECT revisit_interval_days FROM articles")
                            .fetchone()[0])  # fmt: skip
        assert schedule == [2, 4, 8, 16, 32, 32, 32]
        assert state()[0] == withdrawn and state()[3] == seq + 1
        archive.page_present(url, "run-10")
        assert state()[:2] == (None, 0) and state()[3] == seq + 2  # back, and news
    finally:
        archive.close()


def test_a_source_whose_304s_lie_is_detected_and_fetched_unconditionally(site: Site) -> None:
    site.crawl()
    site.state.lying_304 = True
    newest = site.state.articles[0]
    newest.text = "更正后的正文：服务器却说没有变化。"
    run, requests = site.crawl(later=timedelta(days=1))
    faults = site.query("SELECT url, kind FROM faults WHERE run_id = ?", run["run_id"])
    assert (newest.url, "stale_304") in faults
    assert json.loads(run["faults"]).get("stale_304") == 1
    assert site.query("SELECT stale_304_at FROM sources WHERE slug = ?", SLUG)[0][0]
    # The unconditional re-fetch brought the corrected text in.
    body = site.query("SELECT body FROM articles WHERE url = ?", newest.url)[0][0]
    assert body == newest.text

    run, requests = site.crawl(later=timedelta(days=1, hours=1))
    assert requests and validators_sent(requests) == []
    assert {r.status for r in requests} == {200}


def test_full_sends_no_validators(site: Site) -> None:
    site.crawl()
    run, requests = site.crawl("--full", later=timedelta(hours=1))
    assert run["mode"] == "full"
    details = [r for r in requests if r.path.startswith("/news/")]
    assert len(details) == 12
    assert validators_sent(requests) == []


def test_the_newest_etag_is_stored_and_sent(site: Site) -> None:
    site.crawl()
    first_listing = f"http://{HOST}/list/index.html"
    (old_etag,) = site.query("SELECT etag FROM pages WHERE url = ?", first_listing)[0]
    # Same bytes, new ETag (a server restarted, a page re-published unchanged).
    site.state.etag_salt = "v2"
    _, requests = site.crawl(later=timedelta(hours=1))
    assert [r.status for r in requests if r.path == "/list/index.html"] == [200]
    stored = site.query("SELECT etag FROM pages WHERE url = ?", first_listing)
    assert len(stored) == 1 and stored[0][0] != old_etag and stored[0][0].startswith('"v2-')
    _, requests = site.crawl(later=timedelta(hours=2))
    (first,) = [r for r in requests if r.path == "/list/index.html"]
    assert first.if_none_match == stored[0][0] and first.status == 304


def test_an_unchanged_articles_mode_listing_is_not_stored_again(tmp_path: Path) -> None:
    # A listing that carries its articles and answers 304 is read from its stored copy; its
    # archived entries are not stored (nor their attachments fetched) again.
    db = str(tmp_path / "archive.db")
    env = {"TJCRAWL_NOW": "2026-11-27T10:00:00+08:00"}
    for _ in range(2):
        result = run_cli("crawl", "demo_portal", "--serve-fixtures", "--db", db, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        first, second = conn.execute(
            "SELECT mode, items_scraped, listing_pages FROM crawl_runs ORDER BY id"
        ).fetchall()
    assert first[1] > 0
    assert second == ("incremental", 0, 2)  # the first page and the overlap page, both 304
