"""Refuse items that lack what an article needs, counting each failure by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from tjcrawl.faults import LOST_ARTICLE, report_fault

REQUIRED_FIELDS = ("title", "body")
COVERED_FIELDS = ("title", "body", "date", "origin", "author")


def generic_fills(stats: Mapping[str, Any]) -> dict[str, int]:
    """{field: items} whose detail selector matched nothing and which the generic extractor
    filled (counted by the spider as `tjcrawl/generic/<field>`)."""
    prefix = "tjcrawl/generic/"
    return {key[len(prefix) :]: int(n) for key, n in stats.items() if key.startswith(prefix) and n}


def field_present(adapter: ItemAdapter, field: str) -> bool:
    if field == "title":
        return bool(adapter.get("title") or adapter.get("listing_title"))
    if field == "date":
        return bool(adapter.get("date_text") or adapter.get("listing_date"))
    if field == "body":
        # A page that is only its files (a 详见附件 page whose text is all in links or
        # images): its article is the files, fetched and read with it, not a failed page.
        return bool(adapter.get("body") or adapter.get("attachments"))
    return bool(adapter.get(field))


class ValidatePipeline:
    def __init__(self, stats: StatsCollector | None = None, crawler: Crawler | None = None) -> None:
        self.stats = stats
        self.crawler = crawler
        # Bound once: Scrapy's StatsCollector looks each method up through a __getattribute__
        # that costs more than the count itself, and this counts ~7 times an item.
        self._inc_value = stats.inc_value if stats is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler.stats, crawler)

    def _inc(self, key: str) -> None:
        if self._inc_value is not None:
            self._inc_value(f"tjcrawl/{key}")

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        self._inc("items_seen")
        for field in COVERED_FIELDS:
            if field_present(adapter, field):
                self._inc(f"present/{field}")
        missing = [f for f in REQUIRED_FIELDS if not field_present(adapter, f)]
        for field in missing:
            self._inc(f"missing/{field}")
        # Only a page no encoding decodes is garbled. A U+FFFD in the text of a page that
        # decoded cleanly (or with its few bad bytes replaced, which `lossy_decode` reports) was
        # written by the site: a literal U+FFFD, or a character reference to no character
        # (&#xD800;, &#0;), which HTML parsers turn into one. That is the article's content.
        encoding = adapter.get("encoding") or {}
        garbled = ["encoding"] if encoding.get("undecodable") else []
        for field in ("title", "body"):
            if "\ufffd" in (adapter.get(field) or ""):
                self._inc(f"replacement_characters/{field}")
        for field in garbled:
            self._inc(f"garbled/{field}")
        if missing or garbled:
            problems = [f"missing {f}" for f in missing] + [f"undecodable {f}" for f in garbled]
            if self.crawler is None:
                self._inc("items_failed")  # no one to report to: counted here instead
            # The page stays in `pages`; this row says which pages to turn into fixtures. A page
            # that arrived cut short has its row already (`incomplete`), which says why, and is
            # fetched again next run: it is counted lost under that kind instead.
            report_fault(
                self.crawler,
                adapter.get("page_url") or adapter.get("url"),
                "incomplete" if adapter.get("incomplete") else "extraction_failed",
                200,
                ", ".join(problems),
                lost=LOST_ARTICLE,  # counted in items_failed there
            )
            raise DropItem(f"{adapter.get('source')}: {adapter.get('url')}: {', '.join(problems)}")
        return item
