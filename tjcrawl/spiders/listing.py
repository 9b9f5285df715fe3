"""The spider's listing pages: their entries, the frontier's say on each, the next page; and
in articles mode (a listing that carries its articles) the articles themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from tjcrawl.entry_keys import EntryKeys
from tjcrawl.extract import (
    Node,
    attachment_links,
    body_html_and_paragraphs,
    field_text,
    field_values,
    select,
)
from tjcrawl.frontier import CHANGED, KNOWN, NEW, Frontier, article_url
from tjcrawl.items import ArticleItem
from tjcrawl.profiles import Profile
from tjcrawl.spiders.parsed_tree import releases_parsed_tree
from tjcrawl.urls import resolve_link

NEWS = (NEW, CHANGED)  # what makes a listing page worth reading on from
QUIET_META = "tjcrawl_quiet_pages"


class ListingPages:
    """ProfileSpider's listing side (a mixin: the requests, counts and faults are the
    spider's own, in tjcrawl.spiders.profile_spider)."""

    profile: ClassVar[Profile]
    frontier: Frontier | None
    _entry_keys: EntryKeys

    # -- listings -----------------------------------------------------------------------
    @releases_parsed_tree
    def parse_listing(
        self, response: Response, page: int, first_url: str
    ) -> Iterator[scrapy.Request | ArticleItem]:
        if response.status == 304:
            # Unchanged since the last run: its stored copy is read instead, at no cost to the
            # site. Its entries are checked against the archive all the same (one that failed
            # last time is not known), and the walk finds its next page there.
            self._inc("listing_pages_not_modified")
            stored = self._stored_copy(response)
            if stored is None:
                yield self._listing_request(
                    response.url,
                    page,
                    first_url,
                    conditional=False,
                    quiet=response.meta.get(QUIET_META, 0),
                )
                return
            if self.profile.carries_articles:
                yield from self._unarchived_only(self.parse_listing(stored, page, first_url))
                return
            response = stored
        listing = self.profile.listing
        # Counted before its fields are read: a page whose extraction fails was still fetched.
        self._inc("listing_pages")
        if listing.format == "json":
            root = scrapy.Selector(text=response.text, type="json")
        else:
            root = response.selector
            self._check_depth(response)
        entries = select(root, listing.entries)
        self._inc("listing_entries", len(entries))
        if not entries:
            self._inc("listing_pages_without_entries")
            self.logger.warning(
                "%s: listing.entries matched nothing on %s", self.profile.slug, response.url
            )
        followed = 0
        for entry in entries:
            listed = {
                "listing_url": response.url,
                "listing_title": field_text(entry, listing.title),
                "listing_date": field_text(entry, listing.date),
            }
            if self.profile.carries_articles:
                for result in self._articles_from_entry(response, entry, listed):
                    if isinstance(result, ArticleItem):
                        key = article_url(result["url"], result.get("entry_key"))
                        followed += self._decide(key, listed) in NEWS
                    yield result
                continue
            links = field_values(entry, listing.link) if listing.link else []
            if not links:
                self._inc("missing/listing.link")
                continue
            url = self._link(response, links[0], "listing.link")
            if url is None:
                continue
            decision = self._decide(article_url(url), listed)
            if decision == KNOWN:
                self._inc("entries_skipped_known")
                continue
            # A revisit that fell due is no news of the listing: the walk may stop after it.
            followed += decision in NEWS
            yield self._detail_request(url, listed)
        if not entries:
            return
        quiet = 0
        if self.frontier is not None:
            walked = self.frontier.walk_on(followed == 0, response.meta.get(QUIET_META, 0))
            if walked is None:
                self._inc("listing_walk_stopped_early")
                return
            quiet = walked
        next_url = self._next_page(response, page, first_url)
        if next_url:
            yield self._listing_request(next_url, page + 1, first_url, quiet=quiet)

    def _unarchived_only(self, results: Iterator[Any]) -> Iterator[Any]:
        """A listing's articles read from its stored copy, less those archived as they are
        (with their attachments): the 304 vouches for them, and storing them again would
        only repeat the attachments' downloads every night."""
        attachments: list[scrapy.Request] = []
        for result in results:
            if isinstance(result, ArticleItem):
                key = article_url(result["url"], result.get("entry_key"))
                listed = {f: result.get(f) for f in ("listing_title", "listing_date")}
                if self._decide(key, listed) != KNOWN:
                    yield from attachments
                    yield result
                attachments = []
            elif isinstance(result, scrapy.Request) and (
                result.meta.get("page_kind") == "attachment"
            ):
                attachments.append(result)
            else:
                yield result

    def _stored_copy(self, response: Response) -> Response | None:
        """The newest stored copy of a page, as the downloader would have handed it over."""
        # Imported here: re-extraction's module is heavy and imports the pipelines.
        from tjcrawl.reextract import page_response

        if self.frontier is None or response.request is None:
            return None
        page = self.frontier.stored_page(response.url)
        if page is None:
            return None
        return page_response(page, response.request, self.profile)

    def _decide(self, key: str, listed: dict[str, Any]) -> str:
        if self.frontier is None:
            return "new"
        return self.frontier.decide(key, listed["listing_title"], listed["listing_date"])

    def _next_page(self, response: Response, page: int, first_url: str) -> str | None:
        pagination = self.profile.pagination
        if pagination is None:
            return None
        if pagination.next is not None:
            root = (
                scrapy.Selector(text=response.text, type="json")
                if self.profile.listing.format == "json"
                else response.selector
            )
            links = field_values(root, pagination.next)
            next_url = self._link(response, links[0], "pagination.next") if links else None
        else:
            assert pagination.template is not None
            template = pagination.template.format(n=pagination.first + page - 1)
            try:
                next_url = resolve_link(first_url, template)
            except ValueError as exc:
                self._bad_link(response.url, template, "pagination.template", exc)
                next_url = None
        if next_url and page >= pagination.max_pages:
            # Endless pagination (calendars, search pages) ends here, and says so.
            self._fault(next_url, "pagination_cap", detail=f"max_pages = {pagination.max_pages}")
            return None
        return next_url

    def _articles_from_entry(
        self, response: Response, entry: Node, listed: dict[str, Any]
    ) -> Iterator[ArticleItem | scrapy.Request]:
        listing = self.profile.listing
        assert listing.body is not None
        body_html, paragraphs = body_html_and_paragraphs(entry, listing.body, listing.boilerplate)
        title = listed["listing_title"]
        links = field_values(entry, listing.link) if listing.link else []
        # An entry whose link leads nowhere still carries its article: it is kept, under the
        # identity of an entry without a link.
        link = self._link(response, links[0], "listing.link") if links else None
        if link is not None:
            url, entry_key = link, None
        else:
            # No page of its own: identified under the source's first listing by its title and
            # date (tjcrawl.entry_keys), which hold when it moves to a later listing page.
            body = "\n".join(paragraphs)
            entry_key = self._entry_keys.key(title, listed["listing_date"], body)
            url = self.profile.start_urls[0]
        attachments = attachment_links(
            entry, response.url, listing.attachments, listing.body, self._bad_attachment(response)
        )
        yield from self._attachment_requests(attachments, response.url)
        yield self._item(
            response,
            attachments=attachments,
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
