"""Stored pages: the newest 200 copy of each page, read in batches, and the response a crawl
would have built from it (stored URL, headers and bytes, decoded by the crawler's rules).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from tjcrawl.middlewares import apply_encoding
from tjcrawl.profiles import Profile
from tjcrawl.storage.compression import PageUnreadable, page_body


@dataclass(frozen=True)
class StoredPage:
    id: int
    url: str
    kind: str
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: str
    last_fetched_at: str


@dataclass(frozen=True)
class _Known:
    id: int
    content_hash: str
    field_sources: str | None
    published_at: str | None
    listing_title: str | None
    listing_date: str | None
    last_seen_at: str | None
    last_checked_at: str | None
    revisit_interval_days: int | None
    next_revisit_at: str | None
    withdrawn_at: str | None


_KNOWN_SQL = (
    "SELECT url, id, content_hash, field_sources, published_at, listing_title, listing_date,"
    " last_seen_at, last_checked_at, revisit_interval_days, next_revisit_at, withdrawn_at"
    " FROM articles WHERE source = ?"
)
_NEWEST_SQL = (
    "SELECT id, url FROM (SELECT id, url, last_fetched_at, row_number() OVER"
    " (PARTITION BY url ORDER BY last_fetched_at DESC, id DESC) AS n"
    " FROM pages WHERE source = ? AND kind = ? AND status = 200)"
    " WHERE n = 1 ORDER BY last_fetched_at DESC, id DESC"
)


def newest_pages(conn: sqlite3.Connection, source: str, kind: str) -> list[tuple[int, str]]:
    """(id, url) of the newest stored 200 copy of each of a source's pages of one kind, newest
    first."""
    return [(row[0], row[1]) for row in conn.execute(_NEWEST_SQL, (source, kind))]


def load_pages(conn: sqlite3.Connection, ids: Sequence[int]) -> list[StoredPage]:
    """The stored pages with these ids, in that order, bytes decompressed."""
    rows = conn.execute(
        "SELECT id, url, kind, headers, body, compression, fetched_at, last_fetched_at"
        f" FROM pages WHERE id IN ({','.join('?' * len(ids))})",
        list(ids),
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    pages = []
    for page_id in ids:
        row = by_id[page_id]
        try:
            body = page_body(row[4], row[5], conn)
        except PageUnreadable as exc:
            raise type(exc)(f"page {row[0]} ({row[1]}): {exc}") from None
        pages.append(
            StoredPage(
                id=row[0],
                url=row[1],
                kind=row[2],
                headers=json.loads(row[3]) if row[3] else {},
                body=body,
                fetched_at=row[6],
                last_fetched_at=row[7] or row[6],
            )
        )
    return pages


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


@lru_cache(maxsize=256)
def _response_class(content_type: str | None, url_suffix: str) -> type[Response]:
    headers = Headers({"Content-Type": content_type} if content_type else {})
    return responsetypes.from_args(headers=headers, url=f"http://x/{url_suffix}")


class _Undecoded:
    """A response not built yet: what `apply_encoding` reads of it, built once by `replace`.

    Building the response only when its encoding is known saves a second Response (and a copy
    of its headers) per page; `apply_encoding` itself still makes the decision.
    """

    def __init__(self, cls: type[Response], **kwargs: Any) -> None:
        self.cls, self.kwargs = cls, kwargs
        self.headers: Headers = kwargs["headers"]
        self.body: bytes = kwargs["body"]

    def replace(self, **changes: Any) -> Response:
        return self.cls(**{**self.kwargs, **changes})


def page_response(page: StoredPage, request: Request, profile: Profile) -> Response:
    """The response the crawl's downloader middlewares would have handed the spider."""
    content_type = next(
        (v[0] for k, v in page.headers.items() if k.lower() == "content-type" and v), None
    )
    # Scrapy's choice of class: from Content-Type, else the URL's extension, else the bytes.
    suffix = page.url.rsplit("/", 1)[-1].split("?", 1)[0].rpartition(".")[2]
    cls = _response_class(content_type, f"x.{suffix}" if suffix else "")
    if cls is Response and page.body:
        cls = responsetypes.from_body(page.body)
    if page.body and not issubclass(cls, TextResponse) and _looks_like_html(page.body):
        cls = HtmlResponse  # HTML served with a wrong Content-Type: the middleware rescues it
    kwargs = {"url": page.url, "status": 200, "body": page.body, "request": request}
    if not page.body or not issubclass(cls, TextResponse):
        return cls(headers=page.headers, **kwargs)  # empty (no decoding) or not text at all
    undecoded = _Undecoded(cls, headers=Headers(page.headers), **kwargs)
    return apply_encoding(request, undecoded, profile)  # type: ignore[arg-type]
