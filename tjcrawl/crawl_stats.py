"""Scrapy's in-memory stats, without the lookup that made each count cost ~3.5 µs.

Scrapy 2.19's StatsCollector defines `__getattribute__` in Python to wrap its methods with a
warning about a deprecated `spider` argument; every attribute read goes through it, and every
read of a plain attribute (`self._stats`, inside each count) raises and catches an
AttributeError on the way (`_cached__stats`). A crawl counts ~20 times a page (Scrapy's
downloader stats, tjcrawl's pipelines and spider): ~0.07 ms a page. This collector reads its
attributes as any object does (~0.26 µs a count), and warns about a `spider` argument as
Scrapy's does. It is Scrapy's MemoryStatsCollector otherwise (`STATS_CLASS`).
"""

from __future__ import annotations

import warnings
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.statscollectors import MemoryStatsCollector, StatsT

# A `spider` argument not passed (None is a value passed, which Scrapy warns about too).
_UNSET: Any = object()


def _spider_passed(method: str) -> None:
    warnings.warn(
        f"Passing a 'spider' argument to StatsCollector.{method}() is deprecated and the "
        "argument will be removed in a future Scrapy version.",
        category=ScrapyDeprecationWarning,
        stacklevel=3,
    )


class CrawlStats(MemoryStatsCollector):
    __getattribute__ = object.__getattribute__

    def get_value(self, key: str, default: Any = None, spider: Any = _UNSET) -> Any:
        if spider is not _UNSET:
            _spider_passed("get_value")
        return self._stats.get(key, default)

    def get_stats(self, spider: Any = _UNSET) -> StatsT:
        if spider is not _UNSET:
            _spider_passed("get_stats")
        return self._stats

    def set_value(self, key: str, value: Any, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("set_value")
        self._stats[key] = value

    def set_stats(self, stats: StatsT, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("set_stats")
        self._stats = stats

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("inc_value")
        d = self._stats
        d[key] = d.setdefault(key, start) + count

    def max_value(self, key: str, value: Any, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("max_value")
        self._stats[key] = max(self._stats.setdefault(key, value), value)

    def min_value(self, key: str, value: Any, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("min_value")
        self._stats[key] = min(self._stats.setdefault(key, value), value)

    def clear_stats(self, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("clear_stats")
        self._stats.clear()

    def open_spider(self, spider: Any = _UNSET) -> None:
        if spider is not _UNSET:
            _spider_passed("open_spider")

    def close_spider(self, spider: Any = _UNSET, reason: str | None = None) -> None:
        if spider is not _UNSET:
            _spider_passed("close_spider")
        super().close_spider(reason=reason)
