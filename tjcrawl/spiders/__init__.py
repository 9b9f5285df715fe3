"""One Scrapy spider class per source profile, generated when this module is imported.

Scrapy's spider loader scans this module, so `scrapy list` and `scrapy crawl SLUG` see every
profile in tjcrawl/sources/ (and in TJCRAWL_SOURCES_DIR) without a line of Python per source.
A profile that cannot be loaded gets no spider and a logged one-line error: one broken file in
a profile folder must not stop every other source.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from tjcrawl.contracts import contract_docstring
from tjcrawl.items import ArticleItem
from tjcrawl.profiles import Profile, load_profile_set
from tjcrawl.spiders.profile_spider import ProfileSpider

logger = logging.getLogger(__name__)


def spider_class(profile: Profile) -> type[ProfileSpider]:
    class_name = "".join(part.title() for part in profile.slug.split("_")) + "Spider"

    def check_fixture(
        self: ProfileSpider, response: Response, **listed: Any
    ) -> Iterator[Request | ArticleItem]:
        return self.parse_listing(response, **listed)

    # Scrapy contracts live in a callback's docstring: one per profile (see tjcrawl.contracts).
    check_fixture.__doc__ = contract_docstring(profile)
    return type(
        class_name,
        (ProfileSpider,),
        {
            "name": profile.slug,
            "profile": profile,
            # On the class too, so that `scrapy shell URL` picks the source's spider by URL.
            "allowed_domains": list(profile.allowed_domains),
            "check_fixture": check_fixture,
            "__module__": __name__,
        },
    )


_LOADED = load_profile_set()
for _error in _LOADED.broken.values():
    logger.error("%s (no spider for this profile)", _error)

SPIDERS: dict[str, type[ProfileSpider]] = {
    slug: spider_class(profile) for slug, profile in _LOADED.profiles.items()
}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
