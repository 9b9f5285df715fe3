"""Within a run: one item per canonical URL, and same-content items linked to the first."""

from __future__ import annotations

import hashlib
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


def digest(text: str) -> bytes:
    """16 bytes standing for a URL or a content hash: a run keeps one of each per item, and
    this is a third of a URL's size in memory (a collision is a 2**-128 chance)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class DeduplicatePipeline:
    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats
        self.seen_urls: set[bytes] = set()
        self.url_by_hash: dict[bytes, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        url = adapter["url"]
        url_key = digest(url)
        if url_key in self.seen_urls:
            if self.stats is not None:
                self.stats.inc_value("tjcrawl/items_duplicate")
            raise DropItem(f"{adapter['source']}: {url}: already scraped in this run")
        self.seen_urls.add(url_key)
        first = self.url_by_hash.setdefault(digest(adapter["content_hash"]), url)
        if first != url:
            # The same text under another URL (a section cross-post): kept, and linked.
            adapter["duplicate_of"] = first
        return item
