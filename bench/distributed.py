"""Distributed crawl throughput: pages/s with 1, 2 and 4 workers, and the writer's rate.

    .venv/bin/python bench/distributed.py [--pages 2000] [--workers 1,2,4]

A benchmark, not a test. It generates bench/crawl_throughput.py's synthetic GBK site
(``--pages`` detail pages, listings of 20), serves it from that script's asyncio server in a
process of its own, and starts Debian's ``redis-server`` on a free loopback port (no
persistence). Then, for each worker count N:

  crawl    N ``tjcrawl crawl bench_trs --redis URL`` worker processes and one
           ``tjcrawl writer --until-done`` on a fresh archive, started together, with
           tjcrawl's loopback settings (16 requests per host for the whole cluster, no delay).
           "pages/s" are the run's responses (crawl_runs.responses, robots.txt left out) over
           the seconds from the workers' start to the last worker's exit; "end to end" is to
           the writer's exit, after it stored everything and judged the run.

Then the writer alone: 2 workers crawl once more (`--full`: no frontier to wait for) into
the outbox with no writer running, and an OutboxWriter in this process stores the whole
backlog into a fresh archive; its sustained rate is records (pages + articles + stats) and
articles per second of that.

Everything runs on this machine: the workers, the writer, Redis and the site share its cores,
so more workers than cores measure the machine, not the design (say so with the numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
sys.path.insert(1, str(_HERE))

import crawl_throughput as site_bench  # noqa: E402 - after the path set-up above

TIMEOUT_S = 600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while True:
        try:
            if redis.Redis.from_url(url).ping():
                return process, url
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)


def children_cpu() -> float:
    """CPU seconds of this script's finished children (workers and writer)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tjcrawl(*args: str) -> list[str]:
    return [sys.executable, "-m", "tjcrawl.cli", *args]


def crawl_round(root: Path, env: dict, redis_url: str, proxy: str, workers: int) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    db = root / f"archive-{workers}.db"
    logs = root / f"logs-{workers}"
    logs.mkdir()
    writer = subprocess.Popen(
        tjcrawl("writer", "--redis", redis_url, "--db", str(db), "--until-done"),
        env=env, stdout=(logs / "writer.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    command = tjcrawl(
        "crawl", site_bench.SLUG, "--redis", redis_url, "--proxy", f"{site_bench.HOST}={proxy}"
    )
    cpu_before = children_cpu()
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            command,
            env=env,
            stdout=(logs / f"worker-{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(workers)
    ]
    for process in processes:
        process.wait(timeout=TIMEOUT_S)
    crawled = time.monotonic() - started
    code = writer.wait(timeout=TIMEOUT_S)
    end_to_end = time.monotonic() - started
    cpu = children_cpu() - cpu_before
    failed = [p.returncode for p in processes if p.returncode] + ([code] if code else [])
    if failed:
        raise SystemExit(f"{workers} workers: exit statuses {failed}; logs in {logs}")
    with sqlite3.connect(db) as conn:
        responses, articles = conn.execute(
            "SELECT sum(responses), sum(items_new) FROM crawl_runs"
        ).fetchone()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    pages = int(responses) - 1  # robots.txt left out
    return {
        "workers": workers,
        "pages": pages,
        "articles": stored,
        "crawl_s": crawled,
        "end_to_end_s": end_to_end,
        "pages_per_s": pages / crawled,
        "end_to_end_pages_per_s": pages / end_to_end,
        "new": articles,
        "cpu_s": cpu,
    }


def writer_round(root: Path, env: dict, redis_url: str, proxy: str) -> dict:
    """The writer alone on a backlog: 2 workers fill the outbox first, with no writer."""
    import redis

    from tjcrawl.distributed.keys import OUTBOX, connect
    from tjcrawl.distributed.writer import OutboxWriter
    from tjcrawl.profiles import parse_profile

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    # --full: no writer runs to seed an incremental frontier, and the archive is fresh anyway.
    command = tjcrawl(
        "crawl", site_bench.SLUG, "--redis", redis_url, "--full",
        "--proxy", f"{site_bench.HOST}={proxy}",
    )  # fmt: skip
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    for process in processes:
        process.wait(timeout=TIMEOUT_S)
    backlog = client.llen(OUTBOX)
    backlog_bytes = sum(len(raw) for raw in client.lrange(OUTBOX, 0, -1))
    profile = parse_profile(root / "profiles" / f"{site_bench.SLUG}.toml")
    out = OutboxWriter(connect(redis_url), root / "writer.db", {profile.slug: profile})
    started = time.monotonic()
    while out.take_batch():
        pass
    seconds = time.monotonic() - started
    out.close()
    articles = out.figures.by_type.get("item", 0)
    return {
        "records": out.figures.records,
        "backlog": backlog,
        "backlog_mb": backlog_bytes / 1e6,
        "articles": articles,
        "pages": out.figures.by_type.get("page", 0),
        "seconds": seconds,
        "records_per_s": out.figures.records / seconds,
        "articles_per_s": articles / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="detail pages (default 2000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--seed", type=int, default=20241114)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and print it")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        site_bench.serve(Path(args.serve))
        return 0
    counts = [int(n) for n in args.workers.split(",")]
    root = Path(tempfile.mkdtemp(prefix="tjcrawl-bench-distributed-"))
    server = redis_process = None
    try:
        site = site_bench.generate_site(root, args.pages, 20, args.seed)
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(root / "site")],
            stdout=subprocess.PIPE,
            stderr=(root / "server.log").open("wb"),
        )
        assert server.stdout is not None
        line = server.stdout.readline().decode().strip()
        if not line.startswith("PORT "):
            raise SystemExit(f"server did not start: {line!r}")
        proxy = f"http://127.0.0.1:{line.split()[1]}"
        redis_process, redis_url = start_redis(root)
        from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

        env = {
            **os.environ,
            "TJCRAWL_SOURCES_DIR": str(root / "profiles"),
            "TJCRAWL_CONFIG": "",
            "TJCRAWL_SETTINGS": json.dumps({**LOOPBACK_FAST_SETTINGS, "LOG_LEVEL": "WARNING"}),
            "PYTHONPATH": str(_HERE.parent),
        }
        print(
            f"site: {site['details']} detail + {site['listings']} listing pages;"
            f" code {site_bench.code_version()}; {os.cpu_count()} cores;"
            f" load average before: {os.getloadavg()[0]:.2f}"
        )
        print(f"{'workers':>7} {'pages':>6} {'crawl s':>8} {'pages/s':>8} {'to judged s':>12}"
              f" {'pages/s':>8} {'articles':>8} {'CPU s':>6} {'pages/CPU-s':>11}")  # fmt: skip
        for workers in counts:
            r = crawl_round(root, env, redis_url, proxy, workers)
            print(
                f"{r['workers']:>7} {r['pages']:>6} {r['crawl_s']:>8.1f} {r['pages_per_s']:>8.1f}"
                f" {r['end_to_end_s']:>12.1f} {r['end_to_end_pages_per_s']:>8.1f}"
                f" {r['articles']:>8} {r['cpu_s']:>6.1f} {r['pages'] / r['cpu_s']:>11.1f}"
            )
        w = writer_round(root, env, redis_url, proxy)
        print(
            f"writer alone: {w['records']} records ({w['pages']} pages, {w['articles']} articles;"
            f" {w['backlog_mb']:.1f} MB in Redis) stored in {w['seconds']:.1f} s:"
            f" {w['records_per_s']:.0f} records/s, {w['articles_per_s']:.0f} articles/s"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        for process in (server, redis_process):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        if args.keep:
            print(f"kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
