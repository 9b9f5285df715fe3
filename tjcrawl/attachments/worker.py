"""Attachments are read in a worker process with a time limit per file and a memory limit, so
that a hostile file (an xref loop, a decompression bomb, a parser crash) cannot hang or
crash the crawl. The worker is kept across files (starting Python and importing PDFium and
pdfminer.six costs more than reading most attachments) and started anew only after a file
killed it or ran out of time."""

from __future__ import annotations

import contextlib
import queue
import resource
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
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
#: Bytes of files handed to the worker ahead of the one it reads (they wait in its memory).
AHEAD_BYTES = 32 * 1024 * 1024


class WorkerError(RuntimeError):
    """The worker process cannot be started at all."""


def _serve(conn: Connection, memory_limit: int, ocr: bool = False) -> None:
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    # Import the readers now, so that the first file's time limit is spent on the file.
    import tjcrawl.attachments.office
    import tjcrawl.attachments.pdf  # noqa: F401
    from tjcrawl.attachments.pdf import pdfium_without_system_fonts
    from tjcrawl.attachments.pdfminer_pages import quiet_pdfminer_debug
    from tjcrawl.attachments.reader import read

    quiet_pdfminer_debug()
    pdfium_without_system_fonts()
    # Requests are taken off the socket as they come, so that the parent, sending the next
    # file while this one is read, never blocks against a reply being sent.
    requests: queue.Queue[Any] = queue.Queue()

    def receive() -> None:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                request = None
            requests.put(request)
            if request is None:
                return

    threading.Thread(target=receive, daemon=True).start()
    conn.send("ready")
    while True:
        request = requests.get()
        if request is None:
            return
        data, name = request
        try:
            reply: tuple[Any, ...] = read(data, name, ocr=ocr).as_tuple()
        except MemoryError:  # the file's objects are gone with the exception: go on
            reply = (TOO_LARGE, "", None, "none", "too large: ran out of memory reading it")
        except RecursionError:
            reply = (DAMAGED, "", None, "none", "damaged: structure nested without end")
        except Exception as exc:
            reply = (DAMAGED, "", None, "none", f"damaged: {type(exc).__name__}: {exc}"[:300])
        del data
        conn.send(reply)


class Worker:
    """`Worker().read(data, name)` → Extracted. Use as a context manager, or call close().
    `ocr`: PDF pages without a text layer are read by Tesseract; a file's time limit then
    grows by the OCR time limit of each page it may OCR."""

    def __init__(
        self,
        time_limit: float = TIME_LIMIT,
        memory_limit: int = MEMORY_LIMIT,
        max_bytes: int = MAX_BYTES,
        ocr: bool = False,
    ) -> None:
        from tjcrawl.attachments import ocr as ocr_limits

        self.ocr = ocr
        if ocr:
            time_limit += ocr_limits.MAX_PAGES * ocr_limits.PAGE_TIME_LIMIT
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
        command.append("ocr" if self.ocr else "")
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

    @property
    def pid(self) -> int | None:
        """The worker process's id while it runs (for measuring its CPU time)."""
        return self._process.pid if self._alive() else None

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
        return next(self.read_many([(data, name)]))

    def read_many(
        self, items: Iterable[tuple[bytes, str]], depth: int = 8, ahead_bytes: int = AHEAD_BYTES
    ) -> Iterator[Extracted]:
        """Each (bytes, name) read in turn, in order. Up to `depth` files (and `ahead_bytes`
        beyond the first) are handed to the worker ahead, so that it goes from one file to
        the next without waiting to be woken: on a loaded machine each wake-up costs
        milliseconds, more than reading a small PDF. Each file still has its own time
        limit, counted from when the worker can start on it."""
        source = iter(items)
        inflight: deque[tuple[bytes, str]] = deque()
        held = 0  # bytes handed ahead
        exhausted = False
        while True:
            while not exhausted and len(inflight) < depth and (not inflight or held < ahead_bytes):
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                inflight.append(item)
                if len(item[0]) <= self.max_bytes:
                    held += len(item[0])
                    self._send(item)
            if not inflight:
                return
            data, _ = inflight.popleft()
            if len(data) > self.max_bytes:
                yield too_large_file(len(data), self.max_bytes)
                continue
            held -= len(data)
            result, broken = self._await()
            if broken:  # a fresh worker: hand it the files the old one held
                for item in inflight:
                    if len(item[0]) <= self.max_bytes:
                        self._send(item)
            yield result

    def _send(self, item: tuple[bytes, str]) -> None:
        conn = self._start()
        with contextlib.suppress(OSError):  # the worker died: _await sees it and says so
            conn.send(item)

    def _await(self) -> tuple[Extracted, bool]:
        """The reply for the file the worker is on, or its state when it ran out of time
        or died (and the worker is stopped: the next send starts a new one)."""
        conn = self._conn
        assert conn is not None
        deadline = time.monotonic() + self.time_limit
        while not conn.poll(max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                self.restarts += 1
                self._stop()
                why = f"too large: reading took over {self.time_limit:g}s"
                return Extracted(TOO_LARGE, "", None, "none", why), True
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            code = self._process.wait(5) if self._process is not None else None
            self.restarts += 1
            self._stop()
            why = f"damaged: the reader crashed on it (exit {code})"
            return Extracted(DAMAGED, "", None, "none", why), True
        return Extracted(*reply), False


def too_large_file(size: int, limit: int) -> Extracted:
    return Extracted(
        TOO_LARGE, "", None, "none", f"too large: {size} bytes, over the {limit}-byte limit"
    )


_ENTRY = (
    "import sys; from multiprocessing.connection import Connection; "
    "from tjcrawl.attachments.worker import _serve; "
    "_serve(Connection(int(sys.argv[1])), int(sys.argv[2]), sys.argv[3] == 'ocr')"
)
