"""The one archive writer of a distributed crawl (`tjcrawl writer --redis URL --db PATH`).

A reliable queue: records are moved (LMOVE) from the outbox to a processing list, stored in
one SQLite transaction together with the id of the batch, and deleted from the processing list
only after COMMIT returned. Killed at any moment, the writer loses nothing: on start it takes
up its processing list again. Nor does it store anything twice: a batch whose id the archive
already holds was committed before the kill, and is only dropped from Redis; and the archive's
writes are idempotent themselves (an article by its URL, a page by URL and bytes).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from tjcrawl.distributed import frontier
from tjcrawl.distributed.keys import OUTBOX, PROCESSING, REJECTED, RUN_ID
from tjcrawl.distributed.outbox import decode
from tjcrawl.distributed.runs import (
    COMMITTED_KINDS,
    RunFigures,
    finish_run,
    load_figures,
    record_verdict,
    run_over,
    save_figures,
)
from tjcrawl.frontier import DEFAULT_SWEEP_DAYS, DEFAULT_VERIFY_304
from tjcrawl.pipelines.archive_writes import store_item, store_response
from tjcrawl.profiles import Profile
from tjcrawl.storage.archive import Archive, WriteLedger

logger = logging.getLogger(__name__)
#: The archive's tjcrawl_meta key holding the id of the last batch committed.
APPLIED_KEY = "redis_outbox_batch"
NEVER = 10**12  # the writer commits per batch, never by count or age
#: Seconds between two looks, while the outbox is empty, at whether the run is over.
RUN_CHECK_S = 1.0


@dataclass
class WriterFigures:
    batches: int = 0
    records: int = 0
    replayed_batches: int = 0
    rejected: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        kinds = ", ".join(
            f"{n} {kind}{'' if kind.endswith('s') else 's'}"
            for kind, n in sorted(self.by_type.items())
        )
        return (
            f"writer: {self.records} records in {self.batches} batches ({kinds or 'none'});"
            f" {self.replayed_batches} batches taken up again after a stop;"
            f" {self.rejected} records rejected"
        )


def batch_id(raws: list[bytes]) -> str:
    digest = hashlib.sha256()
    for raw in raws:
        digest.update(hashlib.sha256(raw).digest())
    return digest.hexdigest()


class OutboxWriter:
    def __init__(
        self,
        server: redis.Redis,
        db_path: Path,
        profiles: Mapping[str, Profile],
        batch_size: int = 200,
        sweep_days: int = DEFAULT_SWEEP_DAYS,
        verify_304: int = DEFAULT_VERIFY_304,
    ) -> None:
        self.sweep_days, self.verify_304 = sweep_days, verify_304
        self.server = server
        self.profiles = profiles
        self.batch_size = max(1, batch_size)
        self.archive = Archive(Path(db_path), commit_every=NEVER, commit_seconds=float(NEVER))
        self.ledger = WriteLedger()
        self.runs: dict[tuple[str, str], int] = {}
        self.page_ids: dict[str, int] = {}
        self.figures = WriterFigures()
        self.db_path = Path(db_path)
        self._run_figures: dict[tuple[str, str], RunFigures] = {}

    def close(self) -> None:
        self.archive.close()

    # -- the loop -------------------------------------------------------------------------
    def run(
        self,
        idle_exit: float | None = None,
        should_stop: Callable[[], bool] = bool,
        on_run_over: Callable[[str, list[Any]], None] | None = None,
        until_run_over: bool = False,
    ) -> None:
        """Store batches until stopped, or until the outbox stayed empty `idle_exit` s, or
        (`until_run_over`) until a run was over and judged. Each run over is finished and
        judged (tjcrawl.distributed.runs), and `on_run_over` is told its reports."""
        self.recover()
        idle_since = checked = time.monotonic()
        while not should_stop():
            self.seed_frontiers()
            if self.take_batch():
                idle_since = time.monotonic()
                continue
            now = time.monotonic()
            if now - checked >= RUN_CHECK_S:
                checked = now
                if self.judge_run(on_run_over) and until_run_over:
                    return
            if idle_exit is not None and now - idle_since >= idle_exit:
                return

    def judge_run(self, on_run_over: Callable[[str, list[Any]], None] | None = None) -> bool:
        """Finish and judge the current run if it is over; whether one was."""
        run_id = run_over(self.server)
        if run_id is None:
            return False
        reports = finish_run(self.archive, self.db_path, run_id, self.profiles)
        if not reports:
            return False  # no record of this run arrived (a worker just starting): not yet
        lines = [r.summary() for r in reports]
        lines += [f"error: {p}" for r in reports for p in r.problems]
        # tjcrawl crawl's exit status: 3 when a source broke (tjcrawl.cli.common)
        status = 3 if any(r.problems for r in reports) else 0
        try:
            record_verdict(self.server, run_id, lines, status)
        except redis.RedisError as exc:
            # Judged again at the next look: the verdict is what says the run was judged.
            logger.error(
                "run %s judged, but the verdict could not be kept in Redis: %s", run_id, exc
            )
            return False
        if on_run_over is not None:
            on_run_over(run_id, reports)
        return True

    def seed_frontiers(self) -> int:
        """Seed the frontiers workers wait for (tjcrawl.distributed.frontier); how many."""
        seeded = 0
        current = self.server.get(RUN_ID)
        for run_id, source, mode in list(frontier.wanted(self.server)):
            if current is None or current.decode() != run_id:
                continue  # a worker of a run that is over: it finds the run changed
            profile = self.profiles.get(source)
            if profile is None:
                self.server.set(
                    frontier.key(source, "error"), f"no source {source!r} at the writer"
                )
                continue
            row_id, _ = frontier.seed(
                self.server, self.archive, run_id, profile, mode, self.sweep_days, self.verify_304
            )
            self.runs[(run_id, source)] = row_id
            seeded += 1
        return seeded

    def recover(self) -> None:
        """Take up what a writer that stopped had taken: stored again unless committed."""
        raws = self.server.lrange(PROCESSING, 0, -1)
        if raws:
            self.figures.replayed_batches += 1
            logger.info("taking up %d records a stopped writer had taken", len(raws))
            self._apply(raws)

    def take_batch(self) -> bool:
        first = self.server.blmove(OUTBOX, PROCESSING, 0.5, "LEFT", "RIGHT")
        if first is None:
            return False
        raws = [first]
        while len(raws) < self.batch_size:
            raw = self.server.lmove(OUTBOX, PROCESSING, "LEFT", "RIGHT")
            if raw is None:
                break
            raws.append(raw)
        self._apply(raws)
        return True

    def _apply(self, raws: list[bytes]) -> None:
        ident = batch_id(raws)
        conn = self.archive.conn
        row = conn.execute("SELECT value FROM tjcrawl_meta WHERE key = ?", (APPLIED_KEY,))
        applied = row.fetchone()
        if applied is None or applied[0] != ident:
            try:
                records = self._store_batch(raws, ident)
            except BaseException:
                if conn.in_transaction:  # nothing of a batch lands unless all of it does
                    conn.execute("ROLLBACK")
                raise
            self.figures.batches += 1
            self.figures.records += len(records)
            for record in records:
                kind = record["type"]
                self.figures.by_type[kind] = self.figures.by_type.get(kind, 0) + 1
        # Acknowledged: only now may the records leave Redis.
        self.server.delete(PROCESSING)

    def _store_batch(self, raws: list[bytes], ident: str) -> list[dict[str, Any]]:
        conn = self.archive.conn
        records = self._decode(raws)
        self._start_runs(records)  # start_run commits: before the batch's transaction
        self._run_figures = {}
        for record in records:
            before = Counter(self.ledger.pending)
            self._store(record)
            figures = self._figures(record)
            if record["type"] == "stats":
                figures.add_stats(record.get("stats") or {}, record.get("reason"))
            for kind in COMMITTED_KINDS:
                if done := self.ledger.pending[kind] - before[kind]:
                    figures.committed[kind] += done
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        for (run_id, source), figures in self._run_figures.items():
            save_figures(self.archive, run_id, source, figures)
        conn.execute(
            "INSERT INTO tjcrawl_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (APPLIED_KEY, ident),
        )
        self.archive.commit()
        return records

    def _decode(self, raws: list[bytes]) -> list[dict[str, Any]]:
        records = []
        for raw in raws:
            try:
                records.append(decode(raw))
            except ValueError as exc:
                # Kept aside for a person to look at, and counted; never dropped silently.
                logger.error("outbox record rejected (%s): %r", exc, raw[:200])
                self.server.rpush(REJECTED, raw)
                self.figures.rejected += 1
        return records

    def _figures(self, record: dict[str, Any]) -> RunFigures:
        """The run's figures for the record's source, as this batch updates them."""
        key = (record["run_id"], record["source"])
        if key not in self._run_figures:
            self._run_figures[key] = load_figures(self.archive, *key)
        return self._run_figures[key]

    def _start_runs(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            key = (record["run_id"], record["source"])
            if key in self.runs:
                continue
            row = self.archive.conn.execute(
                "SELECT id FROM crawl_runs WHERE run_id = ? AND source = ?", key
            ).fetchone()
            if row is None:
                profile = self.profiles.get(key[1])
                if profile is not None:
                    self.archive.record_source(profile)
                sha = profile.sha256 if profile is not None else ""
                row = (self.archive.start_run(key[0], key[1], sha, "full"),)
                self.archive.commit()
            self.runs[key] = int(row[0])

    def _store(self, record: dict[str, Any]) -> None:
        archive, run_id = self.archive, record["run_id"]
        kind = record["type"]
        if kind == "page":
            page_id = store_response(
                archive,
                self.ledger,
                run_id,
                kind=record["kind"],
                url=record["url"],
                status=int(record["status"]),
                headers=record["headers"],
                body=base64.b64decode(record["body"]),
                packed=None,
                encoding=record.get("encoding"),
                fetched_at=record["fetched_at"],
                source=record["source"],
            )
            if page_id is not None:
                self.page_ids[record["url"]] = page_id
        elif kind == "item":
            page_url = record.get("page_url") or ""
            page_id = self.page_ids.get(page_url)
            if page_id is None and page_url:
                row = archive.conn.execute(
                    "SELECT id FROM pages WHERE url = ? ORDER BY id DESC LIMIT 1", (page_url,)
                ).fetchone()
                page_id = int(row[0]) if row else None
            store_item(
                archive, self.ledger, run_id, record["article"], page_id, record["attachments"]
            )
        elif kind == "stats":
            pass  # summed into the run's figures (_store_batch)
        else:
            archive.tally(self.ledger, "faults")
            if record["kind"] == "stale_304":
                # The source's 304s lied: later runs fetch it unconditionally, as after a
                # single-process run that caught it (tjcrawl.frontier.Frontier.distrust_304).
                archive.distrust_304(record["source"])
            archive.record_fault(
                run_id=run_id,
                source=record["source"],
                url=record["url"],
                kind=record["kind"],
                status=record.get("status"),
                detail=record.get("detail") or "",
            )
