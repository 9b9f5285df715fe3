"""A crawl worker: tjcrawl's spiders with their frontier, politeness and output in Redis."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import redis
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from tjcrawl.distributed.keys import DUPEFILTER_KEY, QUEUE_KEY, RUN_ID
from tjcrawl.pipelines.archive import new_run_id
from tjcrawl.profiles import Profile

#: Seconds a worker's leases live without a heartbeat (renewed every third of it).
DEFAULT_LEASE_SECONDS = 30.0


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def shared_run_id(server: redis.Redis) -> str:
    """The run every worker of this crawl records under: the first worker names it."""
    server.set(RUN_ID, new_run_id(), nx=True)
    value = server.get(RUN_ID)
    return value.decode() if isinstance(value, bytes) else str(value)


def worker_settings(base: Settings, redis_url: str, run_id: str, worker: str) -> Settings:
    """`base` (tjcrawl.runner.build_settings) turned into a worker's."""
    settings = base.copy()
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines.pop("tjcrawl.pipelines.ArchivePipeline", None)
    pipelines["tjcrawl.distributed.outbox.OutboxPipeline"] = 400
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] = None
    middlewares["tjcrawl.distributed.robots.SharedRobotsTxtMiddleware"] = 100
    values: dict[str, Any] = {
        "REDIS_URL": redis_url,
        "SCHEDULER": "tjcrawl.distributed.scheduler.LeasingScheduler",
        "SCHEDULER_QUEUE_CLASS": "tjcrawl.distributed.leases.LeasingQueue",
        "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
        "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # The frontier outlives any one worker: a worker ending never clears it.
        "SCHEDULER_PERSIST": True,
        "ITEM_PIPELINES": pipelines,
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "DOWNLOAD_HANDLERS": {
            "http": "tjcrawl.distributed.politeness.ClusterHTTPHandler",
            "https": "tjcrawl.distributed.politeness.ClusterHTTPSHandler",
        },
        "TJCRAWL_RUN_ID": run_id,
        "TJCRAWL_WORKER_ID": worker,
        "TJCRAWL_AFTER_CRAWL": False,
        # Not yet: the writer would need attachment records (bytes, reading them) from the
        # outbox. Off here, whatever the default, so no file is fetched and then dropped.
        "TJCRAWL_ATTACHMENTS": False,
    }
    for key, value in values.items():
        settings.set(key, value, priority="cmdline")
    if settings.get("TJCRAWL_LEASE_SECONDS") is None:
        settings.set("TJCRAWL_LEASE_SECONDS", DEFAULT_LEASE_SECONDS, priority="cmdline")
    return settings


def run_worker(profiles: Iterable[Profile], settings: Settings) -> list[tuple[str, Mapping]]:
    """Crawl the sources' shared frontier until it is empty; each source's stats."""
    from tjcrawl.spiders import spider_class

    process = CrawlerProcess(settings)
    crawlers = []
    for profile in profiles:
        crawler = process.create_crawler(spider_class(profile))
        process.crawl(crawler)
        crawlers.append((profile.slug, crawler))
    process.start()
    logging.getLogger("scrapy").handlers.clear()
    return [
        (slug, crawler.stats.get_stats() if crawler.stats else {}) for slug, crawler in crawlers
    ]
