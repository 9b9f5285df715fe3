"""The archive writer: a thin layer over sqlite-utils, one connection per database per process.

`Archive` is made of parts, each in a module of its own, by what it keeps:

- `tjcrawl.storage.writer`: the writer thread, transactions and write ledgers, opening a file;
- `tjcrawl.storage.source_runs`: sources, runs and faults;
- `tjcrawl.storage.pages`: raw pages and attachment files;
- `tjcrawl.storage.articles`: articles, revisions, revisits and withdrawals.

The names of those modules are re-exported here, so `from tjcrawl.storage.archive import ...`
keeps working.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tjcrawl.storage.articles import (
    CHANGED,
    CUT_AGAIN,
    MISSES_TO_WITHDRAW,
    NEW,
    UNCHANGED,
    ArticleStore,
    KnownEntry,
    RevisitPolicy,
)
from tjcrawl.storage.lock import RunLock
from tjcrawl.storage.pages import PackedBody, PageStore
from tjcrawl.storage.source_runs import (
    BLOCKED,
    FAILING,
    UNCHECKED,
    VERIFIED,
    SourceRunStore,
    record_source_row,
    record_verdict,
)
from tjcrawl.storage.writer import (
    ArchiveError,
    ArchiveWriter,
    WriteLedger,
    _Job,
    open_database,
    write_error_text,
)

if TYPE_CHECKING:
    from tjcrawl.storage.writer_process import WriterProcess

# Re-exported: the rest of tjcrawl, the tests and the benchmarks import these from here.
__all__ = [
    "BLOCKED",
    "CHANGED",
    "CUT_AGAIN",
    "FAILING",
    "MISSES_TO_WITHDRAW",
    "NEW",
    "UNCHANGED",
    "UNCHECKED",
    "VERIFIED",
    "Archive",
    "ArchiveError",
    "KnownEntry",
    "PackedBody",
    "RevisitPolicy",
    "WriteLedger",
    "open_database",
    "record_source_row",
    "record_verdict",
    "write_error_text",
]


class Archive(ArchiveWriter, SourceRunStore, PageStore, ArticleStore):
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
        self._batch: list[Any] = []  # jobs, or ops for a writer process
        self._batch_lock = threading.Lock()
        self._batch_started = 0.0
        # Articles stored in this transaction but not yet in the search index: indexed
        # together at commit, as one batch of tokens and one insert per index table.
        self._to_index: dict[int, tuple[str, str]] = {}
        self._change_seq: int | None = None  # read at the first change of a transaction
        self._writer: threading.Thread | None = None
        self._child: WriterProcess | None = None  # the writer, when it is a process
        self._read_conn: sqlite3.Connection | None = None
        self.writer_errors: list[BaseException] = []
        # Ledgers with counts in the open transaction (only the writer thread touches it).
        self._tallied: dict[int, WriteLedger] = {}

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

    def limit_size(self, max_pages: int) -> None:
        """Let the archive grow to at most this many database pages (SQLITE_FULL beyond).

        For tests of a full disk where no small filesystem can be mounted.
        """
        self.conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
