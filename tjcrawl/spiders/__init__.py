"""One Scrapy spider class per source profile, generated when this module is imported.

Scrapy's spider loader scans this module, so `scrapy list` and `scrapy crawl SLUG` see every
profile in tjcrawl/sources/ (and in TJCRAWL_SOURCES_DIR) without a line of Python per source.
"""

from __future__ import annotations

from tjcrawl.profiles import Profile, load_profiles
from tjcrawl.spiders.profile_spider import ProfileSpider


def spider_class(profile: Profile) -> type[ProfileSpider]:
    class_name = "".join(part.title() for part in profile.slug.split("_")) + "Spider"
    return type(
        class_name,
        (ProfileSpider,),
        {"name": profile.slug, "profile": profile, "__module__": __name__},
    )


SPIDERS: dict[str, type[ProfileSpider]] = {
    slug: spider_class(profile) for slug, profile in load_profiles().items()
}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
