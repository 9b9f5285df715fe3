"""A one-line progress display for runs at a terminal; runs without one just log.

Every source is a separate crawler in the same process; one shared line sums them all.
"""

from __future__ import annotations

import sys
import time
from typing import ClassVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressLine:
    crawlers: ClassVar[list[Crawler]] = []
    loop: ClassVar[task.LoopingCall | None] = None
    started: ClassVar[float] = 0.0

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        interactive = sys.stderr.isatty() and not crawler.settings.get("LOG_FILE")
        if not (crawler.settings.getbool("TJCRAWL_PROGRESS", True) and interactive):
            raise NotConfigured
        return cls(crawler)

    def opened(self) -> None:
        cls = type(self)
        cls.crawlers.append(self.crawler)
        if cls.loop is None:
            cls.started = time.monotonic()
            cls.loop = task.LoopingCall(cls.draw)
            cls.loop.start(1.0, now=False)

    def closed(self) -> None:
        cls = type(self)
        cls.draw()
        if self.crawler in cls.crawlers:
            cls.crawlers.remove(self.crawler)
        if not cls.crawlers and cls.loop is not None and cls.loop.running:
            cls.loop.stop()
            cls.loop = None
            sys.stderr.write("\n")

    @classmethod
    def line(cls) -> str:
        totals = {"pages": 0, "new": 0, "changed": 0, "errors": 0}
        for crawler in cls.crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            totals["pages"] += int(stats.get("response_received_count", 0))
            totals["new"] += int(stats.get("tjcrawl/items_new", 0))
            totals["changed"] += int(stats.get("tjcrawl/items_changed", 0))
            totals["errors"] += sum(
                int(v) for k, v in stats.items() if k.startswith("tjcrawl/faults/")
            )
        rate = totals["pages"] / max(time.monotonic() - cls.started, 0.001)
        return (
            f"{len(cls.crawlers)} running | {totals['pages']} pages | {totals['new']} new"
            f" | {totals['changed']} changed | {totals['errors']} errors | {rate:.1f} pages/s"
        )

    @classmethod
    def draw(cls) -> None:
        sys.stderr.write("\r\033[K" + cls.line())
        sys.stderr.flush()
