"""Raw strings to archive values: dates with provenance, clean text, canonical URLs, a hash,
and body HTML reduced to an allow-list (no scripts, handlers or javascript: links)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from tjcrawl.dates import SHANGHAI, ParsedDate, date_from_url, parse_date
from tjcrawl.html_safety import sanitise_body_html
from tjcrawl.profiles import Profile, load_profiles
from tjcrawl.text import clean_paragraphs, fold_space
from tjcrawl.urls import canonical_url

_ORIGIN_LABEL_RE = re.compile(r"^(来源|稿源|信息来源|文章来源|出处)\s*[:：]\s*")
_AUTHOR_LABEL_RE = re.compile(r"^(作者|记者|撰稿|撰稿人|文)\s*[:：/]\s*")
# Site names that CMS templates append to titles (标题_天津政务网). Dashes are left alone:
# real titles use them (…——访天津市科学技术局).
_SITE_SUFFIX_RE = re.compile(
    r"\s*[_|｜]\s*[^_|｜]{1,20}(网|网站|门户|政府|人民政府|政务网|局|委员会|北方网)\s*$"
)


def clean_title(title: str, suffixes: tuple[str, ...] = ()) -> str:
    title = fold_space(title)
    for suffix in suffixes:
        if title.endswith(suffix) and len(title) > len(suffix):
            title = title[: -len(suffix)].rstrip()
    return _SITE_SUFFIX_RE.sub("", title) or title


def clean_label(value: str | None, label: re.Pattern[str]) -> str | None:
    if not value:
        return None
    return fold_space(label.sub("", fold_space(value))) or None


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def choose_date(
    detail: ParsedDate | None, listing: ParsedDate | None, from_url: ParsedDate | None
) -> tuple[ParsedDate | None, str | None, bool]:
    """The most specific date, where it came from, and whether the sources disagree on the day."""
    found = [
        (name, d) for name, d in (("detail", detail), ("listing", listing), ("url", from_url)) if d
    ]
    if not found:
        return None, None, False
    days = {d.value.date() for _, d in found}
    name, chosen = found[0]
    return chosen, name, len(days) > 1


#: Setting: source slug -> ISO time that relative dates on its pages (昨天, 3天前) resolve
#: against instead of the fetch time. A fixture site is frozen at its capture (its
#: fixture.toml's ``fetched_at``): served today, its 昨天 still means the day before capture.
DATE_BASES_SETTING = "TJCRAWL_DATE_BASES"


class NormalisePipeline:
    def __init__(
        self,
        profiles: Mapping[str, Profile],
        date_bases: Mapping[str, datetime] | None = None,
    ) -> None:
        self.profiles = dict(profiles)
        self.date_bases = dict(date_bases or {})

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        # The crawled profile itself first: it may come from a file outside the profile folders.
        profiles = dict(load_profiles())
        profile = getattr(crawler.spidercls, "profile", None)
        if profile is not None:
            profiles[profile.slug] = profile
        bases = crawler.settings.getdict(DATE_BASES_SETTING)
        return cls(profiles, {slug: datetime.fromisoformat(at) for slug, at in bases.items()})

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        profile = self.profiles.get(adapter["source"])
        suffixes = profile.title_suffixes if profile else ()
        date_base = self.date_bases.get(adapter["source"]) or datetime.fromisoformat(
            adapter["fetched_at"]
        )
        date_base = date_base.astimezone(SHANGHAI)

        title_from_page = bool(adapter.get("title"))
        adapter["title"] = clean_title(adapter.get("title") or adapter["listing_title"], suffixes)
        adapter["body"] = "\n".join(clean_paragraphs(adapter["body"].split("\n")))
        if adapter.get("body_html"):
            adapter["body_html"] = sanitise_body_html(adapter["body_html"])
        url = canonical_url(adapter["url"])
        if adapter.get("entry_key"):
            url += "#" + adapter["entry_key"]
        adapter["url"] = url
        adapter["origin"] = clean_label(adapter.get("origin"), _ORIGIN_LABEL_RE)
        adapter["author"] = clean_label(adapter.get("author"), _AUTHOR_LABEL_RE)

        carries_articles = profile is not None and profile.carries_articles
        detail = None if carries_articles else parse_date(adapter.get("date_text"), date_base)
        listing = parse_date(adapter.get("listing_date"), date_base)
        chosen, source, conflict = choose_date(detail, listing, date_from_url(url))
        adapter["published_at"] = chosen.isoformat() if chosen else None
        adapter["date_precision"] = chosen.precision if chosen else None
        adapter["date_source"] = source
        adapter["date_conflict"] = conflict
        adapter["content_hash"] = content_hash(adapter["title"], adapter["body"])
        adapter["field_sources"] = field_sources(adapter, title_from_page)
        return item


def field_sources(adapter: ItemAdapter, title_from_page: bool) -> dict[str, str]:
    """Where each archived field came from: "profile" (a selector of the profile), "generic"
    (the generic extractor), or, for a title or date the page did not give, "listing" / "url"."""
    given = adapter.get("field_sources") or {}
    sources = {"title": given.get("title", "profile") if title_from_page else "listing"}
    date_source = adapter.get("date_source")
    if date_source == "detail":
        sources["date"] = given.get("date", "profile")
    elif date_source:
        sources["date"] = date_source
    for name in ("body", "origin", "author"):
        if adapter.get(name):
            sources[name] = given.get(name, "profile")
    return sources
