"""Scrapy's per-page and per-item DEBUG lines are not built when LOG_LEVEL drops them, and are
logged as Scrapy logs them when it does not."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.logformatter import LogFormatter
from scrapy.utils.test import get_crawler

from tjcrawl.logformat import PageLogFormatter, logs_debug
from tjcrawl.runner import build_settings


def _formatter(**settings: object) -> PageLogFormatter:
    crawler = get_crawler(Spider, settings_dict=settings)
    return PageLogFormatter.from_crawler(crawler)


def _page() -> tuple[Request, HtmlResponse]:
    request = Request("http://example.test/a.html", flags=["x"])
    return request, HtmlResponse(request.url, body=b"<html></html>", request=request)


@pytest.mark.parametrize("level", ["INFO", "WARNING", logging.ERROR, " info "])
def test_no_page_records_when_the_level_drops_them(level: object) -> None:
    formatter = _formatter(LOG_LEVEL=level)
    request, response = _page()
    spider = Spider("s")
    assert formatter.crawled(request, response, spider) is None
    assert formatter.scraped({"a": 1}, response, spider) is None
    # What is logged at any level stays.
    assert formatter.spider_error(ValueError("x"), request, response, spider) is not None


@pytest.mark.parametrize("level", ["DEBUG", logging.DEBUG, 5])
def test_page_records_as_scrapys_at_debug(level: object) -> None:
    formatter = _formatter(LOG_LEVEL=level)
    request, response = _page()
    spider = Spider("s")
    assert formatter.crawled(request, response, spider) == LogFormatter().crawled(
        request, response, spider
    )
    assert formatter.scraped({"a": 1}, response, spider) == LogFormatter().scraped(
        {"a": 1}, response, spider
    )


def test_logging_off_builds_none_and_the_crawl_uses_the_formatter() -> None:
    assert not logs_debug("DEBUG", enabled=False)
    assert _formatter(LOG_LEVEL="DEBUG", LOG_ENABLED=False).crawled(*_page(), Spider("s")) is None
    settings = build_settings("x.db")
    assert settings["LOG_FORMATTER"] == "tjcrawl.logformat.PageLogFormatter"
    assert build_settings("x.db", log_level="DEBUG")["LOG_LEVEL"] == "DEBUG"
