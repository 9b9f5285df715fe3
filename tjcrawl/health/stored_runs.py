"""Stored runs: `crawl_runs` rows as `RunRow`, the run listing, the coverage history, and what a
finished run says is wrong with its source.

Runs are ordered by their sequence (`crawl_runs.id`), not by their start time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tjcrawl.health.alarms import (
    _generic_fills,
    coverage,
    coverage_alarms,
    generic_fill_problems,
    listing_yield,
)
from tjcrawl.health.common import (
    COVERAGE_FLOOR,
    INTERRUPTED_REASONS,
    MIN_ITEMS_JUDGED,
    QUIET_MODES,
    WRITE_FAILED,
    _json,
    _optional,
    _rows,
    columns,
    parse_time,
    pct,
)


# -- runs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunRow:
    """One `crawl_runs` row as `tjcrawl runs` and the report show it."""

    id: int
    run_id: str
    source: str
    started_at: str
    finished_at: str | None
    finish_reason: str | None
    mode: str | None
    duration_s: float | None
    requests: int
    responses: int
    items_scraped: int
    items_new: int
    items_changed: int
    items_unchanged: int
    items_failed: int
    items_duplicate: int
    coverage: dict[str, float] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    listing_pages: int | None = None
    listing_entries_per_page: float | None = None
    #: What the run lost, by page kind (article, listing, attachment) and fault kind.
    losses: dict[str, dict[str, int]] = field(default_factory=dict)
    #: How long before the previous run's start this one started (its clock went back).
    clock_skew_s: float | None = None
    generic_fills: dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """finished, interrupted (never finished or stopped from outside), or the reason."""
        if self.finished_at is None or self.finish_reason in INTERRUPTED_REASONS:
            return "interrupted"
        return self.finish_reason or "finished"


_RUN_COLUMNS = (
    "id, run_id, source, started_at, finished_at, finish_reason, requests, responses,"
    " items_scraped, items_new, items_changed, items_unchanged, items_failed, items_duplicate,"
    " field_failures"
)


def _run_row(row: Mapping[str, Any]) -> RunRow:
    duration = row.get("duration_s")
    if duration is None:
        start, end = parse_time(row["started_at"]), parse_time(row["finished_at"])
        duration = (end - start).total_seconds() if start and end else None
    faults = _json(row.get("faults"))
    return RunRow(
        id=int(row["id"]),
        run_id=row["run_id"],
        source=row["source"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        finish_reason=row["finish_reason"],
        mode=row.get("mode"),
        duration_s=float(duration) if duration is not None else None,
        requests=int(row["requests"] or 0),
        responses=int(row["responses"] or 0),
        items_scraped=int(row["items_scraped"] or 0),
        items_new=int(row["items_new"] or 0),
        items_changed=int(row["items_changed"] or 0),
        items_unchanged=int(row["items_unchanged"] or 0),
        items_failed=int(row["items_failed"] or 0),
        items_duplicate=int(row["items_duplicate"] or 0),
        coverage=coverage(row),
        faults={str(k): int(v) for k, v in faults.items()} if isinstance(faults, dict) else {},
        listing_pages=row.get("listing_pages"),
        listing_entries_per_page=listing_yield(row),
        losses=_losses(row.get("losses")),
        clock_skew_s=row.get("clock_skew_s"),
        generic_fills=_generic_fills(row.get("field_failures")),
    )


def _losses(value: Any) -> dict[str, dict[str, int]]:
    parsed = _json(value)
    if not isinstance(parsed, dict):
        return {}
    return {
        str(what): {str(k): int(n) for k, n in kinds.items()}
        for what, kinds in parsed.items()
        if isinstance(kinds, dict)
    }


def _select_runs(conn: sqlite3.Connection, where: str, params: Iterable[Any]) -> list[RunRow]:
    available = columns(conn, "crawl_runs")
    sql = (
        f"SELECT {_RUN_COLUMNS}"
        + _optional(
            available,
            "mode",
            "duration_s",
            "faults",
            "listing_pages",
            "listing_entries",
            "losses",
            "clock_skew_s",
        )
        + f" FROM crawl_runs {where}"
    )
    return [_run_row(row) for row in _rows(conn, sql, params)]


def runs(conn: sqlite3.Connection, source: str | None = None, limit: int = 20) -> list[RunRow]:
    """The latest runs, newest first, one row per run and source (optionally one source)."""
    where = "WHERE source = ?" if source else ""
    params: list[Any] = [source] if source else []
    # Newest run first and, within a run, its sources in order.
    order = (
        "ORDER BY (SELECT max(r.id) FROM crawl_runs r WHERE r.run_id = crawl_runs.run_id)"
        " DESC, source LIMIT ?"
    )
    return _select_runs(conn, f"{where} {order}", [*params, int(limit)])


def coverage_history(
    conn: sqlite3.Connection, source: str, limit: int = 30
) -> list[tuple[RunRow, list[str]]]:
    """The source's last finished runs that scraped items, oldest first, each with its alarms.

    For the coverage chart: it shows where a field fell and which runs alarmed.
    """
    rows = _select_runs(
        conn,
        "WHERE source = ? AND finished_at IS NOT NULL AND items_scraped > 0"
        " ORDER BY id DESC LIMIT ?",
        [source, int(limit)],
    )
    rows.reverse()
    return [
        (
            r,
            coverage_alarms(
                conn, source, r.id, r.coverage, r.items_scraped, r.listing_entries_per_page
            ),
        )
        for r in rows
    ]


def run_problems(conn: sqlite3.Connection, run: RunRow) -> list[str]:
    """What a stored, finished run says is wrong with its source, one line each.

    Mirrors the end-of-crawl judgement from what the row keeps (the crawl's full stats are gone
    by now) and adds the comparison with earlier runs.
    """
    slug, problems = run.source, []
    if run.finish_reason == WRITE_FAILED:
        problems.append(_write_failure(conn, run))
    elif run.finish_reason not in (None, "finished") and run.status != "interrupted":
        problems.append(f"{slug}: crawl ended early ({run.finish_reason})")
    if run.requests > 0 and run.responses == 0:
        problems.append(f"{slug}: no page could be fetched ({run.requests} requests)")
        return problems
    # An incremental run may legitimately read nothing (listings unchanged, 304 Not Modified,
    # no revisit due); a full one (or one from before modes were recorded) may not.
    must_yield = run.mode not in QUIET_MODES
    if must_yield and run.listing_pages == 0:
        problems.append(f"{slug}: no listing page could be fetched (start_urls, robots.txt?)")
        return problems
    if run.listing_entries_per_page == 0:
        problems.append(f"{slug}: field listing.entries matched nothing on any listing page")
        return problems
    if must_yield and run.items_scraped == 0:
        problems.append(f"{slug}: no article was extracted in a {run.mode or 'full'} crawl")
        return problems
    generic = generic_fill_problems(slug, run.generic_fills, run.items_scraped)
    return problems + coverage_problems(conn, run) + generic


def _write_failure(conn: sqlite3.Connection, run: RunRow) -> str:
    """The line for a run whose archive writes failed, with the cause its fault row names."""
    detail = None
    if columns(conn, "faults"):
        found = _rows(
            conn,
            "SELECT detail FROM faults WHERE run_id = ? AND source = ? AND kind = ?"
            " ORDER BY id DESC LIMIT 1",
            (run.run_id, run.source, WRITE_FAILED),
        )
        detail = found[0]["detail"] if found else None
    lost = run.faults.get(WRITE_FAILED)
    what = detail or (f"{lost} writes failed" if lost else "writes failed")
    return (
        f"{run.source}: archive writes failed in run {run.run_id} ({what}); "
        "the next run fetches again what was not stored"
    )


def coverage_problems(conn: sqlite3.Connection, run: RunRow, with_yield: bool = True) -> list[str]:
    """A stored run's coverage problems: alarms against earlier runs, then absolute floors.

    The comparison comes first because it says what the field used to be; the absolute floor
    of the end-of-crawl judgement still covers title and body of a source without history.
    """
    yield_ = run.listing_entries_per_page if with_yield else None
    alarms = coverage_alarms(conn, run.source, run.id, run.coverage, run.items_scraped, yield_)
    alarmed = {a.split(": ", 1)[1].split(" ", 1)[0] for a in alarms}
    floors = []
    if run.items_scraped >= MIN_ITEMS_JUDGED:
        for name in ("title", "body"):
            share = run.coverage.get(name)
            if share is not None and share < COVERAGE_FLOOR and name not in alarmed:
                floors.append(
                    f"{run.source}: field {name} found in {round(share * run.items_scraped)} of "
                    f"{run.items_scraped} items (below {pct(COVERAGE_FLOOR)})"
                )
    return alarms + floors
