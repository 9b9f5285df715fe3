"""The one spider class; each profile becomes a subclass of it (see tjcrawl.spiders)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from tjcrawl.dates import SHANGHAI
from tjcrawl.extract import body_html_and_paragraphs, field_text, field_values
from tjcrawl.items import ArticleItem
from tjcrawl.profiles import Profile


class ProfileSpider(scrapy.Spider):
    """Walks a profile's listings and detail pages, yielding raw strings only."""

    profile: ClassVar[Profile]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.profile.allowed_domains)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[scrapy.Request]:
        for url in self.profile.start_urls:
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                cb_kwargs={"page": 1, "first_url": url},
                meta={"page_kind": "listing"},
            )

    def _inc(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(f"tjcrawl/{key}", count)

    def parse_listing(
        self, response: Response, page: int, first_url: str
    ) -> Iterator[scrapy.Request | ArticleItem]:
        listing = self.profile.listing
        entries = response.xpath(listing.entries.xpath)
        self._inc("listing_pages")
        self._inc("listing_entries", len(entries))
        if not entries:
            self._inc("listing_pages_without_entries")
            self.logger.warning(
                "%s: listing.entries matched nothing on %s", self.profile.slug, response.url
            )
        for entry in entries:
            listed = {
                "listing_url": response.url,
                "listing_title": field_text(entry, listing.title),
                "listing_date": field_text(entry, listing.date),
            }
            if self.profile.carries_articles:
                yield self._article_from_entry(response, entry, listed)
                continue
            links = field_values(entry, listing.link) if listing.link else []
            if not links:
                self._inc("missing/listing.link")
                continue
            yield response.follow(
                links[0], callback=self.parse_detail, cb_kwargs=listed, meta={"page_kind": "detail"}
            )
        if entries:
            next_url = self._next_page(response, page, first_url)
            if next_url:
                yield scrapy.Request(
                    next_url,
                    callback=self.parse_listing,
                    cb_kwargs={"page": page + 1, "first_url": first_url},
                    meta={"page_kind": "listing"},
                )

    def _next_page(self, response: Response, page: int, first_url: str) -> str | None:
        pagination = self.profile.pagination
        if pagination is None or page >= pagination.max_pages:
            return None
        if pagination.next is not None:
            links = field_values(response.selector, pagination.next)
            return response.urljoin(links[0]) if links else None
        assert pagination.template is not None
        return urljoin(first_url, pagination.template.format(n=pagination.first + page - 1))

    def _article_from_entry(
        self, response: Response, entry: scrapy.Selector, listed: dict[str, Any]
    ) -> ArticleItem:
        listing = self.profile.listing
        assert listing.body is not None
        body_html, paragraphs = body_html_and_paragraphs(entry, listing.body, listing.boilerplate)
        title = listed["listing_title"]
        links = field_values(entry, listing.link) if listing.link else []
        if links:
            url, entry_key = response.urljoin(links[0]), None
        else:
            # No page of its own: identify the entry by its title under the source's first
            # listing, which stays stable when the entry moves to a later listing page.
            digest = hashlib.sha1((title or "").encode("utf-8")).hexdigest()[:16]
            url, entry_key = self.profile.start_urls[0], f"entry-{digest}"
        return self._item(
            response,
            url=url,
            entry_key=entry_key,
            title=title,
            date_text=listed["listing_date"],
            body_html=body_html,
            body="\n".join(paragraphs),
            origin=field_text(entry, listing.origin),
            author=field_text(entry, listing.author),
            **listed,
        )

    def parse_detail(self, response: Response, **listed: Any) -> Iterator[ArticleItem]:
        detail = self.profile.detail
        assert detail is not None
        sel = response.selector
        body_html, paragraphs = body_html_and_paragraphs(sel, detail.body, detail.boilerplate)
        yield self._item(
            response,
            url=response.url,
            title=field_text(sel, detail.title),
            date_text=field_text(sel, detail.date),
            body_html=body_html,
            body="\n".join(paragraphs),
            origin=field_text(sel, detail.origin),
            author=field_text(sel, detail.author),
            **listed,
        )

    def _item(self, response: Response, **fields: Any) -> ArticleItem:
        fetched_at = response.meta.get("fetched_at") or datetime.now(SHANGHAI).isoformat()
        return ArticleItem(
            source=self.profile.slug,
            page_url=response.url,
            fetched_at=fetched_at,
            encoding=response.meta.get("encoding"),
            **fields,
        )
