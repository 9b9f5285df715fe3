"""Fetched attachment files on their way into the archive, off the reactor and off the writer.

A file up to TJCRAWL_ATTACHMENT_MAX_BYTES is hashed and compressed, then read by the attachment
worker process (tjcrawl.attachments.Worker: time and memory limits per file), on a thread of
its own. Only the finished rows go to the archive's writer, through its queue, in order
(the file before its text), so a slow or hostile file delays neither the crawl's downloads nor
the writes of other pages. `finish()` waits for every file handed over, so that a run ends
with every write handed to the writer (and so committed, or counted as lost).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tjcrawl.attachments.states import DAMAGED, Extracted
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.pages import pack_attachment

logger = logging.getLogger(__name__)


class AttachmentReader:
    """Hands each fetched file to one reading thread, which feeds the worker process; the
    rows go to the session's store_* methods, on the archive's writer."""

    def __init__(self, archive: Archive, session: Any, *, ocr: bool = False) -> None:
        self.archive = archive
        # The crawl's ArchiveSession (tjcrawl.pipelines.archive_session): its store_file,
        # store_text and store_unkept run on the archive's writer.
        self.session = session
        self.ocr = ocr  # crawl --ocr: the worker reads scanned pages with Tesseract
        # One thread: the worker is one process, and the machine has few cores to spare.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="attachment-reader")
        self._worker: Any = None  # tjcrawl.attachments.Worker, started with the first file
        self._pending: list[Future[None]] = []
        self._lost = 0  # files not handed to the writer

    def add(self, url: str, body: bytes, content_type: str | None, fetched_at: str) -> None:
        """A file fetched whole (on the reactor thread: it only hands the file over)."""
        self._settle([f for f in self._pending if f.done()])
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._pool.submit(self._take, url, body, content_type, fetched_at))

    def unkept(self, url: str, state: str, status: int | None, detail: str) -> None:
        """A file not kept (over a cap): its row without bytes and its state. Its fault row
        was recorded where the cap was met."""
        got = Extracted(state, "", None, "none", detail)
        self.archive.submit(self.session.store_unkept, url, status, got)

    def _take(self, url: str, body: bytes, content_type: str | None, fetched_at: str) -> None:
        packed = pack_attachment(body)
        # Kept before it is read: the bytes as received are what the archive owes, whatever
        # reading them comes to.
        self.archive.submit(self.session.store_file, url, body, packed, content_type, fetched_at)
        try:
            got = self._read(body, url)
        except Exception as exc:  # the worker could not run at all: said, and the crawl goes on
            logger.error("attachment %s could not be read: %s", url, exc)
            got = Extracted(DAMAGED, "", None, "none", f"not read: {type(exc).__name__}: {exc}")
        self.archive.submit(self.session.store_text, url, packed.sha256, got)

    def _read(self, body: bytes, url: str) -> Extracted:
        from tjcrawl.attachments import Worker

        if self._worker is None:
            self._worker = Worker(ocr=self.ocr)
        return self._worker.read(body, url)

    def finish(self) -> int:
        """Every file handed over stored and read, the worker process stopped; how many files
        could not even be handed to the writer (lost writes of the run)."""
        self._pool.shutdown(wait=True)
        self._settle(self._pending)
        self._pending = []
        if self._worker is not None:
            self._worker.close()
            self._worker = None
        return self._lost

    def _settle(self, done: list[Future[None]]) -> None:
        for future in done:
            if (exc := future.exception()) is not None:
                logger.error("an attachment was not stored: %s", exc)
                self._lost += 1
