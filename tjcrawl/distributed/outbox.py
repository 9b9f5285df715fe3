"""What a worker sends to the archive writer: every page, article and fault as one JSON record
on the Redis list OUTBOX (the writer takes them in order; tjcrawl.distributed.writer).

A page is sent when its response arrives, before its callback runs; an article when it has
passed the pipelines before this one; both before the request's lease is acknowledged. A
record carries an id of its own, the run and the source, so the writer can store it with the
archive pipeline's own functions (tjcrawl.pipelines.archive_writes).
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from tjcrawl import clock
from tjcrawl.distributed.keys import OUTBOX, RUNNING, connect
from tjcrawl.faults import fault_recorded
from tjcrawl.frontier import DEFAULT_OVERLAP, DEFAULT_VERIFY_304, FULL, INCREMENTAL
from tjcrawl.pipelines.archive_writes import article_from_item

logger = logging.getLogger(__name__)
#: The stat counting records that could not be sent.
OUTBOX_FAILED = "tjcrawl/outbox_failed"
#: The stat saying why a worker had no frontier for its source (and crawled nothing).
FRONTIER_FAILED = "tjcrawl/frontier_unavailable"
#: page, item and fault as they happen; stats once per worker and source, when its crawl ends
#: (the writer sums them into the run's figures: tjcrawl.distributed.runs).
RECORD_TYPES = ("page", "item", "fault", "stats")
STATS_EVERY_S = 10.0


def countable_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The stats a run is judged on that can be summed over workers, and the texts among them
    (a write error, a clock skew)."""
    kept: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int | float) or (
            isinstance(value, str) and key.startswith("tjcrawl/")
        ):
            kept[key] = value
    return kept


