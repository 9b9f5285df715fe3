"""Scrapy's log lines, without the two it writes for every page and item when nobody reads them.

Scrapy builds a DEBUG record "Crawled (200) <GET …>" for every response and "Scraped from …"
for every item, whatever LOG_LEVEL says: its root logger lets everything through and only its
handlers drop what is below LOG_LEVEL. At tjcrawl's INFO both records are made and thrown away,
two a page (~1.5 % of a crawl's reactor time). This formatter says "nothing to log" for them
when LOG_LEVEL is above DEBUG (or logging is off), so Scrapy does not make them; at DEBUG it
logs them as Scrapy does.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.logformatter import LogFormatter


def logs_debug(level: Any, enabled: bool = True) -> bool:
    """Whether a LOG_LEVEL (a name or a number) lets DEBUG records through."""
    if not enabled:
        return False
    if isinstance(level, str):
        level = logging.getLevelName(level.strip().upper())
    return not isinstance(level, int) or level <= logging.DEBUG


class PageLogFormatter(LogFormatter):
    def __init__(self, per_page: bool = True) -> None:
        super().__init__()
        self.per_page = per_page

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageLogFormatter:
        settings = crawler.settings
        return cls(logs_debug(settings.get("LOG_LEVEL"), settings.getbool("LOG_ENABLED", True)))

    def crawled(self, request: Any, response: Any, spider: Any) -> Any:
        return super().crawled(request, response, spider) if self.per_page else None

    def scraped(self, item: Any, response: Any, spider: Any) -> Any:
        return super().scraped(item, response, spider) if self.per_page else None
