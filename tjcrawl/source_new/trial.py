"""The trial: the proposal run over the sample pages it was drawn from, per field and per
template, and the verdict: `ok` only when the title, the date and the body are found on every
sample page and the body is not most of the page; else `unsure`, with the reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tjcrawl.profiles import Profile
from tjcrawl.source_check import FetchError, Page, field_results, page_response, walk
from tjcrawl.source_new.pages import Fetch
from tjcrawl.text import fold_space
from tjcrawl.urls import canonical_url

# A body holding more than this share of the page's text, the headline included, is the page,
# not its article. (A clean page may hold little but its headline and its article: a body of
# 95% of it that leaves the headline out is the article.)
WHOLE_PAGE_SHARE = 0.9


@dataclass
class SampleResult:
    url: str
    template: str
    title: bool
    date: bool
    body: bool
    body_share: float  # the body's share of the page's text
    body_holds_title: bool = False

    @property
    def whole_page(self) -> bool:
        return self.body_share > WHOLE_PAGE_SHARE and self.body_holds_title


def _page_chars(page: Page) -> int:
    response = page_response(page)
    texts = response.xpath(
        "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
    ).getall()
    return len("".join("".join(texts).split()))


def run_trial(
    profile: Profile, fetch: Fetch, sample_urls: list[str], templates: dict[str, str]
) -> tuple[list[Any], list[SampleResult]]:
    """The per-field rows (`source check`'s table) over two listing pages and exactly the
    sampled detail pages, and what the proposal found on each sampled page."""
    wanted = {canonical_url(url) for url in sample_urls}
    # Detail pages other than the samples are not fetched: the trial is about the pages the
    # proposal was drawn from, and a live site is not asked for more.
    listings = walk(profile, fetch, max_listing_pages=2, max_detail_pages=0)
    allowed = wanted | {canonical_url(page.url) for page in listings.pages}

    def only_these(url: str) -> Page:
        if canonical_url(url) not in allowed:
            raise FetchError(url, "not_sampled", "not a sample page")
        return fetch(url)

    result = walk(profile, only_these, max_listing_pages=2)
    rows = field_results(profile, result)
    items = {item["url"]: item for item in result.items}
    pages = {canonical_url(page.url): page for page in result.pages}
    found = []
    for url in sample_urls:
        key = canonical_url(url)
        item = items.get(key, {})
        page = pages.get(key)
        body = "".join((item.get("body") or "").split())
        title = "".join((item.get("title") or "").split())
        total = _page_chars(page) if page is not None and page.status == 200 else 0
        found.append(
            SampleResult(
                url,
                templates.get(url, "A"),
                bool(fold_space(item.get("title") or "")),
                bool(item.get("published_at")),
                bool(body),
                len(body) / total if total else 0.0,
                bool(title) and title in body,
            )
        )
    return rows, found


def template_lines(results: list[SampleResult]) -> list[str]:
    """One line per template: on how many of its pages each field was found."""
    lines = []
    for template in sorted({r.template for r in results}):
        mine = [r for r in results if r.template == template]
        n = len(mine)
        share = max((r.body_share for r in mine), default=0.0)
        lines.append(
            f"  template {template} ({n} page{'s' if n > 1 else ''}, e.g. {mine[0].url}): "
            f"title {sum(r.title for r in mine)}/{n}, date {sum(r.date for r in mine)}/{n}, "
            f"body {sum(r.body for r in mine)}/{n} (at most {share:.0%} of the page's text)"
        )
    return lines


def verdict(results: list[SampleResult]) -> tuple[str, list[str]]:
    reasons = []
    if not results:
        reasons.append("no sample page to try the proposal on")
    for name in ("title", "date", "body"):
        missing = [r.url for r in results if not getattr(r, name)]
        if missing:
            reasons.append(
                f"no {name} on {len(missing)} of {len(results)} sample pages ({missing[0]})"
            )
    whole = [r for r in results if r.body and r.whole_page]
    if whole:
        reasons.append(
            f"the body is {whole[0].body_share:.0%} of the page's text on {len(whole)} of "
            f"{len(results)} sample pages ({whole[0].url}), the headline with it: the whole "
            "page, not the article"
        )
    return ("unsure" if reasons else "ok"), reasons
