"""Politeness holds for every site tjcrawl does not serve itself, across all sources of a run.

A small site on 127.0.0.1, reached as `--proxy polite.tjcrawl.test=http://127.0.0.1:PORT` the
way a user's local forwarding proxy would be, answers each request slowly and notes, per Host,
when each request arrived and how many were in flight at once. A loopback proxy is no licence
to hammer the site behind it, and two sources on one site share one budget.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import pytest
from conftest import run_cli
from scrapy.settings import Settings

import tjcrawl.runner
from tjcrawl.cli.crawling import CrawlRequest, _crawl
from tjcrawl.politeness import HostGate
from tjcrawl.profiles import load_profiles

HOST = "polite.tjcrawl.test"
SECTIONS = ("a", "b")
ARTICLES_PER_SECTION = 4
LATENCY = 0.2  # seconds per answer, unless a test asks for a slower site
CRAWL_TIMEOUT = 60


def _listing(section: str) -> bytes:
    items = "\n".join(
        f'<div class="list-item"><a href="/{section}/t2025082{n}_{n}.html">'
        f'栏目{section}第{n}条新闻</a><span class="date">2025-08-2{n}</span></div>'
        for n in range(1, ARTICLES_PER_SECTION + 1)
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>栏目{section}</title></head>'
        f'<body><div class="list">{items}</div></body></html>'
    ).encode()


def _article(section: str, n: int) -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>栏目{section}第{n}条新闻</title>'
        f'</head><body><div class="info">发布时间：2025-08-2{n} 09:30</div>'
        f'<div class="content"><p>栏目{section}第{n}条新闻的正文，讲述天津市的招商引资工作。</p>'
        "</div></body></html>"
    ).encode()


PAGES: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n"}
for _section in SECTIONS:
    PAGES[f"/{_section}/index.html"] = _listing(_section)
    for _n in range(1, ARTICLES_PER_SECTION + 1):
        PAGES[f"/{_section}/t2025082{_n}_{_n}.html"] = _article(_section, _n)

PROFILE = """\
name = "礼貌测试栏目{section}"
allowed_domains = ["{host}"]
start_urls = ["http://{host}/{section}/index.html"]

[listing]
entries = "div.list > div.list-item"
link = "a::attr(href)"
title = "a"
date = "span.date"

