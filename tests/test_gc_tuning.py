"""The collector's young-generation threshold is raised while a crawl or a re-extraction runs
and Python's own is put back after the last one (tjcrawl.gc_tuning)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from tjcrawl.gc_tuning import (
    YOUNG_THRESHOLD,
    CollectorThreshold,
    CrawlLifetimeFreeze,
    young_threshold,
)


@pytest.fixture
def python_threshold() -> Iterator[tuple[int, ...]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield gc.get_threshold()
    finally:
        gc.set_threshold(*before)


def _extension(young: int | None = None) -> tuple[CollectorThreshold, object]:
    settings = {} if young is None else {"TJCRAWL_GC_YOUNG_THRESHOLD": young}
    crawler = get_crawler(settings_dict=settings)
    return CollectorThreshold.from_crawler(crawler), crawler


def test_a_crawl_raises_the_threshold_from_engine_start_to_stop(
    python_threshold: tuple[int, ...],
) -> None:
    _, crawler = _extension()

    crawler.signals.send_catch_log(signals.engine_started)  # type: ignore[attr-defined]
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *python_threshold[1:])
    crawler.signals.send_catch_log(signals.engine_stopped)  # type: ignore[attr-defined]

    assert gc.get_threshold() == python_threshold


def test_two_crawls_of_one_process_put_it_back_after_the_last(
    python_threshold: tuple[int, ...],
) -> None:
    # The extensions are held here: signals refer to their handlers weakly.
    (_kept_first, first), (_kept_second, second) = _extension(5_000), _extension(5_000)

    first.signals.send_catch_log(signals.engine_started)  # type: ignore[attr-defined]
    second.signals.send_catch_log(signals.engine_started)  # type: ignore[attr-defined]
    first.signals.send_catch_log(signals.engine_stopped)  # type: ignore[attr-defined]
    assert gc.get_threshold()[0] == 5_000, "the second crawl still runs"
    second.signals.send_catch_log(signals.engine_stopped)  # type: ignore[attr-defined]
    second.signals.send_catch_log(signals.engine_stopped)  # type: ignore[attr-defined]

    assert gc.get_threshold() == python_threshold


def test_a_higher_threshold_of_the_process_is_kept(python_threshold: tuple[int, ...]) -> None:
    gc.set_threshold(50_000, 10, 10)
    with young_threshold(10_000):
        assert gc.get_threshold()[0] == 50_000
    assert gc.get_threshold() == (50_000, 10, 10)


def test_zero_leaves_pythons_threshold(python_threshold: tuple[int, ...]) -> None:
    with pytest.raises(NotConfigured):
        _extension(0)
    with young_threshold(0):
        assert gc.get_threshold() == python_threshold


def test_what_lives_as_long_as_the_crawls_is_frozen_until_the_last_one_closes() -> None:
    gc.unfreeze()
    first, second = get_crawler(), get_crawler()
    # Held here: signals refer to their handlers weakly.
    kept = [CrawlLifetimeFreeze.from_crawler(crawler) for crawler in (first, second)]
    try:
        first.signals.send_catch_log(signals.spider_opened, spider=None)
        assert gc.get_freeze_count() > 0
        second.signals.send_catch_log(signals.spider_opened, spider=None)
        first.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
        assert gc.get_freeze_count() > 0, "the second crawl still runs"
        second.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
    del kept


def test_the_crawl_settings_turn_it_on() -> None:
    from tjcrawl import settings

    assert settings.EXTENSIONS["tjcrawl.gc_tuning.CollectorThreshold"]
    assert settings.EXTENSIONS["tjcrawl.gc_tuning.CrawlLifetimeFreeze"]
    assert settings.TJCRAWL_GC_YOUNG_THRESHOLD == YOUNG_THRESHOLD
