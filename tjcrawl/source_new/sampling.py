"""Which detail pages to learn from: spread over the whole first listing page and a later one,
on every host of the site (its registrable domain: `news.sina.com.cn` and `ent.sina.com.cn`
are one site), so that every template the site uses is seen.

Hosts of another registrable domain are not fetched: they are offered in the proposal, with
how many entries lead there, for the reviewer to add to `allowed_domains` if they are this
source's articles (a portal's partner site) or leave out (an advertiser, a republished story).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from tjcrawl.source_check import spread
from tjcrawl.source_new.listing import Member

# A sample per listing page beyond the spread: the later page often comes from another period
# of the site, and so another template.
LATER_PAGE_SAMPLES = 1


@lru_cache(maxsize=1)
def _extractor():  # type: ignore[no-untyped-def]
    import tldextract

    # The public suffix list bundled with tldextract: never fetched, so this works offline.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(host: str) -> str:
    """`sina.com.cn` for `news.sina.com.cn`, `tj.gov.cn` for `www.tj.gov.cn`; for a name
    outside the public suffix list (`news.site.test`, `localhost`) its last two labels."""
    host = host.lower().rstrip(".")
    if not host or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return host
    parts = _extractor()(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join(host.split(".")[-2:])


def url_shape(url: str) -> str:
    """`/n1/#/#/c#-#.html` for `/n1/2024/0510/c1004-40232587.html`: pages of one shape
    usually share a template, pages of another shape often do not."""
    parts = urlsplit(url)
    return f"{parts.hostname}" + re.sub(r"\d+", "#", parts.path)


@dataclass
class Sampling:
    picked: list[Member]
    hosts: list[str]  # hosts of the site's entries, the listing's first
    offsite: Counter[str] = field(default_factory=Counter)  # other sites' hosts -> entries


def pick_samples(
    first: list[Member], later: list[Member], listing_url: str, count: int
) -> Sampling:
    """`count` entries spread over the first listing page, LATER_PAGE_SAMPLES over the later
    one, then one more for each host and URL shape not yet seen (at most `count` more)."""
    listing_host = (urlsplit(listing_url).hostname or "").lower()
    site = registrable_domain(listing_host)
    hosts = [listing_host]
    offsite: Counter[str] = Counter()
    inside: dict[str, list[Member]] = {"first": [], "later": []}
    for name, members in (("first", first), ("later", later)):
        for member in members:
            if member.link is None:
                continue
            host = (urlsplit(member.link.url).hostname or "").lower()
            if registrable_domain(host) != site:
                offsite[host] += 1
                continue
            if host not in hosts:
                hosts.append(host)
            inside[name].append(member)
    picked = spread(inside["first"], count) + spread(inside["later"], LATER_PAGE_SAMPLES)
    seen_hosts = {_host(m) for m in picked}
    seen_shapes = {url_shape(_url(m)) for m in picked}
    extra = 0
    for member in inside["first"] + inside["later"]:
        if extra >= count:
            break
        if any(member is m for m in picked):
            continue
        host, shape = _host(member), url_shape(_url(member))
        if host not in seen_hosts or shape not in seen_shapes:
            picked.append(member)
            seen_hosts.add(host)
            seen_shapes.add(shape)
            extra += 1
    return Sampling(picked, hosts, offsite)


def _url(member: Member) -> str:
    assert member.link is not None
    return member.link.url


def _host(member: Member) -> str:
    return (urlsplit(_url(member)).hostname or "").lower()
