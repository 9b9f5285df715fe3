"""The archive writer: a thin layer over sqlite-utils, one connection per database per process.

Writes go into explicit transactions committed in batches (a commit per item costs more than
the item itself in WAL mode), by count and by age: a transaction is committed once it holds
`commit_every` writes or its oldest work was handed over `commit_seconds` ago, so readers
(Datasette, exports) see a crawl's progress every few seconds and a killed crawl loses at most
that much work. A write is stored only once its transaction commits: a crawl counts what it
wrote in a `WriteLedger`, which learns at each commit or roll-back what became of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import queue
import re
import sqlite3
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from tjcrawl import clock, dates
from tjcrawl.profiles import Profile
from tjcrawl.storage import search
from tjcrawl.storage.lock import RunLock
from tjcrawl.storage.migrations import migrate
from tjcrawl.storage.readonly import ArchiveUnreadable, refuse_to_write

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
# A cut page of an article archived whole: the whole version is kept, the page fetched again.
CUT_AGAIN = "cut_again"
#: Runs in a row whose fetch of an article's page must answer 404/410 before it is withdrawn:
#: one miss is as often a server's bad minute (or an article being re-edited) as a withdrawal.
MISSES_TO_WITHDRAW = 2
logger = logging.getLogger(__name__)


def _field_sources_json(sources: Any) -> str | None:
    """`articles.field_sources`: where each field came from, as JSON (None: not recorded)."""
    if not sources:
        return None
    return sources if isinstance(sources, str) else json.dumps(sources, ensure_ascii=False)


def _stated_date(article: Mapping[str, Any]) -> str | None:
    """The item's publication time when the page states it as a calendar date.

    A date resolved from "3天前" or "昨天 10:30" depends on when the page was fetched, so a
    later fetch of an unchanged article gives another one: only a stated date (the detail
    page's, the listing's, the URL's) may replace the archived date, and a changed stated
    date is a change of the article (a corrected 发布时间) even when its text is the same.
    """
    published = article.get("published_at")
    source = article.get("date_source")
    if not published:
        return None
    if source == "url":
        return str(published)
    text = article.get("date_text") if source == "detail" else article.get("listing_date")
    return str(published) if dates.is_absolute(text) else None


@dataclass(frozen=True)
class PackedBody:
    """A page body as the archive keeps it: its SHA-256 and its zlib-compressed bytes."""

    sha256: str
    compressed: bytes

    @classmethod
    def of(cls, body: bytes) -> PackedBody:
        return cls(hashlib.sha256(body).hexdigest(), zlib.compress(body, 6))


_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class ArchiveError(RuntimeError):
    """The archive cannot be opened or used; the message is meant for the user."""


def write_error_text(exc: BaseException, path: str | Path) -> str:
    """Why a write to the archive at `path` failed, in one line a user can act on."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    message = str(exc)
    lowered = message.lower()
    if name.startswith("SQLITE_FULL") or "database or disk is full" in lowered:
        return f"the disk holding {path} is full"
    if name.startswith("SQLITE_READONLY") or "readonly database" in lowered:
        return f"{path} is read-only (check the permissions of the file and its folder)"
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in lowered:
        return f"a disk I/O error while writing {path} (is its disk failing or gone?)"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in lowered:
        return f"{path} is locked by another program"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in lowered:
        return f"{path} is damaged ({message})"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in lowered:
        return f"{path} cannot be opened any more (was it or its folder removed?)"
    return f"writing {path} failed ({type(exc).__name__}: {message})"


class WriteLedger:
    """What one crawl wrote to the archive, by kind, and what became of it.

    Counts wait in `pending` until their transaction ends: SQLite rolls a transaction back
    whole on SQLITE_FULL or an I/O error, so a write is stored only once COMMIT returns. Then
    they move to `committed`, or, when the transaction is rolled back, to `failed`.
    """

    def __init__(self, on_settle: Callable[[Counter[str], bool], None] | None = None) -> None:
        self.committed: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.pending: Counter[str] = Counter()
        self.errors: list[BaseException] = []
        self.on_settle = on_settle

    def settle(self, committed: bool, cause: BaseException | None = None) -> None:
        settled, self.pending = self.pending, Counter()
        (self.committed if committed else self.failed).update(settled)
        if cause is not None:
            self.errors.append(cause)
        if self.on_settle is not None and settled:
            self.on_settle(settled, committed)


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating and migrating as needed) an archive, or explain in one line why not.

    Another program's SQLite file and an archive of a newer tjcrawl are refused before anything
    is written to them: no switch to WAL, no migration.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise ArchiveError(f"{path}: is a folder, not an archive file")
    if str(path) != ":memory:" and not path.parent.is_dir():
        raise ArchiveError(f"{path}: the folder {path.parent} does not exist")
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        refuse_to_write(conn, path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        db = sqlite_utils.Database(conn)
        migrate(db)
    except (sqlite3.DatabaseError, ArchiveUnreadable) as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, ArchiveUnreadable):
            raise ArchiveError(str(exc)) from None
        raise ArchiveError(f"{path}: not a usable SQLite archive ({exc})") from None
    return db


