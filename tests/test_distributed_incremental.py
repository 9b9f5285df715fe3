"""A distributed run is incremental like a single-process one: the writer seeds the source's
frontier into Redis from the archive (tjcrawl.distributed.frontier), and the workers make the
requests a single-process second run makes of an unchanged site: robots.txt and a 304 for
the first listing page and the overlap page after it. Real Redis (tests/redis_server.py), a
loopback site that answers conditional GETs and logs every request it gets."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

from conftest import run_cli
from loopback import LoopbackHandler, LoopbackServer, Target
from redis_server import RedisServer, redis_process, redis_server  # noqa: F401 - fixtures
from steady_server import HOST, article_html, article_path
from test_distributed import ARTICLE, LISTING, PER_LISTING, SOURCES_DIR, Cluster

from tjcrawl.distributed.keys import RUN_ID

ARTICLES = 120  # three listing pages of 50
TIMEOUT_S = 60


def listing_html(page: int, articles: int) -> bytes:
    """A listing page, newest article first: a new article tops page 1."""
    newest = articles - 1 - page * PER_LISTING
    items = "\n".join(
        f'<li><a href="{article_path(n)}">稳定站点第{n}篇新闻</a><span>2025-09-01</span></li>'
        for n in range(newest, max(newest - PER_LISTING, -1), -1)
    )
    more = newest - PER_LISTING >= 0
    pager = f'<a class="next" href="/news/index_{page + 1}.html">下一页</a>' if more else ""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻</title></head>'
        f'<body><ul class="list">{items}</ul><div class="pager">{pager}</div></body></html>'
    ).encode()


class _Handler(LoopbackHandler):
    server: ConditionalSite

    def answer(self, target: Target) -> None:
        if target.path == "/robots.txt":
            body = b"User-agent: *\nDisallow: /private/\n"
        elif match := LISTING.match(target.path):
            body = listing_html(int(match.group(1) or 0), self.server.articles)
        elif (match := ARTICLE.match(target.path)) and int(match.group(1)) < self.server.articles:
            body = article_html(int(match.group(1)))
        else:
            self.server.log(target.path, self.headers, 404)
            self.send_page(404, b"<html><body>404</body></html>")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.server.log(target.path, self.headers, 304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.server.log(target.path, self.headers, 200)
        self.send_page(200, body, {"ETag": etag})


class ConditionalSite(LoopbackServer):
    """The distributed test site's pages with ETags, answering 304 to a matching
    If-None-Match; every request logged as (method, path, conditional headers, status)."""

    handler = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.articles = ARTICLES
        self.log_lines: list[tuple[str, str, str, int]] = []

    def log(self, path: str, headers: object, status: int) -> None:
        sent = sorted(
            name
            for name in ("If-None-Match", "If-Modified-Since")
            if headers.get(name)  # type: ignore[attr-defined]
        )
        with self.lock:
            self.log_lines.append(("GET", path, ",".join(sent), status))

    def take_log(self) -> list[tuple[str, str, str, int]]:
        with self.lock:
            lines, self.log_lines = sorted(self.log_lines), []
        return lines


def _last_run(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT mode, finish_reason, requests, listing_pages, items_new, items_changed"
            " FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()


def _distributed_run(cluster: Cluster, redis_url: str, workers: int, new_run: bool) -> None:
    client = cluster_client(redis_url)
    before = client.get(RUN_ID)
    extra = ("--new-run",) if new_run else ()
    first = cluster._spawn(
        "crawl", "cluster_site", "--redis", redis_url, *extra, *cluster.site.proxy_args(HOST)
    )
    # The others join once the first has named the run (--new-run clears the last one's).
    deadline = time.monotonic() + TIMEOUT_S
    while client.get(RUN_ID) in (None, before):
        assert time.monotonic() < deadline and first.poll() is None, cluster.log_tail()
        time.sleep(0.05)
    writer = cluster._spawn("writer", "--redis", redis_url, "--db", str(cluster.db), "--until-done")
    others = [cluster.start_worker() for _ in range(workers - 1)]
    try:
        for process in (first, *others, writer):
            assert process.wait(timeout=TIMEOUT_S) == 0, cluster.log_tail()
    finally:
        for process in (first, *others, writer):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def cluster_client(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url)


def test_incremental_distributed_runs_ask_the_site_what_single_process_runs_do(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    redis_server.client().flushdb()
    logs = tmp_path / "logs"
    logs.mkdir()
    single, shared = tmp_path / "single.db", tmp_path / "shared.db"
    with ConditionalSite() as site:
        cluster = Cluster(redis_server.url, site, shared, logs)  # type: ignore[arg-type]
        env = {k: v for k, v in cluster.env.items() if k.startswith(("TJCRAWL", "PYTHON"))}
        crawl = ("crawl", "cluster_site", "--db", str(single), *site.proxy_args(HOST))

        def single_run() -> list[tuple[str, str, str, int]]:
            done = run_cli(*crawl, env=env, timeout=TIMEOUT_S)
            assert done.returncode == 0, done.stderr[-2000:]
            return site.take_log()

        single_run()
        one_process = single_run()
        single_row = _last_run(single)
        assert single_row[:2] == ("incremental", "finished")

        _distributed_run(cluster, redis_server.url, workers=2, new_run=False)
        first = site.take_log()
        _distributed_run(cluster, redis_server.url, workers=2, new_run=True)
        second = site.take_log()
        shared_row = _last_run(shared)
        # A new article on top of page 1: every listing page changes (each entry moves down
        # one), the new article is the one detail fetched, the walk stops two quiet pages on.
        site.articles = ARTICLES + 1
        one_process_news = single_run()
        _distributed_run(cluster, redis_server.url, workers=2, new_run=True)
        news = site.take_log()

    # The first distributed run fetched everything once, unconditionally (nothing known).
    assert len(first) == 1 + 3 + ARTICLES and all(line[2:] == ("", 200) for line in first)
    # The second: robots.txt, then the first listing page and the overlap page, both 304,
    # and nothing else; exactly the single-process second run's requests.
    assert second == [
        ("GET", "/news/index.html", "If-None-Match", 304),
        ("GET", "/news/index_1.html", "If-None-Match", 304),
        ("GET", "/robots.txt", "", 200),
    ]
    assert second == one_process
    assert shared_row == single_row == ("incremental", "finished", 3, 2, 0, 0)
    with sqlite3.connect(shared) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLES + 1
        modes = [r[0] for r in conn.execute("SELECT mode FROM crawl_runs ORDER BY id")]
    assert modes == ["incremental"] * 3  # the first knew nothing: it walked all
    assert news == one_process_news
    assert news == [
        ("GET", "/news/a0120.html", "", 200),
        ("GET", "/news/index.html", "If-None-Match", 200),
        ("GET", "/news/index_1.html", "If-None-Match", 200),
        ("GET", "/news/index_2.html", "If-None-Match", 200),
        ("GET", "/robots.txt", "", 200),
    ]
    assert _last_run(shared)[4:] == _last_run(single)[4:] == (1, 0)
    _same_frontier_from_redis(redis_server, single)


def _same_frontier_from_redis(server: RedisServer, db: Path) -> None:
    """What workers read from Redis is what a single process reads from the archive."""
    from tjcrawl.distributed.frontier import RedisFrontier, seed
    from tjcrawl.frontier import Frontier
    from tjcrawl.profiles import parse_profile
    from tjcrawl.storage.archive import Archive

    client = server.client()
    profile = parse_profile(SOURCES_DIR / "cluster_site.toml")
    archive = Archive(db)
    try:
        _, mode = seed(client, archive, "run-z", profile, "incremental")
        local = Frontier(archive, "cluster_site", mode)
        remote = RedisFrontier(client, "cluster_site")
        assert (remote.mode, remote.trusts_304) == (local.mode, local.trusts_304) == (
            "incremental", True,
        )  # fmt: skip
        assert remote.known == local.known and len(local.known) == ARTICLES + 1
        assert remote.due == local.due
        urls = [row[0] for row in archive.conn.execute("SELECT DISTINCT url FROM pages")]
        assert len(urls) == 3 + ARTICLES + 1
        for url in urls:
            assert remote.validators(url) == local.validators(url) != (None, None)
            assert remote.conditional_headers(url, listing=True) == local.conditional_headers(
                url, listing=True
            )
            assert remote.newest_copy(url)[1] == local.newest_copy(url)[1]  # type: ignore[index]
        listings = [url for url in urls if LISTING.match(urlsplit(url).path)]
        assert len(listings) == 3
        for url in listings:  # the copies a listing answered 304 is read from
            assert remote.stored_page(url) == local.stored_page(url) is not None
    finally:
        archive.close()


def test_a_worker_without_a_writer_to_seed_its_frontier_gives_up_with_an_error(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    redis_server.client().flushdb()
    logs = tmp_path / "logs"
    logs.mkdir()
    with ConditionalSite() as site:
        cluster = Cluster(redis_server.url, site, tmp_path / "a.db", logs)  # type: ignore[arg-type]
        settings = json.loads(cluster.env["TJCRAWL_SETTINGS"])
        cluster.env["TJCRAWL_SETTINGS"] = json.dumps({**settings, "TJCRAWL_FRONTIER_WAIT": 1})
        worker = cluster.start_worker()
        assert worker.wait(timeout=TIMEOUT_S) == 3, cluster.log_tail()
        assert site.take_log() == []  # not one request without the frontier
    output = cluster.log_tail()
    assert "the writer did not seed its frontier within 1 s" in output
    assert "error: cluster_site: worker ended early (frontier_unavailable)" in output


def test_the_writer_answers_an_unknown_source_and_records_a_lying_304(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tjcrawl.distributed import frontier
    from tjcrawl.distributed.keys import OUTBOX
    from tjcrawl.distributed.outbox import encode
    from tjcrawl.distributed.writer import OutboxWriter
    from tjcrawl.profiles import parse_profile

    client = redis_server.client()
    client.flushdb()
    client.set(RUN_ID, "run-q")
    profiles = {"cluster_site": parse_profile(SOURCES_DIR / "cluster_site.toml")}
    out = OutboxWriter(client, tmp_path / "archive.db", profiles)
    try:
        frontier.want(client, "run-q", "nowhere", "incremental")
        frontier.want(client, "run-old", "cluster_site", "incremental")  # a run that is over
        assert out.seed_frontiers() == 0
        assert client.get(frontier.key("nowhere", "error")) == b"no source 'nowhere' at the writer"
        assert not frontier.ready(client, "run-old", "cluster_site")
        frontier.want(client, "run-q", "cluster_site", "incremental")
        assert out.seed_frontiers() == 1 and frontier.ready(client, "run-q", "cluster_site")
        assert out.seed_frontiers() == 0  # seeded once per run
        assert out.archive.trusts_304("cluster_site")
        record = {"id": "f", "type": "fault", "run_id": "run-q", "source": "cluster_site"}
        record.update(url="http://x/a.html", kind="stale_304", status=200, detail="lied")
        client.rpush(OUTBOX, encode(record))
        assert out.take_batch()
        # The next run's frontier sends no validators for this source.
        assert not out.archive.trusts_304("cluster_site")
        rows = out.archive.conn.execute("SELECT run_id, mode FROM crawl_runs").fetchall()
        assert rows == [("run-q", "incremental")]
    finally:
        out.close()
