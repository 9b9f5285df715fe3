"""Progress for runs at a terminal: a one-line display; runs without one just log.

Every source is a separate crawler in the same process; one shared line sums them all.
`StepProgress` reports the long steps after a crawl (re-post grouping, search counts) the
same way: a redrawn line on a terminal, a log line now and then otherwise.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)

#: What a long step reports as it goes: (what it is doing, how much is done, of how much).
Progress = Callable[[str, int, int], None]


def crawler_totals(crawler: Crawler) -> Counter[str]:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return Counter(
        {
            "pages": int(stats.get("response_received_count", 0)),
            "new": int(stats.get("tjcrawl/items_new", 0)),
            "changed": int(stats.get("tjcrawl/items_changed", 0)),
            "errors": sum(int(v) for k, v in stats.items() if k.startswith("tjcrawl/faults/")),
        }
    )


class ProgressLine:
    crawlers: ClassVar[list[Crawler]] = []
    # The final figures of the sources that have finished: they stay in the totals, which
    # would otherwise drop by a source's pages the moment it finishes.
    finished: ClassVar[Counter[str]] = Counter()
    loop: ClassVar[task.LoopingCall | None] = None
    started: ClassVar[float] = 0.0
    clock: ClassVar[Any] = None  # the reactor, unless a test gives a task.Clock
    stream: ClassVar[TextIO | None] = None  # sys.stderr, unless a test gives another

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
        if cls.loop is None:
            cls.started = time.monotonic()
            cls.finished = Counter()
            cls.loop = task.LoopingCall(cls.draw)
            if cls.clock is not None:
                cls.loop.clock = cls.clock
            cls.loop.start(1.0, now=False)
        cls.crawlers.append(self.crawler)

    def closed(self) -> None:
        cls = type(self)
        if self.crawler in cls.crawlers:
            cls.crawlers.remove(self.crawler)
            cls.finished += crawler_totals(self.crawler)
        cls.draw()
        if not cls.crawlers and cls.loop is not None:
            if cls.loop.running:
                cls.loop.stop()
            cls.loop = None
            cls._out().write("\n")

    @classmethod
    def totals(cls) -> Counter[str]:
        totals = Counter({"pages": 0, "new": 0, "changed": 0, "errors": 0})
        totals.update(cls.finished)
        for crawler in cls.crawlers:
            totals.update(crawler_totals(crawler))
        return totals

    @classmethod
    def line(cls) -> str:
        totals = cls.totals()
        rate = totals["pages"] / max(time.monotonic() - cls.started, 0.001)
        return (
            f"{len(cls.crawlers)} running | {totals['pages']} pages | {totals['new']} new"
            f" | {totals['changed']} changed | {totals['errors']} errors | {rate:.1f} pages/s"
        )

    @classmethod
    def _out(cls) -> TextIO:
        return cls.stream or sys.stderr

    @classmethod
    def draw(cls) -> None:
        out = cls._out()
        out.write("\r\033[K" + cls.line())
        out.flush()


class StepProgress:
    """A `Progress` for long steps: on a terminal a line redrawn at most `redraw` times a
    second; elsewhere a line to `log` when a step starts, every `every` seconds, and at its end.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        log: Callable[[str], None] | None = None,
        interactive: bool | None = None,
        every: float = 10.0,
        redraw: float = 5.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.log = log or logger.info
        self.every = every if not self.interactive else 1 / redraw
        self.now = now
        self.step: str | None = None
        self.last = 0.0
        self.drawn = False

    def __call__(self, what: str, done: int, total: int) -> None:
        at = self.now()
        new_step = what != self.step
        if not (new_step or done >= total or at - self.last >= self.every):
            return
        if new_step and self.drawn:
            self.stream.write("\n")
        self.step, self.last = what, at
        share = f" ({done / total:.0%})" if total else ""
        text = f"{what}: {done:,} of {total:,}{share}"
        if self.interactive:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            self.drawn = True
        else:
            self.log(text)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
