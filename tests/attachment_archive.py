"""Archives with attachments written through the storage API (no crawl): articles, their
attachment links, the files' bytes and the text read from them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tjcrawl.attachments.reader import read
from tjcrawl.attachments.states import Extracted
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.attachments import store_attachment_text


def add_article(archive: Archive, n: int, title: str, body: str, **extra: object) -> str:
    url = f"http://x.test/{n}.html"
    archive.store_article(
        {
            "url": url,
            "source": "s",
            "title": title or "t",
            "body": body or "b",
            "content_hash": hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
        }
        | extra,
        None,
        "run",
    )
    return url


def add_attachment(
    archive: Archive,
    article_url: str,
    url: str,
    data: bytes,
    *,
    link_text: str = "",
    content_type: str = "application/pdf",
    got: Extracted | None = None,
) -> Extracted:
    """Link, keep and read one file as the crawl does (the text by the real readers unless
    `got` says what reading it came to)."""
    archive.store_attachment_links(article_url, [{"url": url, "text": link_text}])
    archive.store_attachment_file(
        url=url, status=200, content_type=content_type, body=data, run_id="run"
    )
    got = got or read(data, url)
    store_attachment_text(archive, url=url, sha256=hashlib.sha256(data).hexdigest(), got=got)
    return got


def text_only(text: str) -> Extracted:
    return Extracted("ok", text, 1, "text")


def new_archive(path: Path) -> Archive:
    return Archive(path)
