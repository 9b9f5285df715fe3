"""Extraction of stored pages offline: the profile's spider callbacks and the item pipelines,
with no network, in this process or in forked workers.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import TextResponse
from scrapy.settings import Settings

from tjcrawl.faults import fault_recorded
from tjcrawl.frontier import article_url
from tjcrawl.pipelines import NormalisePipeline, ValidatePipeline
from tjcrawl.profiles import Profile
from tjcrawl.reextract.stored import StoredPage, load_pages, page_response

#: Faults that say nothing about a re-extraction (stored listing pages have no page number).
IGNORED_FAULTS = frozenset({"pagination_cap"})


class _Stats:
    """The part of Scrapy's StatsCollector the callbacks and pipelines use."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def count(self, key: str) -> int:
        return int(self.values.get(f"tjcrawl/{key}", 0))


class _Signals:
    def __init__(self, on_fault: Any) -> None:
        self.on_fault = on_fault

    def send_catch_log(self, signal: Any = None, **kwargs: Any) -> list[Any]:
        if signal is fault_recorded:
            self.on_fault(**kwargs)
        return []

    def connect(self, *args: Any, **kwargs: Any) -> None:
        pass


class _OfflineCrawler:
    """What the spider callbacks and the validate pipeline use of a crawler, and no engine."""

    def __init__(self, stats: _Stats, on_fault: Any) -> None:
        self.stats = stats
        self.signals = _Signals(on_fault)
        self.settings = Settings()
        self.settings.setmodule("tjcrawl.settings", priority="project")
        # Whatever a callback would fetch (attachments …) is never fetched here.
        self.settings.set("TJCRAWL_ATTACHMENTS", False, priority="cmdline")
        self.spider: Any = None


Fault = tuple[str, str, "int | None", str]  # url, kind, status, detail


@dataclass
class PageResult:
    """What one stored page gave: items validated and normalised, or why not."""

    page_id: int
    url: str
    kind: str
    fetched_at: str
    last_fetched_at: str
    items_seen: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # article keys of refused items
    listed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # link URL, data
    faults: list[Fault] = field(default_factory=list)
    no_item: bool = False  # a detail page (or a page that is not text) that gave no item
    error: bool = False  # the callback raised


class Extractor:
    """A profile's spider callbacks, validation and normalisation over stored pages.

    No archive and no network: the same object runs in this process or in a worker process.
    """

    def __init__(self, profile: Profile) -> None:
        from tjcrawl.spiders import spider_class

        self.profile = profile
        self.stats = _Stats()
        self.current: PageResult | None = None
        crawler = _OfflineCrawler(self.stats, self._fault)
        self.spider = spider_class(profile)()
        self.spider.crawler = crawler  # type: ignore[assignment]
        self.spider.settings = crawler.settings  # type: ignore[assignment]
        crawler.spider = self.spider
        self.validate = ValidatePipeline(self.stats, crawler)  # type: ignore[arg-type]
        # A fixture site's relative dates mean its capture time, as when it was crawled.
        self.normalise = NormalisePipeline({profile.slug: profile}, _date_bases(profile))
        self.listing_kwargs = {"page": 1, "first_url": profile.start_urls[0]}

    def _fault(self, url: str, kind: str, status: int | None = None, detail: str = "") -> None:
        if kind not in IGNORED_FAULTS and self.current is not None:
            self.current.faults.append((url, kind, status, detail))

    def take_stats(self) -> Counter[str]:
        """The stats counted since the last call."""
        taken, self.stats.values = self.stats.values, Counter()
        return taken

    def extract(self, page: StoredPage, listed: dict[str, Any] | None) -> PageResult:
        result = self.current = PageResult(
            page.id, page.url, page.kind, page.fetched_at, page.last_fetched_at
        )
        try:
            self._extract(page, listed or {}, result)
        finally:
            self.current = None
        return result

    def _extract(self, page: StoredPage, listed: dict[str, Any], result: PageResult) -> None:
        is_listing = page.kind == "listing"
        kwargs = self.listing_kwargs if is_listing else listed
        request = Request(
            page.url,
            meta={"page_kind": page.kind, "fetched_at": page.fetched_at},
            cb_kwargs=kwargs,
            dont_filter=True,
        )
        response = page_response(page, request, self.profile)
        if not isinstance(response, TextResponse):
            result.no_item = True
            self._fault(page.url, "extraction_failed", 200, "not a text page")
            return
        if not is_listing and not page.body:
            result.no_item = True
            self._fault(page.url, "empty_body", 200, "200 with no body")
            return
        callback = self.spider.parse_listing if is_listing else self.spider.parse_detail
        try:
            outputs = list(callback(response, **kwargs) or ())
        except Exception as exc:  # a crawl logs a callback's exception and goes on; so do we
            result.error = True
            self._fault(page.url, "extraction_failed", 200, f"{type(exc).__name__}: {exc}")
            return
        for output in outputs:
            if isinstance(output, Request):
                if output.callback == self.spider.parse_detail:
                    result.listed.append((output.url, dict(output.cb_kwargs)))
                continue  # never fetched
            result.items_seen += 1
            try:
                item = self.validate.process_item(output)
            except DropItem:
                result.refused.append(article_url(output["url"], output.get("entry_key")))
                continue
            result.items.append(dict(self.normalise.process_item(item)))
        if not is_listing and not result.items_seen:
            result.no_item = True
            if (request.meta.get("encoding") or {}).get("undecodable"):
                self._fault(page.url, "undecodable", 200, "no encoding decodes it cleanly")
            else:
                self._fault(page.url, "extraction_failed", 200, "the page gave no item")


# -- worker processes ----------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _worker_start(db_path: str, profile: Profile) -> None:
    # A connection of its own, read-only; the parent's (inherited by fork) is never touched.
    _WORKER["conn"] = sqlite3.connect(f"{Path(db_path).as_uri()}?mode=ro", uri=True)
    _WORKER["extractor"] = Extractor(profile)


def _worker_extract(
    tasks: list[tuple[int, dict[str, Any] | None]],
) -> tuple[list[PageResult], Counter[str]]:
    extractor: Extractor = _WORKER["extractor"]
    pages = load_pages(_WORKER["conn"], [page_id for page_id, _ in tasks])
    results = [extractor.extract(p, kw) for p, (_, kw) in zip(pages, tasks, strict=True)]
    return results, extractor.take_stats()


Task = tuple[int, "dict[str, Any] | None"]


def _date_bases(profile: Profile) -> dict[str, datetime]:
    from tjcrawl.fixture_server import default_fixtures_dir
    from tjcrawl.fixtures import fixture_date_bases

    try:
        return fixture_date_bases([profile], default_fixtures_dir())
    except ValueError:
        return {}  # no usable capture time: the pages' own fetch times, as for a web source
