"""The garbage collector while a crawl runs: its young-generation threshold raised
(CollectorThreshold; also for a re-extraction), and what lives as long as the crawl frozen
(CrawlLifetimeFreeze).

Python collects its youngest generation whenever 700 more container objects have been made
than freed. A page's work makes and frees a few thousand objects by reference counting alone
(its tree is freed that way too: tjcrawl.spiders.parsed_tree), and each of those swings set
off a collection that found next to nothing: ~1,650 collections, 0.3-0.45 s of a 5,250-page
bench crawl. At 10,000 the same crawl made 3 (docs/benchmarks.md, "crawl_throughput").
Cyclic garbage is still collected: it counts towards the threshold like anything else, so
at most ~10,000 objects of it wait.

The threshold is the process's, so it is raised for as long as any crawl or re-extraction of
this process runs, and Python's own is put back after the last one (a Scrapyd or embedding
process keeps its settings).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

#: The default young-generation threshold while tjcrawl works (TJCRAWL_GC_YOUNG_THRESHOLD).
YOUNG_THRESHOLD = 10_000

_lock = threading.Lock()
_holders = 0
_saved: tuple[int, ...] = ()
_open_crawls = 0


def raise_young_threshold(young: int) -> None:
    global _holders, _saved
    with _lock:
        if _holders == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(young, _saved[0]), *_saved[1:])
        _holders += 1


def restore_threshold() -> None:
    global _holders
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0:
            gc.set_threshold(*_saved)


@contextmanager
def young_threshold(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """The threshold raised for the `with` block (0: left as it is)."""
    if young <= 0:
        yield
        return
    raise_young_threshold(young)
    try:
        yield
    finally:
        restore_threshold()


class CollectorThreshold:
    """An extension: the young-generation threshold raised from the engine's start to its
    stop (TJCRAWL_GC_YOUNG_THRESHOLD; 0 leaves Python's)."""

    def __init__(self, crawler: Crawler, young: int) -> None:
        self.young = young
        self.raised = False
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorThreshold:
        young = crawler.settings.getint("TJCRAWL_GC_YOUNG_THRESHOLD", YOUNG_THRESHOLD)
        if young <= 0:
            raise NotConfigured
        return cls(crawler, young)

    def engine_started(self) -> None:
        if not self.raised:
            raise_young_threshold(self.young)
            self.raised = True

    def engine_stopped(self) -> None:
        if self.raised:
            restore_threshold()
            self.raised = False


class CrawlLifetimeFreeze:
    """An extension: once the pipelines have opened (the archive's frontier loaded), what is
    alive lives as long as the crawl: Scrapy's machinery, the profiles and the frontier's map
    of every archived article (100,000 objects and more for a big archive). Frozen, no full
    collection walks it again. Unfrozen when the last crawl of the process closes, so that it
    can be collected once that crawl's structures are dropped."""

    def __init__(self, crawler: Crawler) -> None:
        self.opened = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlLifetimeFreeze:
        return cls(crawler)

    def spider_opened(self) -> None:
        global _open_crawls
        with _lock:
            if not self.opened:
                self.opened = True
                _open_crawls += 1
            gc.freeze()

    def spider_closed(self) -> None:
        global _open_crawls
        with _lock:
            if not self.opened:
                return
            self.opened = False
            _open_crawls -= 1
            if _open_crawls == 0:
                gc.unfreeze()
