"""What a re-extraction reports, per source and in all, and its one error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tjcrawl.health import generic_fill_problems

if TYPE_CHECKING:
    from tjcrawl.reextract.attachments import AttachmentReport


class ReextractError(ValueError):
    """A request that cannot be carried out (an unknown source); the message is one line."""


@dataclass
class SourceReport:
    source: str
    profile_sha256: str
    pages: int = 0
    listing_pages: int = 0
    detail_pages: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0  # items refused (missing title or body, undecodable)
    duplicate: int = 0
    pages_without_item: int = 0  # detail pages that gave no item (empty, undecodable)
    errors: int = 0  # callbacks that raised
    lost: int = 0  # stored articles whose page no longer extracts
    dates_differ: int = 0  # unchanged text, but the date would now be read differently
    # {field: items} whose detail selector matched nothing and the generic extractor filled
    generic_fills: dict[str, int] = field(default_factory=dict)
    facts: int = 0  # 招商引资 facts recomputed for the source's articles
    facts_failed: int = 0  # articles whose facts could not be found (a facts_failed fault)
    seconds: float = 0.0

    def summary(self) -> str:
        line = (
            f"{self.source}: {self.pages} pages, {self.items} items, {self.new} new, "
            f"{self.changed} changed, {self.unchanged} unchanged, {self.failed} failed"
        )
        extras = [
            f"{n} {label}"
            for n, label in (
                (self.duplicate, "duplicate"),
                (self.pages_without_item, "pages without an item"),
                (self.errors, "pages whose extraction raised"),
                (self.lost, "stored articles no longer extract"),
                (self.dates_differ, "unchanged articles whose date now reads differently"),
                (self.facts, "facts"),
                (self.facts_failed, "articles whose facts failed"),
            )
            if n
        ]
        return line + (f" ({', '.join(extras)})" if extras else "")


@dataclass
class Report:
    run_id: str
    sources: list[SourceReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "slug: why"
    seconds: float = 0.0
    attachments: AttachmentReport | None = None  # the stored attachment files read again

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self.sources)

    @property
    def pages(self) -> int:
        return self.total("pages")

    @property
    def changed(self) -> int:
        return self.total("changed")

    @property
    def problems(self) -> list[str]:
        """One line per source whose re-extraction lost stored articles or raised."""
        problems = []
        for s in self.sources:
            problems += generic_fill_problems(s.source, s.generic_fills, s.items)
            if s.lost:
                problems.append(f"{s.source}: {s.lost} stored articles no longer extract")
            if s.errors:
                problems.append(f"{s.source}: extraction raised on {s.errors} pages")
            if s.facts_failed:
                problems.append(f"{s.source}: facts failed on {s.facts_failed} articles")
        if self.attachments and self.attachments.facts_failed:
            problems.append(
                f"facts failed on {self.attachments.facts_failed} articles of sources not"
                " re-extracted, linking an attachment whose text changed"
            )
        return problems

    def lines(self) -> list[str]:
        rate = self.pages / self.seconds if self.seconds else 0.0
        return [
            *(s.summary() for s in self.sources),
            *(f"skipped {reason}" for reason in self.skipped),
            *([self.attachments.line()] if self.attachments else []),
            f"run {self.run_id}: {self.pages} pages in {self.seconds:.1f} s ({rate:,.0f} pages/s),"
            f" {self.total('changed')} changed, {self.total('new')} new",
        ]
