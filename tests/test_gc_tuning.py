"""The collector's young-generation threshold is raised while a crawl or a re-extraction runs
and Python's own is put back after the last one (tjcrawl.gc_tuning)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from tjcrawl.gc_tuning import YOUNG_THRESHOLD, CollectorThreshold, young_threshold


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


def test_the_crawl_settings_turn_it_on() -> None:
    from tjcrawl import settings

    assert settings.EXTENSIONS["tjcrawl.gc_tuning.CollectorThreshold"]
    assert settings.TJCRAWL_GC_YOUNG_THRESHOLD == YOUNG_THRESHOLD
