"""What Scrapy would only log, recorded as faults: errors in callbacks and pipelines, offsite.

Scrapy logs an exception in a spider callback or an item pipeline and goes on; the page's
article is gone and the run still looks finished. It drops requests to hosts outside
`allowed_domains` with a debug line. Here each becomes a fault row and a count, so that the run's
report (tjcrawl.runner.judge) can say so and exit non-zero.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from tjcrawl.faults import LOSS_OF_PAGE, LOST_ARTICLE, report_fault

logger = logging.getLogger(__name__)

# Set on a request whose offsite fault is recorded, so that its errback does not record it again.
OFFSITE_RECORDED = "tjcrawl_offsite_recorded"


def _exception_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class ExtractionErrorMiddleware:
    """A spider middleware: an exception in a callback (a selector that fails at run time, a
    page that breaks the extraction) is that page's failure, recorded, not the crawl's. Errors
    in item pipelines, which Scrapy reports through the item_error signal, likewise."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionErrorMiddleware:
        return cls(crawler)

    def _record(self, url: str, exc: BaseException, where: str, lost: str | None) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("tjcrawl/extraction_errors")
        text = _exception_text(exc)
        report_fault(self.crawler, url, "extraction_failed", None, f"{where}: {text}", lost=lost)
        # One line for the log; the traceback only for whoever debugs at DEBUG level.
        logger.error("extraction failed on %s (%s): %s", url, where, text)
        logger.debug("the traceback of that failure", exc_info=exc)

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> Iterable[Any] | None:
        if isinstance(exception, CloseSpider):
            return None  # not a page's failure: Scrapy closes the spider as asked
        request = response.request
        kind = request.meta.get("page_kind", "page") if request is not None else "page"
        self._record(response.url, exception, f"{kind} page", LOSS_OF_PAGE.get(kind))
        return ()

    def item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        url = (item.get("page_url") or item.get("url")) if hasattr(item, "get") else None
        url = url or (response.url if response is not None else "")
        self._record(url, failure.value, "item pipeline", LOST_ARTICLE)


class RecordedOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter (entries, redirects and attachments on hosts outside
    `allowed_domains` are not fetched), with each dropped URL a fault `offsite`, once a run."""

    def __init__(self, stats: Any) -> None:
        super().__init__(stats)
        self.recorded: set[str] = set()

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)
        except IgnoreRequest:
            self._record(request)
            raise

    def _record(self, request: Request) -> None:
        request.meta[OFFSITE_RECORDED] = True
        redirected_from = request.meta.get("redirect_urls")
        # Two pages that redirect to one place are two pages lost.
        key = f"{redirected_from[0]} -> {request.url}" if redirected_from else request.url
        if key in self.recorded:
            return  # the same link on another listing page: Scrapy would drop it as a duplicate
        self.recorded.add(key)
        host = urlparse_cached(request).hostname
        kind = request.meta.get("page_kind", "page")
        detail = f"{kind} on host {host!r}, outside allowed_domains"
        lost = None
        if redirected_from:
            detail += f"; redirected from {redirected_from[0]}"
            self.stats.inc_value("tjcrawl/offsite/redirects")
            # A page of the source that moved away is lost to it; an entry that links to
            # another host from the start is judged by its share (tjcrawl.runner.judge).
            lost = LOSS_OF_PAGE.get(kind)
        self.stats.inc_value(f"tjcrawl/offsite/{kind}")
        report_fault(self.crawler, request.url, "offsite", None, detail, lost=lost)
