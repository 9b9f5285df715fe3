"""Opening an archive for reading only: the commands that report never change the file.

`stats`, `search`, `runs`, `health`, `schema`, `history`, `dups`, `failures` and `export
--format warc` read through `read_archive`. It opens SQLite with ``mode=ro``, so nothing can
create an archive in an empty file, switch another program's database to WAL, or migrate an
older archive behind its owner's back.

One trace of a read is SQLite's own: a read-only connection to a WAL archive creates the
``-wal`` and ``-shm`` files when they are missing and cannot remove them. When they were not
there before, they are removed afterwards the way SQLite itself does it: the last connection
to close a WAL database checkpoints (nothing, here) and deletes them, and it does so only
when no other connection (a running crawl) still uses them.

Each command reads one snapshot: `read_archive` opens a read transaction before its first
query and ends it when the command is done, so every figure a command prints (a count and
the rows it counts, an export's change number and its rows) comes from the same moment even
while a crawl commits. In WAL mode a reader never waits for the writer nor stops it; the
crawl's checkpoints merely cannot pass the snapshot until it ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from tjcrawl.storage.migrations import SCHEMA_VERSION, newer_schema_message

#: A table every tjcrawl archive has from its first migration on.
META_TABLE = "tjcrawl_meta"


class ArchiveUnreadable(RuntimeError):
    """The archive cannot be read as it is; the message is one line for the user."""


def describe_foreign(path: Path, tables: list[str]) -> str:
    shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
    return f"{path}: a SQLite database of another program (tables {shown}), not a tjcrawl archive"


def archive_version(conn: sqlite3.Connection, path: Path) -> int:
    """The archive's schema version, or ArchiveUnreadable when it is no tjcrawl archive."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    if META_TABLE not in tables:
        if not tables:
            raise ArchiveUnreadable(
                f"{path}: an empty database, not an archive yet; "
                "run `tjcrawl demo` or `tjcrawl crawl` first"
            )
        raise ArchiveUnreadable(describe_foreign(path, tables))
    return version


def refuse_to_write(conn: sqlite3.Connection, path: Path) -> None:
    """Raise ArchiveUnreadable unless a writer may make or migrate an archive here.

    An empty database becomes an archive; an archive of this or an older tjcrawl is migrated;
    anything else is left exactly as it is.
    """
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    if tables[0] == 0 and int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0:
        return
    version = archive_version(conn, path)
    if version > SCHEMA_VERSION:
        raise ArchiveUnreadable(newer_schema_message(path, version))


def _sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _tidy_sidecars(path: Path) -> None:
    """Remove the -wal/-shm files a read-only connection left, unless someone else uses them."""
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        # Reading the schema opens the WAL; closing as the last connection removes both files.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        pass
    finally:
        conn.close()


@contextmanager
def leave_no_sidecars(path: str | Path) -> Iterator[None]:
    """Remove afterwards the -wal/-shm files that read-only connections in the block created
    (unless another connection still uses them)."""
    path = Path(path)
    wal, shm = _sidecars(path)
    existed = wal.exists() and shm.exists()
    try:
        yield
    finally:
        # An empty -wal holds nothing to lose: another reader's leftovers go too. A -wal with
        # content that was there before (a writer that died) is left for a writer to recover.
        if wal.exists() and (not existed or wal.stat().st_size == 0):
            _tidy_sidecars(path)


@contextmanager
def read_archive(path: str | Path, *, allow_older: bool = False) -> Iterator[sqlite_utils.Database]:
    """Open an existing archive read-only, or raise ArchiveUnreadable with one line.

    An archive written by an older tjcrawl is not migrated here: reading it with this
    version's queries could give wrong answers, so it is refused with the way to migrate it,
    unless ``allow_older`` (for `schema`, which only describes what is there).
    """
    path = Path(path)
    if not path.exists():
        raise ArchiveUnreadable(
            f"{path}: no archive here; run `tjcrawl demo` or `tjcrawl crawl` first"
        )
    if path.is_dir():
        raise ArchiveUnreadable(f"{path}: is a folder, not an archive file")
    if path.stat().st_size == 0:
        raise ArchiveUnreadable(
            f"{path}: an empty file, not an archive; run `tjcrawl demo` or `tjcrawl crawl` first"
        )
    with leave_no_sidecars(path), _read_only_connection(path) as conn:
        conn.execute("BEGIN")  # the snapshot starts at the first read, the version's
        try:
            version = archive_version(conn, path)
        except sqlite3.DatabaseError as exc:
            raise ArchiveUnreadable(f"{path}: not a usable SQLite archive ({exc})") from None
        if version > SCHEMA_VERSION:
            raise ArchiveUnreadable(newer_schema_message(path, version))
        if version < SCHEMA_VERSION and not allow_older:
            raise ArchiveUnreadable(
                f"{path}: archive is schema {version}, this tjcrawl reads schema "
                f"{SCHEMA_VERSION}; run a writing command (e.g. `tjcrawl crawl`) or "
                f"`tjcrawl upgrade --db {path}` to migrate it"
            )
        yield sqlite_utils.Database(conn)


@contextmanager
def _read_only_connection(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        # isolation_level None: the snapshot is the explicit BEGIN, not Python's implicit one.
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            check_same_thread=False,
            timeout=30,
            isolation_level=None,
        )
    except sqlite3.Error as exc:
        raise ArchiveUnreadable(f"{path}: cannot be opened ({exc})") from None
    try:
        yield conn
    finally:
        conn.close()  # ends the read transaction: nothing was written to keep
