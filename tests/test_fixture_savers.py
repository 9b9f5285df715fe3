"""`failures --save-fixtures` and `source capture` on odd URLs: every page that can be a file is
saved and served back at its URL, the others are skipped and named, and nothing else is touched.

The odd URLs: query strings (``?id=1`` beside ``?id=2``, ``ShowAnnounce.asp?boardID=2&…``),
``%2e%2e`` segments, ``%00``, a file name over 255 bytes, and ``x`` beside ``x/``.
"""

from __future__ import annotations

import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_cli

from tjcrawl import capture as capture_module
from tjcrawl.capture import failed_pages, save_fixtures
from tjcrawl.fixture_server import serving
from tjcrawl.fixtures import offline_crawl
from tjcrawl.profiles import parse_profile
from tjcrawl.source_capture import capture
from tjcrawl.source_check import LiveFetcher
from tjcrawl.storage.archive import Archive

SLUG = "odd_urls"
HOST = "odd.tjcrawl.test"
BASE = f"http://{HOST}/bbs/"
LONG_NAME = "长" * 100 + ".html"  # 305 bytes in UTF-8
SAVABLE = [
    "ShowAnnounce.asp?boardID=2&RootID=65",
    "ShowAnnounce.asp?boardID=2&RootID=66",
    "show.asp?id=1",
    "show.asp?id=2",
    "%E9%95%BF" * 100 + ".html",  # LONG_NAME as a crawl asks for it
    # folder first here (the listing's order, which capture follows); failures sorts: x first
    "x/y.html",
    "x/",
    "x",
]
UNSAVABLE = {
    "a/%2e%2e/%2e%2e/%2e%2e/escape.html": "'..' segment",
    "nul%00.html": "NUL byte",
}
NOW = "2025-08-23T10:00:00+08:00"
MAX_NAME_BYTES = 255  # what ext4, APFS and NTFS allow
PROFILE = f"""\
name = "测试：奇怪的网址"
allowed_domains = ["{HOST}"]
start_urls = ["{BASE}list.asp"]
fixture = true

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


def article(target: str) -> bytes:
    """A detail page whose text names the request it answers, so each URL's page differs."""
    text = f"本页回答 {target} 的请求，天津市招商引资工作动态，内容完整。"
    return (
        "<html><head><meta charset='utf-8'><title>文章</title></head><body>"
        f"<h1>文章 {target}</h1><span class='date'>2025-08-22</span>"
        f"<div class='content'><p>{text}</p><p>{text}</p></div></body></html>"
    ).encode()


def listing() -> bytes:
    links = [*SAVABLE, *UNSAVABLE]
    links[links.index("%E9%95%BF" * 100 + ".html")] = LONG_NAME
    items = "".join(
        f"<li><a href='{href}'>标题{n}</a><span class='date'>2025-08-22</span></li>"
        for n, href in enumerate(links)
    )
    return (
        "<html><head><meta charset='utf-8'></head><body>"
        f"<ul class='list'>{items}</ul></body></html>"
    ).encode()


