"""tjcrawl's stats collector counts as Scrapy's MemoryStatsCollector does, warns about a
`spider` argument as it does, and is the one a crawl uses."""

from __future__ import annotations

import random
import warnings

import pytest
from scrapy import Spider
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from tjcrawl.crawl_stats import CrawlStats
from tjcrawl.runner import build_settings


def _ops(rng: random.Random) -> list[tuple[str, tuple]]:
    keys = ["a", "b/c", "tjcrawl/x"]
    ops: list[tuple[str, tuple]] = []
    for _ in range(300):
        key = rng.choice(keys)
        ops.append(
            rng.choice(
                [
                    ("inc_value", (key,)),
                    ("inc_value", (key, rng.randrange(-3, 9), rng.randrange(5))),
                    ("max_value", (key, rng.randrange(20))),
                    ("min_value", (key, rng.randrange(20))),
                    ("set_value", (key, rng.randrange(20))),
                    ("get_value", (key, "default")),
                    ("get_value", ("missing",)),
                ]
            )
        )
    return ops


def test_counts_as_scrapys_collector() -> None:
    crawler = get_crawler(Spider)
    ours, scrapys = CrawlStats(crawler), MemoryStatsCollector(crawler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no call here passes a spider: no warning either
        for stats in (ours, scrapys):
            stats.open_spider()
        for name, args in _ops(random.Random(3)):
            assert getattr(ours, name)(*args) == getattr(scrapys, name)(*args)
            assert ours.get_stats() == scrapys.get_stats()
        ours.set_stats({"x": 1})
        scrapys.set_stats({"x": 1})
        crawler.spider = Spider("s")
        for stats in (ours, scrapys):
            stats.close_spider(reason="finished")
    assert ours.spider_stats == scrapys.spider_stats == {"s": {"x": 1}}
    ours.clear_stats()
    assert ours.get_stats() == {}


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("inc_value", ("a",)),
        ("get_value", ("a",)),
        ("set_value", ("a", 1)),
        ("max_value", ("a", 1)),
        ("min_value", ("a", 1)),
        ("get_stats", ()),
        ("set_stats", ({},)),
        ("clear_stats", ()),
        ("open_spider", ()),
        ("close_spider", ()),
    ],
)
def test_a_spider_argument_is_deprecated_as_in_scrapy(name: str, args: tuple) -> None:
    stats = CrawlStats(get_crawler(Spider))
    with pytest.warns(ScrapyDeprecationWarning, match="'spider' argument"):
        getattr(stats, name)(*args, spider=None)


def test_a_crawl_uses_it() -> None:
    assert build_settings("x.db")["STATS_CLASS"] == "tjcrawl.crawl_stats.CrawlStats"
    crawler = get_crawler(Spider, settings_dict={"STATS_CLASS": "tjcrawl.crawl_stats.CrawlStats"})
    assert isinstance(crawler.stats, CrawlStats)
