"""A proposal's items against a hand-written profile's, both crawled over its fixture site."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tjcrawl.profiles import Profile
from tjcrawl.source_new.pages import fixture_source
from tjcrawl.source_new.proposal import Proposal
from tjcrawl.source_new.propose import propose

# -- comparing with a hand-written profile --------------------------------------------------------
COMPARED_FIELDS = (
    "title",
    "published_at",
    "date_source",
    "date_precision",
    "date_conflict",
    "origin",
    "author",
    "body",
)


@dataclass
class Comparison:
    slug: str
    reference_items: int
    proposed_items: int
    equal: Counter[str]
    total: int  # items compared (the union of both sides' URLs)
    missing: list[str]
    extra: list[str]
    compared: tuple[str, ...] = COMPARED_FIELDS

    @property
    def fields(self) -> int:
        return self.total * len(self.compared)

    @property
    def share(self) -> float:
        return sum(self.equal.values()) / self.fields if self.fields else 0.0

    def field_share(self, name: str) -> float:
        return self.equal[name] / self.total if self.total else 0.0


def compare_items(
    slug: str,
    reference: list[dict[str, Any]],
    proposed: list[dict[str, Any]],
    compared: tuple[str, ...] = COMPARED_FIELDS,
) -> Comparison:
    """Field by field over the union of URLs: a missing or extra item counts as all unequal."""
    ref = {item["url"]: item for item in reference}
    new = {item["url"]: item for item in proposed}
    equal: Counter[str] = Counter()
    for url in set(ref) & set(new):
        for name in compared:
            if ref[url].get(name) == new[url].get(name):
                equal[name] += 1
    return Comparison(
        slug,
        len(ref),
        len(new),
        equal,
        len(set(ref) | set(new)),
        sorted(set(ref) - set(new)),
        sorted(set(new) - set(ref)),
        compared,
    )


def compare_with_profile(
    proposal: Proposal, reference: Profile, fixtures_dir: Path | None = None
) -> Comparison:
    """The proposal's items against the reference profile's, both crawled offline over the
    reference's fixture site from the one listing the proposal was made from (the reference's
    first start URL), on the fields the reference reads: a 来源 or author it leaves unread is
    no error of a proposal that finds one."""
    from dataclasses import replace

    from tjcrawl.fixtures import offline_crawl

    with tempfile.TemporaryDirectory() as tmp:
        proposed = replace(proposal.profile(Path(tmp)), slug=reference.slug)
        proposed_items, _ = offline_crawl(proposed, fixtures_dir)
    first_listing_only = replace(reference, start_urls=reference.start_urls[:1])
    reference_items, _ = offline_crawl(first_listing_only, fixtures_dir)
    unread = {
        name
        for name in ("origin", "author")
        if getattr(reference.listing, name) is None
        and (
            reference.detail is None
            or (getattr(reference.detail, name) is None and name not in reference.detail.generic)
        )
    }
    compared = tuple(name for name in COMPARED_FIELDS if name not in unread)
    return compare_items(reference.slug, reference_items, proposed_items, compared)


def evaluate(slug: str, fixtures_dir: Path | None = None) -> tuple[Proposal, Comparison]:
    """Propose a profile from a source's saved first listing page (following its saved detail
    pages); compare its items with the hand-written profile's."""
    from tjcrawl.profiles import load_profiles

    reference = load_profiles()[slug]
    start_url, fetch = fixture_source(slug, fixtures_dir)
    proposal = propose(start_url, fetch, slug=slug)
    return proposal, compare_with_profile(proposal, reference, fixtures_dir)
