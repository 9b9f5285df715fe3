"""What the crawler already holds, so a nightly run fetches only what is new, changed or due.

Modes:
* ``incremental`` (default): walk listings newest first and stop after ``overlap`` listing
  pages in a row whose entries are all known and unchanged (two by default: the page after
  the first quiet one catches pagination drift, an entry pushed back onto a page the last run
  had already read); detail pages only for new entries, entries whose listing title or date
  changed, and articles due for a revisit (withdrawn ones included, on a widening schedule).
* ``sweep``: an incremental run that walks every listing page, by conditional GET (a 304 is
  read from the stored copy, at no cost to the site), so entries that slipped past the
  overlap are found. A source is swept when its listings were last walked to the end
  ``sweep_days`` (7) days ago or more: about one nightly run in seven.
* ``resume``: the previous run did not finish, so its listing walk may have stopped short:
  walk every listing page (still skipping known, unchanged detail pages).
* ``full``: a backfill; every listing page and every detail page, fetched unconditionally.

A source whose 304s were caught lying (fault ``stale_304``: see ProfileSpider) is fetched
unconditionally in every mode.
"""

from __future__ import annotations

from datetime import timedelta

from tjcrawl import clock
from tjcrawl.storage.archive import Archive, KnownEntry
from tjcrawl.urls import canonical_url

INCREMENTAL, SWEEP, RESUME, FULL = "incremental", "sweep", "resume", "full"
NEW, CHANGED, DUE, KNOWN = "new", "changed", "due", "known"
#: Listing pages in a row with nothing new after which an incremental walk stops.
DEFAULT_OVERLAP = 2
#: Days between listing sweeps of a source.
DEFAULT_SWEEP_DAYS = 7
#: Detail pages per run answered 304 that are fetched again unconditionally, to catch a
#: server whose 304s hide changed pages.
DEFAULT_VERIFY_304 = 2


def article_url(url: str, entry_key: str | None = None) -> str:
    """The archive's key for an article: its canonical URL (plus the entry key, if any)."""
    canonical = canonical_url(url)
    return f"{canonical}#{entry_key}" if entry_key else canonical


def choose_mode(
    archive: Archive, source: str, requested: str, sweep_days: int = DEFAULT_SWEEP_DAYS
) -> str:
    """The mode a run asked for as ``requested`` really runs in."""
    if requested != INCREMENTAL:
        return requested
    if archive.previous_run_unfinished(source):
        return RESUME  # the last walk may have stopped short: walk every listing page
    if not archive.crawled_before(source):
        return INCREMENTAL  # nothing is known, so no listing page is quiet: it walks them all
    last_walk = archive.last_complete_walk(source)
    due = clock.now() - timedelta(days=sweep_days)
    if last_walk is None or last_walk <= due.isoformat(timespec="seconds"):
        return SWEEP
    return INCREMENTAL


class Frontier:
    def __init__(
        self,
        archive: Archive,
        source: str,
        mode: str,
        overlap: int = DEFAULT_OVERLAP,
        verify_304: int = DEFAULT_VERIFY_304,
    ) -> None:
        self.archive = archive
        self.source = source
        self.mode = mode
        self.overlap = max(1, overlap)
        self.known: dict[str, KnownEntry] = archive.known_entries(source)
        self.due: list[str] = archive.due_for_revisit(source) if mode != FULL else []
        self.quiet_pages = 0
        # A backfill checks everything afresh; a source caught lying stays unbelieved.
        self.trusts_304 = mode != FULL and archive.trusts_304(source)
        self.verifications_left = max(0, verify_304) if self.trusts_304 else 0

    @property
    def stops_early(self) -> bool:
        return self.mode == INCREMENTAL

    def decide(self, url: str, listing_title: str | None, listing_date: str | None) -> str:
        entry = self.known.get(url)
        if entry is None:
            return NEW
        if self.mode == FULL:
            return DUE
        listing_changed = (listing_title and listing_title != entry.listing_title) or (
            listing_date and listing_date != entry.listing_date
        )
        if listing_changed and not entry.withdrawn:
            return CHANGED
        # A withdrawn entry still listed waits for its own re-check, not one per listing.
        return DUE if url in self.due else KNOWN

    def continue_after(self, page_was_quiet: bool) -> bool:
        """Whether to go on to the next listing page."""
        self.quiet_pages = self.quiet_pages + 1 if page_was_quiet else 0
        return not (self.stops_early and self.quiet_pages >= self.overlap)

    def take_verification(self) -> bool:
        """Whether this detail 304 is one to check with an unconditional re-fetch."""
        if self.verifications_left <= 0 or not self.trusts_304:
            return False
        self.verifications_left -= 1
        return True

    def distrust_304(self) -> None:
        """The source answered 304 for a changed page: no more conditional requests, from
        now on and in later runs."""
        self.trusts_304 = False
        self.archive.submit(self.archive.distrust_304, self.source)

    def conditional_headers(self, url: str, listing: bool) -> dict[str, str]:
        if not self.trusts_304:
            return {}
        # A resumed walk reads its listings whole, as a backfill would. An article stored from
        # a cut page must be fetched whole: its validators may well describe the whole page.
        if listing and self.mode == RESUME:
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
