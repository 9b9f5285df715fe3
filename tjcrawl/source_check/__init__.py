"""`tjcrawl source check`: run a profile over its fixtures or, politely, a few live pages.

Live pages are fetched with plain urllib, one at a time, not with Scrapy: a check needs a
handful of chosen pages (the first and second listing page, two or three detail pages), their
raw bytes and headers (which `source capture` saves), and must be callable more than once in a
process (tests, `source new`), which Twisted's reactor is not. What the crawler's middlewares
do for politeness is done here by hand: robots.txt (Protego, as Scrapy's default parser), the
project's User-Agent, a delay between requests to a host (robots.txt's Crawl-delay when longer),
a timeout, a size cap, redirects followed only inside the profile's domains. Pages are then
decoded with the crawler's own encoding choice and parsed by the profile's generated spider, so
a check exercises the same extraction code as a crawl.

The package is split by what it does:

- `fetching`: `LiveFetcher`, `FixtureFetcher`, `Page`, `page_response`
- `walking`: `walk` over a few listing and detail pages
- `checking`: field results, `CheckReport`, `check_fixtures`, `check_live`, `check_source`

The names are re-exported here so `from tjcrawl.source_check import ...` keeps working.
"""

from tjcrawl.source_check.checking import (
    CheckReport,
    FieldResult,
    check_fixtures,
    check_live,
    check_source,
    compare_with_goldens,
    field_results,
)
from tjcrawl.source_check.fetching import (
    DROPPED_HEADERS,
    FetchError,
    FixtureFetcher,
    LiveFetcher,
    Page,
    fixture_fetcher,
    is_loopback,
    page_response,
)
from tjcrawl.source_check.walking import LIVE_DETAIL_PAGES, LIVE_LISTING_PAGES, Walk, spread, walk

__all__ = [
    "DROPPED_HEADERS",
    "LIVE_DETAIL_PAGES",
    "LIVE_LISTING_PAGES",
    "CheckReport",
    "FetchError",
    "FieldResult",
    "FixtureFetcher",
    "LiveFetcher",
    "Page",
    "Walk",
    "check_fixtures",
    "check_live",
    "check_source",
    "compare_with_goldens",
    "field_results",
    "fixture_fetcher",
    "is_loopback",
    "page_response",
    "spread",
    "walk",
]
