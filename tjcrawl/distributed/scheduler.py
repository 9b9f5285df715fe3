"""The worker's scheduler: scrapy-redis's, with leases (tjcrawl.distributed.leases).

A request's lease is acknowledged when the engine lets go of the request: after its response
went through the callback and every item and request the callback produced was handled (items
through the pipelines into the outbox, requests into the Redis queue), or after a redirect or
retry was queued in its place. Scrapy has no signal for that moment; the engine's slot calls
`remove_request` then, so the scheduler wraps that method of the slot it is opened in. That
method is internal to Scrapy: `open` checks that it is there and refuses to run otherwise, so a
Scrapy release that changes it fails loudly, not by losing requests.

scrapy-redis 0.9 predates Scrapy 2.13's `start()`: its `RedisSpider` reads start URLs from
`start_requests()`. tjcrawl uses only its scheduler, queue and duplicate filter, which 2.13's
engine drives like any scheduler; the spiders keep their own `start()`, whose listing pages go
through the shared duplicate filter, so N workers starting together queue each start URL once.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from tjcrawl.distributed.leases import LEASE_META, LeasingQueue
from tjcrawl.distributed.outbox import OUTBOX_FAILED

logger = logging.getLogger(__name__)

# KEYS: the duplicate filter's set, the queue's sorted set. ARGV: fingerprint, score,
# dont_filter ("1"/"0"), the encoded request. Returns 1 when queued, 0 when already seen.
_SEEN_AND_QUEUED = """
if ARGV[3] == '1' or redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
  return 1
end
return 0
"""


class LeasingScheduler(Scheduler):
    crawler: Crawler
    queue: LeasingQueue

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasingScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        # scrapy-redis counts with StatsCollector.inc_value(spider=...), which Scrapy 2.13
        # deprecates: the counting is done here instead.
        instance.stats = None
        instance._hooked = False
        instance._beat: task.LoopingCall | None = None
        instance._idle_since: float | None = None
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: Spider) -> None:
        super().open(spider)
        if not isinstance(self.queue, LeasingQueue):
            raise TypeError("LeasingScheduler needs SCHEDULER_QUEUE_CLASS = LeasingQueue")
        leases = self.queue.leases
        leases.heartbeat()
        leases.running(spider.name)
        leases.reap()
        period = max(0.2, leases.ttl_ms / 3000)
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(period, now=False)

    def _heartbeat(self) -> None:
        try:
            self.queue.leases.heartbeat()
            self.queue.leases.running(self.spider.name)
            self.queue.leases.reap()
        except Exception as exc:  # Redis away for a moment: the next beat tries again
            logger.warning("lease heartbeat failed: %s", exc)
            self.crawler.stats.inc_value("tjcrawl/lease_heartbeat_failed")  # type: ignore[union-attr]
        # An idle engine asks the scheduler only every 5 s; requests other workers queued,
        # or leases returned, are taken sooner.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and getattr(slot, "nextcall", None) is not None:
            slot.nextcall.schedule()

    def close(self, reason: str) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        super().close(reason)

    def _hook_engine(self) -> None:
        """Acknowledge a request's lease when the engine's slot removes the request."""
        slot = getattr(self.crawler.engine, "_slot", None)
        remove = getattr(slot, "remove_request", None)
        if remove is None:
            raise RuntimeError(
                "this Scrapy's engine has no _slot.remove_request: leases cannot be"
                " acknowledged (tjcrawl.distributed.scheduler)"
            )
        leases = self.queue.leases

        stats = self.crawler.stats
        assert stats is not None

        def remove_request(request: Request) -> None:
            remove(request)
            lease = request.meta.get(LEASE_META)
            # Once a record could not be sent, nothing is acknowledged: what this worker
            # holds returns to the queue when its lease expires.
            if lease and not stats.get_value(OUTBOX_FAILED):
                leases.ack(lease)

        slot.remove_request = remove_request
        self._hooked = True

    def enqueue_request(self, request: Request) -> bool:
        """Mark the request seen and queue it in one step. scrapy-redis does the two as separate
        commands (SADD to the duplicate filter, then ZADD to the queue): a worker killed or a
        request that fails to serialise between them leaves a URL marked seen and never
        queued, and every later link to it is filtered out: an article lost for good."""
        data = self.queue._encode_request(request)  # raises before anything is marked
        queued = bool(
            self.server.register_script(_SEEN_AND_QUEUED)(
                keys=[self.df.key, self.queue.key],
                args=[
                    self.df.request_fingerprint(request),
                    -request.priority,
                    "1" if request.dont_filter else "0",
                    data,
                ],
            )
        )
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.crawler.stats.inc_value("scheduler/enqueued/redis")  # type: ignore[union-attr]
        return True

    def next_request(self) -> Request | None:
        if not self._hooked:
            self._hook_engine()
        request = super().next_request()
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")  # type: ignore[union-attr]
        return request

    def spider_idle(self, spider: Spider) -> None:
        """Stay while the cluster has work for this source: requests queued, or leased by
        any worker (a dead worker's return to the queue when its lease expires)."""
        if self.queue.leases.outstanding() > 0:
            raise DontCloseSpider
