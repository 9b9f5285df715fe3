"""Distributed crawling on a real Redis (tests/redis_server.py): three workers and one writer
as separate processes crawl a loopback site of 2,000 articles while the test SIGKILLs workers
and the writer at seeded random moments and starts them again. Nothing may be lost or stored
twice, and the site must never see more than two requests at once from the whole cluster,
nor two request starts closer than the delay.

Every wait is bounded: the crawl has CRAWL_TIMEOUT_S, each process a timeout of its own.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from loopback import LoopbackHandler, LoopbackServer, Target
from redis_server import RedisServer, redis_process, redis_server  # noqa: F401 - fixtures
from steady_server import BASE_URL, HOST, article_html, article_path

from tjcrawl.distributed.keys import OUTBOX, PROCESSING, QUEUE_KEY, REJECTED, WORKERS
from tjcrawl.distributed.leases import Leases
from tjcrawl.distributed.outbox import encode
from tjcrawl.distributed.writer import OutboxWriter, batch_id
from tjcrawl.storage.search import search, substring_scan_ids

SOURCES_DIR = REPO / "tests" / "cluster_site"
ARTICLES = 2000
PER_LISTING = 50  # a short listing walk: the queue fills, and the delay is what binds
DELAY_S = 0.015
JITTER_S = 0.03
SERVE_S = 0.08  # every tenth article page takes this long to answer
LEASE_S = 3.0
CRAWL_TIMEOUT_S = 150.0
SEED = int(os.environ.get("TJCRAWL_TEST_SEED", "15"))
LISTING = re.compile(r"^/news/index(?:_(\d+))?\.html$")
ARTICLE = re.compile(r"^/news/a(\d{4})\.html$")


def listing_html(page: int, articles: int) -> bytes:
    """The steady site's listing page, PER_LISTING entries long."""
    first = page * PER_LISTING
    items = "\n".join(
        f'<li><a href="{article_path(n)}">稳定站点第{n}篇新闻</a><span>2025-09-01</span></li>'
        for n in range(first, min(first + PER_LISTING, articles))
    )
    more = first + PER_LISTING < articles
    pager = f'<a class="next" href="/news/index_{page + 1}.html">下一页</a>' if more else ""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻</title></head>'
        f'<body><ul class="list">{items}</ul><div class="pager">{pager}</div></body></html>'
    ).encode()


class _Handler(LoopbackHandler):
    server: ClusterSite
    # HTTP/1.0: one request per connection, so connections the site sees are requests.
    protocol_version = "HTTP/1.0"

    def answer(self, target: Target) -> None:
        server = self.server
        server.enter(target.path)
        try:
            if target.host != HOST:
                self.send_page(404, b"not this host")
            elif target.path == "/robots.txt":
                self.send_page(200, b"User-agent: *\nDisallow: /private/\n")
            elif match := LISTING.match(target.path):
                page = int(match.group(1) or 0)
                self.send_page(200, listing_html(page, server.articles))
            elif (match := ARTICLE.match(target.path)) and int(match.group(1)) < server.articles:
                n = int(match.group(1))
                if n % 10 == 0:
                    # Slower than the delay, so that a cluster that may have two requests in
                    # flight does, and one that allowed three would be caught. The others
                    # answer at once: left alone, the workers would go faster than the delay.
                    server.stopping.wait(SERVE_S)
                self.send_page(200, article_html(n))
            else:
                self.send_page(404, b"<html><body>404</body></html>")
        finally:
            server.leave()


class ClusterSite(LoopbackServer):
    """The steady site's pages, counting requests in flight and when each one started."""

    handler = _Handler

    def __init__(self, articles: int) -> None:
        super().__init__()
        self.articles = articles
        self.in_flight = 0
        self.most_in_flight = 0
        self.starts: list[float] = []

    def enter(self, path: str) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.starts.append(time.monotonic())
            self.counts[path] += 1

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def articles_served(self) -> int:
        with self.lock:
            return sum(1 for key in self.counts if ARTICLE.match(key))


