"""What the crawler already holds, so a nightly run fetches only what is new, changed or due.

Modes:
* ``incremental`` (default): walk listings newest first and stop after ``overlap`` listing
  pages whose entries are all known and unchanged; detail pages only for new entries, entries
  whose listing title or date changed, and articles due for a revisit.
* ``resume``: the previous run did not finish, so its listing walk may have stopped short:
  walk every listing page (still skipping known, unchanged detail pages).
* ``full``: a backfill; every listing page and every detail page.
"""

from __future__ import annotations

from tjcrawl.storage.archive import Archive, KnownEntry
from tjcrawl.urls import canonical_url

INCREMENTAL, RESUME, FULL = "incremental", "resume", "full"
NEW, CHANGED, DUE, KNOWN = "new", "changed", "due", "known"


def article_url(url: str, entry_key: str | None = None) -> str:
    """The archive's key for an article: its canonical URL (plus the entry key, if any)."""
    canonical = canonical_url(url)
    return f"{canonical}#{entry_key}" if entry_key else canonical


class Frontier:
    def __init__(self, archive: Archive, source: str, mode: str, overlap: int = 1) -> None:
        self.archive = archive
        self.mode = mode
        self.overlap = max(1, overlap)
        self.known: dict[str, KnownEntry] = archive.known_entries(source)
        self.due: list[str] = archive.due_for_revisit(source) if mode != FULL else []
        self.quiet_pages = 0

    @property
    def stops_early(self) -> bool:
        return self.mode == INCREMENTAL

    def decide(self, url: str, listing_title: str | None, listing_date: str | None) -> str:
        entry = self.known.get(url)
        if entry is None:
            return NEW
        if self.mode == FULL:
            return DUE
        if entry.withdrawn:
            return KNOWN
        listing_changed = (listing_title and listing_title != entry.listing_title) or (
            listing_date and listing_date != entry.listing_date
        )
        if listing_changed:
            return CHANGED
        return DUE if url in self.due else KNOWN

    def continue_after(self, page_was_quiet: bool) -> bool:
        """Whether to go on to the next listing page."""
        self.quiet_pages = self.quiet_pages + 1 if page_was_quiet else 0
        return not (self.stops_early and self.quiet_pages >= self.overlap)

    def conditional_headers(self, url: str, listing: bool) -> dict[str, str]:
        # A listing must be read whole unless the walk may stop at it. An article stored from a
        # cut page must be fetched whole: its validators may well describe the whole page.
        if listing and not self.stops_early:
            return {}
        if not listing and (entry := self.known.get(article_url(url))) and entry.incomplete:
            return {}
        etag, last_modified = self.archive.validators(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers
