"""Rewrite stored pages with their source's zstd dictionary.

`recompress` (`tjcrawl upgrade --recompress`): pages written by older versions (zlib) or before
their source had a dictionary (plain zstd) are compressed again with the source's newest
dictionary; a source with enough pages and no dictionary gets one first. Each batch is one
transaction: an interruption leaves every page readable, in its old form or its new one.

`recompress_run_pages` (a crawl, on the archive's writer): the pages a run packed plain before
its source's dictionary was trained, compressed again with it as soon as it exists.

Either way a page is rewritten only when its bytes come back exactly (its SHA-256 checked
before, the new form decompressed and compared) and the new form is smaller.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field

from tjcrawl.storage import compression
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.compression import TRAIN_AFTER, page_body

BATCH = 500
RUN_BATCH = 64  # rows a crawl's recompression reads at a time


@dataclass
class RunRecompressed:
    """What `recompress_run_pages` did (plain numbers: it may run in another process)."""

    pages: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    skipped: int = 0  # unreadable, not its SHA-256, or no smaller with the dictionary


@dataclass
class Recompressed:
    pages: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    trained: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "page 12 (url): why"

    def line(self) -> str:
        saved = self.bytes_before - self.bytes_after
        return (
            f"{self.pages} pages recompressed, {self.bytes_before:,} -> {self.bytes_after:,}"
            f" bytes ({saved:,} saved); dictionaries trained for"
            f" {', '.join(self.trained) or 'no source'}"
        )


def recompress(archive: Archive, batch: int = BATCH) -> Recompressed:
    conn = archive.conn
    done = Recompressed()
    packers = {}
    for (source,) in conn.execute("SELECT DISTINCT source FROM pages ORDER BY 1").fetchall():
        packer = archive.packer(source)
        if packer.dictionary is None:
            packer = _train(archive, source) or packer
            if packer.dictionary is not None:
                done.trained.append(source)
        if packer.dictionary is not None:
            packers[source] = packer
    last = 0
    while packers:  # one pass over the pages by id (pages has no index by source)
        rows = conn.execute(
            "SELECT id, url, source, body, compression, body_sha256 FROM pages WHERE id > ?"
            " ORDER BY id LIMIT ?",
            (last, batch),
        ).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        archive._begin()
        for page_id, url, source, body, how, digest in rows:
            packer = packers.get(source)
            if packer is None or body is None or how == packer.compression:
                continue
            try:
                raw = page_body(body, how, conn)
            except (ValueError, zlib.error) as exc:
                done.unreadable.append(f"page {page_id} ({url}): {exc}")
                continue
            if hashlib.sha256(raw).hexdigest() != digest:
                done.unreadable.append(f"page {page_id} ({url}): bytes differ from SHA-256")
                continue
            packed = packer.compress(raw)
            if len(packed) >= len(body) or page_body(packed, packer.compression, conn) != raw:
                continue
            conn.execute(
                "UPDATE pages SET body = ?, compression = ? WHERE id = ?",
                (packed, packer.compression, page_id),
            )
            done.pages += 1
            done.bytes_before += len(body)
            done.bytes_after += len(packed)
        archive.commit()
    return done


def _train(archive: Archive, source: str) -> compression.Packer | None:
    """A dictionary for a source with TRAIN_AFTER pages and none, from its newest pages."""
    conn = archive.conn
    samples = [
        page_body(body, how, conn)
        for body, how in conn.execute(
            "SELECT body, compression FROM pages WHERE source = ? AND status = 200"
            " ORDER BY id DESC LIMIT ?",
            (source, TRAIN_AFTER),
        )
    ]
    if len(samples) < TRAIN_AFTER:
        return None
    data = compression.train(samples)
    probe = compression.Packer(compression.Dictionary(0, data))
    return archive.store_dictionary(
        source, data, len(samples), sum(map(len, samples)), compression.ratio(probe, samples)
    )


def recompress_run_pages(
    archive: Archive, source: str, after_id: int, expected: int, batch: int = RUN_BATCH
) -> RunRecompressed:
    """On the writer: `source`'s 200 pages stored plain zstd with an id over `after_id` (this
    run's, packed before its dictionary existed), compressed again with the source's newest
    dictionary, in the open transaction. Stops once `expected` pages were seen.

    Never raises for a page: a write that fails here would roll back the crawl's other writes
    of the same transaction, so a page that does not come back exactly is left as it is and
    counted in `skipped` (`tjcrawl upgrade --recompress` reports such pages one by one).
    """
    done = RunRecompressed()
    packer = archive.packer(source)
    if packer.dictionary is None or expected <= 0:
        return done
    conn = archive.conn
    last, seen = after_id, 0
    while seen < expected:
        # By id from this run's first: pages has no index by source, and this run's pages
        # are the newest rows (a rowid range, never the whole table).
        rows = conn.execute(
            "SELECT id, body, body_sha256 FROM pages WHERE id > ? AND source = ?"
            " AND status = 200 AND compression = ? ORDER BY id LIMIT ?",
            (last, source, compression.ZSTD, batch),
        ).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        for page_id, body, digest in rows:
            seen += 1
            try:
                raw = page_body(body, compression.ZSTD)
                packed = packer.compress(raw)
                same = hashlib.sha256(raw).hexdigest() == digest and (
                    page_body(packed, packer.compression, conn) == raw
                )
            except ValueError:  # PageUnreadable, MissingDictionary
                same = False
            if not same or len(packed) >= len(body):
                done.skipped += 1
                continue
            archive._begin()  # `_written` may have committed (a writer-less archive)
            conn.execute(
                "UPDATE pages SET body = ?, compression = ? WHERE id = ?",
                (packed, packer.compression, page_id),
            )
            archive._written()
            done.pages += 1
            done.bytes_before += len(body)
            done.bytes_after += len(packed)
    return done
