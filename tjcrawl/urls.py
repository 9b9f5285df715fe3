"""Canonical URLs: one spelling per article, so that the archive keeps one row per page."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

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


@lru_cache(maxsize=65536)  # each URL is canonicalised on the listing and again in normalise
def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking, sorted query."""
    cleaned = url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True, keep_fragments=False)
    canon = canonicalize_url(cleaned, keep_fragments=False)
    parts = urlsplit(canon)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))
