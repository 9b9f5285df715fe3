"""The one spider class; each profile becomes a subclass of it (see tjcrawl.spiders).

It extracts raw strings only. When the archive pipeline gives it a frontier, it asks the
frontier which detail pages to fetch and when to stop paging; without one it fetches all.
Its listing pages are read in tjcrawl.spiders.listing, its detail pages in
tjcrawl.spiders.detail, the files an article links in tjcrawl.spiders.attachments; this module
keeps what they share: the requests, the counts and faults, the items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from tjcrawl import clock
from tjcrawl.blocking import BLOCKED_RECORDED
from tjcrawl.entry_keys import EntryKeys
from tjcrawl.faults import LOSS_OF_PAGE, classify, report_fault
from tjcrawl.frontier import Frontier, article_url
from tjcrawl.items import ArticleItem
from tjcrawl.middlewares import INCOMPLETE
from tjcrawl.profiles import Profile
from tjcrawl.recorders import OFFSITE_RECORDED
from tjcrawl.spiders.attachments import TOO_LARGE, AttachmentRequests
from tjcrawl.spiders.detail import SELECTOR_MISSED, DetailPages
from tjcrawl.spiders.listing import NEWS, QUIET_META, ListingPages
from tjcrawl.text import parser_stopped_early
from tjcrawl.urls import resolve_link

__all__ = ["NEWS", "QUIET_META", "SELECTOR_MISSED", "TOO_LARGE", "ProfileSpider", "base_url"]

LISTING_STATUSES = [304]
DETAIL_STATUSES = [304, 404, 410]


def base_url(response: Response) -> str:
    """What a relative link on the page is relative to: its <base href>, else its own URL."""
    return get_base_url(response) if isinstance(response, TextResponse) else response.url


class ProfileSpider(ListingPages, DetailPages, AttachmentRequests, scrapy.Spider):
    """Walks a profile's listings and detail pages, yielding raw strings only."""

    profile: ClassVar[Profile]
    frontier: Frontier | None = None
    frontier_unavailable = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.profile.allowed_domains)
        self._entry_keys = EntryKeys()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.frontier_unavailable:
            return  # a distributed worker that could not get its frontier: it stops
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[scrapy.Request]:
        for url in self.profile.start_urls:
            yield self._listing_request(url, page=1, first_url=url)
        if self.frontier is not None and not self.profile.carries_articles:
            for url in self.frontier.due:
                entry = self.frontier.known[url]
                yield self._detail_request(
                    url,
                    {
                        "listing_url": None,
                        "listing_title": entry.listing_title,
                        "listing_date": entry.listing_date,
                    },
                )

    # -- requests -----------------------------------------------------------------------
    def _listing_request(
        self, url: str, page: int, first_url: str, conditional: bool = True, quiet: int = 0
    ) -> scrapy.Request:
        headers = (
            self.frontier.conditional_headers(url, listing=True)
            if self.frontier is not None and conditional
            else {}
        )
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            headers=headers,
            cb_kwargs={"page": page, "first_url": first_url},
            meta={
                "page_kind": "listing",
                "handle_httpstatus_list": LISTING_STATUSES,
                # Quiet listing pages in a row before this one, in this walk (Frontier.walk_on)
                QUIET_META: quiet,
            },
            dont_filter=not conditional,
        )

    def _detail_request(self, url: str, listed: dict[str, Any]) -> scrapy.Request:
        # Only an archived article may be answered with a 304: a page stored by a run that
        # died before storing its article must be fetched whole again.
        known = self.frontier is not None and article_url(url) in self.frontier.known
        headers = (
            self.frontier.conditional_headers(url, listing=False)
            if self.frontier is not None and known
            else {}
        )
        return scrapy.Request(
            url,
            callback=self.parse_detail,
            errback=self.on_error,
            headers=headers,
            cb_kwargs=listed,
            meta={"page_kind": "detail", "handle_httpstatus_list": DETAIL_STATUSES},
        )

    def _verification_request(self, response: Response, listed: dict[str, Any]) -> scrapy.Request:
        """The page a 304 just vouched for, fetched whole, to compare with the stored copy."""
        assert self.frontier is not None
        stored = self.frontier.newest_copy(response.url)
        return scrapy.Request(
            response.url,
            callback=self.parse_verification,
            errback=self.on_error,
            cb_kwargs=listed,
            meta={
                "page_kind": "detail",
                "handle_httpstatus_list": DETAIL_STATUSES,
                "stored_sha256": stored[1] if stored else None,
            },
            dont_filter=True,
        )

    def _inc(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(f"tjcrawl/{key}", count)

    def _fault(
        self,
        url: str,
        kind: str,
        status: int | None = None,
        detail: str = "",
        *,
        lost: str | None = None,
    ) -> None:
        report_fault(getattr(self, "crawler", None), url, kind, status, detail, lost=lost)

    def _boilerplate_emptied(self, response: Response) -> Callable[[str], None]:
        def report(rule: str) -> None:
            self._fault(
                response.url,
                "boilerplate_emptied_body",
                response.status,
                f"boilerplate rule {rule} would remove the whole body; skipped on this page",
            )

        return report

    def _link(self, response: Response, href: str, field: str) -> str | None:
        """The URL a link on this page leads to; None, and a fault, when it leads nowhere the
        crawler can go. One bad link costs its own entry, never the rest of the walk."""
        try:
            return resolve_link(base_url(response), href)
        except ValueError as exc:
            self._bad_link(response.url, href, field, exc)
            return None

    def _bad_link(self, page_url: str, href: str, field: str, reason: object) -> None:
        self._fault(page_url, "bad_link", detail=f"{field} {href!r}: {reason}")

    def _check_depth(self, response: Response) -> None:
        if parser_stopped_early(response.selector.root):
            self._fault(
                response.url,
                "too_deep",
                response.status,
                "elements nest deeper than the HTML parser reads; the text past that is lost",
            )

    def _item(self, response: Response, **fields: Any) -> ArticleItem:
        fetched_at = response.meta.get("fetched_at") or clock.now().isoformat()
        return ArticleItem(
            source=self.profile.slug,
            page_url=response.url,
            fetched_at=fetched_at,
            encoding=response.meta.get("encoding"),
            incomplete=response.meta.get(INCOMPLETE),
            **fields,
        )

    # -- failures -----------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        """A page that could not be had, after every retry: its fault, and what it cost."""
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get(OFFSITE_RECORDED) or request.meta.get(BLOCKED_RECORDED):
            return  # recorded (and counted) where it was filtered
        kind, status, detail = classify(failure)
        page_kind = request.meta.get("page_kind")
        if page_kind == "attachment" and kind == TOO_LARGE:
            cap = request.meta.get("download_maxsize")
            # Scrapy cancels a stream past its cap with an exception that says nothing.
            said = detail.split(":", 1)[1].strip() if ":" in detail else ""
            detail = f"over TJCRAWL_ATTACHMENT_MAX_BYTES ({cap} bytes): cut off, not kept" + (
                f" ({said})" if said else ""
            )
            self._unkept(request.url, status, detail)
        page = request.cb_kwargs.get("page", 1)
        is_listing = page_kind == "listing"
        if isinstance(failure.value, HttpError) and is_listing and page > 1 and status == 404:
            return  # index_N.html past the last page: the normal end of a template listing
        self._fault(request.url, kind, status, detail, lost=LOSS_OF_PAGE.get(page_kind or ""))
