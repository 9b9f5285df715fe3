"""Each source's state at a glance (ok, degraded, failing, interrupted, stale, never-run)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tjcrawl.health.common import (
    MIN_ITEMS_JUDGED,
    STALE_AFTER,
    STILL_RUNNING_WITHIN,
    UNHEALTHY_STATES,
    _age,
    _connection,
    _rows,
    columns,
    default_now,
    parse_time,
)
from tjcrawl.health.losses import attachments_note, run_losses, skew_problem
from tjcrawl.health.stored_runs import _select_runs, coverage_problems, run_problems


# -- source states ------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceState:
    """One source's health at a glance, for `tjcrawl health` and the report."""

    slug: str
    name: str | None
    verified: str | None
    state: str  # one of STATES
    reason: str
    last_run_at: str | None = None
    last_finish_reason: str | None = None
    last_mode: str | None = None
    last_items: int | None = None
    last_new: int | None = None
    last_changed: int | None = None
    last_failed: int | None = None
    last_finished_at: str | None = None
    coverage: dict[str, float] = field(default_factory=dict)  # of the last run with items
    coverage_run_at: str | None = None  # when that run started
    articles: int = 0
    newest_published_at: str | None = None
    last_new_article_at: str | None = None
    withdrawn: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return self.state not in UNHEALTHY_STATES


def source_states(
    conn: sqlite3.Connection,
    known_sources: Iterable[str] = (),
    now: datetime | None = None,
) -> list[SourceState]:
    """Every source's state, by slug: the archive's sources plus `known_sources` (profiles).

    The state describes the last run (by sequence, not start time) first, because that is what
    to act on: `interrupted` (it never finished, or was stopped), `failing` (it finished but
    extraction broke or coverage fell, see `run_problems`, or it lost most of its articles),
    `degraded` (it lost some articles or listing pages, or its clock went back, and nothing
    else is wrong), then `stale` (the last run was fine but no run has finished for
    STALE_AFTER: the nightly is not running), else `ok`. A source with no run is `never-run`.
    Reasons of interrupted, failing and degraded sources mention staleness too.
    """
    conn = _connection(conn)
    now = now or default_now()
    verdict = ", state, state_reason" if "state" in columns(conn, "sources") else ", NULL AS state"
    catalogue = {
        r["slug"]: r for r in _rows(conn, f"SELECT slug, name, verified{verdict} FROM sources")
    }
    run_sources = {r["source"] for r in _rows(conn, "SELECT DISTINCT source FROM crawl_runs")}
    withdrawn = (
        ", sum(withdrawn_at IS NOT NULL) AS withdrawn"
        if "withdrawn_at" in columns(conn, "articles")
        else ", NULL AS withdrawn"
    )
    articles = {
        r["source"]: r
        for r in _rows(
            conn,
            "SELECT source, count(*) AS n, max(published_at) AS newest,"
            f" max(first_seen_at) AS last_new{withdrawn} FROM articles GROUP BY source",
        )
    }
    slugs = sorted(set(catalogue) | run_sources | set(articles) | set(known_sources))
    return [
        _state(conn, slug, catalogue.get(slug, {}), articles.get(slug, {}), now) for slug in slugs
    ]


def _state(
    conn: sqlite3.Connection,
    slug: str,
    source: Mapping[str, Any],
    counts: Mapping[str, Any],
    now: datetime,
) -> SourceState:
    base: dict[str, Any] = {
        "slug": slug,
        "name": source.get("name"),
        "verified": source.get("verified"),
        "articles": int(counts.get("n") or 0),
        "newest_published_at": counts.get("newest"),
        "last_new_article_at": counts.get("last_new"),
        "withdrawn": counts.get("withdrawn"),
    }
    latest = _select_runs(conn, "WHERE source = ? ORDER BY id DESC LIMIT 1", [slug])
    if not latest:
        return SourceState(**base, state="never-run", reason="no crawl recorded")
    last = latest[0]
    # A re-extraction fetches nothing: it must not hide that the nightly crawl stopped.
    crawls_only = (
        " AND coalesce(mode, '') != 'reextract'" if "mode" in columns(conn, "crawl_runs") else ""
    )
    finished = _select_runs(
        conn,
        f"WHERE source = ? AND finished_at IS NOT NULL{crawls_only} ORDER BY id DESC LIMIT 1",
        [slug],
    )
    last_finished_at = finished[0].finished_at if finished else None
    # Incremental runs often scrape nothing: coverage comes from the last run that did.
    measured = _select_runs(
        conn,
        "WHERE source = ? AND finished_at IS NOT NULL AND items_scraped > 0"
        " ORDER BY id DESC LIMIT 1",
        [slug],
    )
    base.update(
        last_run_at=last.started_at,
        last_finish_reason=last.finish_reason,
        last_mode=last.mode,
        last_items=last.items_scraped if last.finished_at else None,
        last_new=last.items_new if last.finished_at else None,
        last_changed=last.items_changed if last.finished_at else None,
        last_failed=last.items_failed if last.finished_at else None,
        last_finished_at=last_finished_at,
        coverage=measured[0].coverage if measured else {},
        coverage_run_at=measured[0].started_at if measured else None,
    )
    finished_time = parse_time(last_finished_at)
    stale = finished_time is None or now - finished_time > STALE_AFTER
    stale_note = (
        "; no run has ever finished"
        if finished_time is None
        else f"; no finished run for {_age(now - finished_time)}"
        if stale
        else ""
    )
    if last.status == "interrupted":
        started = parse_time(last.started_at)
        if last.finished_at is None:
            reason = f"run {last.run_id} did not finish"
            if started and now - started < STILL_RUNNING_WITHIN:
                reason += " (or is still running)"
        else:
            reason = f"run {last.run_id} was stopped ({last.finish_reason})"
        return SourceState(**base, state="interrupted", reason=reason + stale_note)
    problems = run_problems(conn, last)
    if last.items_scraped < MIN_ITEMS_JUDGED:
        # A quiet incremental run proves nothing about extraction: a breakage seen in the
        # last run that scraped enough items still stands until a run shows it fixed.
        judged = _select_runs(
            conn,
            "WHERE source = ? AND finished_at IS NOT NULL AND items_scraped >= ?"
            " ORDER BY id DESC LIMIT 1",
            [slug, MIN_ITEMS_JUDGED],
        )
        if judged:
            day = judged[0].started_at[:10]
            problems += [
                f"{p} (in the run of {day})"
                for p in coverage_problems(conn, judged[0], with_yield=False)
            ]
    # Articles lost by the last run: degraded while most arrived, failing when most were lost.
    lost, most_lost = run_losses(last)
    lost += skew_problem(last)
    if problems or lost:
        problems += lost
        if source.get("state") == "blocked" and source.get("state_reason"):
            # The site refused this machine (tjcrawl.blocking): that, with its advice, first.
            problems.insert(0, f"{slug}: {source['state_reason']}")
        first = problems[0].split(": ", 1)[-1]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return SourceState(
            **base,
            state="failing" if len(problems) > len(lost) or most_lost else "degraded",
            reason=first + more + stale_note,
            problems=tuple(problems),
        )
    if stale:
        return SourceState(**base, state="stale", reason=stale_note[2:])
    assert finished_time is not None
    mode = f"{last.mode} " if last.mode else ""
    reason = f"last {mode}run finished {_age(now - finished_time)} ago, {last.items_scraped} items"
    if note := attachments_note(last.losses):
        reason += f"; {note}"
    return SourceState(**base, state="ok", reason=reason)