@dataclass(frozen=True)
class RevisitPolicy:
    """Recent articles are re-checked after 1, 2, 4 … days, up to a cap, while they are young.

    Young is by publish date (else first sighting): a backfill of a site's old articles adds
    no revisits, while this week's news, which is what portals correct, is re-checked.
    """

    first_days: int = 1
    max_interval_days: int = 32
    window_days: int = 90

    def first_interval(self, at: datetime, born: datetime) -> int:
        """Days to the first revisit: as old as the article already is, within the bounds.

        Corrections come early in an article's life, so a re-check is worth about as much
        as the article is young: yesterday's news is re-checked tomorrow, a month-old article
        found by a backfill in a month, which keeps a backfill from costing a night of 304s.
        """
        age_days = max(0, (at - born).days)
        return min(max(self.first_days, age_days), self.max_interval_days)

    def next_after(self, at: datetime, interval_days: int, born: datetime) -> str | None:
        if at - born > timedelta(days=self.window_days):
            return None
        return (at + timedelta(days=interval_days)).isoformat(timespec="seconds")


@dataclass(frozen=True)
class KnownEntry:
    listing_title: str | None
    listing_date: str | None
    withdrawn: bool
    incomplete: bool = False  # stored from a cut page: fetch it whole, never conditionally


class Archive:
    """The one writer of an archive, shared by every crawler of this process.

    Opening it takes the archive's run lock; a run that died without finishing is then marked
    interrupted, since nothing else can be writing.
    """

    _open: dict[Path, Archive] = {}  # noqa: RUF012 - process-wide registry, by design
    _lock = threading.Lock()

    def __init__(
        self,
        path: Path,
        commit_every: int = 200,
        revisit: RevisitPolicy | None = None,
        commit_seconds: float = 2.0,
    ) -> None:
        self.path = path
        self.run_lock = RunLock.acquire(path)
        try:
            self.db = open_database(path)
        except ArchiveError:
            self.run_lock.release()
            raise
        self.conn = self.db.conn
        self.commit_every = commit_every
        self.commit_seconds = commit_seconds
        # When the work of the open transaction was handed over (monotonic), for the commit by
        # age; and when the batch the writer is running was handed over.
        self._transaction_since: float | None = None
        self._handed_at: float | None = None
        self._ended_at = 0.0  # when the last transaction was committed or rolled back
        self.revisit = revisit or RevisitPolicy()
        self.pending = 0
        self.users = 0
        try:
            self.conn.execute(
                "UPDATE crawl_runs SET finish_reason = 'interrupted' "
                "WHERE finished_at IS NULL AND finish_reason IS NULL"
            )
        except sqlite3.Error:  # a full disk: whoever opens the archive says so, in one line
            self.conn.close()
            self.run_lock.release()
            raise
        # At most ~2,000 writes waiting (32 batches of 64), as before batching: bounded memory.
        self._queue: queue.Queue[tuple[float, list[_Job]] | None] = queue.Queue(maxsize=32)
        self._batch: list[_Job] = []
        self._batch_lock = threading.Lock()
        self._batch_started = 0.0
        # Articles stored in this transaction but not yet in the search index: indexed
        # together at commit, as one batch of tokens and one insert per index table.
        self._to_index: dict[int, tuple[str, str]] = {}
        self._change_seq: int | None = None  # read at the first change of a transaction
        self._writer: threading.Thread | None = None
        self._read_conn: sqlite3.Connection | None = None
        self.writer_errors: list[BaseException] = []
        # Ledgers with counts in the open transaction (only the writer thread touches it).
        self._tallied: dict[int, WriteLedger] = {}

    # -- the writer thread ----------------------------------------------------------------
    # A crawl hands its writes to one thread that owns the connection: SQLite, FTS5 and zlib
    # release the GIL, so the archive's work moves to the second core while the reactor
    # thread parses pages. Calls run in submission order, so a page is stored before the
    # article extracted from it, and a run's figures after its last article.
    #
    # Writes are handed over in batches: a queue hand-off per write woke the writer for every
    # page, and each wake-up made the two threads trade the GIL and the queue's lock, which
    # cost the reactor thread more than the write itself. A batch goes when it is full, when
    # it is half a second old, when someone waits for a result (`call`), and on `flush`,
    # which a crawl also calls twice a second: a slow, polite crawl still hands each page over
    # within a second. The writer commits when its transaction is full or old (see
    # `_commit_due`), checked after every write and, while it waits for work, by a timeout on
    # the queue: an idle crawl does not keep its last pages uncommitted (and hold the write
    # lock) until the next page comes.
    hand_off_batch = 64

    def start_writer(self) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="archive-writer", daemon=True
                )
                self._writer.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run fn(*args) on the writer thread (here, when there is none)."""
        future: Future[Any] = Future()
        if self._writer is None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever asks for the result
                future.set_exception(exc)
            return future
        now = time.monotonic()
        with self._batch_lock:
            if not self._batch:
                self._batch_started = now
            self._batch.append((future, fn, args))
            due = len(self._batch) >= self.hand_off_batch or now - self._batch_started > 0.5
        if due:
            self.flush()
        return future

    def flush(self) -> None:
        """Hand the writes submitted so far to the writer thread."""
        with self._batch_lock:
            batch, self._batch = self._batch, []
            started = self._batch_started
        if batch and self._writer is not None:
            self._queue.put((started, batch))

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run fn(*args) on the writer thread and wait for its result."""
        future = self.submit(fn, *args)
        self.flush()
        return future.result()

    def _write_loop(self) -> None:
        # Commits fall between writes, never inside one: the writes a call makes and the
        # counts it tallies always share a transaction, and so share its fate.
        while True:
            try:
                handed = self._queue.get(timeout=self._until_commit_due())
            except queue.Empty:  # no work came while the open transaction grew old
                self.try_commit()
                continue
            if handed is None:
                break
            self._handed_at, batch = handed
            for future, fn, args in batch:
                what = getattr(fn, "__name__", repr(fn))
                try:
                    result = fn(*args)
                    if self._commit_due():
                        what = f"commit after {what}"
                        self.commit()
                except BaseException as exc:  # kept for the run's report, never lost silently
                    self._roll_back(exc)
                    self._log_write_error(exc, what)
                    future.set_exception(exc)
                else:
                    future.set_result(result)

    def _commit_due(self) -> bool:
        """Whether the open transaction is full, or old enough that it must be committed."""
        if self.pending >= self.commit_every:
            return True
        since = self._transaction_since
        return since is not None and time.monotonic() - since >= self.commit_seconds

    def _until_commit_due(self) -> float | None:
        """Seconds until the open transaction is due by age; None when there is none."""
        if self._transaction_since is None:
            return None
        return max(0.0, self._transaction_since + self.commit_seconds - time.monotonic())

    def _log_write_error(self, exc: BaseException, what: str) -> None:
        self.writer_errors.append(exc)
        if isinstance(exc, sqlite3.Error):  # the archive's situation, not a bug: one line
            logger.error("archive write failed (%s): %s", what, write_error_text(exc, self.path))
        else:
            logger.error("archive write failed: %s", what, exc_info=exc)

    def _stop_writer(self) -> None:
        if self._writer is not None:
            self.flush()
            self._queue.put(None)
            self._writer.join()
            self._writer = None

    def reader(self) -> sqlite3.Connection:
        """A second connection for reads on the crawl's own thread (WAL: never blocked)."""
        if self._read_conn is None:
            self._read_conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, timeout=30
            )
        return self._read_conn

    @classmethod
    def acquire(
        cls,
        path: str | Path,
        commit_every: int = 200,
        revisit: RevisitPolicy | None = None,
        commit_seconds: float = 2.0,
    ) -> Archive:
        key = Path(path).resolve()
        with cls._lock:
            archive = cls._open.get(key)
            if archive is None:
                archive = cls._open[key] = cls(key, commit_every, revisit, commit_seconds)
            archive.users += 1
            return archive

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            if self.users <= 0:
                self.close()
                self._open.pop(self.path, None)

    def close(self) -> None:
        self._stop_writer()
        if self._read_conn is not None:
            self._read_conn.close()
        self.try_commit()
        # Only statistics for the query planner; a full disk may refuse them.
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA optimize")
        self.conn.close()
        self.run_lock.release()

    # -- transactions -------------------------------------------------------------------
    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            # Aged from the hand-over of the work that opens it (time spent waiting in a batch
            # is time at risk too), but never from before the last transaction ended: a writer
            # that is behind commits every commit_seconds, not after every write.
            now = time.monotonic()
            self._transaction_since = max(min(self._handed_at or now, now), self._ended_at)

    def _written(self) -> None:
        self.pending += 1
        # With a writer thread, its loop commits between calls (see _write_loop).
        if self._writer is None and self._commit_due():
            self.commit()

    def tally(self, ledger: WriteLedger, kind: str, count: int = 1) -> None:
        """Count a write of `kind` in the open transaction; settled when it ends."""
        ledger.pending[kind] += count
        self._tallied[id(ledger)] = ledger

    def commit(self) -> None:
        """Commit the open transaction; when that fails, roll it back, then raise."""
        try:
            self.index_pending()
            if self._change_seq is not None:
                self.conn.execute(
                    "UPDATE tjcrawl_meta SET value = ? WHERE key = 'change_seq'",
                    (self._change_seq,),
                )
                self._change_seq = None
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
        except BaseException as exc:
            self._roll_back(exc)
            raise
        self.pending = 0
        self._transaction_since = None
        self._ended_at = time.monotonic()
        self._settle(committed=True)

    def try_commit(self) -> BaseException | None:
        """Commit; a failure is rolled back, counted, logged and returned, not raised."""
        try:
            self.commit()
        except sqlite3.Error as exc:
            self._log_write_error(exc, "commit")
            return exc
        return None

    def _roll_back(self, cause: BaseException) -> None:
        """End a transaction in which a write failed: nothing of it is stored.

        SQLite itself rolls the whole transaction back on SQLITE_FULL, SQLITE_IOERR and
        SQLITE_NOMEM, and leaves it open after other errors; rolling back in every case keeps
        one rule (a transaction lands whole or is counted failed whole), and no write of
        several statements (an article and its revision) ever lands half.
        """
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.debug("rollback after a failed write failed too", exc_info=True)
        self._to_index = {}
        self._change_seq = None
        self.pending = 0
        self._transaction_since = None
        self._ended_at = time.monotonic()
        self._settle(committed=False, cause=cause)

    def _settle(self, committed: bool, cause: BaseException | None = None) -> None:
        tallied, self._tallied = self._tallied, {}
        for ledger in tallied.values():
            ledger.settle(committed, cause)

    def index_pending(self) -> None:
        """Put the articles stored since the last commit into the search index."""
        if self._to_index:
            rows = [(rowid, title, body) for rowid, (title, body) in self._to_index.items()]
            self._to_index = {}
            search.index_articles(self.conn, rows)

    def _index_later(self, rowid: int, title: str, body: str) -> None:
        self._to_index[rowid] = (title, body)

    def _unindex(self, rowid: int, title: str, body: str) -> None:
        # Not indexed yet (stored earlier in this transaction): there is nothing to remove,
        # and a contentless index must never be told to delete tokens it does not hold.
        if self._to_index.pop(rowid, None) is None:
            search.unindex_article(self.conn, rowid, title, body)

    # -- sources and runs ---------------------------------------------------------------
    def record_source(self, profile: Profile) -> None:
        self.commit()
        with self.db.atomic():
            record_source_row(self.conn, profile)

    def limit_size(self, max_pages: int) -> None:
        """Let the archive grow to at most this many database pages (SQLITE_FULL beyond).

        For tests of a full disk where no small filesystem can be mounted.
        """
        self.conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")

    def start_run(self, run_id: str, source: str, profile_sha256: str, mode: str) -> int:
        self.commit()
        cursor = self.conn.execute(
            "INSERT INTO crawl_runs (run_id, source, profile_sha256, started_at, mode)"
            " VALUES (?,?,?,?,?)",
            (run_id, source, profile_sha256, clock.now_iso(), mode),
        )
        return int(cursor.lastrowid or 0)

    def finish_run(self, row_id: int, values: Mapping[str, Any]) -> None:
        """Record a run's figures, committed with every write still open (a fault row)."""
        self._begin()
        try:
            self.db["crawl_runs"].update(row_id, {**values, "finished_at": clock.now_iso()})
        except BaseException as exc:
            self._roll_back(exc)
            raise
        self.commit()

    def previous_run_unfinished(self, source: str) -> bool:
        """Whether the source has a last crawl and it stopped before walking its listings to the
        end (re-extractions, which fetch nothing, do not count). A first crawl has none."""
        row = self.conn.execute(
            "SELECT finish_reason FROM crawl_runs WHERE source = ?"
            " AND coalesce(mode, '') != 'reextract' ORDER BY id DESC LIMIT 1",
            (source,),
        ).fetchone()
        return row is not None and row[0] != "finished"

    def record_fault(
        self, *, run_id: str, source: str, url: str, kind: str, status: int | None, detail: str
    ) -> None:
        self._begin()
        self.conn.execute(
            "INSERT INTO faults (run_id, source, url, kind, status, detail, at)"
            " VALUES (?,?,?,?,?,?,?)",
            (run_id, source, url, kind, status, detail[:500], clock.now_iso()),
        )
        self._written()

    # -- what the crawler already knows -------------------------------------------------
    def known_entries(self, source: str) -> dict[str, KnownEntry]:
        rows = self.conn.execute(
            "SELECT url, listing_title, listing_date, withdrawn_at, incomplete FROM articles"
            " WHERE source = ?",
            (source,),
        )
        return {r[0]: KnownEntry(r[1], r[2], r[3] is not None, bool(r[4])) for r in rows}

    def due_for_revisit(self, source: str, limit: int = 1000) -> list[str]:
        """Articles whose re-check is due, withdrawn ones too: a withdrawn page is re-checked
        on a widening schedule, so that one that comes back is archived again."""
        rows = self.conn.execute(
            "SELECT url FROM articles WHERE source = ?"
            " AND next_revisit_at IS NOT NULL AND next_revisit_at <= ?"
            " ORDER BY next_revisit_at LIMIT ?",
            (source, clock.now_iso(), limit),
        )
        return [r[0] for r in rows]

    def pages_reader(self) -> sqlite3.Connection:
        return self.reader() if self._writer is not None else self.conn

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the newest stored copy of a page, for a conditional GET."""
        conn = self.pages_reader()
        row = conn.execute(
            "SELECT etag, last_modified FROM pages WHERE url = ? AND status = 200"
            " ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
            (url,),
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def newest_copy(self, url: str) -> tuple[int, str] | None:
        """Id and body SHA-256 of the newest stored 200 copy of a page: the copy a 304 for
        the validators above confirms."""
        conn = self.pages_reader()
        row = conn.execute(
            "SELECT id, body_sha256 FROM pages WHERE url = ? AND status = 200"
            " ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
            (url,),
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    # -- sources whose 304s lie ----------------------------------------------------------
    def trusts_304(self, source: str) -> bool:
        row = self.conn.execute(
            "SELECT stale_304_at FROM sources WHERE slug = ?", (source,)
        ).fetchone()
        return row is None or row[0] is None

    def distrust_304(self, source: str) -> None:
        """The source answered 304 for a page that had changed: fetch it unconditionally."""
        self._begin()
        self.conn.execute(
            "UPDATE sources SET stale_304_at = coalesce(stale_304_at, ?) WHERE slug = ?",
            (clock.now_iso(), source),
        )
        self._written()

    # -- the listing sweep ---------------------------------------------------------------
    def crawled_before(self, source: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM crawl_runs WHERE source = ? AND coalesce(mode, '') != 'reextract'"
            " LIMIT 1",
            (source,),
        ).fetchone()
        return row is not None

    def last_complete_walk(self, source: str) -> str | None:
        """When the source's listings were last walked to the end by a run that finished
        (a sweep, a resume, a full run, or its first run, to which nothing was known), or None."""
        row = self.conn.execute(
            "SELECT max(started_at) FROM crawl_runs WHERE source = ?"
            " AND finish_reason = 'finished' AND (mode IN ('sweep', 'resume', 'full')"
            " OR id = (SELECT min(id) FROM crawl_runs WHERE source = ?"
            " AND coalesce(mode, '') != 'reextract'))",
            (source, source),
        ).fetchone()
        return row[0] if row else None

    # -- pages --------------------------------------------------------------------------
    def store_page(
        self,
        *,
        url: str,
        source: str,
        kind: str,
        status: int,
        headers: Mapping[str, list[str]],
        body: bytes,
        encoding: Mapping[str, Any] | None,
        fetched_at: str,
        run_id: str,
        packed: PackedBody | None = None,
    ) -> int:
        """Keep the raw page; a page fetched again with the same bytes is only touched.

        `packed` is the body's digest and compressed bytes when the caller made them already
        (the crawl does, on its own thread, to spare the archive's writer thread).
        """
        self._begin()
        packed = packed or PackedBody.of(body)
        digest = packed.sha256
        row = self.conn.execute(
            "SELECT id FROM pages WHERE url = ? AND body_sha256 = ?", (url, digest)
        ).fetchone()
        lowered = {k.lower(): v for k, v in headers.items()}
        etag = (lowered.get("etag") or [None])[0]
        last_modified = (lowered.get("last-modified") or [None])[0]
        if row:
            # Same bytes, maybe new validators (a server's ETag often changes with a restart
            # or a re-publish): the next conditional GET must send what the server sent last.
            self.conn.execute(
                "UPDATE pages SET last_fetched_at = ?, fetch_count = fetch_count + 1, run_id = ?,"
                " etag = ?, last_modified = ? WHERE id = ?",
                (fetched_at, run_id, etag, last_modified, row[0]),
            )
            self._written()
            return int(row[0])
        encoding = encoding or {}
        cursor = self.conn.execute(
            "INSERT INTO pages (url, source, kind, status, headers, body, body_size, body_sha256,"
            " compression, declared_encoding, used_encoding, encoding_how, fetched_at,"
            " last_fetched_at, fetch_count, run_id, etag, last_modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?)",
            (
                url,
                source,
                kind,
                status,
                json.dumps(headers, ensure_ascii=False),
                packed.compressed,
                len(body),
                digest,
                "zlib",
                encoding.get("declared"),
                encoding.get("used"),
                encoding.get("how"),
                fetched_at,
                fetched_at,
                run_id,
                etag,
                last_modified,
            ),
        )
        self._written()
        return int(cursor.lastrowid or 0)

    def touch_page(self, url: str, fetched_at: str, run_id: str) -> None:
        """A 304: the newest stored copy of the page is still current."""
        self._begin()
        self.conn.execute(
            "UPDATE pages SET last_fetched_at = ?, fetch_count = fetch_count + 1, run_id = ?"
            " WHERE id = (SELECT id FROM pages WHERE url = ? AND status = 200"
            " ORDER BY last_fetched_at DESC LIMIT 1)",
            (fetched_at, run_id, url),
        )
        self._written()

    # -- articles -----------------------------------------------------------------------
    def _next_change(self) -> int:
        """A number that grows with every change downstream tools should see.

        Counted in memory and written back at commit, in the same transaction: the run lock
        makes this the only writer, and one statement fewer per article matters to the
        writer thread, which waits for the GIL after every statement.
        """
        if self._change_seq is None:
            row = self.conn.execute(
                "SELECT value FROM tjcrawl_meta WHERE key = 'change_seq'"
            ).fetchone()
            self._change_seq = int(row[0])
        self._change_seq += 1
        return self._change_seq

    def _schedule(self, interval: int, born: str) -> tuple[int, str | None]:
        """Interval and next revisit; `born` is the publish date, else the first sighting."""
        at = clock.now()
        return interval, self.revisit.next_after(at, interval, datetime.fromisoformat(born))

    def store_article(self, article: Mapping[str, Any], page_id: int | None, run_id: str) -> str:
        """Insert a new article, touch an unchanged one, or revise a changed one.

        An article from a cut page (`incomplete`) is stored flagged and due again at once, so
        the next run fetches it whole; it never replaces a version that was archived whole.
        """
        self._begin()
        now = clock.now_iso()
        incomplete = int(bool(article.get("incomplete")))
        sources = _field_sources_json(article.get("field_sources"))
        existing = self.conn.execute(
            "SELECT id, title, body, published_at, origin, author, content_hash, page_id,"
            " last_changed_at, first_seen_at, revisit_interval_days, incomplete"
            " FROM articles WHERE url = ?",
            (article["url"],),
        ).fetchone()
        if existing is not None and incomplete and not existing[11]:
            self.conn.execute(
                "UPDATE articles SET last_seen_at = ?, next_revisit_at = ?, run_id = ?"
                " WHERE id = ?",
                (now, now, run_id, existing[0]),
            )
            self._written()
            return CUT_AGAIN
        if existing is None:
            duplicate_of = article.get("duplicate_of") or self._same_content_elsewhere(article)
            born = article.get("published_at") or now
            interval, next_revisit = self._schedule(
                self.revisit.first_interval(clock.now(), datetime.fromisoformat(born)), born
            )
            next_revisit = now if incomplete else next_revisit
            cursor = self.conn.execute(
                "INSERT INTO articles (url, source, title, published_at, date_source,"
                " date_precision, date_conflict, listing_title, listing_date, body, body_html,"
                " origin, author, content_hash, duplicate_of, page_id, first_seen_at,"
                " last_seen_at, last_changed_at, last_checked_at, revisit_interval_days,"
                " next_revisit_at, run_id, change_seq, incomplete, field_sources)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article["url"],
                    article["source"],
                    article["title"],
                    article.get("published_at"),
                    article.get("date_source"),
                    article.get("date_precision"),
                    int(bool(article.get("date_conflict"))),
                    article.get("listing_title"),
                    article.get("listing_date"),
                    article["body"],
                    article.get("body_html"),
                    article.get("origin"),
                    article.get("author"),
                    article["content_hash"],
                    duplicate_of,
                    page_id,
                    now,
                    now,
                    now,
                    now,
                    interval,
                    next_revisit,
                    run_id,
                    self._next_change(),
                    incomplete,
                    sources,
                ),
            )
            article_id = int(cursor.lastrowid or 0)
            self._index_later(article_id, article["title"], article["body"])
            self._written()
            return NEW
        (article_id, old_title, old_body, old_published, old_origin, old_author, old_hash,
         old_page, old_changed, first_seen, old_interval, was_incomplete) = existing  # fmt: skip
        new_date = _stated_date(article)
        date_corrected = new_date is not None and new_date != old_published
        if old_hash == article["content_hash"] and not date_corrected:
            interval, next_revisit = self._schedule(
                min((old_interval or 1) * 2, self.revisit.max_interval_days),
                old_published or first_seen,
            )
            self.conn.execute(
                "UPDATE articles SET last_seen_at = ?, last_checked_at = ?,"
                " revisit_interval_days = ?, next_revisit_at = ?, listing_title = ?,"
                " listing_date = ?, withdrawn_at = NULL, run_id = ?, incomplete = ?,"
                " field_sources = coalesce(?, field_sources),"
                " change_seq = coalesce(?, change_seq) WHERE id = ?",
                (
                    now,
                    now,
                    interval,
                    now if incomplete else next_revisit,
                    article.get("listing_title"),
                    article.get("listing_date"),
                    run_id,
                    incomplete,
                    sources,
                    # A cut article now known whole is news to whoever exported it flagged.
                    self._next_change() if incomplete != was_incomplete else None,
                    article_id,
                ),
            )
            self._written()
            return UNCHANGED
        self.conn.execute(
            "INSERT INTO revisions (article_id, url, title, published_at, body, origin, author,"
            " content_hash, page_id, seen_from, replaced_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                article_id,
                article["url"],
                old_title,
                old_published,
                old_body,
                old_origin,
                old_author,
                old_hash,
                old_page,
                old_changed or first_seen,
                now,
            ),
        )
        self._unindex(article_id, old_title, old_body)
        interval, next_revisit = self._schedule(
            self.revisit.first_days, article.get("published_at") or first_seen
        )
        changed = {
            "title": article["title"],
            "body": article["body"],
            "body_html": article.get("body_html"),
            "origin": article.get("origin"),
            "author": article.get("author"),
            "content_hash": article["content_hash"],
            "page_id": page_id,
            "listing_title": article.get("listing_title"),
            "listing_date": article.get("listing_date"),
            "last_seen_at": now,
            "last_changed_at": now,
            "last_checked_at": now,
            "revisit_interval_days": interval,
            "next_revisit_at": now if incomplete else next_revisit,
            "withdrawn_at": None,
            "incomplete": incomplete,
            "run_id": run_id,
            "change_seq": self._next_change(),
        }
        if sources is not None:
            changed["field_sources"] = sources
        if new_date is not None or old_published is None:
            changed |= {
                "published_at": article.get("published_at"),
                "date_source": article.get("date_source"),
                "date_precision": article.get("date_precision"),
                "date_conflict": int(bool(article.get("date_conflict"))),
            }
        assignments = ", ".join(f"{column} = ?" for column in changed)
        self.conn.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", (*changed.values(), article_id)
        )
        self._index_later(article_id, article["title"], article["body"])
        self._written()
        return CHANGED

    def store_attachment_links(self, article_url: str, links: list[Mapping[str, str]]) -> None:
        if not links:
            return
        row = self.conn.execute("SELECT id FROM articles WHERE url = ?", (article_url,)).fetchone()
        if row is None:
            return
        self._begin()
        now = clock.now_iso()
        self.conn.executemany(
            "INSERT OR IGNORE INTO attachments (article_id, url, text, first_seen_at)"
            " VALUES (?,?,?,?)",
            [(row[0], link["url"], link.get("text"), now) for link in links],
        )
        self._written()

    def store_attachment_file(
        self, *, url: str, status: int, content_type: str | None, body: bytes, run_id: str
    ) -> None:
        """Keep an attachment's bytes (uncompressed: they are mostly compressed formats)."""
        self._begin()
        self.conn.execute(
            "INSERT OR REPLACE INTO attachment_files (url, status, content_type, size, sha256,"
            " body, fetched_at, run_id) VALUES (?,?,?,?,?,?,?,?)",
            (
                url,
                status,
                content_type,
                len(body),
                hashlib.sha256(body).hexdigest(),
                body,
                clock.now_iso(),
                run_id,
            ),
        )
        self._written()

    def touch_unchanged(self, url: str, run_id: str) -> bool:
        """A detail page answered 304: the article was checked and is as stored."""
        row = self.conn.execute(
            "SELECT id, coalesce(published_at, first_seen_at), revisit_interval_days"
            " FROM articles WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return False
        self._begin()
        interval, next_revisit = self._schedule(
            min((row[2] or 1) * 2, self.revisit.max_interval_days), row[1]
        )
        now = clock.now_iso()
        self.conn.execute(
            "UPDATE articles SET last_seen_at = ?, last_checked_at = ?, revisit_interval_days = ?,"
            " next_revisit_at = ?, run_id = ? WHERE id = ?",
            (now, now, interval, next_revisit, run_id, row[0]),
        )
        self._written()
        return True

    def mark_withdrawn(self, url: str, run_id: str) -> bool:
        """The page answered 404/410: keep the article; whether it is withdrawn now.

        One miss is only recorded, with a re-check the next day; the MISSES_TO_WITHDRAW-th
        miss in a row (on as many runs) withdraws it. A withdrawn page is re-checked after 1,
        2, 4 … days up to the revisit cap, so that a page that comes back is archived again.
        """
        self._begin()
        at = clock.now()
        now = at.isoformat(timespec="seconds")
        known = self.conn.execute(
            "SELECT withdrawn_at, missed_count, revisit_interval_days, run_id FROM articles"
            " WHERE url = ?",
            (url,),
        ).fetchone()
        if known is None:
            return False
        withdrawn_at, missed, interval, last_run = known
        missed = missed or 0
        if withdrawn_at is None and missed and last_run == run_id:
            return False  # this run's miss is counted already
        cap = self.revisit.max_interval_days
        if withdrawn_at is not None:
            interval = min(max(interval or 1, 1) * 2, cap)  # still gone: wait twice as long
        else:
            missed += 1
            interval = self.revisit.first_days if missed >= MISSES_TO_WITHDRAW else interval
        withdrawn_now = withdrawn_at is None and missed >= MISSES_TO_WITHDRAW
        # Missed but not withdrawn: checked again the next day, however old the article.
        wait = interval if withdrawn_at is not None or withdrawn_now else self.revisit.first_days
        self.conn.execute(
            "UPDATE articles SET withdrawn_at = ?, missed_count = ?, last_checked_at = ?,"
            " revisit_interval_days = ?, next_revisit_at = ?, run_id = ?,"
            " change_seq = coalesce(?, change_seq) WHERE url = ?",
            (
                now if withdrawn_now else withdrawn_at,
                missed,
                now,
                interval,
                (at + timedelta(days=wait)).isoformat(timespec="seconds"),
                run_id,
                self._next_change() if withdrawn_now else None,  # news only the first time
                url,
            ),
        )
        self._written()
        return withdrawn_at is not None or withdrawn_now

    def page_present(self, url: str, run_id: str) -> None:
        """The article's page answered (200 or 304): a run of misses ends, and a withdrawal
        is cleared (as news: downstream tools hear that the article is back)."""
        row = self.conn.execute(
            "SELECT withdrawn_at, missed_count FROM articles WHERE url = ?", (url,)
        ).fetchone()
        if row is None or (row[0] is None and not row[1]):
            return
        self._begin()
        self.conn.execute(
            "UPDATE articles SET withdrawn_at = NULL, missed_count = 0, run_id = ?,"
            " change_seq = coalesce(?, change_seq) WHERE url = ?",
            (run_id, self._next_change() if row[0] is not None else None, url),
        )
        self._written()

    def _same_content_elsewhere(self, article: Mapping[str, Any]) -> str | None:
        row = self.conn.execute(
            "SELECT url FROM articles WHERE content_hash = ? AND url != ? ORDER BY id LIMIT 1",
            (article["content_hash"], article["url"]),
        ).fetchone()
        return row[0] if row else None


# -- the sources table: what each profile is and whether it works ------------------------------
#: Verification states (sources.state); see tjcrawl.verification for how each is decided.
UNCHECKED, VERIFIED, FAILING, BLOCKED = "unchecked", "verified", "failing", "blocked"
_DAY_RE = r"^\d{4}-\d{2}-\d{2}$"


def record_source_row(conn: sqlite3.Connection, profile: Profile) -> None:
    """The source's row, with the profile as used now; its verification state is left alone.

    A profile's `verified` key (deprecated) is read once, as the state of a source the archive
    knows nothing about yet: a date there means a live check passed before the archive kept
    such things. Nothing writes it back.
    """
    now = clock.now_iso()
    conn.execute(
        "INSERT OR IGNORE INTO source_profiles (sha256, slug, toml, first_used_at)"
        " VALUES (?,?,?,?)",
        (profile.sha256, profile.slug, profile.path.read_text(encoding="utf-8"), now),
    )
    seeded = profile.verified if _is_day(profile.verified) else "never"
    conn.execute(
        "INSERT INTO sources (slug, name, base_url, allowed_domains, profile_sha256, verified,"
        " state, updated_at) VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT (slug) DO UPDATE SET name = excluded.name, base_url = excluded.base_url,"
        " allowed_domains = excluded.allowed_domains,"
        " profile_sha256 = excluded.profile_sha256, updated_at = excluded.updated_at,"
        " verified = CASE WHEN coalesce(sources.verified, 'never') = 'never'"
        "   THEN excluded.verified ELSE sources.verified END,"
        " state = CASE WHEN coalesce(sources.state, ?) = ? THEN excluded.state"
        "   ELSE sources.state END",
        (
            profile.slug,
            profile.name,
            profile.start_urls[0],
            json.dumps(list(profile.allowed_domains)),
            profile.sha256,
            seeded,
            VERIFIED if seeded != "never" else UNCHECKED,
            now,
            UNCHECKED,
            UNCHECKED,
        ),
    )


def _is_day(value: str | None) -> bool:
    return bool(value and re.match(_DAY_RE, value))


def record_verdict(
    conn: sqlite3.Connection,
    slug: str,
    state: str | None,
    reason: str,
    *,
    live_check: bool = False,
    good_run: bool = False,
) -> None:
    """A live check's or a crawl's verdict on a source: its state and why (None: as it was,
    for a quiet night that proves nothing), and the check or good run it was."""
    now = clock.now_iso()
    day = now[:10]
    conn.execute(
        "UPDATE sources SET"
        " state = coalesce(?, state),"
        " state_reason = CASE WHEN ? IS NULL THEN state_reason ELSE ? END,"
        " state_at = CASE WHEN ? IS NULL THEN state_at ELSE ? END,"
        " verified = CASE WHEN ? = ? THEN ? ELSE verified END,"
        " last_check_at = CASE WHEN ? THEN ? ELSE last_check_at END,"
        " last_good_run_at = CASE WHEN ? THEN ? ELSE last_good_run_at END,"
        " updated_at = ?"
        " WHERE slug = ?",
        (
            state,
            state,
            reason,
            state,
            now,
            state,
            VERIFIED,
            day,
            live_check,
            now,
            good_run,
            now,
            now,
            slug,
        ),
    )