[detail]
title = "head > title"
date = {{ select = "div.info", regex = "(\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}})" }}
body = "div.content"
"""


class _Handler(BaseHTTPRequestHandler):
    server: CountingServer
    protocol_version = "HTTP/1.1"
    timeout = 15

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        self.server.arrived(host)
        try:
            self.server.stopping.wait(self.server.latency)
        finally:
            # Counted out before the answer leaves: the client cannot start its next request
            # before this one is off the books, so an overlap seen here is a real one.
            self.server.left(host)
        body = PAGES.get(parts.path or "/")
        self.send_response(200 if body is not None else 404)
        self.send_header(
            "Content-Type", "text/plain" if parts.path == "/robots.txt" else "text/html"
        )
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


class CountingServer(ThreadingHTTPServer):
    """The site on 127.0.0.1; per Host: arrival times and the most requests in flight at once."""

    daemon_threads = True

    def __init__(self, latency: float = LATENCY) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.stopping = threading.Event()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.most_in_flight: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arrived(self, host: str) -> None:
        with self._lock:
            self.arrivals[host].append(time.monotonic())
            self.in_flight[host] += 1
            self.most_in_flight[host] = max(self.most_in_flight[host], self.in_flight[host])

    def left(self, host: str) -> None:
        with self._lock:
            self.in_flight[host] -= 1

    def smallest_gap(self, host: str) -> float:
        times = sorted(self.arrivals[host])
        return min(b - a for a, b in pairwise(times))

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> CountingServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.server_close()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    for section in SECTIONS:
        text = PROFILE.format(section=section, host=HOST)
        (folder / f"polite_{section}.toml").write_text(text, encoding="utf-8")
    return folder


def crawl(
    server: CountingServer, sources: Path, db: Path, slugs: list[str], settings: dict
) -> tuple[int, str]:
    env = {"TJCRAWL_SOURCES_DIR": str(sources)}
    if settings:
        env["TJCRAWL_SETTINGS"] = json.dumps(settings)
    result = run_cli(
        "crawl",
        *slugs,
        "--db",
        str(db),
        "--proxy",
        f"{HOST}={server.proxy_url}",
        env=env,
        timeout=CRAWL_TIMEOUT,
    )
    with sqlite3.connect(db) as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    return articles, f"exit {result.returncode}; stderr:\n{result.stderr[-3000:]}"


def test_a_loopback_proxy_keeps_the_polite_defaults(sources: Path, tmp_path: Path) -> None:
    # The proxy is on this machine, the site behind it is not: delay and 2 per host hold.
    with CountingServer() as server:
        articles, context = crawl(server, sources, tmp_path / "a.db", ["polite_a"], {})
    assert articles == ARTICLES_PER_SECTION, context
    assert len(server.arrivals[HOST]) == 2 + ARTICLES_PER_SECTION, context  # robots, listing
    assert server.most_in_flight[HOST] <= 1, server.most_in_flight
    # DOWNLOAD_DELAY is 1 s; a little slack for the clocks of two threads.
    assert server.smallest_gap(HOST) >= 0.8, sorted(server.arrivals[HOST])


def test_two_sources_on_one_host_share_its_two_requests_in_flight(
    sources: Path, tmp_path: Path
) -> None:
    # A site slower than the delay: each source alone keeps its 2 requests in flight.
    settings = {
        "DOWNLOAD_DELAY": 0.1,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    }
    with CountingServer(latency=0.5) as server:
        articles, context = crawl(
            server, sources, tmp_path / "b.db", ["polite_a", "polite_b"], settings
        )
    assert articles == 2 * ARTICLES_PER_SECTION, context
    assert server.most_in_flight[HOST] == 2, server.most_in_flight


def test_a_source_without_delay_keeps_to_two_requests_in_flight(
    sources: Path, tmp_path: Path
) -> None:
    # Scrapy (2.19, asyncio) hands a whole burst of queued requests to the transfer at once
    # when DOWNLOAD_DELAY is 0, past CONCURRENT_REQUESTS_PER_DOMAIN; the shared gate does not.
    settings = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    }
    with CountingServer() as server:
        articles, context = crawl(server, sources, tmp_path / "d.db", ["polite_a"], settings)
    assert articles == ARTICLES_PER_SECTION, context
    assert server.most_in_flight[HOST] == 2, server.most_in_flight


def test_two_sources_on_one_host_share_its_delay(sources: Path, tmp_path: Path) -> None:
    delay = 0.3
    settings = {
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    }
    with CountingServer() as server:
        articles, context = crawl(
            server, sources, tmp_path / "c.db", ["polite_a", "polite_b"], settings
        )
    assert articles == 2 * ARTICLES_PER_SECTION, context
    assert len(server.arrivals[HOST]) == 2 * (2 + ARTICLES_PER_SECTION), context
    assert server.smallest_gap(HOST) >= 0.8 * delay, sorted(server.arrivals[HOST])


def _settings_of_crawl(monkeypatch: pytest.MonkeyPatch, db: Path, **request: object) -> Settings:
    """The Scrapy settings `tjcrawl crawl` would run with, without crawling."""
    seen: list[Settings] = []
    monkeypatch.setattr(tjcrawl.runner, "run_crawl", lambda _, settings: seen.append(settings))
    _crawl(CrawlRequest([load_profiles()["demo_trs"]], db, **request))  # type: ignore[arg-type]
    [settings] = seen
    return settings


def _is_polite(settings: Settings) -> bool:
    return (
        settings.getfloat("DOWNLOAD_DELAY") >= 1
        and settings.getbool("AUTOTHROTTLE_ENABLED")
        and settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    )


@pytest.mark.parametrize(
    ("request_", "polite"),
    [
        ({"proxies": {"gov.tjcrawl.test": "http://127.0.0.1:8000"}}, True),
        ({"proxies": {"gov.tjcrawl.test": "http://localhost:8000"}}, True),
        ({"serve_fixtures": True}, False),
        # A user's proxy in place of the fixture server: the site behind it is not ours.
        ({"serve_fixtures": True, "proxies": {"gov.tjcrawl.test": "http://127.0.0.1:8000"}}, True),
    ],
    ids=["proxy-127", "proxy-localhost", "serve-fixtures", "serve-fixtures-user-proxy"],
)
def test_only_a_site_tjcrawl_serves_itself_is_crawled_without_delays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request_: dict, polite: bool
) -> None:
    settings = _settings_of_crawl(monkeypatch, tmp_path / "a.db", **request_)
    assert _is_polite(settings) is polite, dict(settings)


def test_the_gate_frees_its_turn_on_every_way_a_download_ends() -> None:
    # A download that fails or is cancelled (holding its turn or waiting for one) gives the
    # turn back; otherwise the host's queue would stall for the rest of the crawl.
    async def scenario() -> bool:
        gate = HostGate(1)

        async def download(seconds: float, error: Exception | None = None) -> None:
            async with gate.turn(0):
                await asyncio.sleep(seconds)
                if error is not None:
                    raise error

        with pytest.raises(ConnectionError):
            await download(0, ConnectionError("reset by peer"))
        holder = asyncio.create_task(download(60))
        waiter = asyncio.create_task(download(60))
        await asyncio.sleep(0.01)
        waiter.cancel()
        holder.cancel()
        for task in (waiter, holder):
            with pytest.raises(asyncio.CancelledError):
                await task
        async with asyncio.timeout(1):
            await asyncio.gather(download(0), download(0), download(0))
        return not gate.tokens.locked()

    assert asyncio.run(scenario())
