"""Each HTML page's tree parsed on a worker thread, not on the reactor's.

The crawl's reactor thread is what limits a crawl once the archive writes from a process of
its own (docs/benchmarks.md, "crawl_throughput"), and a page's parse is its largest single cost
(about a third of a millisecond for a 25 KB government page). lxml frees the GIL while libxml2
parses, so the parse runs on one worker thread beside the reactor's other work, on a core the
crawl's process otherwise leaves to the writer and the network.

The tree is the one Scrapy's own selector would build: parsel's `create_root_node` with
lxml.html's parser, the response's base URL and huge trees allowed, over the text the encoding
middleware decoded. It is handed to the response as its selector, so the spider's callbacks
read it as they always did. The tree is only read and cut on the reactor thread once it is
handed over (lxml supports trees parsed in one thread and used in another: each thread's
names live in a dictionary of its own, derived from the main thread's). A page whose parse
fails, a crawl under a reactor without asyncio, or `TJCRAWL_PARSE_OFF_REACTOR = False` leaves
the parse to Scrapy on the reactor, as before, where the spider's error handling sees it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lxml import etree, html
from parsel.selector import create_root_node
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.selector import Selector
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.response import get_base_url

from tjcrawl.extract.fields import Matches, compiled_xpath, select
from tjcrawl.profiles import FieldSpec

logger = logging.getLogger(__name__)

SETTING = "TJCRAWL_PARSE_OFF_REACTOR"

#: A detail page's field matches evaluated with its parse, until its spider callback takes them.
_MATCHES: weakref.WeakKeyDictionary[Response, Matches] = weakref.WeakKeyDictionary()


def parse_tree(text: str, base_url: str) -> Any:
    """The root parsel builds for an HTML response's text (a parser of its own per call, so
    any thread may call it)."""
    return create_root_node(text, html.HTMLParser, base_url=base_url, huge_tree=True)


def parse_page(text: str, base_url: str, fields: Sequence[FieldSpec] = ()) -> tuple[Any, Matches]:
    """The page's root and what each of `fields` matches in the whole, uncut page: the
    matches a detail page's callback would evaluate first (lxml frees the GIL in XPath too)."""
    root = parse_tree(text, base_url)
    return root, {(spec.language, spec.query): select(root, spec) for spec in fields}


def hand_over(response: Response, root: Any, matches: Matches) -> None:
    """Give the response its parsed tree as its selector, and its callback the matches
    (on the thread that runs the callback)."""
    response._cached_selector = Selector(root=root, type="html")  # type: ignore[attr-defined]
    if matches:
        _MATCHES[response] = matches


def parses_ahead(response: Response) -> bool:
    """Whether the response is a page Scrapy would read through lxml.html's parser."""
    return type(response) is HtmlResponse and response._cached_selector is None


def prefetched_matches(response: Response) -> Matches:
    """The field matches evaluated with the page's parse (taken: a callback's own to cut),
    or an empty memo."""
    return _MATCHES.pop(response, None) or {}


def prefetchable_fields(profile: Any) -> tuple[FieldSpec, ...]:
    """The detail fields evaluated against the whole page before anything is cut from it, and
    only those with a compiled XPath that keeps no state (not a RenewedXPath)."""
    detail = getattr(profile, "detail", None)
    if detail is None:
        return ()
    specs = (detail.attachments, detail.body, detail.title, detail.date, detail.origin)
    specs += (detail.author,)
    unique = {}
    for spec in specs:
        if spec is None or spec.language != "xpath":
            continue
        if isinstance(compiled_xpath(spec.query), etree.XPath):
            unique.setdefault((spec.language, spec.query), spec)
    return tuple(unique.values())


class PageTreeMiddleware:
    """Downloader middleware: the tree of every page the spider will read (listing and detail
    pages; not files), built on a worker thread before the spider's callback asks for it."""

    def __init__(self, enabled: bool = True, crawler: Crawler | None = None) -> None:
        self.enabled = enabled
        self.crawler = crawler
        self.executor: ThreadPoolExecutor | None = None
        self._fields: tuple[FieldSpec, ...] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageTreeMiddleware:
        middleware = cls(crawler.settings.getbool(SETTING, True), crawler)
        crawler.signals.connect(middleware.close, signal=signals.engine_stopped)
        return middleware

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False)
            self.executor = None

    def _wanted(self, request: Request, response: Response) -> bool:
        return (
            self.enabled
            and request.meta.get("page_kind") in ("listing", "detail")
            and parses_ahead(response)
        )

    async def process_response(self, request: Request, response: Response) -> Response:
        if not self._wanted(request, response) or not is_asyncio_available():
            return response
        if self.executor is None:
            # One thread: a parse takes a fraction of what the reactor spends on a page.
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="tjcrawl-parse")
        text = response.text  # decoded once already, by the encoding middleware
        base_url = get_base_url(response)
        fields = self._detail_fields() if request.meta["page_kind"] == "detail" else ()
        loop = asyncio.get_running_loop()
        try:
            root, matches = await loop.run_in_executor(
                self.executor, parse_page, text, base_url, fields
            )
        except Exception as exc:  # parsed again on the reactor by Scrapy, which reports it
            logger.debug("%s: parse on the worker thread failed (%s)", response.url, exc)
            return response
        hand_over(response, root, matches)
        return response

    def _detail_fields(self) -> tuple[FieldSpec, ...]:
        if self._fields is None:
            spider = getattr(self.crawler, "spider", None)
            self._fields = prefetchable_fields(getattr(spider, "profile", None))
        return self._fields
