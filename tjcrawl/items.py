"""The item a spider yields and the pipelines complete."""

from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    # Raw strings from the spider.
    source = scrapy.Field()
    url = scrapy.Field()
    entry_key = scrapy.Field()  # identity of an entry that has no page of its own
    page_url = scrapy.Field()
    listing_url = scrapy.Field()
    listing_title = scrapy.Field()
    listing_date = scrapy.Field()
    title = scrapy.Field()
    date_text = scrapy.Field()
    body = scrapy.Field()
    body_html = scrapy.Field()
    origin = scrapy.Field()
    author = scrapy.Field()
    fetched_at = scrapy.Field()
    encoding = scrapy.Field()
    attachments = scrapy.Field()  # [{url, text}]
    field_sources = scrapy.Field()  # field -> "profile" (its selector) or "generic"
    incomplete = scrapy.Field()  # why the page ended before its document did, if it did
    # Added by the pipelines.
    published_at = scrapy.Field()
    date_source = scrapy.Field()
    date_precision = scrapy.Field()
    date_conflict = scrapy.Field()
    content_hash = scrapy.Field()
    duplicate_of = scrapy.Field()


# What `scrapy crawl SLUG -O items.jsonl` writes: the article, not the page's raw HTML.
EXPORT_FIELDS = [
    "source",
    "url",
    "title",
    "published_at",
    "date_source",
    "date_precision",
    "date_conflict",
    "origin",
    "author",
    "body",
    "content_hash",
    "attachments",
    "listing_url",
    "fetched_at",
]
