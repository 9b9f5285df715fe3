"""The archive's writer thread and transactions, and opening an archive file.

Writes go into explicit transactions committed in batches (a commit per item costs more than
the item itself in WAL mode), by count and by age: a transaction is committed once it holds
`commit_every` writes or its oldest work was handed over `commit_seconds` ago, so readers
(Datasette, exports) see a crawl's progress every few seconds and a killed crawl loses at most
that much work. A write is stored only once its transaction commits: a crawl counts what it
wrote in a `WriteLedger`, which learns at each commit or roll-back what became of it.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import sqlite_utils

from tjcrawl.storage import search
from tjcrawl.storage.migrations import migrate
from tjcrawl.storage.readonly import ArchiveUnreadable, refuse_to_write

# The archive's log name, as before its parts had modules of their own.
logger = logging.getLogger("tjcrawl.storage.archive")


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


class ArchiveWriter:
    """The writer thread and the transactions of an `Archive` (one part of that class)."""

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

    def start_writer(self, process: bool = False) -> None:
        """Start the writer: a thread, or with `process` (a crawl's) a process of its own
        (tjcrawl.storage.writer_process), which then runs only ops: methods of the archive and
        of sessions (`open_session`). A writer already running stays what it is."""
        with self._lock:
            if self._writer is not None:
                return
            if process:
                from tjcrawl.storage.writer_process import WriterProcess

                self._child = WriterProcess(self)  # type: ignore[arg-type]
                self._child.start()
                # Reads then go to the read-only connection (pages_reader), as with a thread.
                self._writer = self._child.receiver
                return
            self._writer = threading.Thread(
                target=self._write_loop, name="archive-writer", daemon=True
            )
            self._writer.start()

    @property
    def writes_elsewhere(self) -> bool:
        """Whether writes run in a writer process: this process may then read its own
        connection, which nothing else uses."""
        return self._child is not None

    def open_session(
        self,
        factory: Callable[..., Any],
        kwargs: dict[str, Any],
        on_settle: Callable[[Counter[str], bool, BaseException | None], None],
        stats: Any = None,
    ) -> Any:
        """factory(archive, stats=, on_settle=, **kwargs): the state a crawl's writes need,
        made where they run. Submit its methods (`archive.submit(session.store_item, ...)`):
        with a writer process they are ops sent there by name, and what its ledger settles
        comes back to `on_settle` (with the stats it counts)."""
        if self._child is None:
            return factory(self, stats=stats, on_settle=on_settle, **kwargs)
        session, op = self._child.open_session(factory, kwargs, on_settle, stats)
        self._hand_over(op)
        return session

    def unapplied_events(self, session: Any) -> int:
        """What a writer process sent back for `session` that could not be applied (its
        settled counts, its stats): never any with a writer thread, which applies them itself."""
        return self._child.unapplied(session) if self._child is not None else 0

    def close_session(self, session: Any) -> None:
        if self._child is not None:
            self._child.forget(session)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run fn(*args) on the writer (here, when there is none)."""
        return self._submit(fn, args, want=False)

    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...], want: bool) -> Future[Any]:
        if self._child is not None:
            future, op = self._child.op(fn, args, want)
            self._hand_over(op)
            return future
        future: Future[Any] = Future()
        if self._writer is None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever asks for the result
                future.set_exception(exc)
            return future
        self._hand_over((future, fn, args))
        return future

    def _hand_over(self, job: Any) -> None:
        now = time.monotonic()
        with self._batch_lock:
            if not self._batch:
                self._batch_started = now
            self._batch.append(job)
            due = len(self._batch) >= self.hand_off_batch or now - self._batch_started > 0.5
        if due:
            self.flush()

    def flush(self) -> None:
        """Hand the writes submitted so far to the writer."""
        with self._batch_lock:
            batch, self._batch = self._batch, []
            started = self._batch_started
            if batch and self._child is not None:
                # Under the lock: batches from several threads reach the pipe in order.
                self._child.send(started, batch)
                return
        if batch and self._writer is not None:
            self._queue.put((started, batch))

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run fn(*args) on the writer and wait for its result."""
        future = self._submit(fn, args, want=True)
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
        if self._child is not None:
            self.flush()
            self._child.stop()
            self._child = None
            self._writer = None
        if self._writer is not None:
            self.flush()
            self._queue.put(None)
            self._writer.join()
            self._writer = None

    def become_writer_process(self) -> None:
        """In a forked writer process: a connection of its own, fresh locks and queue; the
        loop then runs on this (the main) thread. The inherited connections stay referenced
        and unused (tjcrawl.storage.writer_process._INHERITED)."""
        self.db = open_database(self.path)
        self.conn = self.db.conn
        self._read_conn = None
        self._child = None
        self._queue = queue.Queue(maxsize=32)
        self._batch, self._batch_lock = [], threading.Lock()
        type(self)._lock = threading.Lock()
        self._packers_lock = threading.Lock()
        self._writer = threading.current_thread()

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
