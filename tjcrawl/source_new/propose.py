"""The whole proposal: the listing, its pagination, then the detail pages, then a trial run."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from tjcrawl.extract.infer_common import (
    AUTHOR_LABELS,
    CLEANED_AUTHOR_LABELS,
    CLEANED_ORIGIN_LABELS,
    ORIGIN_LABELS,
    FieldChoice,
    ident,
    value,
)
from tjcrawl.extract.infer_dates import detail_date, detail_labelled
from tjcrawl.extract.infer_detail import Sample, detail_body, detail_title
from tjcrawl.profiles import ProfileError, compile_selector
from tjcrawl.source_check import FetchError, Page
from tjcrawl.source_new.listing import (
    entries_selector,
    entry_groups,
    entry_groups_like,
    listing_fields,
    member_date,
)
from tjcrawl.source_new.pages import Fetch, load_doc
from tjcrawl.source_new.pagination import pagination
from tjcrawl.source_new.proposal import Proposal, slug_for
from tjcrawl.source_new.sampling import Sampling, pick_samples
from tjcrawl.source_new.trial import run_trial, verdict
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
        later = entry_groups_like(second, entries) if second is not None else []
        sampling = pick_samples(group.members, later, listing_url, detail_pages)
        samples = _fetch_samples(sampling, fetch, proposal)
        if not samples:
            raise ValueError(f"{listing_url}: no detail page could be fetched")
        body = detail_body(samples, proposal)
        detail_title(samples, proposal)
        detail_date(samples, proposal)
        detail_labelled(samples, proposal, "origin", ORIGIN_LABELS, CLEANED_ORIGIN_LABELS)
        detail_labelled(samples, proposal, "author", AUTHOR_LABELS, CLEANED_AUTHOR_LABELS)
        # the body first in the TOML reads oddly: title, date, origin, author, body
        order = ["title", "date", "origin", "author", "body"]
        proposal.detail = {k: proposal.detail[k] for k in order if k in proposal.detail}
        for index, sample in enumerate(samples):
            part = body.part_of(index) if body is not None else None
            proposal.templates[sample.doc.url] = chr(65 + (part or 0))
        drop_failing_selectors(samples, proposal)
    try:
        profile = proposal.profile()
    except ProfileError as exc:
        raise ValueError(f"the proposed profile does not load: {exc}") from None
    if trial:
        if proposal.mode == "links":
            proposal.trial, proposal.sample_results = run_trial(
                profile, fetch, proposal.sample_urls, proposal.templates
            )
            proposal.verdict, proposal.verdict_reasons = verdict(proposal.sample_results)
        else:
            from tjcrawl.source_check import field_results, walk

            result = walk(profile, fetch, max_listing_pages=2, max_detail_pages=detail_pages)
            proposal.trial = field_results(profile, result)
    return proposal


def _fetch_samples(sampling: Sampling, fetch: Fetch, proposal: Proposal) -> list[Sample]:
    samples: list[Sample] = []
    for member in sampling.picked:
        assert member.link is not None
        page = load_doc(fetch, member.link.url)
        if page is None:
            proposal.unsure.append(f"detail page {member.link.url} could not be fetched")
            continue
        samples.append(Sample(page, member.title or None, listing_date=member_date(member)))
        proposal.sample_urls.append(page.url)
    hosts = list(sampling.hosts)
    for sample in samples:
        host = (urlsplit(sample.doc.url).hostname or "").lower()  # after a redirect
        if host and host not in hosts:
            hosts.append(host)
    proposal.allowed_domains = hosts
    if len(hosts) > 1:
        proposal.notes.append(
            "entries on " + ", ".join(hosts) + ": hosts of one site, all in allowed_domains"
        )
    for host, n in sampling.offsite.most_common():
        proposal.unsure.append(
            f"allowed_domains: {n} entr{'y' if n == 1 else 'ies'} lead to {host}, another "
            "site (registrable domain), neither sampled nor allowed: add it if those are this "
            "source's articles"
        )
    return samples


def drop_failing_selectors(samples: list[Sample], proposal: Proposal) -> None:
    """Every detail selector compiles and evaluates on every sample page, or is not proposed:
    a required field falls to the generic extractor, an optional one is left out."""
    for key, choice in list(proposal.detail.items()):
        if choice.select == "auto":
            continue
        try:
            compile_selector(choice.select)
            for sample in samples:
                value(sample.doc.sel, choice.select, choice.regex)
        except (ProfileError, ValueError, re.error) as exc:
            problem = f"detail.{key}: {choice.select} fails ({exc}); not proposed"
            proposal.unsure.append(problem)
            if key in ("title", "date", "body"):
                proposal.detail[key] = FieldChoice("auto", note=problem)
            else:
                del proposal.detail[key]
    kept = []
    for rule in proposal.detail_boilerplate:
        try:
            compile_selector(rule)
            for sample in samples:
                if sample.body is not None:
                    sample.body.xpath(compile_selector(rule))
        except (ProfileError, ValueError, etree.XPathError) as exc:
            proposal.unsure.append(f"detail.boilerplate: {rule} fails ({exc}); not proposed")
            continue
        kept.append(rule)
    proposal.detail_boilerplate = kept


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
