"""The whole proposal: the listing, its pagination, then the detail pages, then a trial run."""

from __future__ import annotations

from urllib.parse import urlsplit

from tjcrawl.extract.infer_common import (
    AUTHOR_LABELS,
    CLEANED_AUTHOR_LABELS,
    CLEANED_ORIGIN_LABELS,
    ORIGIN_LABELS,
    FieldChoice,
    ident,
)
from tjcrawl.extract.infer_dates import detail_date, detail_labelled
from tjcrawl.extract.infer_detail import Sample, detail_body, detail_title
from tjcrawl.profiles import ProfileError
from tjcrawl.source_check import FetchError, Page, spread
from tjcrawl.source_new.listing import (
    entries_selector,
    entry_groups,
    entry_groups_like,
    listing_fields,
)
from tjcrawl.source_new.pages import Fetch, load_doc
from tjcrawl.source_new.pagination import pagination
from tjcrawl.source_new.proposal import Proposal, slug_for
from tjcrawl.text import fold_space


# -- the whole proposal ---------------------------------------------------------------------------
def propose(
    listing_url: str,
    fetch: Fetch,
    *,
    slug: str | None = None,
    detail_pages: int = 3,
    trial: bool = True,
) -> Proposal:
    """A profile for the listing at ``listing_url``, fetched with ``fetch``.

    Each page is fetched once: the trial run re-reads the pages the inference fetched.
    """
    fetch = _once(fetch)
    doc = load_doc(fetch, listing_url)
    if doc is None:
        raise ValueError(f"{listing_url}: the listing page could not be fetched")
    title = fold_space(" ".join(doc.root.xpath("//title//text()"))) or listing_url
    host = (urlsplit(listing_url).hostname or "").lower()
    proposal = Proposal(slug or slug_for(listing_url), title, listing_url, [host])
    groups = entry_groups(doc)
    if not groups:
        raise ValueError(f"{listing_url}: no repeated entries with links or text found")
    group = groups[0]
    if len(groups) > 1 and groups[1].score > 0.8 * group.score:
        proposal.unsure.append(
            "listing.entries: another repeated block scored nearly as high "
            f"({ident(groups[1].parent).strip()})"
        )
    entries = entries_selector(doc, group)
    proposal.listing["entries"] = FieldChoice(
        entries, note=f"{len(group.members)} entries on the first page"
    )
    listing_fields(doc, group, proposal)
    second = pagination(doc, entries, fetch, proposal)

    if group.mode == "links":
        picked = [m for m in group.members if m.link]
        if second is not None and len(picked) < detail_pages:
            more = entry_groups_like(second, entries)
            picked += more
        samples: list[Sample] = []
        for member in spread(picked, detail_pages):
            assert member.link is not None
            page = load_doc(fetch, member.link.url)
            if page is None:
                proposal.unsure.append(f"detail page {member.link.url} could not be fetched")
                continue
            host_ = (urlsplit(page.url).hostname or "").lower()
            if host_ and host_ not in proposal.allowed_domains:
                proposal.allowed_domains.append(host_)
            samples.append(Sample(page, member.title or None))
            proposal.sample_urls.append(page.url)
        if not samples:
            raise ValueError(f"{listing_url}: no detail page could be fetched")
        detail_body(samples, proposal)
        detail_title(samples, proposal)
        detail_date(samples, proposal)
        detail_labelled(samples, proposal, "origin", ORIGIN_LABELS, CLEANED_ORIGIN_LABELS)
        detail_labelled(samples, proposal, "author", AUTHOR_LABELS, CLEANED_AUTHOR_LABELS)
        # the body first in the TOML reads oddly: title, date, origin, author, body
        order = ["title", "date", "origin", "author", "body"]
        proposal.detail = {k: proposal.detail[k] for k in order if k in proposal.detail}
    try:
        profile = proposal.profile()
    except ProfileError as exc:
        raise ValueError(f"the proposed profile does not load: {exc}") from None
    if trial:
        from tjcrawl.source_check import field_results, walk

        result = walk(profile, fetch, max_listing_pages=2, max_detail_pages=detail_pages)
        proposal.trial = field_results(profile, result)
    return proposal


def _once(fetch: Fetch) -> Fetch:
    pages: dict[str, Page | FetchError] = {}

    def fetch_once(url: str) -> Page:
        if url not in pages:
            try:
                pages[url] = fetch(url)
            except FetchError as exc:
                pages[url] = exc
        result = pages[url]
        if isinstance(result, FetchError):
            raise result
        return result

    return fetch_once