class _OddSite(BaseHTTPRequestHandler):
    """The live site, as a proxy target: the listing, and an article for any other /bbs/ URL."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        target = self.path.split(HOST, 1)[-1]  # the path and query, as the client sent them
        if target == "/robots.txt":
            status, body = 200, b"User-agent: *\nAllow: /\n"
        elif target == "/bbs/list.asp":
            status, body = 200, listing()
        elif target.startswith("/bbs/"):
            status, body = 200, article(target)
        else:
            status, body = 404, b"not here"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def odd_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddSite)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def served(site: Path, url: str) -> tuple[int, bytes]:
    """What the fixture server answers for ``url`` from the fixture site ``site``."""
    with serving({HOST: site}) as server:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": server.proxy_url})
        )
        try:
            with opener.open(url, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""


def assert_saved_and_served_back(site: Path, pages: dict[str, bytes]) -> None:
    names = [p.name for p in site.rglob("*")]
    assert all(len(n.encode()) <= MAX_NAME_BYTES for n in names)
    for url, body in pages.items():
        assert served(site, url) == (200, body), url


def assert_nothing_else_written(tmp_path: Path, folder: Path, expected: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == expected  # no staging folder
    assert not list(tmp_path.rglob("escape.html")), "a page left its fixture folder"
    assert not list(tmp_path.rglob("*staging*"))


# -- failures --save-fixtures -------------------------------------------------------------------
def _archive_with_failed_pages(db: Path) -> None:
    archive = Archive.acquire(db)
    try:
        archive.start_run("run1", SLUG, "sha", "full")
        archive.store_page(
            url=BASE + "list.asp",
            source=SLUG,
            kind="listing",
            status=200,
            headers={},
            body=listing(),
            encoding=None,
            fetched_at=NOW,
            run_id="run1",
        )
        for href in [*SAVABLE, *UNSAVABLE]:
            url = BASE + href
            archive.store_page(
                url=url,
                source=SLUG,
                kind="detail",
                status=200,
                headers={},
                body=article(url),
                encoding=None,
                fetched_at=NOW,
                run_id="run1",
            )
            archive.record_fault(
                run_id="run1",
                source=SLUG,
                url=url,
                kind="extraction_failed",
                status=200,
                detail="detail.body: nothing matched",
            )
        archive.commit()
    finally:
        archive.release()


def test_failures_save_fixtures_saves_every_odd_url_it_can_and_names_the_others(
    tmp_path: Path,
) -> None:
    db, out = tmp_path / "a.db", tmp_path / "saved"
    _archive_with_failed_pages(db)
    result = run_cli("failures", SLUG, "--save-fixtures", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    site = out / SLUG / "site"
    # the listing and every savable page; each odd one on a line of its own, with the reason
    assert f"{SLUG}: {1 + len(SAVABLE)} pages -> {site}" in result.stdout
    skipped = [line for line in result.stdout.splitlines() if line.startswith("  skipped ")]
    assert len(skipped) == len(UNSAVABLE)
    for href, why in UNSAVABLE.items():
        assert any(BASE + href in line and why in line for line in skipped), result.stdout
    pages = {BASE + "list.asp": listing()} | {BASE + h: article(BASE + h) for h in SAVABLE}
    assert_saved_and_served_back(site, pages)
    for href in UNSAVABLE:
        assert served(site, BASE + href)[0] == 404
    assert_nothing_else_written(tmp_path, out / SLUG, {"site", "fixture.toml", "README.md"})

    # Saved again: the same file names (they are stable), nothing left behind.
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    again = run_cli("failures", SLUG, "--save-fixtures", str(out), "--db", str(db))
    assert again.returncode == 0, again.stderr[-3000:]
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before
    assert_nothing_else_written(tmp_path, out / SLUG, {"site", "fixture.toml", "README.md"})


def test_a_save_that_fails_midway_leaves_the_old_site_and_no_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, out = tmp_path / "a.db", tmp_path / "saved"
    _archive_with_failed_pages(db)
    old = out / SLUG / "site" / "bbs" / "old.html"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"the old site")
    newest_body = capture_module._newest_body
    calls = []

    def failing(conn: sqlite3.Connection, url: str) -> bytes | None:
        calls.append(url)
        if len(calls) == 4:
            raise sqlite3.OperationalError("disk I/O error")
        return newest_body(conn, url)

    monkeypatch.setattr(capture_module, "_newest_body", failing)
    with closing(sqlite3.connect(db)) as conn, pytest.raises(sqlite3.OperationalError):
        save_fixtures(conn, failed_pages(conn, SLUG), out)
    assert [p.relative_to(out) for p in (out / SLUG).rglob("*")] == [
        Path(SLUG, "site"),
        Path(SLUG, "site", "bbs"),
        Path(SLUG, "site", "bbs", "old.html"),
    ]


# -- source capture, then a crawl of the captured site ----------------------------------------
def test_capture_saves_query_string_pages_apart_and_the_crawl_reads_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TJCRAWL_NOW", NOW)
    sources, fixtures = tmp_path / "sources", tmp_path / "fixtures"
    sources.mkdir()
    (sources / f"{SLUG}.toml").write_text(PROFILE, encoding="utf-8")
    profile = parse_profile(sources / f"{SLUG}.toml")
    with odd_site() as proxy:
        fetcher = LiveFetcher(allowed_domains=profile.allowed_domains, proxies={HOST: proxy})
        result = capture(SLUG, fetcher, profile=profile, fixtures_dir=fixtures, detail_pages=20)
    site = fixtures / SLUG / "site"
    summary = result.summary()
    for href, why in UNSAVABLE.items():
        assert any(
            line.startswith("skipped ") and href in line and why in line
            for line in summary.splitlines()
        ), summary
    saved = {url: path for url, path in result.saved}
    assert set(saved) == {BASE + "list.asp", *(BASE + h for h in SAVABLE)}
    assert len(set(saved.values())) == len(saved)  # ?id=1 and ?id=2 are two files
    assert_saved_and_served_back(site, {url: path.read_bytes() for url, path in saved.items()})
    for url in saved:
        if url != BASE + "list.asp":
            assert saved[url].read_bytes() == article(url.split(HOST, 1)[1])
    assert_nothing_else_written(
        tmp_path,
        fixtures / SLUG,
        {"site", "headers.json", "fixture.toml", "README.md", "expected.json"},
    )

    # The goldens (offline) and a crawl through the fixture server both read every page back.
    # (The archive keeps URLs normalised, query keys sorted: each body names its request.)
    asked = {f"本页回答 /bbs/{h} " for h in SAVABLE}
    items, _ = offline_crawl(profile, fixtures)
    assert {next(a for a in asked if a in i["body"]) for i in items} == asked
    db = tmp_path / "a.db"
    crawl = run_cli(
        "crawl",
        SLUG,
        "--serve-fixtures",
        "--db",
        str(db),
        env={"TJCRAWL_SOURCES_DIR": str(sources), "TJCRAWL_FIXTURES_DIR": str(fixtures)},
    )
    assert "Traceback" not in crawl.stderr, crawl.stderr[-3000:]
    with closing(sqlite3.connect(db)) as conn:
        bodies = [row[0] for row in conn.execute("SELECT body FROM articles")]
    assert {next(a for a in asked if a in body) for body in bodies} == asked
