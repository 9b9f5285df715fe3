"""A crawl's pages packed on the archive's writer, and the source's zstd dictionary trained there.

The crawl's reactor thread hands each page's raw bytes over as they came; the archive's writer
(the crawl's writer process, or its writer thread) hashes and compresses it with the source's
current packer (`pack`, from the run's session: tjcrawl.pipelines.archive_session) just before
storing it. During a crawl the writer runs in a process of its own with a core mostly idle, and
the crawl's process is what limits a crawl (docs/benchmarks.md, "crawl_throughput"): the
~100 us of SHA-256 and zstd a page cost there are spent beside it instead. A dictionary is
trained in a thread of the writer's process (zstd's trainer releases the GIL, so writes go on
meanwhile) from a sample of the source's own pages:

- when the source has no dictionary yet and `TRAIN_AFTER` of its pages are stored (the sample is
  then read from the archive), or this run has packed that many;
- when its pages changed shape: the last `TRAIN_AFTER` pages compress worse than the
  dictionary's baseline, by `DRIFT` times (at most one retraining per run). For a dictionary of
  an earlier run the baseline is its ratio on its own training sample (kept in the archive); for
  one trained in this run, the ratio of its first `TRAIN_AFTER` pages, which it did not see in
  training: a dictionary does better on its own sample (~1.2x on the bench site), and more so
  when a crawl's first pages are a biased sample (its listings), which made a second, needless
  dictionary in two crawls of three.

The trained dictionary is stored (and committed) by the writer itself, on its own connection,
before the next page is packed (or when the run's pages end, `finish`), so a page never names a
dictionary the archive lacks. A training or a storing that fails is logged and counted
(`tjcrawl/compression_dict_failed`); the crawl goes on with the packer it has.

The pages this run packed plain before the dictionary existed (the first `TRAIN_AFTER` and those
packed while it trained) are all stored by then, since the writer runs its work in order; they
are compressed again with it right after it is stored (`recompress_run_pages`), counted in the
run's stats (`tjcrawl/pages_recompressed`, `tjcrawl/pages_recompressed_bytes_saved`). With a
writer process, these stats reach the crawl's like every other count of the session.
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

logger = logging.getLogger(__name__)

DRIFT = 1.5  # recent ratio over the dictionary's own ratio that makes a new one
TRAIN_WAIT_S = 60.0  # at the end of a crawl, how long a training still running is waited for


class PagePacking:
    """One source's packer for a crawl, and its dictionary training. Every method but the
    training runs on the archive's writer (it owns `archive.conn`); making one reads nothing,
    so a session made elsewhere (a writer thread's) can hold one."""

    def __init__(self, archive: Archive, source: str, stats: Any = None) -> None:
        self.archive = archive
        self.source = source
        self.stats = stats
        self.packer: compression.Packer | None = None  # read at the first page
        self.samples: deque[bytes] = deque(maxlen=TRAIN_AFTER)
        self.sizes: deque[tuple[int, int]] = deque(maxlen=TRAIN_AFTER)
        self.sizes_of: compression.Packer | None = None
        self.trained_here: compression.Packer | None = None  # this run's newest dictionary
        self.baseline: float | None = None  # the current packer's, once known (see _due)
        self.raw_sum = self.packed_sum = 0  # of `sizes`, kept as pages come
        self.thread: threading.Thread | None = None
        # What the training thread made, for the writer to store: (data, samples, bytes, ratio)
        self.trained: tuple[bytes, int, int, float] | None = None
        self.trainings = 0
        self.retrained = False
        self.failed: str | None = None
        self.first_id = 0  # this run's pages are the rows after this id (set at the first)
        self.plain = 0  # this run's pages packed without a dictionary, not yet recompressed

    def start(self) -> None:
        """The run begins: its pages come after those stored now, and a source with enough
        stored pages and no dictionary gets one trained from them at once."""
        if self.packer is None:
            self._open()

    def _open(self) -> compression.Packer:
        conn = self.archive.conn  # the writer's: it sees the writes of its open transaction
        self.first_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM pages").fetchone()[0])
        packer = self.packer = self.archive.packer(self.source, conn)
        if packer.dictionary is None and (
            self.archive.stored_page_count(self.source, conn) >= TRAIN_AFTER
        ):
            self._start(None)
        return packer

    def pack(self, body: bytes) -> PackedBody:
        """Hash and compress one page, about to be stored (on the writer)."""
        packer = self.packer or self._open()
        if self.trained is not None:  # stored before any page is packed with it
            self._adopt()
            packer = self.packer or packer  # a new one, unless storing it failed
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
        if not training and self.trained is None and self.failed is None and self._due():
            self._start(list(self.samples))
        return packed

    def _due(self) -> bool:
        if len(self.samples) < TRAIN_AFTER or self.packer is None:
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
        """The training thread: only computes; the writer stores what it made (`_adopt`)."""
        try:
            samples = samples if samples is not None else self._stored_samples()
            data = compression.train(samples)
            probe = compression.Packer(compression.Dictionary(0, data))
            ratio = compression.ratio(probe, samples)
            raw = sum(len(sample) for sample in samples)
            self.trained = (data, len(samples), raw, ratio)
        except Exception as exc:  # the crawl goes on with the packer it has; said, counted
            self._failed(f"{type(exc).__name__}: {exc}")

    def _failed(self, why: str) -> None:
        self.failed = why
        logger.warning("%s: no zstd dictionary trained: %s", self.source, why)
        self._count("tjcrawl/compression_dict_failed")

    def _adopt(self) -> None:
        """Store the dictionary the training thread made; the source's packer from now on."""
        trained, self.trained = self.trained, None
        if trained is None:
            return
        data, samples, raw, ratio = trained
        try:
            packer = self.archive.store_dictionary(self.source, data, samples, raw, ratio)
        except sqlite3.Error as exc:
            # As the writer's loop does with a write that failed: its transaction, which held
            # the crawl's latest writes too, is rolled back and counted failed, and said.
            self._rolled_back(exc, "store_dictionary")
            self._failed(f"not stored: {type(exc).__name__}: {exc}")
            return
        self.trained_here = self.packer = packer
        logger.info(
            "%s: zstd dictionary %s trained on %d pages (%.1f %% of their bytes)",
            self.source,
            packer.compression,
            samples,
            ratio * 100,
        )
        self._count("tjcrawl/compression_dicts_trained")
        self._recompress_plain()

    def _recompress_plain(self) -> None:
        """This run's pages packed plain, all stored by now, compressed again with the
        source's new dictionary (in the writer's open transaction)."""
        expected, self.plain = self.plain, 0
        if not expected:
            return
        try:
            done = self.archive.recompress_run_pages(self.source, self.first_id, expected)
        except sqlite3.Error as exc:
            self._rolled_back(exc, "recompress_run_pages")
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

    def _rolled_back(self, exc: sqlite3.Error, what: str) -> None:
        self.archive._roll_back(exc)
        self.archive._log_write_error(exc, what)

    def _count(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)

    def finish(self) -> None:
        """The run's pages are all packed: wait (bounded) for a training still running, store
        its dictionary and recompress the pages packed before it (on the writer, before the
        run's last commit)."""
        if self.thread is not None:
            self.thread.join(TRAIN_WAIT_S)
            if self.thread.is_alive():
                logger.warning("%s: zstd dictionary training still running; left", self.source)
                self._count("tjcrawl/compression_dict_failed")
        self._adopt()
        if self.plain and self.packer is not None and self.packer.dictionary is not None:
            self._recompress_plain()
