"""A distributed run's `crawl_runs` rows: figures gathered by the writer, and the run finished
and judged at its end like a single-process run (tjcrawl.runner.after_crawl).

Per source of the run, the writer keeps in the archive's tjcrawl_meta (committed with each
batch, so a killed writer neither loses nor counts anything twice) the sum of the stats its
workers sent when they ended, their finish reasons, and what it committed for the run (pages,
new, changed and unchanged articles). The run is over when no worker crawls any source, no
request is queued or leased and the outbox is empty; the writer then finishes the rows, judges
each source with the single-process crawl's own code and records the verdict in Redis.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis

from tjcrawl import clock
from tjcrawl.distributed.keys import (
    CRAWL_PREFIX,
    JUDGED,
    OUTBOX,
    PROCESSING,
    RUN_ID,
    VERDICT,
)
from tjcrawl.distributed.leases import sources_running
from tjcrawl.faults import losses, summarise
from tjcrawl.pipelines.archive_writes import run_values
from tjcrawl.profiles import Profile
from tjcrawl.storage.archive import Archive

logger = logging.getLogger(__name__)
#: tjcrawl_meta key of a run's figures for one source: + run id + ":" + source.
FIGURES_KEY = "redis_run:"
#: What the writer counts of its own commits for a run (WriteLedger's kinds).
COMMITTED_KINDS = ("pages", "new", "changed", "unchanged", "withdrawn")


@dataclass
class RunFigures:
    """One source's share of a distributed run, as the writer has gathered it."""

    stats: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    committed: Counter[str] = field(default_factory=Counter)

    def add_stats(self, stats: Mapping[str, Any], reason: str | None) -> None:
        """A worker's stats since its last record; `reason` with its last."""
        if reason is not None:
            self.reasons.append(reason)
        for key, value in stats.items():
            if isinstance(value, str):  # a text (a write error): the first worker's is kept
                self.stats.setdefault(key, value)
            elif isinstance(value, int | float) and not isinstance(self.stats.get(key, 0), str):
                self.stats[key] = self.stats.get(key, 0) + value

    def reason(self) -> str:
        """finished when every worker that ended said so (the frontier is empty by then)."""
        early = [r for r in self.reasons if r != "finished"]
        return early[0] if early else "finished"

    def dumps(self) -> str:
        return json.dumps(
            {"stats": self.stats, "reasons": self.reasons, "committed": dict(self.committed)},
            ensure_ascii=False,
        )

    @classmethod
    def loads(cls, text: str | None) -> RunFigures:
        if not text:
            return cls()
        value = json.loads(text)
        return cls(value["stats"], value["reasons"], Counter(value["committed"]))


def load_figures(archive: Archive, run_id: str, source: str) -> RunFigures:
    row = archive.conn.execute(
        "SELECT value FROM tjcrawl_meta WHERE key = ?", (f"{FIGURES_KEY}{run_id}:{source}",)
    ).fetchone()
    return RunFigures.loads(row[0] if row else None)


def save_figures(archive: Archive, run_id: str, source: str, figures: RunFigures) -> None:
    """Inside the batch's transaction: committed with the records it counts."""
    archive.conn.execute(
        "INSERT INTO tjcrawl_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (f"{FIGURES_KEY}{run_id}:{source}", figures.dumps()),
    )


def run_over(server: redis.Redis) -> str | None:
    """The current run's id once it is over and not judged yet: no worker crawls, nothing is
    queued or leased, the outbox and the writer's processing list are empty."""
    raw = server.get(RUN_ID)
    if raw is None:
        return None
    run_id = raw.decode() if isinstance(raw, bytes) else str(raw)
    judged = server.get(JUDGED)
    if judged is not None and (judged.decode() if isinstance(judged, bytes) else judged) == run_id:
        return None
    if sources_running(server):
        return None
    for key in server.scan_iter(match=CRAWL_PREFIX + "*:requests", count=1000):
        if server.zcard(key):
            return None
    for key in server.scan_iter(match=CRAWL_PREFIX + "*:requests:lease:*", count=1000):
        if server.hlen(key):
            return None
    if server.llen(OUTBOX) or server.llen(PROCESSING):
        return None
    return run_id


def finish_run(
    archive: Archive, db_path: Path, run_id: str, profiles: Mapping[str, Profile]
) -> list[Any]:
    """Finish the run's rows with their figures and judge each source like
    `tjcrawl crawl` does; the reports (tjcrawl.runner.SourceReport), none when the archive
    holds no row of this run."""
    from tjcrawl.runner import after_crawl, build_settings

    # Rows finished already were finished by a writer stopped before it recorded its verdict:
    # judged again, from the same figures.
    rows = archive.conn.execute(
        "SELECT id, source, started_at, finished_at IS NOT NULL, mode FROM crawl_runs"
        " WHERE run_id = ? ORDER BY id",
        (run_id,),
    ).fetchall()
    finished = []
    for row_id, source, started_at, done, mode in rows:
        figures = load_figures(archive, run_id, source)
        reason = figures.reason()
        stats: dict[str, Any] = dict(figures.stats)
        for kind in ("new", "changed", "unchanged"):
            stats[f"tjcrawl/items_{kind}"] = figures.committed.get(kind, 0)
        stats["finish_reason"] = reason
        try:
            duration = (clock.now() - datetime.fromisoformat(started_at)).total_seconds()
        except (TypeError, ValueError):
            duration = 0.0
        values = run_values(
            stats,
            figures.committed,
            items_failed=int(stats.get("tjcrawl/items_failed", 0)),
            losses=losses(stats),
            faults=summarise(stats),
            # The mode the writer chose when it seeded the source's frontier (full when the
            # workers crawled without one: `crawl --redis --full`).
            mode=mode or "full",
            duration_s=max(duration, 0.0),
            clock_skew_s=None,
            reason=reason,
        )
        if not done:
            archive.finish_run(row_id, values)
        if (profile := profiles.get(source)) is not None:
            finished.append((profile, stats))
        else:
            logger.warning("%s: no such source here; its run is finished but not judged", source)
    if not rows:
        return []
    return after_crawl(finished, build_settings(str(db_path), run_id=run_id), run_id)


def record_verdict(server: redis.Redis, run_id: str, lines: list[str], status: int) -> None:
    """What the writer said of the run, for `tjcrawl crawl --redis URL --wait`."""
    verdict = json.dumps({"run_id": run_id, "lines": lines, "status": status}, ensure_ascii=False)
    pipe = server.pipeline()
    pipe.set(VERDICT, verdict)
    pipe.set(JUDGED, run_id)
    pipe.execute()
