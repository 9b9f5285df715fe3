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
from typing import TYPE_CHECKING

from tjcrawl import clock
from tjcrawl.storage.archive import Archive, KnownEntry
from tjcrawl.urls import canonical_url

if TYPE_CHECKING:
    from tjcrawl.reextract.stored import StoredPage

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
    """What one source's run knows, read from the archive (a distributed worker's comes from
    Redis instead: tjcrawl.distributed.frontier.RedisFrontier)."""

    def __init__(
        self,
        archive: Archive,
        source: str,
        mode: str,
        overlap: int = DEFAULT_OVERLAP,
        verify_304: int = DEFAULT_VERIFY_304,
    ) -> None:
        self.archive = archive
        self._setup(
            source,
            mode,
            overlap,
            known=archive.known_entries(source),
            due=archive.due_for_revisit(source) if mode != FULL else [],
            trusts_304=archive.trusts_304(source),
            verify_304=verify_304,
        )

    def _setup(
        self,
        source: str,
        mode: str,
        overlap: int,
        *,
        known: dict[str, KnownEntry],
        due: list[str],
        trusts_304: bool,
        verify_304: int,
    ) -> None:
        self.source = source
        self.mode = mode
        self.overlap = max(1, overlap)
        self.known = known
        self.due = due if mode != FULL else []
        # A backfill checks everything afresh; a source caught lying stays unbelieved.
        self.trusts_304 = mode != FULL and trusts_304
        self.verifications_left = max(0, verify_304) if self.trusts_304 else 0

    # -- what the archive holds of a page (RedisFrontier reads them from Redis) ----------
    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the newest stored copy of a page."""
        return self.archive.validators(url)

    def newest_copy(self, url: str) -> tuple[int, str] | None:
        """Id and body SHA-256 of the newest stored 200 copy of a page."""
        return self.archive.newest_copy(url)

    def stored_page(self, url: str) -> StoredPage | None:
        """The newest stored 200 copy of a page, whole (a listing answered 304 is read
        from it)."""
        from tjcrawl.reextract.stored import load_pages

        stored = self.archive.newest_copy(url)
        if stored is None:
            return None
        (page,) = load_pages(self.archive.pages_reader(), [stored[0]])
        return page

    def attachment_known(self, url: str) -> bool:
        """An attachment the archive has (its bytes, or its too_large state) is not fetched
        again, but in a backfill."""
        return self.mode != FULL and self.archive.attachment_stored(url)

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

    def walk_on(self, page_was_quiet: bool, quiet_before: int) -> int | None:
        """After a listing page that came `quiet_before` quiet pages into its walk: how many
        quiet pages in a row the walk has read now, or None to stop it. The count travels
        with the walk's requests, not in the frontier: each start URL's walk counts its
        own, and so does a walk whose pages different distributed workers read."""
        quiet = quiet_before + 1 if page_was_quiet else 0
        return None if self.stops_early and quiet >= self.overlap else quiet

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
        self._record_distrust()

    def _record_distrust(self) -> None:
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
        etag, last_modified = self.validators(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers
