"""Within a run: one item per canonical URL, and same-content items linked to the first."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


class DeduplicatePipeline:
    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats
        self.seen_urls: set[str] = set()
        self.url_by_hash: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        url, digest = adapter["url"], adapter["content_hash"]
        if url in self.seen_urls:
            if self.stats is not None:
                self.stats.inc_value("tjcrawl/items_duplicate")
            raise DropItem(f"{adapter['source']}: {url}: already scraped in this run")
        self.seen_urls.add(url)
        first = self.url_by_hash.setdefault(digest, url)
        if first != url:
            # The same text under another URL (a section cross-post): kept, and linked.
            adapter["duplicate_of"] = first
        return item
