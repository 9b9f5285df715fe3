"""The check itself: each field's result over the pages walked, the report, and the comparison
with a source's goldens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from parsel import Selector
from scrapy.http import Response

from tjcrawl import settings
from tjcrawl.dates import parse_date
from tjcrawl.extract import body_html_and_paragraphs, field_text, field_values, select
from tjcrawl.fixture_server import default_fixtures_dir
from tjcrawl.profiles import GENERIC_FIELDS, Profile
from tjcrawl.source_check.fetching import LiveFetcher, fixture_fetcher
from tjcrawl.source_check.walking import LIVE_DETAIL_PAGES, LIVE_LISTING_PAGES, Walk, walk
from tjcrawl.urls import canonical_url


# -- the check ------------------------------------------------------------------------------------
@dataclass
class FieldResult:
    name: str
    unit: str
    matched: int
    total: int
    required: bool
    declared: bool = True
    missing: list[str] = field(default_factory=list)  # URLs where it did not match
    note: str = ""
    auto: bool = False  # left to the generic extractor: `matched` counts its fills

    @property
    def status(self) -> str:
        if self.auto:
            if self.total and self.matched < self.total:
                return "FAIL" if self.required else "part"
            return "ok" if self.total else "n/a"
        if not self.declared:
            return "-"
        if self.required and (self.total == 0 or self.matched < self.total):
            return "FAIL"
        if self.total == 0:
            return "n/a"
        if self.total and self.matched == 0:
            return "warn"
        if self.matched < self.total:
            return "part"
        return "ok"

    def line(self) -> str:
        if self.auto:
            counts = f"generic extractor on {self.matched}/{self.total} {self.unit}"
            return f"  {self.status:5} {self.name:17} {counts}" + (
                f" ({self.note})" if self.note else ""
            )
        if not self.declared:
            return f"  {'-':5} {self.name:17} not in the profile"
        counts = f"{self.matched}/{self.total} {self.unit}"
        extra = f" ({self.note})" if self.note else ""
        return f"  {self.status:5} {self.name:17} {counts}{extra}"

    def problem(self, slug: str) -> str:
        where = f"; first on {self.missing[0]}" if self.missing else ""
        if self.total == 0:
            return f"{slug}: {self.name}: nothing to check ({self.note or 'no ' + self.unit})"
        if self.auto:
            return (
                f"{slug}: {self.name}: the generic extractor found it on {self.matched} of "
                f"{self.total} {self.unit}{where}"
            )
        note = f" ({self.note})" if self.note else ""
        return (
            f"{slug}: {self.name}: matched {self.matched} of {self.total} {self.unit}{where}{note}"
        )


@dataclass
class CheckReport:
    profile: Profile
    live: bool
    walk: Walk
    fields: list[FieldResult]
    golden_problems: list[str] = field(default_factory=list)
    golden_note: str = ""

    @property
    def problems(self) -> list[str]:
        slug = self.profile.slug
        blocked = self.walk.blocked
        if blocked:
            pages = f"{len(blocked)} page{'s' if len(blocked) > 1 else ''}, first {blocked[0][0]}"
            first = [f"{slug}: blocked ({pages}): {blocked[0][1].advice}"]
        else:
            first = []
        if not self.walk.listings:
            lines = [*first, f"{slug}: no listing page could be fetched"]
            lines += [f"{slug}: fetch: {e}" for e in self.walk.errors]
            return lines + [f"{slug}: goldens: {p}" for p in self.golden_problems]
        lines = [*first, *(f.problem(slug) for f in self.fields if f.status == "FAIL")]
        lines += [f"{slug}: fetch: {e}" for e in self.walk.errors if self.live]
        lines += [f"{slug}: goldens: {p}" for p in self.golden_problems]
        return lines

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        where = "live site" if self.live else "fixtures"
        head = (
            f"{self.profile.slug}: {where}: {len(self.walk.listings)} listing pages, "
            f"{len(self.walk.details)} detail pages, {len(self.walk.items)} items"
        )
        lines = [head, *(f.line() for f in self.fields)]
        if self.golden_note:
            lines.append(
                f"  {'ok' if not self.golden_problems else 'FAIL':5} goldens"
                f"           {self.golden_note}"
            )
        if self.walk.errors and not self.live:
            lines += [f"  note  {e}" for e in self.walk.errors[:5]]
        return "\n".join(lines)


def _listing_root(profile: Profile, response: Response) -> Selector:
    if getattr(profile.listing, "format", "html") == "json":
        return Selector(text=response.text, type="json")
    return _page_as_fetched(response)


def _page_as_fetched(response: Response) -> Selector:
    """The page parsed anew: the spider's callbacks cut the body and the generic extractor's
    dropped tags (head, meta …) out of the response's own tree, which a field read after them
    would miss."""
    return Selector(text=response.text, type="html")


def _fetched_at(response: Response) -> datetime | None:
    value = response.meta.get("fetched_at")
    return datetime.fromisoformat(value) if value else None


def _date_ok(text: str | None, response: Response) -> bool:
    return bool(text) and parse_date(text, _fetched_at(response)) is not None


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, list[Any]] = {}

    def add(self, name: str, ok: bool, url: str) -> None:
        entry = self.counts.setdefault(name, [0, 0, []])
        entry[1] += 1
        if ok:
            entry[0] += 1
        elif len(entry[2]) < 3 and url not in entry[2]:
            entry[2].append(url)

    def result(self, name: str, unit: str, required: bool, declared: bool) -> FieldResult:
        matched, total, missing = self.counts.get(name, [0, 0, []])
        return FieldResult(name, unit, matched, total, required, declared, missing)


def field_results(profile: Profile, result: Walk) -> list[FieldResult]:
    """Per field: on how many pages / entries / items it matched."""
    listing, detail = profile.listing, profile.detail
    articles = profile.carries_articles
    tally = _Tally()
    for response, _page in result.listings:
        entries = select(_listing_root(profile, response), listing.entries)
        tally.add("listing.entries", len(entries) > 0, response.url)
        for entry in entries:
            if listing.link is not None:
                tally.add("listing.link", bool(field_values(entry, listing.link)), response.url)
            for name in ("title", "origin", "author"):
                spec = getattr(listing, name)
                if spec is not None:
                    tally.add(f"listing.{name}", bool(field_text(entry, spec)), response.url)
            if listing.date is not None:
                tally.add(
                    "listing.date",
                    _date_ok(field_text(entry, listing.date), response),
                    response.url,
                )
            if articles and listing.body is not None:
                _, paragraphs = body_html_and_paragraphs(entry, listing.body, listing.boilerplate)
                tally.add("listing.body", bool(paragraphs), response.url)
    # Where each item's fields came from: the generic extractor fills what a selector missed.
    provenance = {item["url"]: item.get("field_sources") or {} for item in result.items}
    generic: dict[str, int] = {}
    for response in result.details:
        assert detail is not None
        sel = _page_as_fetched(response)
        sources = provenance.get(canonical_url(response.url), {})
        for name in GENERIC_FIELDS:
            if sources.get(name) == "generic":
                generic[name] = generic.get(name, 0) + 1
            if name in detail.generic:
                tally.add(f"detail.{name}", sources.get(name) == "generic", response.url)
        for name in ("title", "origin", "author"):
            spec = getattr(detail, name)
            if spec is not None:
                tally.add(f"detail.{name}", bool(field_text(sel, spec)), response.url)
        if detail.date is not None:
            tally.add("detail.date", _date_ok(field_text(sel, detail.date), response), response.url)
        if detail.body is not None:
            _, paragraphs = body_html_and_paragraphs(sel, detail.body, detail.boilerplate)
            tally.add("detail.body", bool(paragraphs), response.url)

    rows = [tally.result("listing.entries", "listing pages", True, True)]
    if articles:
        rows.append(tally.result("listing.title", "entries", True, listing.title is not None))
        rows.append(tally.result("listing.date", "entries", False, listing.date is not None))
        rows.append(tally.result("listing.body", "entries", True, True))
        for name in ("origin", "author"):
            spec = getattr(listing, name)
            rows.append(tally.result(f"listing.{name}", "entries", False, spec is not None))
    else:
        assert detail is not None
        rows.append(tally.result("listing.link", "entries", True, True))
        rows.append(tally.result("listing.title", "entries", False, listing.title is not None))
        rows.append(tally.result("listing.date", "entries", False, listing.date is not None))
        # A title is required of every item, from the detail page or else the listing.
        required = {"title": listing.title is None, "body": True}
        for name in GENERIC_FIELDS:
            row = tally.result(
                f"detail.{name}",
                "detail pages",
                required.get(name, False),
                getattr(detail, name) is not None,
            )
            row.auto = name in detail.generic
            if row.declared and generic.get(name):
                row.note = f"the generic extractor filled it on {generic[name]}"
            rows.append(row)
    if not articles and not result.details:
        for row in rows:
            if row.name.startswith("detail.") and row.declared:
                row.note = f"no detail page fetched ({result.detail_links} links found)"
    if profile.pagination is not None:
        reached = len(result.listings)
        rows.append(
            FieldResult(
                "pagination",
                "listing pages reached beyond the first",
                max(0, reached - 1),
                max(1, reached - 1) if reached else 1,
                required=False,
                note="" if reached > 1 else "no second listing page found",
            )
        )
    items = len(result.items) + len(result.dropped)
    rows.append(
        FieldResult(
            "items",
            "items valid",
            len(result.items),
            items,
            required=True,
            missing=[d.split(": ")[1] for d in result.dropped[:3] if ": " in d],
            note="" if items else "no item produced",
        )
    )
    dated = sum(1 for item in result.items if item.get("published_at"))
    rows.append(
        FieldResult(
            "published_at",
            "items dated (detail, listing or URL)",
            dated,
            len(result.items),
            required=False,
            missing=[i["url"] for i in result.items if not i.get("published_at")][:3],
        )
    )
    return rows


def compare_with_goldens(profile: Profile, fixtures_dir: Path | None = None) -> tuple[str, list]:
    """The offline crawl's golden items against expected.json, one problem per difference."""
    from tjcrawl.fixtures import (
        fact_differences,
        golden_items,
        golden_path,
        offline_crawl,
        read_goldens,
    )

    if not golden_path(profile.slug, fixtures_dir).is_file():
        return "no expected.json (run `tjcrawl goldens`)", []
    items, _ = offline_crawl(profile, fixtures_dir)
    actual = {row["url"]: row for row in golden_items(items)}
    expected = {row["url"]: row for row in read_goldens(profile.slug, fixtures_dir)}
    problems = [f"{url}: expected but not produced" for url in sorted(set(expected) - set(actual))]
    problems += [f"{url}: produced but not expected" for url in sorted(set(actual) - set(expected))]
    for url in sorted(set(actual) & set(expected)):
        for name, value in expected[url].items():
            if name == "facts":  # fact by fact, saying which
                found = fact_differences(value, actual[url].get("facts") or [])
                problems += [f"{url}: {problem}" for problem in found]
            elif actual[url].get(name) != value:
                problems.append(f"{url}: {name} differs")
    note = f"{len(expected)} expected items" + (
        ", equal field by field" if not problems else f", {len(problems)} differences"
    )
    return note, problems


