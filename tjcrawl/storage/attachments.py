"""The text of stored attachment files (table `attachment_texts`), read by tjcrawl.attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tjcrawl import clock

if TYPE_CHECKING:
    from tjcrawl.attachments.states import Extracted
    from tjcrawl.storage.archive import Archive


def store_attachment_text(
    archive: Archive, *, url: str, sha256: str | None, got: Extracted
) -> None:
    """Keep what reading the file `url` (bytes hashed `sha256`) came to, replacing an earlier
    reading of it."""
    archive._begin()
    archive.conn.execute(
        "INSERT OR REPLACE INTO attachment_texts"
        " (url, sha256, state, pages, method, detail, text, extracted_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (url, sha256, got.state, got.pages, got.method, got.detail, got.text, clock.now_iso()),
    )
    archive._written()
