"""Attachments are read in a worker process with a time limit per file and a memory limit, so
that a hostile file (an xref loop, a decompression bomb, a parser crash) cannot hang or
crash the crawl. The worker is kept across files (starting Python and importing PDFium and
pdfminer.six costs more than reading most attachments) and started anew only after a file
killed it or ran out of time."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from tjcrawl.attachments.states import DAMAGED, TOO_LARGE, Extracted

#: Seconds one file may take.
TIME_LIMIT = 30.0
#: Address space of the worker, in bytes.
MEMORY_LIMIT = 2 * 1024 * 1024 * 1024
#: Seconds the worker may take to start (import PDFium, pdfminer.six, openpyxl).
STARTUP_LIMIT = 60.0
#: Bytes of one attachment read at most; larger files are recorded too_large, unread.
MAX_BYTES = 100 * 1024 * 1024


class WorkerError(RuntimeError):
    """The worker process cannot be started at all."""


def _serve(conn: Connection, memory_limit: int) -> None:
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    # Import the readers now, so that the first file's time limit is spent on the file.
    import tjcrawl.attachments.office
    import tjcrawl.attachments.pdf  # noqa: F401
    from tjcrawl.attachments.reader import read

    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        data, name = request
        try:
            reply: tuple[Any, ...] = read(data, name).as_tuple()
        except MemoryError:
            conn.send((TOO_LARGE, "", None, "none", "ran out of memory reading it"))
            return  # a fresh worker for the next file
        except RecursionError:
            reply = (DAMAGED, "", None, "none", "damaged: structure nested without end")
        except Exception as exc:
            reply = (DAMAGED, "", None, "none", f"damaged: {type(exc).__name__}: {exc}"[:300])
        del data
        conn.send(reply)


class Worker:
    """`Worker().read(data, name)` → Extracted. Use as a context manager, or call close()."""

    def __init__(
        self,
        time_limit: float = TIME_LIMIT,
        memory_limit: int = MEMORY_LIMIT,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.max_bytes = max_bytes
        self.restarts = 0
        self._process: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> Connection:
        if self._conn is not None and self._alive():
            return self._conn
        self._stop()
        # A plain subprocess rather than multiprocessing's spawn, which would import the
        # caller's __main__ again in the worker.
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        command = [sys.executable, "-c", _ENTRY, str(fd), str(self.memory_limit)]
        process = subprocess.Popen(command, pass_fds=(fd,), stdin=subprocess.DEVNULL)
        theirs.close()
        self._process, self._conn = process, Connection(ours.detach())
        # Its imports are not the first file's time: wait for them apart.
        try:
            if self._conn.poll(STARTUP_LIMIT) and self._conn.recv() == "ready":
                return self._conn
        except (EOFError, OSError):
            pass
        self._stop()
        raise WorkerError("the attachment reader process did not start")

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _stop(self) -> None:
        if self._process is not None:
            if self._alive():
                self._process.kill()
            self._process.wait(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def close(self) -> None:
        if self._conn is not None and self._alive():
            try:
                self._conn.send(None)
                self._process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def read(self, data: bytes, name: str = "") -> Extracted:
        if len(data) > self.max_bytes:
            return too_large_file(len(data), self.max_bytes)
        conn = self._start()
        try:
            conn.send((data, name))
        except OSError:
            self.restarts += 1
            self._stop()
            return Extracted(DAMAGED, "", None, "none", "damaged: the reader process died")
        deadline = time.monotonic() + self.time_limit
        while not conn.poll(max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                self.restarts += 1
                self._stop()
                return Extracted(
                    TOO_LARGE,
                    "",
                    None,
                    "none",
                    f"too large: reading took over {self.time_limit:g}s",
                )
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            code = self._process.wait(5) if self._process is not None else None
            self.restarts += 1
            self._stop()
            return Extracted(
                DAMAGED, "", None, "none", f"damaged: the reader crashed on it (exit {code})"
            )
        return Extracted(*reply)


def too_large_file(size: int, limit: int) -> Extracted:
    return Extracted(
        TOO_LARGE, "", None, "none", f"too large: {size} bytes, over the {limit}-byte limit"
    )


_ENTRY = (
    "import sys; from multiprocessing.connection import Connection; "
    "from tjcrawl.attachments.worker import _serve; "
    "_serve(Connection(int(sys.argv[1])), int(sys.argv[2]))"
)
