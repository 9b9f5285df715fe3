"""Canonical URLs: one spelling per article, so that the archive keeps one row per page."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Parameters that identify a visit, not a page.
TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "spm",
    "from",
    "share",
    "shareid",
    "isappinstalled",
    "timestamp",
    "_t",
    "gclid",
    "fbclid",
)
DEFAULT_PORTS = {"http": 80, "https": 443}
#: A URL already in canonical form, as most links of a CMS are: lower-case scheme and host,
#: no port, query, fragment, escape or dot segment, a path of unreserved characters. Such a
#: URL is its own canonical form and is followable (tests compare it with the full path).
_PLAIN_URL_RE = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:/(?!\.)[A-Za-z0-9._~-]*)+")
WEB_SCHEMES = frozenset(DEFAULT_PORTS)


class BadLink(ValueError):
    """A link the crawler cannot fetch: javascript:, mailto:, a port out of range, a broken
    IPv6 host. Its message says why, for the fault row."""


@lru_cache(maxsize=65536)  # each URL is canonicalised on the listing and again in normalise
def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking, sorted query."""
    if _PLAIN_URL_RE.fullmatch(url):
        return url
    return _canonical_in_full(url)


def _canonical_in_full(url: str) -> str:
    cleaned = url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True, keep_fragments=False)
    canon = canonicalize_url(cleaned, keep_fragments=False)
    parts = urlsplit(canon)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))


def followable_url(url: str) -> str:
    """`url` itself if the crawler can fetch it and key an article by it, else BadLink."""
    if _PLAIN_URL_RE.fullmatch(url):
        return url
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port out of range or not a number
    except ValueError as exc:  # urlsplit: "Invalid IPv6 URL"
        raise BadLink(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        raise BadLink(f"not a web page link ({scheme or 'no scheme'})")
    if not parts.hostname:
        raise BadLink("no host")
    try:
        canonical_url(url)
    except ValueError as exc:
        raise BadLink(f"not a URL ({exc})") from None
    return url


def resolve_link(base_url: str, href: str) -> str:
    """The URL a link on a page at `base_url` leads to, if the crawler can follow it; else
    BadLink saying why."""
    try:
        url = urljoin(base_url, href.strip())
    except ValueError as exc:  # "Invalid IPv6 URL"
        raise BadLink(f"not a URL ({exc})") from None
    return followable_url(url)
