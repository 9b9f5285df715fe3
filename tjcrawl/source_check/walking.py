"""Walking a profile over a few pages: listings, then detail pages spread over them, parsed by
the profile's spider and passed through the crawl's item pipelines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import Response

from tjcrawl.blocking import Block, recognise
from tjcrawl.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline
from tjcrawl.profiles import Profile
from tjcrawl.source_check.fetching import FetchError, Page, _host_allowed, page_response

LIVE_LISTING_PAGES = 2
LIVE_DETAIL_PAGES = 3


# -- walking a profile over a few pages -----------------------------------------------------------
@dataclass
class Walk:
    """What a bounded run of a profile over some pages fetched, parsed and produced."""

    listings: list[tuple[Response, int]] = field(default_factory=list)  # (response, page n)
    details: list[Response] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)  # every page fetched, in order
    items: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "url: problem"
    detail_links: int = 0  # detail links found on the listing pages walked
    blocked: list[tuple[str, Block]] = field(default_factory=list)  # (url, block page)


def spread(values: list[Any], count: int) -> list[Any]:
    """``count`` values evenly spread over the list: first, middle …, last."""
    if count <= 0 or not values:
        return []
    if len(values) <= count:
        return list(values)
    if count == 1:
        return [values[0]]
    picks = sorted({round(i * (len(values) - 1) / (count - 1)) for i in range(count)})
    return [values[i] for i in picks]


def walk(
    profile: Profile,
    fetch: Callable[[str], Page],
    *,
    max_listing_pages: int | None = None,
    max_detail_pages: int | None = None,
) -> Walk:
    """Run the profile's spider over listing pages first, then (some of) their detail pages.

    Unbounded, this visits what tjcrawl.fixtures.offline_crawl visits; bounded, the detail
    pages are spread over the links found (first, middle, last).
    """
    from tjcrawl.spiders import spider_class

    spider = spider_class(profile)()
    result = Walk()
    validate, dedup = ValidatePipeline(), DeduplicatePipeline()
    normalise = NormalisePipeline({profile.slug: profile})
    listing_queue: deque[Request] = deque(spider.initial_requests())
    seen = {r.url for r in listing_queue}
    detail_requests: list[Request] = []

    def get(request: Request) -> Response | None:
        try:
            page = fetch(request.url)
        except FetchError as exc:
            result.errors.append(str(exc))
            return None
        result.pages.append(page)
        cookies = [v.encode("latin-1", "replace") for v in page.headers.get("Set-Cookie", [])]
        if block := recognise(page.status, cookies, page.body):
            # As in a crawl (tjcrawl.blocking): not a page to extract, nor an HTTP error.
            result.blocked.append((request.url, block))
            return None
        if page.status != 200:
            kind = request.meta.get("page_kind")
            first_page = request.cb_kwargs.get("page", 1) == 1
            if not (kind == "listing" and not first_page and page.status == 404):
                result.errors.append(f"{request.url}: HTTP {page.status}")
            return None
        return page_response(page, request, profile)

    def consume(outputs: Iterable[Any]) -> None:
        for output in outputs or ():
            if isinstance(output, Request):
                host = urlsplit(output.url).hostname or ""
                if output.url in seen or not _host_allowed(host, profile.allowed_domains):
                    continue
                seen.add(output.url)
                kind = output.meta.get("page_kind")
                if kind == "listing":
                    listing_queue.append(output)
                elif kind == "detail":
                    detail_requests.append(output)
                continue
            try:
                for stage in (validate, normalise, dedup):
                    output = stage.process_item(output)
            except DropItem as exc:
                result.dropped.append(str(exc))
                continue
            result.items.append(dict(output))

    while listing_queue and (max_listing_pages is None or len(result.listings) < max_listing_pages):
        request = listing_queue.popleft()
        response = get(request)
        if response is None:
            continue
        result.listings.append((response, request.cb_kwargs.get("page", 1)))
        consume(spider.parse_listing(response, **request.cb_kwargs))
    result.detail_links = len(detail_requests)
    chosen = (
        detail_requests if max_detail_pages is None else spread(detail_requests, max_detail_pages)
    )
    for request in chosen:
        response = get(request)
        if response is None:
            continue
        result.details.append(response)
        consume(spider.parse_detail(response, **request.cb_kwargs))
    return result
