"""The record of article exports, kept even when a crawl holds the archive's write lock.

`tjcrawl export` reads a snapshot and writes its file without ever waiting for a writer; only
its bookkeeping row (the `exports` table: which change numbers it handed over) needs the write
lock. It waits for the lock up to a bound. A crawl commits every few seconds and the lock is
then free, but a crawl whose writer never pauses can keep taking it first; when the bound
passes, the row goes to a file beside the archive (`archive.db.exports-pending`, one JSON line
per export, appended and synced). The next export that gets the lock moves those rows into
the table, and until then `--changed-since-last-export` counts them as recorded: the next
export neither repeats nor skips anything.

Order matters for that promise: an export reads the pending file before its snapshot begins,
and a fold commits the rows to the table before it removes them from the file, so every
recorded export is in the snapshot, in the file as read, or in both.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PENDING_SUFFIX = ".exports-pending"
COLUMNS = ("format", "target", "exported_at", "from_change_seq", "upto_change_seq", "articles")


class ExportNotRecorded(RuntimeError):
    """Neither the archive nor the pending file took the export's row; one line for the user."""


def pending_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + PENDING_SUFFIX)


def pending_exports(db_path: Path) -> list[dict[str, Any]]:
    """The export rows waiting beside the archive, oldest first.

    A line that is not whole JSON was cut short by a crash while it was being appended: that
    export never said it was recorded, so it is not counted.
    """
    try:
        text = pending_path(db_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and all(column in row for column in COLUMNS):
            rows.append({column: row[column] for column in COLUMNS})
    return rows


def pending_upto(db_path: Path) -> int:
    """The highest change number a pending export handed over (0 when none waits)."""
    return max((int(row["upto_change_seq"]) for row in pending_exports(db_path)), default=0)


def last_exported(conn: sqlite3.Connection, pending: int) -> int:
    """Where the next --changed-since-last-export starts: after every recorded export.

    `pending` is `pending_upto`, read before the snapshot `conn` reads in began.
    """
    row = conn.execute("SELECT max(upto_change_seq) FROM exports").fetchone()
    return max(int(row[0] or 0), pending)


def _is_busy(exc: sqlite3.Error) -> bool:
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc).lower()


def record_export(db_path: Path, row: Mapping[str, Any], lock_timeout: float) -> Path | None:
    """Add the export's row to the archive, folding in the pending ones first.

    Waits up to `lock_timeout` seconds for the write lock. Returns None when the row is in the
    archive, or the pending file it went to when the lock stayed taken. Raises
    ExportNotRecorded when neither could take it, sqlite3.Error when the archive refused it
    for another reason than the lock.
    """
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=lock_timeout)
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            return _append_pending(db_path, row)
        try:
            folded = pending_exports(db_path)
            for each in (*folded, row):
                _insert_once(conn, each)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    if folded:
        _forget_pending(db_path, folded)
    return None


def _insert_once(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Insert the row unless an earlier fold did (a fold that died before its clean-up)."""
    values = [row[column] for column in COLUMNS]
    match = " AND ".join(f"{column} IS ?" for column in COLUMNS)
    if conn.execute(f"SELECT 1 FROM exports WHERE {match}", values).fetchone() is None:
        conn.execute(
            f"INSERT INTO exports ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            values,
        )


def _append_pending(db_path: Path, row: Mapping[str, Any]) -> Path:
    path = pending_path(db_path)
    line = json.dumps({column: row[column] for column in COLUMNS}, ensure_ascii=False) + "\n"
    try:
        # One write of one line with O_APPEND: concurrent exports never interleave within it.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ExportNotRecorded(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path


def _forget_pending(db_path: Path, folded: list[dict[str, Any]]) -> None:
    """Remove the folded rows from the pending file, keeping any appended meanwhile."""
    path = pending_path(db_path)
    remaining = [row for row in pending_exports(db_path) if row not in folded]
    try:
        if remaining:
            lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in remaining)
            part = path.with_name(path.name + ".part")
            part.write_text(lines, encoding="utf-8")
            os.replace(part, path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # the rows are in the table; the next fold finds them there and skips them
