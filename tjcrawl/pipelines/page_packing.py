"""Pages packed for the archive during a crawl, and the source's zstd dictionary trained.

A page is hashed and compressed on the reactor thread (zstd at level 3 with a dictionary is
several times cheaper than the zlib-6 it replaces), so the archive's writer thread, which limits
a crawl, only writes. A dictionary is trained in a thread of its own (zstd's trainer releases
the GIL) from a sample of the source's own pages:

- when the source has no dictionary yet and `TRAIN_AFTER` of its pages are stored (the sample is
  then read from the archive), or this run has fetched that many;
- when its pages changed shape: the last `TRAIN_AFTER` pages compress worse than the
  dictionary's baseline, by `DRIFT` times (at most one retraining per run). For a dictionary of
  an earlier run the baseline is its ratio on its own training sample (kept in the archive); for
  one trained in this run, the ratio of its first `TRAIN_AFTER` pages, which it did not see in
  training: a dictionary does better on its own sample (~1.2x on the bench site), and more so
  when a crawl's first pages are a biased sample (its listings), which made a second, needless
  dictionary in two crawls of three.

The dictionary is stored (and committed) on the writer thread before any page compressed with
it is handed over, so a page never names a dictionary the archive lacks.

The pages this run packed plain before the dictionary existed (the first `TRAIN_AFTER` and those
fetched while it trained) are compressed again with it on the archive's writer, not here: one
call (`recompress_run_pages`) handed over after the last of them, so that the writer, which runs
calls in order, has stored them all when it comes. Counted in the run's stats
(`tjcrawl/pages_recompressed`, `tjcrawl/pages_recompressed_bytes_saved`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from typing import Any

from tjcrawl.storage import compression
from tjcrawl.storage.archive import Archive, PackedBody
from tjcrawl.storage.compression import TRAIN_AFTER, page_body
from tjcrawl.storage.recompress import RunRecompressed

logger = logging.getLogger(__name__)

DRIFT = 1.5  # recent ratio over the dictionary's own ratio that makes a new one
TRAIN_WAIT_S = 60.0  # at the end of a crawl, how long a training still running is waited for


class PagePacking:
    """One source's packer for a crawl, and its dictionary training."""

    def __init__(self, archive: Archive, source: str, stats: Any = None) -> None:
        self.archive = archive
        self.source = source
        self.stats = stats
        self.packer = archive.packer(source)
        self.samples: deque[bytes] = deque(maxlen=TRAIN_AFTER)
        self.sizes: deque[tuple[int, int]] = deque(maxlen=TRAIN_AFTER)
        self.sizes_of: compression.Packer | None = None
        self.trained_here: compression.Packer | None = None  # this run's newest dictionary
        self.baseline: float | None = None  # the current packer's, once known (see _due)
        self.raw_sum = self.packed_sum = 0  # of `sizes`, kept as pages come
        self.thread: threading.Thread | None = None
        self.trainings = 0
        self.retrained = False
        self.failed: str | None = None
        # This run's pages are the rows after this id: where the recompression starts.
        self.first_id = archive.newest_page_id()
        self.plain = 0  # pages packed without a dictionary, not yet handed to the writer again
        self.recompressions: list[threading.Thread] = []
        if self.packer.dictionary is None and archive.stored_page_count(source) >= TRAIN_AFTER:
            self._start(None)

    def pack(self, body: bytes) -> PackedBody:
        """Hash and compress one page (the reactor thread)."""
        packer = self.packer
        if self.plain and packer.dictionary is not None:
            self._recompress_plain()
        packed = PackedBody.of(body, packer)
        if packer.dictionary is None:
            self.plain += 1
        self.samples.append(body)
        if self.sizes_of is not packer:  # the ratio is of the current dictionary's pages only
            self.sizes.clear()
            self.sizes_of, self.raw_sum, self.packed_sum = packer, 0, 0
            self.baseline = None
        if len(self.sizes) == TRAIN_AFTER:
            raw, size = self.sizes[0]
            self.raw_sum -= raw
            self.packed_sum -= size
        self.sizes.append((len(body), len(packed.compressed)))
        self.raw_sum += len(body)
        self.packed_sum += len(packed.compressed)
        training = self.thread is not None and self.thread.is_alive()
        if not training and self.failed is None and self._due():
            self._start(list(self.samples))
        return packed

    def _due(self) -> bool:
        if len(self.samples) < TRAIN_AFTER:
            return False
        dictionary = self.packer.dictionary
        if dictionary is None:
            return self.trainings == 0
        if self.retrained or len(self.sizes) < TRAIN_AFTER or self.raw_sum <= 0:
            return False
        recent = self.packed_sum / self.raw_sum
        if self.baseline is None:
            if self.sizes_of is self.trained_here:  # its first pages unseen in training
                self.baseline = recent
                return False
            self.baseline = dictionary.ratio
        if self.baseline > 0 and recent > self.baseline * DRIFT:
            self.retrained = True
            return True
        return False

    def _start(self, samples: list[bytes] | None) -> None:
        self.trainings += 1
        self.thread = threading.Thread(
            target=self._train, args=(samples,), name=f"zstd-dict-{self.source}", daemon=True
        )
        self.thread.start()

    def _stored_samples(self) -> list[bytes]:
        """The source's newest stored pages (a connection of this thread's own)."""
        conn = sqlite3.connect(f"file:{self.archive.path}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute(
                "SELECT body, compression FROM pages WHERE source = ? AND status = 200"
                " ORDER BY id DESC LIMIT ?",
                (self.source, TRAIN_AFTER),
            ).fetchall()
            return [page_body(body, how, conn) for body, how in rows]
        finally:
            conn.close()

    def _train(self, samples: list[bytes] | None) -> None:
        try:
            samples = samples if samples is not None else self._stored_samples()
            data = compression.train(samples)
            probe = compression.Packer(compression.Dictionary(0, data))
            ratio = compression.ratio(probe, samples)
            raw = sum(len(sample) for sample in samples)
            packer = self.archive.call(
                self.archive.store_dictionary, self.source, data, len(samples), raw, ratio
            )
            self.trained_here = packer
            self.packer = packer
            logger.info(
                "%s: zstd dictionary %s trained on %d pages (%.1f %% of their bytes)",
                self.source,
                self.packer.compression,
                len(samples),
                ratio * 100,
            )
            self._count("tjcrawl/compression_dicts_trained")
        except Exception as exc:  # the crawl goes on with the packer it has; said, counted
            self.failed = f"{type(exc).__name__}: {exc}"
            logger.warning("%s: no zstd dictionary trained: %s", self.source, self.failed)
            self._count("tjcrawl/compression_dict_failed")

    def _recompress_plain(self) -> None:
        """Hand the writer the recompression of this run's plain pages (all handed over
        already: each page is handed over as soon as it is packed, on this thread).

        Its outcome is waited for on a thread of its own: a crawl's writer may be a process,
        which answers only calls, and the reactor thread must not wait for the writer."""
        expected, self.plain = self.plain, 0
        thread = threading.Thread(
            target=self._recompress,
            args=(self.first_id, expected),
            name=f"recompress-{self.source}",
            daemon=True,
        )
        self.recompressions.append(thread)
        thread.start()

    def _recompress(self, first_id: int, expected: int) -> None:
        try:
            done: RunRecompressed = self.archive.call(
                self.archive.recompress_run_pages, self.source, first_id, expected
            )
        except Exception as exc:  # the writer logged and counted the failed write
            logger.warning("%s: pages not recompressed with the dictionary: %s", self.source, exc)
            self._count("tjcrawl/pages_recompress_failed")
            return
        logger.info(
            "%s: %d pages packed before the dictionary recompressed with it (%d -> %d bytes,"
            " %d left as they were)",
            self.source,
            done.pages,
            done.bytes_before,
            done.bytes_after,
            done.skipped,
        )
        self._count("tjcrawl/pages_recompressed", done.pages)
        self._count("tjcrawl/pages_recompressed_bytes_saved", done.bytes_before - done.bytes_after)

    def _count(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)

    def finish(self) -> None:
        """Wait (bounded) for a training still running: its dictionary is written before the
        archive's writer stops."""
        if self.thread is not None:
            self.thread.join(TRAIN_WAIT_S)
            if self.thread.is_alive():
                logger.warning("%s: zstd dictionary training still running; left", self.source)
                self._count("tjcrawl/compression_dict_failed")
        if self.plain and self.packer.dictionary is not None:  # trained after the last page
            self._recompress_plain()
        # Their counts belong to this run's figures, which the archive records next.
        for thread in self.recompressions:
            thread.join(TRAIN_WAIT_S)
