"""The spider's detail pages: the profile's fields, the generic extractor where a field is
left to it or its selector matched nothing, and the re-fetch that checks a 304."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse

from tjcrawl import clock
from tjcrawl.extract import attachment_links, body_html_and_paragraphs, field_text
from tjcrawl.extract.fallback import body_html as generic_body_html
from tjcrawl.extract.fallback import generic_fields
from tjcrawl.extract.fields import Matches
from tjcrawl.extract.generic import extract_article
from tjcrawl.faults import LOST_ARTICLE
from tjcrawl.frontier import Frontier, article_url
from tjcrawl.items import ArticleItem
from tjcrawl.profiles import GENERIC_FIELDS, Profile
from tjcrawl.spiders.parsed_tree import releases_parsed_tree

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


class DetailPages:
    """ProfileSpider's detail side (a mixin, like tjcrawl.spiders.listing.ListingPages)."""

    profile: ClassVar[Profile]
    frontier: Frontier | None

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

    @releases_parsed_tree
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
        # Fields that share a selector (a date and an origin on one line; the attachments in
        # the body) evaluate it once.
        memo: Matches = {}
        attachments = attachment_links(
            sel,
            response.url,
            detail.attachments,
            detail.body,
            self._bad_attachment(response),
            memo=memo,
        )
        fields = {
            "title": field_text(sel, detail.title, memo),
            "date_text": field_text(sel, detail.date, memo),
            "origin": field_text(sel, detail.origin, memo),
            "author": field_text(sel, detail.author, memo),
        }
        # Last, because it cuts the boilerplate out of the page's own tree.
        body_html, paragraphs = (
            body_html_and_paragraphs(
                sel,
                detail.body,
                detail.boilerplate,
                in_place=True,
                on_emptied=self._boilerplate_emptied(response),
                memo=memo,
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
