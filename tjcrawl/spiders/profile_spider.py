"""The one spider class; each profile becomes a subclass of it (see tjcrawl.spiders).

It extracts raw strings only. When the archive pipeline gives it a frontier, it asks the
frontier which detail pages to fetch and when to stop paging; without one it fetches all.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from tjcrawl import clock
from tjcrawl.blocking import BLOCKED_RECORDED
from tjcrawl.entry_keys import EntryKeys
from tjcrawl.extract import (
    Node,
    attachment_links,
    body_html_and_paragraphs,
    field_text,
    field_values,
    select,
)
from tjcrawl.extract.fallback import body_html as generic_body_html
from tjcrawl.extract.fallback import generic_fields
from tjcrawl.extract.generic import extract_article
from tjcrawl.faults import (
    LOSS_OF_PAGE,
    LOST_ARTICLE,
    LOST_ATTACHMENT,
    attachment_unkept,
    classify,
    report_fault,
)
from tjcrawl.frontier import CHANGED, KNOWN, NEW, Frontier, article_url
from tjcrawl.items import ArticleItem
from tjcrawl.middlewares import INCOMPLETE
from tjcrawl.profiles import GENERIC_FIELDS, Profile
from tjcrawl.recorders import OFFSITE_RECORDED
from tjcrawl.text import parser_stopped_early
from tjcrawl.urls import resolve_link

TOO_LARGE = "too_large"  # the fault kind and the attachment state of a file over a cap
#: The fault of a page on which a detail selector matched nothing and the generic extractor
#: stood in for it.
SELECTOR_MISSED = "selector_missed"
#: Each detail field and the item key its raw string goes to.
_DETAIL_KEYS = {
    "title": "title",
    "date": "date_text",
    "body": "body",
    "origin": "origin",
    "author": "author",
}
LISTING_STATUSES = [304]
NEWS = (NEW, CHANGED)  # what makes a listing page worth reading on from
DETAIL_STATUSES = [304, 404, 410]
QUIET_META = "tjcrawl_quiet_pages"


def base_url(response: Response) -> str:
    """What a relative link on the page is relative to: its <base href>, else its own URL."""
    return get_base_url(response) if isinstance(response, TextResponse) else response.url


class ProfileSpider(scrapy.Spider):
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

    # -- listings -----------------------------------------------------------------------
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

    # -- detail pages -------------------------------------------------------------------
    def parse_verification(self, response: Response, **listed: Any) -> Iterator[Any]:
        """A page answered 304, fetched again unconditionally: the same bytes as stored, or
        a server whose 304s hide changes (fault stale_304; its 304s are not believed again)."""
        expected = response.meta.get("stored_sha256")
        if response.status == 200 and expected:
            if hashlib.sha256(response.body).hexdigest() == expected:
                return  # as stored: the 304 told the truth, and the article is as archived
            self._inc("stale_304")
            self._fault(
                response.url,
                "stale_304",
                200,
                "answered 304 to a conditional GET, but the page has changed since the stored "
                "copy: the source is fetched without validators from now on",
            )
            assert self.frontier is not None
            self.frontier.distrust_304()
        yield from self.parse_detail(response, **listed)

    def parse_detail(
        self, response: Response, **listed: Any
    ) -> Iterator[ArticleItem | scrapy.Request]:
        if response.status == 304 and self.frontier and self.frontier.take_verification():
            yield self._verification_request(response, listed)
        if response.status != 200:
            # 304 and 404/410 are the archive's business (unchanged, withdrawn); a missing
            # page that was never archived is a fault.
            if response.status in (404, 410) and (
                self.frontier is None or article_url(response.url) not in self.frontier.known
            ):
                self._fault(
                    response.url, f"http_{response.status}", response.status, lost=LOST_ARTICLE
                )
            return
        if not response.body or response.meta.get("encoding", {}).get("undecodable"):
            return  # already reported as empty_body / undecodable: no article to extract
        detail = self.profile.detail
        assert detail is not None
        sel = response.selector
        self._check_depth(response)
        attachments = attachment_links(
            sel, response.url, detail.attachments, detail.body, self._bad_attachment(response)
        )
        fields = {
            "title": field_text(sel, detail.title),
            "date_text": field_text(sel, detail.date),
            "origin": field_text(sel, detail.origin),
            "author": field_text(sel, detail.author),
        }
        # Last, because it cuts the boilerplate out of the page's own tree.
        body_html, paragraphs = (
            body_html_and_paragraphs(
                sel,
                detail.body,
                detail.boilerplate,
                in_place=True,
                on_emptied=self._boilerplate_emptied(response),
            )
            if detail.body is not None
            else (None, [])
        )
        fields |= {"body_html": body_html, "body": "\n".join(paragraphs)}
        sources = {name: "profile" for name, key in _DETAIL_KEYS.items() if fields[key]}
        wanted = [
            name
            for name in GENERIC_FIELDS
            if name not in sources and (name in detail.generic or getattr(detail, name) is not None)
        ]
        if wanted:
            # The page's HTML tree, unless the profile's body was cut out of it in place.
            tree = sel.root if body_html is None and sel.type == "html" else None
            attachments = self._fill_generic(response, wanted, fields, sources, attachments, tree)
        yield from self._attachment_requests(attachments, response.url)
        yield self._item(
            response,
            attachments=attachments,
            url=response.url,
            field_sources=sources,
            **fields,
            **listed,
        )

    def _fill_generic(
        self,
        response: Response,
        wanted: list[str],
        fields: dict[str, Any],
        sources: dict[str, str],
        attachments: list[dict[str, str]],
        tree: Any | None = None,
    ) -> list[dict[str, str]]:
        """Fill `wanted` fields from the generic extractor: those the profile leaves to it, and
        those whose selector matched nothing on this page, which are counted (the run reports
        the selector broken) but cost no article. The attachments, when the body is its.
        `tree`, the response's parsed page if still whole, spares the extractor a parse."""
        detail = self.profile.detail
        assert detail is not None
        fetched = response.meta.get("fetched_at")
        fetched_at = datetime.fromisoformat(fetched) if fetched else clock.now()
        if isinstance(response, TextResponse):
            text: str | bytes = response.text
        else:
            text, tree = response.body, None
        article = extract_article(text, response.url, fetched_at=fetched_at, tree=tree)
        found = generic_fields(article, fetched_at)
        stood_in = []  # fields whose selector matched nothing here
        for name in wanted:
            value = found[name]
            if not value:
                continue
            if name == "body":
                fields["body"], fields["body_html"] = "\n".join(value), generic_body_html(value)
                if detail.attachments is None:
                    attachments = [
                        {"url": url, "text": a["text"]}
                        for a in article.attachments
                        if (url := self._link(response, a["url"], "attachments"))
                    ]
            else:
                fields[_DETAIL_KEYS[name]] = value
            sources[name] = "generic"
            if name not in detail.generic:
                self._inc(f"generic/{name}")
                stood_in.append(f"detail.{name}")
        if stood_in:
            # One row per page, so that `tjcrawl failures --save-fixtures` can make the page a
            # fixture for the fix of the selector.
            self._fault(
                response.url,
                SELECTOR_MISSED,
                response.status,
                f"{', '.join(stood_in)} matched nothing; the generic extractor filled "
                + ("it" if len(stood_in) == 1 else "them"),
            )
        return attachments

    def _bad_attachment(self, response: Response) -> Callable[[str, str], None]:
        return lambda href, reason: self._bad_link(response.url, href, "attachments", reason)

    def _attachment_requests(
        self, attachments: list[dict[str, str]], page_url: str
    ) -> Iterator[scrapy.Request]:
        """Requests for the files an article links, through the same downloader as pages
        (robots.txt, per-host limits, delays): none for a file already kept (TRS names a
        file per upload), none past the per-article count (each of those a fault)."""
        crawler = getattr(self, "crawler", None)
        if crawler is None or not crawler.settings.getbool("TJCRAWL_ATTACHMENTS"):
            return
        cap = crawler.settings.getint("TJCRAWL_ATTACHMENT_MAX_BYTES")
        most = crawler.settings.getint("TJCRAWL_ATTACHMENTS_PER_ARTICLE")
        for n, attachment in enumerate(attachments, 1):
            url = attachment["url"]
            if self.frontier is not None and self.frontier.attachment_known(url):
                self._inc("attachments_known")
                continue
            if most and n > most:
                detail = (
                    f"attachment {n} of {len(attachments)} on {page_url}: over"
                    f" TJCRAWL_ATTACHMENTS_PER_ARTICLE = {most}, not fetched"
                )
                self._fault(url, TOO_LARGE, None, detail, lost=LOST_ATTACHMENT)
                self._unkept(url, None, detail)
                continue
            yield scrapy.Request(
                url,
                callback=self.parse_attachment,
                errback=self.on_error,
                meta={"page_kind": "attachment", "download_maxsize": cap},
            )

    def _unkept(self, url: str, status: int | None, detail: str) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(
                signal=attachment_unkept, url=url, state=TOO_LARGE, status=status, detail=detail
            )

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        return iter(())  # the archive pipeline keeps the bytes as they arrive

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