def _env() -> dict[str, str]:
    settings = {
        "DOWNLOAD_DELAY": DELAY_S,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_TIMEOUT": 5,
        "RETRY_BACKOFF_BASE": 0.05,
        "RETRY_BACKOFF_MAX": 0.5,
        "TJCRAWL_LEASE_SECONDS": LEASE_S,
        "LOG_LEVEL": "WARNING",
    }
    return {
        **os.environ,
        "TJCRAWL_SOURCES_DIR": str(SOURCES_DIR),
        "TJCRAWL_SETTINGS": json.dumps(settings),
        "TJCRAWL_CONFIG": "",
        "PYTHONPATH": str(REPO),
    }


class Cluster:
    """Workers and a writer as processes of their own, each with a log file."""

    def __init__(self, redis_url: str, site: ClusterSite, db: Path, logs: Path) -> None:
        self.redis_url, self.site, self.db, self.logs = redis_url, site, db, logs
        self.env = _env()
        self.started = 0
        self.workers: list[subprocess.Popen[bytes]] = []
        self.writer: subprocess.Popen[bytes] | None = None
        self.killed: list[str] = []

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        self.started += 1
        log = open(self.logs / f"{self.started:02d}-{args[0]}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "tjcrawl.cli", *args],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn(
            "crawl", "cluster_site", "--redis", self.redis_url, *self.site.proxy_args(HOST)
        )
        self.workers.append(worker)
        return worker

    def start_writer(self) -> None:
        self.writer = self._spawn("writer", "--redis", self.redis_url, "--db", str(self.db))

    def kill(self, process: subprocess.Popen[bytes], what: str) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.killed.append(what)

    def stop_all(self) -> None:
        for process in [*self.workers, self.writer]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def log_tail(self) -> str:
        return "\n".join(
            f"== {path.name}\n{path.read_text(errors='replace')[-1500:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def test_three_workers_and_a_writer_killed_at_random_lose_and_duplicate_nothing(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    client = redis_server.client()
    client.flushdb()
    # Three kills at seeded moments, counted in articles the site has served.
    moments = sorted(rng.sample(range(250, 1700), 3))
    victims = ["worker", "writer", rng.choice(["worker", "writer"])]
    rng.shuffle(victims)
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "archive.db"
    with ClusterSite(ARTICLES) as site:
        cluster = Cluster(redis_server.url, site, db, logs)
        try:
            cluster.start_writer()
            for _ in range(3):
                cluster.start_worker()
            for moment, victim in zip(moments, victims, strict=True):
                _wait(
                    lambda m=moment: site.articles_served() >= m,
                    CRAWL_TIMEOUT_S,
                    f"{moment} articles served\n{cluster.log_tail()}",
                )
                if victim == "writer":
                    assert cluster.writer is not None
                    cluster.kill(cluster.writer, "writer")
                    cluster.start_writer()
                else:
                    alive = [w for w in cluster.workers if w.poll() is None]
                    assert alive, cluster.log_tail()
                    cluster.kill(rng.choice(alive), "worker")
                    cluster.start_worker()
            for worker in cluster.workers:
                if worker.poll() is None:
                    worker.wait(timeout=CRAWL_TIMEOUT_S)
            surviving = [w.returncode for w in cluster.workers if w.returncode != -signal.SIGKILL]
            assert surviving and all(code == 0 for code in surviving), cluster.log_tail()
            _wait(
                lambda: client.llen(OUTBOX) == 0 and client.llen(PROCESSING) == 0,
                60,
                f"the writer to drain the outbox\n{cluster.log_tail()}",
            )
            assert cluster.writer is not None
            cluster.writer.send_signal(signal.SIGTERM)
            assert cluster.writer.wait(timeout=30) == 0, cluster.log_tail()
        finally:
            cluster.stop_all()
        assert sorted(cluster.killed) == sorted(victims)
        most_in_flight, starts = site.most_in_flight, sorted(site.starts)
        robots = site.hits("/robots.txt")

    with sqlite3.connect(db) as conn:
        urls = [row[0] for row in conn.execute("SELECT url FROM articles")]
        expected = {BASE_URL + article_path(n) for n in range(ARTICLES)}
        assert set(urls) == expected, f"lost: {len(expected - set(urls))}"
        assert len(urls) == len(set(urls)) == ARTICLES  # nothing duplicated
        duplicated_pages = conn.execute(
            "SELECT count(*) FROM (SELECT url, body_sha256 FROM pages"
            " GROUP BY 1, 2 HAVING count(*) > 1)"
        ).fetchone()[0]
        assert duplicated_pages == 0
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for query in ("天津", "稳定站点", "编号1999"):
            found = {hit.id for hit in search(conn, query, limit=10000).hits}
            assert found == substring_scan_ids(conn, query), query
        runs = conn.execute("SELECT DISTINCT run_id FROM crawl_runs").fetchall()
        assert len(runs) == 1  # every worker recorded under the cluster's one run
    # Politeness held for the whole cluster, across kills and restarts.
    assert most_in_flight <= 2, most_in_flight
    assert most_in_flight == 2  # and the cluster used what it may
    # k + 1 requests start at least k × delay apart. The site sees a request a little after
    # its worker was granted the turn, later on a busy worker than on an idle one: that
    # jitter (JITTER_S) touches only the two ends of a window.
    window = 20
    tightest = min(b - a for a, b in zip(starts, starts[window:], strict=False))
    assert tightest >= window * DELAY_S - JITTER_S, tightest
    assert starts[-1] - starts[0] >= (len(starts) - 1) * DELAY_S
    assert robots == 1, "robots.txt is fetched once per host per run, for the whole cluster"


def test_a_dead_workers_lease_expires_and_its_requests_return_to_the_queue(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    client = redis_server.client()
    client.flushdb()
    queue = QUEUE_KEY % {"spider": "lease_test"}
    client.zadd(queue, {b"request-a": 0, b"request-b": 1})
    dead = Leases(client, queue, "dead-worker", ttl_s=0.5)
    alive = Leases(client, queue, "live-worker", ttl_s=30)
    taken = dead.take()
    assert taken is not None and taken[1] == b"request-a"
    assert client.zcard(queue) == 1 and dead.held() == 1
    assert dead.outstanding() == 2  # one queued, one leased
    alive.heartbeat()
    assert alive.reap() == 0  # not expired yet: nothing comes back
    time.sleep(0.7)
    assert alive.reap() == 1
    assert client.zrange(queue, 0, -1) == [b"request-a", b"request-b"]
    assert dead.held() == 0 and client.zscore(WORKERS, "dead-worker") is None
    # An acknowledged request is done: it never comes back, even when its worker dies.
    lease, _ = alive.take()  # type: ignore[misc]
    alive.ack(lease)
    assert alive.held() == 0 and alive.outstanding() == 1
    # A worker alive keeps its leases past their first expiry by renewing them.
    keeper = Leases(client, queue, "keeper", ttl_s=0.5)
    assert keeper.take() is not None
    for _ in range(4):
        time.sleep(0.2)
        keeper.heartbeat()
        alive.reap()
    assert keeper.held() == 1 and client.zcard(queue) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["crawl", "cluster_site", "--redis", "http://127.0.0.1:6379/0"],
        ["crawl", "cluster_site", "--redis", "redis://127.0.0.1:notaport/0"],
        ["writer", "--redis", "redis://127.0.0.1:1/0"],
        ["demo", "--redis", "redis://127.0.0.1:1/0", "--workers", "2"],
    ],
)
def test_a_bad_redis_url_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    result = run_cli(*args, "--db", str(tmp_path / "a.db"), env=_env(), timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --redis:"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "a.db").exists()


def _fault(n: int) -> bytes:
    return encode(
        {
            "id": f"fault-{n}",
            "type": "fault",
            "run_id": "20250101T000000-abcdef",
            "source": "cluster_site",
            "url": f"{BASE_URL}/news/a{n:04d}.html",
            "kind": "http_404",
            "status": 404,
            "detail": "gone",
        }
    )


def test_a_writer_killed_before_or_after_its_commit_stores_each_record_once(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Fault rows are plain inserts: only the batch id the archive keeps stops a replay of a
    committed batch from storing them twice."""
    client = redis_server.client()
    client.flushdb()
    db = tmp_path / "archive.db"

    def faults() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM faults").fetchone()[0]

    client.rpush(OUTBOX, *(_fault(n) for n in range(3)))
    # Killed after COMMIT, before the processing list was deleted.
    first = OutboxWriter(client, db, {}, batch_size=10)
    raws = [client.lmove(OUTBOX, PROCESSING, "LEFT", "RIGHT") for _ in range(3)]
    first._store_batch(raws, batch_id(raws))
    first.close()
    assert client.llen(PROCESSING) == 3 and faults() == 3
    second = OutboxWriter(client, db, {}, batch_size=10)
    second.recover()
    assert client.llen(PROCESSING) == 0 and faults() == 3  # dropped, not stored again
    # Killed after taking a batch, before storing it: the next start stores it.
    client.rpush(OUTBOX, _fault(3), _fault(4))
    client.lmove(OUTBOX, PROCESSING, "LEFT", "RIGHT")
    client.lmove(OUTBOX, PROCESSING, "LEFT", "RIGHT")
    second.recover()
    second.close()
    assert client.llen(PROCESSING) == 0 and faults() == 5
    # A record that is not one of tjcrawl's is kept aside and counted, not dropped.
    client.rpush(OUTBOX, b"not json")
    third = OutboxWriter(client, db, {}, batch_size=10)
    assert third.take_batch()
    third.close()
    assert client.lrange(REJECTED, 0, -1) == [b"not json"] and third.figures.rejected == 1
    assert faults() == 5


def _scheduler(redis_url: str):  # type: ignore[no-untyped-def]
    """A worker's scheduler wired to its queue and duplicate filter, without an engine (a
    crawler would need a reactor in the test process)."""
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.statscollectors import DummyStatsCollector
    from scrapy_redis.dupefilter import RFPDupeFilter

    from tjcrawl.distributed.leases import LeasingQueue
    from tjcrawl.distributed.scheduler import LeasingScheduler
    from tjcrawl.distributed.worker import worker_settings
    from tjcrawl.runner import build_settings

    settings = worker_settings(build_settings("unused.db"), redis_url, "run-1", "worker-1")
    spider = Spider(name="enqueue_test")
    spider.settings = settings
    scheduler = LeasingScheduler.from_settings(settings)
    scheduler.crawler = SimpleNamespace(
        stats=DummyStatsCollector(SimpleNamespace(settings=settings))  # type: ignore[arg-type]
    )
    scheduler.spider = spider
    scheduler.queue = LeasingQueue(
        scheduler.server, spider, scheduler.queue_key % {"spider": spider.name}
    )
    scheduler.df = RFPDupeFilter.from_spider(spider)
    return scheduler


def test_a_request_that_cannot_be_queued_is_not_marked_seen(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """scrapy-redis marks a request seen, then queues it: a failure between the two (here a
    request that cannot be serialised; in a cluster, a worker killed) left the URL seen and
    never queued, so every later link to it was filtered out."""
    from scrapy import Request

    scheduler = _scheduler(redis_server.url)
    url = f"{BASE_URL}/a/lost.html"
    with pytest.raises(Exception):  # noqa: B017 - pickle's error type depends on the object
        scheduler.enqueue_request(Request(url, meta={"unpicklable": lambda: None}))
    assert len(scheduler.queue) == 0
    assert scheduler.enqueue_request(Request(url)) is True
    assert scheduler.enqueue_request(Request(url)) is False
    assert scheduler.enqueue_request(Request(url, dont_filter=True)) is True
    assert len(scheduler.queue) == 2
