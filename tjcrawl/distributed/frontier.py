"""The incremental frontier of a distributed run, in Redis: what the archive knows of a source,
seeded by the writer (the one process that reads the archive) and read by every worker.

A worker opening a source asks for it (`WANTED`, "run|source|mode", asked again while it
waits, so a writer killed while seeding is asked again when it restarts) and waits for the
source's `ready` key to name its run. The writer (`seed`) chooses the run's mode as a
single-process crawl does (tjcrawl.frontier.choose_mode), creates the source's crawl_runs row
with it, and writes:

* ``known``: article URL -> [listing title, listing date, withdrawn, incomplete];
* ``due``: the articles whose revisit is due (a list);
* ``pages``: page URL -> [ETag, Last-Modified, body SHA-256] of its newest stored 200 copy
  (the validators of a conditional GET, and the hash a verification compares with);
* ``listings``: listing URL -> its newest stored copy, whole (read when a listing answers
  304);
* ``meta``: mode, whether the source's 304s are trusted; ``verify``: the run's budget of
  304 verifications, shared by the workers.

The keys live under tjcrawl:crawl:, so they belong to the run: `--new-run` deletes them.
Workers then run the single-process Frontier's own decisions on it (`RedisFrontier`).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import redis

from tjcrawl.distributed.keys import CRAWL_PREFIX
from tjcrawl.frontier import (
    DEFAULT_OVERLAP,
    DEFAULT_SWEEP_DAYS,
    DEFAULT_VERIFY_304,
    FULL,
    Frontier,
    choose_mode,
)
from tjcrawl.profiles import Profile
from tjcrawl.reextract.stored import StoredPage, load_pages, newest_pages
from tjcrawl.storage.archive import Archive, KnownEntry

logger = logging.getLogger(__name__)
#: set of "run|source|mode": frontiers workers wait for
WANTED = CRAWL_PREFIX + "frontier:wanted"
#: + source + ":" + part
FRONTIER = CRAWL_PREFIX + "frontier:"
PARTS = ("known", "due", "pages", "listings", "meta", "verify")
CHUNK = 1000
#: Seconds a worker waits for the writer to seed its source's frontier (TJCRAWL_FRONTIER_WAIT).
DEFAULT_WAIT_S = 300.0
POLL_S = 0.1

_NEWEST_VALIDATORS = (
    "SELECT url, etag, last_modified, body_sha256 FROM (SELECT url, etag, last_modified,"
    " body_sha256, row_number() OVER (PARTITION BY url ORDER BY last_fetched_at DESC, id DESC)"
    " AS n FROM pages WHERE source = ? AND status = 200 AND kind != 'attachment') WHERE n = 1"
)


def key(source: str, part: str) -> str:
    return f"{FRONTIER}{source}:{part}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def want(server: redis.Redis, run_id: str, source: str, mode: str) -> None:
    server.sadd(WANTED, f"{run_id}|{source}|{mode}")


def ready(server: redis.Redis, run_id: str, source: str) -> bool:
    value = server.get(key(source, "ready"))
    return value is not None and _text(value) == run_id


# -- the writer's side ------------------------------------------------------------------------
def wanted(server: redis.Redis) -> Iterator[tuple[str, str, str]]:
    """The (run, source, mode) frontiers asked for that are not ready yet."""
    for raw in server.smembers(WANTED):
        run_id, _, rest = _text(raw).partition("|")
        source, _, mode = rest.partition("|")
        if ready(server, run_id, source):
            server.srem(WANTED, raw)
        else:
            yield run_id, source, mode or "incremental"


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def seed(
    server: redis.Redis,
    archive: Archive,
    run_id: str,
    profile: Profile,
    requested: str,
    sweep_days: int = DEFAULT_SWEEP_DAYS,
    verify_304: int = DEFAULT_VERIFY_304,
) -> tuple[int, str]:
    """Choose the source's mode for the run, start its crawl_runs row (unless a writer did
    already) and write its frontier to Redis; the row's id and the mode."""
    source = profile.slug
    conn = archive.conn
    row = conn.execute(
        "SELECT id, mode FROM crawl_runs WHERE run_id = ? AND source = ?", (run_id, source)
    ).fetchone()
    if row is None:
        archive.record_source(profile)
        mode = choose_mode(archive, source, requested, sweep_days)
        row_id = archive.start_run(run_id, source, profile.sha256, mode)
        archive.commit()
    else:
        row_id, mode = int(row[0]), str(row[1] or requested)
    known = archive.known_entries(source)
    due = archive.due_for_revisit(source) if mode != FULL else []
    trusts = archive.trusts_304(source)
    pipe = server.pipeline(transaction=False)
    pipe.delete(*(key(source, part) for part in PARTS), key(source, "ready"))
    entries = [
        (url, json.dumps([e.listing_title, e.listing_date, e.withdrawn, e.incomplete]))
        for url, e in known.items()
    ]
    for chunk in _chunks(entries):
        pipe.hset(key(source, "known"), mapping=dict(chunk))
    for chunk in _chunks(due):
        pipe.rpush(key(source, "due"), *chunk)
    validators = [
        (r[0], json.dumps([r[1], r[2], r[3]])) for r in conn.execute(_NEWEST_VALIDATORS, (source,))
    ]
    for chunk in _chunks(validators):
        pipe.hset(key(source, "pages"), mapping=dict(chunk))
    pipe.execute()
    listing_ids = [page_id for page_id, _ in newest_pages(conn, source, "listing")]
    for chunk in _chunks(listing_ids):
        copies = {page.url: _page_json(page) for page in load_pages(conn, chunk)}
        server.hset(key(source, "listings"), mapping=copies)
    pipe = server.pipeline(transaction=False)
    pipe.hset(key(source, "meta"), mapping={"mode": mode, "trusts_304": int(trusts)})
    pipe.set(key(source, "verify"), max(0, verify_304))
    pipe.set(key(source, "ready"), run_id)  # last: a seed cut short is never read
    pipe.execute()
    logger.info(
        "%s: frontier of run %s seeded (%s; %d known, %d due, %d pages, %d listings)",
        source, run_id, mode, len(known), len(due), len(validators), len(listing_ids),
    )  # fmt: skip
    return row_id, mode


