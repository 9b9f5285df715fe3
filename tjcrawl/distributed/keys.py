"""Redis connections and the names of tjcrawl's keys in Redis."""

from __future__ import annotations

from urllib.parse import urlsplit

import redis

#: Every key of one distributed crawl (frontier, leases, politeness, robots.txt cache, run id)
#: starts with this; `crawl --redis URL --new-run` deletes them to start the next run.
CRAWL_PREFIX = "tjcrawl:crawl:"
RUN_ID = CRAWL_PREFIX + "run_id"
WORKERS = CRAWL_PREFIX + "workers"  # sorted set: worker id -> lease expiry (ms, Redis time)
LEASE_REGISTRY = CRAWL_PREFIX + "leases:"  # + worker id: hash lease key -> queue key
#: sorted set: "worker|source" -> expiry (ms, Redis time), while that worker crawls that source
RUNNING = CRAWL_PREFIX + "running"
#: The run the writer has finished and judged, and what it said (JSON: lines, status).
JUDGED = CRAWL_PREFIX + "judged"
VERDICT = CRAWL_PREFIX + "verdict"
QUEUE_KEY = CRAWL_PREFIX + "%(spider)s:requests"
DUPEFILTER_KEY = CRAWL_PREFIX + "%(spider)s:seen"
HOST_SLOTS = CRAWL_PREFIX + "host:{host}:slots"  # sorted set: token -> expiry (ms)
HOST_LAST = CRAWL_PREFIX + "host:{host}:last"  # ms of the last request's start
ROBOTS = CRAWL_PREFIX + "robots:{netloc}"
ROBOTS_LOCK = CRAWL_PREFIX + "robots:{netloc}:lock"
#: What workers send to the writer (pages, articles, faults), oldest first; kept across runs.
OUTBOX = "tjcrawl:outbox"
PROCESSING = "tjcrawl:outbox:processing"
REJECTED = "tjcrawl:outbox:rejected"
SCHEMES = ("redis", "rediss", "unix")


class RedisUnavailable(Exception):
    """A Redis URL that is malformed or names no reachable server; the text is one line."""


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise RedisUnavailable(f"{url!r} is not a Redis URL (redis://HOST:PORT/DB)")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
        db = parts.path.strip("/")
        if parts.scheme != "unix" and db and not db.isdigit():
            raise ValueError(f"database {db!r} is not a number")
    except ValueError as exc:
        raise RedisUnavailable(f"{url!r} is not a Redis URL: {exc}") from None
    return url


def connect(url: str, timeout: float = 5.0) -> redis.Redis:
    """A client for `url`, once the server has answered a PING."""
    check_url(url)
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=30, socket_connect_timeout=timeout, retry_on_timeout=True
        )
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        text = " ".join(str(exc).split())[:200]
        raise RedisUnavailable(f"cannot reach Redis at {url}: {text}") from None
    return client


def clear_crawl(client: redis.Redis) -> int:
    """Delete the keys of the distributed crawl (not the outbox): the next run starts afresh."""
    keys = list(client.scan_iter(match=CRAWL_PREFIX + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)
