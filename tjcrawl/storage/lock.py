"""One run at a time per archive.

The lock is an flock on `<archive>.lock`, so the kernel drops it when its holder dies, SIGKILL
included: a lock left by a killed run needs no clean-up. The file only says who holds it, for
the message the next run prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from pathlib import Path
from typing import IO, ClassVar

from tjcrawl import clock


class ArchiveLocked(RuntimeError):
    """Another run holds the archive; the message says which."""


class LockUnavailable(RuntimeError):
    """The lock file cannot be created or opened (a missing or read-only folder, ...)."""


class RunLock:
    _held: ClassVar[dict[Path, RunLock]] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self.handle = handle
        self.depth = 0

    @staticmethod
    def lock_path(db_path: str | Path) -> Path:
        db = Path(db_path).resolve()
        return db.with_name(db.name + ".lock")

    @classmethod
    def acquire(cls, db_path: str | Path) -> RunLock:
        """Take the archive's lock, or raise ArchiveLocked (another run holds it) or
        LockUnavailable (no lock file can be made); re-entrant within a process."""
        path = cls.lock_path(db_path)
        with cls._guard:
            held = cls._held.get(path)
            if held is None:
                try:
                    handle = path.open("a+", encoding="utf-8")
                except OSError as exc:
                    raise LockUnavailable(
                        f"{db_path}: cannot open the lock file {path} ({exc.strerror})"
                    ) from None
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read().strip()
                    handle.close()
                    raise ArchiveLocked(_describe(Path(db_path), holder)) from None
                handle.seek(0)
                handle.truncate()
                handle.write(
                    json.dumps(
                        {"pid": os.getpid(), "host": socket.gethostname(), "since": clock.now_iso()}
                    )
                )
                handle.flush()
                held = cls._held[path] = cls(path, handle)
            held.depth += 1
            return held

    def release(self) -> None:
        with self._guard:
            self.depth -= 1
            if self.depth <= 0:
                self.handle.seek(0)
                self.handle.truncate()
                fcntl.flock(self.handle, fcntl.LOCK_UN)
                self.handle.close()
                self._held.pop(self.path, None)


def _describe(db_path: Path, holder: str) -> str:
    try:
        info = json.loads(holder)
        who = f"pid {info['pid']} on {info['host']}, running since {info['since']}"
    except (ValueError, KeyError, TypeError):
        who = "another process"
    return f"{db_path}: another tjcrawl run is writing this archive ({who}); try again later"