def stats_delta(now: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """What of `now` is not in `sent` yet: numbers as their increase, texts when new."""
    delta: dict[str, Any] = {}
    for key, value in now.items():
        if isinstance(value, str):
            if key not in sent:
                delta[key] = value
        elif value != sent.get(key, 0):
            delta[key] = value - sent.get(key, 0)
    return delta


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def decode(raw: bytes) -> dict[str, Any]:
    record = json.loads(raw)
    if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
        raise ValueError("not a tjcrawl outbox record")
    return record


class OutboxPipeline:
    """The worker's last pipeline, in place of ArchivePipeline."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.server = connect(crawler.settings["REDIS_URL"])
        self.run_id = crawler.settings["TJCRAWL_RUN_ID"]
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.fault_recorded, signal=fault_recorded)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # The stats sent so far: every STATS_EVERY_S their increase goes to the writer, so a
        # worker killed loses at most that much of the run's figures (never a page or item).
        self._stats_sent: dict[str, Any] = {}
        self._stats_loop: Any = None
        self.stats_every = crawler.settings.getfloat("TJCRAWL_STATS_SECONDS", STATS_EVERY_S)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutboxPipeline:
        return cls(crawler)

    def _send(self, record_type: str, source: str, **fields: Any) -> None:
        record = {
            "id": uuid.uuid4().hex,
            "type": record_type,
            "run_id": self.run_id,
            "source": source,
            **fields,
        }
        try:
            self.server.rpush(OUTBOX, encode(record))
        except (redis.RedisError, TypeError, ValueError) as exc:
            # Not sent: the scheduler stops acknowledging leases (OUTBOX_FAILED), so what this
            # worker holds goes back to the queue when its lease expires, and the worker ends
            # with an error.
            self.crawler.stats.inc_value(OUTBOX_FAILED)
            logger.error("could not send a %s to the writer: %s", record_type, exc)
            raise
        self.crawler.stats.inc_value(f"tjcrawl/outbox/{record_type}")

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        kind = request.meta.get("page_kind")
        if kind is None:
            return
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }
        self._send(
            "page",
            spider.name,
            kind=kind,
            url=response.url,
            status=response.status,
            headers=headers,
            body=base64.b64encode(response.body).decode("ascii"),
            encoding=request.meta.get("encoding"),
            fetched_at=request.meta.get("fetched_at") or clock.now().isoformat(),
        )

    def fault_recorded(
        self, url: str, kind: str, status: int | None = None, detail: str = ""
    ) -> None:
        source = self.crawler.spider.name  # type: ignore[union-attr]
        self._send("fault", source, url=url, kind=kind, status=status, detail=detail)

    def open_spider(self, spider: Spider | None = None) -> Any:
        from twisted.internet import task

        self._stats_loop = task.LoopingCall(self._send_stats, None)
        self._stats_loop.start(self.stats_every, now=False)
        spider = spider or self.crawler.spider
        if getattr(spider, "profile", None) is None:
            return None
        mode = self.crawler.settings.get("TJCRAWL_MODE", INCREMENTAL)
        if mode == FULL:
            return None  # every page fetched unconditionally: no frontier to consult
        return self._await_frontier(spider, mode)

    def _await_frontier(self, spider: Spider, mode: str) -> Any:
        """Ask the writer for the source's frontier and wait for it (polling without blocking
        the reactor: the lease heartbeat goes on); then hand the spider a RedisFrontier."""
        from twisted.internet import reactor, task

        from tjcrawl.distributed import frontier as shared

        settings = self.crawler.settings
        wait_s = settings.getfloat("TJCRAWL_FRONTIER_WAIT", shared.DEFAULT_WAIT_S)
        deadline = time.monotonic() + wait_s

        def poll() -> Any:
            shared.want(self.server, self.run_id, spider.name, mode)
            if shared.ready(self.server, self.run_id, spider.name):
                spider.frontier = shared.RedisFrontier(  # type: ignore[attr-defined]
                    self.server,
                    spider.name,
                    settings.getint("TJCRAWL_INCREMENTAL_OVERLAP", DEFAULT_OVERLAP),
                    settings.getint("TJCRAWL_VERIFY_304", DEFAULT_VERIFY_304),
                )
                return None
            if error := self.server.get(shared.key(spider.name, "error")):
                return self._no_frontier(error.decode(errors="replace"))
            if time.monotonic() >= deadline:
                return self._no_frontier(
                    f"the writer did not seed its frontier within {wait_s:.0f} s"
                    " (TJCRAWL_FRONTIER_WAIT): is a `tjcrawl writer` running on this Redis?"
                )
            return task.deferLater(reactor, shared.POLL_S, poll)  # type: ignore[arg-type]

        return task.deferLater(reactor, 0, poll)  # type: ignore[arg-type]

    def _no_frontier(self, why: str) -> None:
        # Nothing of this source is queued by this worker: an unconditional request would
        # cost the site what the frontier saves it.
        self.crawler.spider.frontier_unavailable = True  # type: ignore[union-attr]
        logger.error("%s: no frontier: %s", self.crawler.spider.name, why)  # type: ignore[union-attr]
        self.crawler.stats.set_value(FRONTIER_FAILED, why)  # type: ignore[union-attr]
        raise CloseSpider("frontier_unavailable")

    def _send_stats(self, reason: str | None) -> None:
        """This worker's share of the source's run since it last sent it, for the writer to
        judge the run by; `reason` (how its crawl ended) in the last."""
        now = countable_stats(self.crawler.stats.get_stats())  # type: ignore[union-attr]
        delta = stats_delta(now, self._stats_sent)
        if not delta and reason is None:
            return
        worker = self.crawler.settings["TJCRAWL_WORKER_ID"]
        source = self.crawler.spider.name  # type: ignore[union-attr]
        try:
            self._send("stats", source, worker=worker, reason=reason, stats=delta)
        except (redis.RedisError, TypeError, ValueError):
            return  # logged and counted by _send; the worker ends with an error
        self._stats_sent = now

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """The last of this worker's stats; then it no longer counts as crawling the source
        (sent first: the writer judges a run only once no worker crawls and the outbox is
        empty)."""
        if self._stats_loop is not None and self._stats_loop.running:
            self._stats_loop.stop()
        self._send_stats(reason)
        worker = self.crawler.settings["TJCRAWL_WORKER_ID"]
        try:
            self.server.zrem(RUNNING, f"{worker}|{spider.name}")
        except redis.RedisError as exc:  # it expires with the worker's lease all the same
            logger.warning("could not say this worker is done: %s", exc)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        article, page_url, attachments = article_from_item(item)
        source = article.get("source") or self.crawler.spider.name  # type: ignore[union-attr]
        self._send("item", source, article=article, page_url=page_url, attachments=attachments)
        return item