def _page_json(page: StoredPage) -> str:
    return json.dumps(
        {
            "id": page.id,
            "url": page.url,
            "kind": page.kind,
            "headers": page.headers,
            "body": base64.b64encode(page.body).decode("ascii"),
            "fetched_at": page.fetched_at,
            "last_fetched_at": page.last_fetched_at,
        },
        ensure_ascii=False,
    )


# -- the workers' side ------------------------------------------------------------------------
class RedisFrontier(Frontier):
    """The single-process Frontier's decisions, on what the writer seeded into Redis."""

    def __init__(
        self,
        server: redis.Redis,
        source: str,
        overlap: int = DEFAULT_OVERLAP,
        verify_304: int = DEFAULT_VERIFY_304,
    ) -> None:
        self.server = server
        meta = {_text(k): _text(v) for k, v in server.hgetall(key(source, "meta")).items()}
        known = {
            _text(url): KnownEntry(*json.loads(value))
            for url, value in server.hgetall(key(source, "known")).items()
        }
        self._setup(
            source,
            meta.get("mode", "incremental"),
            overlap,
            known=known,
            due=[_text(url) for url in server.lrange(key(source, "due"), 0, -1)],
            trusts_304=meta.get("trusts_304") == "1",
            verify_304=verify_304,
        )

    def _page(self, url: str) -> list[Any] | None:
        raw = self.server.hget(key(self.source, "pages"), url)
        return json.loads(raw) if raw else None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        page = self._page(url)
        return (page[0], page[1]) if page else (None, None)

    def newest_copy(self, url: str) -> tuple[int, str] | None:
        page = self._page(url)
        return (0, page[2]) if page and page[2] else None

    def stored_page(self, url: str) -> StoredPage | None:
        raw = self.server.hget(key(self.source, "listings"), url)
        if not raw:
            return None
        value = json.loads(raw)
        return StoredPage(**{**value, "body": base64.b64decode(value["body"])})

    def attachment_known(self, url: str) -> bool:
        return False  # workers fetch no attachments (tjcrawl.distributed.worker)

    def conditional_headers(self, url: str, listing: bool) -> dict[str, str]:
        # Another worker may have caught the source's 304s lying since this one started.
        if self.trusts_304 and self.server.hget(key(self.source, "meta"), "trusts_304") == b"0":
            self.trusts_304 = False
        return super().conditional_headers(url, listing)

    def take_verification(self) -> bool:
        """One of the run's verifications, shared by every worker."""
        if not self.trusts_304:
            return False
        return int(self.server.decr(key(self.source, "verify"))) >= 0

    def _record_distrust(self) -> None:
        # Every worker stops sending validators; the archive learns it from the stale_304
        # fault the spider reports (tjcrawl.distributed.writer).
        self.server.hset(key(self.source, "meta"), "trusts_304", 0)