def check_fixtures(profile: Profile, fixtures_dir: Path | None = None) -> CheckReport:
    """The profile over its whole fixture site, and its items against the goldens."""
    fetcher = fixture_fetcher(profile, fixtures_dir)
    result = walk(profile, fetcher.fetch)
    report = CheckReport(profile, False, result, field_results(profile, result))
    report.golden_note, report.golden_problems = compare_with_goldens(profile, fixtures_dir)
    return report


def check_live(
    profile: Profile,
    *,
    proxies: Mapping[str, str] | None = None,
    timeout: float = settings.DOWNLOAD_TIMEOUT,
    delay: float | None = None,
    listing_pages: int = LIVE_LISTING_PAGES,
    detail_pages: int = LIVE_DETAIL_PAGES,
    fetcher: LiveFetcher | None = None,
) -> CheckReport:
    """The profile over a few live pages: the first listing pages and a few detail pages."""
    fetcher = fetcher or LiveFetcher(
        allowed_domains=profile.allowed_domains, proxies=proxies, timeout=timeout, delay=delay
    )
    result = walk(
        profile,
        fetcher.fetch,
        max_listing_pages=listing_pages,
        max_detail_pages=detail_pages,
    )
    return CheckReport(profile, True, result, field_results(profile, result))


def check_source(
    profile: Profile,
    *,
    live: bool = False,
    fixtures_dir: Path | None = None,
    **live_options: Any,
) -> CheckReport:
    """A check over the fixtures, or with live=True over a few live pages. Nothing is written:
    `tjcrawl source check --live --db ARCHIVE` keeps the verdict in the archive."""
    if not live:
        return check_fixtures(profile, fixtures_dir or default_fixtures_dir())
    return check_live(profile, **live_options)
