"""Each source's health, read from the archive: coverage alarms, source states, run listings.

A site that changes its templates rarely makes a crawl fail outright; more often a selector
still matches on some pages and the share of items that have a body or a date quietly falls.
The end-of-crawl judgement (`tjcrawl.runner.judge`) checks absolute floors from the crawl's own
stats; this module adds the comparison with the same source's earlier runs, which catches the
quiet drops, and summarises every source for `tjcrawl health`, `tjcrawl runs` and the HTML
report.

Everything here is a pure function of a `sqlite3.Connection` (no Scrapy import), so it can run
after a crawl, from cron, or against a copy of the archive. Columns added by later migrations
(`crawl_runs.mode`, `faults`, `duration_s`, `listing_pages`, `listing_entries`, `losses`,
`clock_skew_s`, `articles.withdrawn_at`) are used when present and ignored when not.

Runs are ordered by their sequence (`crawl_runs.id`, given in the order runs start and never
reused, since no run row is ever deleted), not by their start time: a machine whose clock was
set ahead for one night must not hide every later run behind that one.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any, cast
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Fields whose coverage is compared with earlier runs. origin and author are often absent
#: on a healthy site, so a change in them says little.
JUDGED_FIELDS = ("title", "date", "body")
#: Every field whose coverage the crawl records (`field_failures.present`).
COVERAGE_FIELDS = ("title", "date", "body", "origin", "author")

#: How many earlier finished runs form the baseline (their median), ...
HISTORY_RUNS = 5
#: ... counting only runs that scraped at least this many items (a share of 2 items is noise).
HISTORY_MIN_ITEMS = 5
#: A baseline needs at least this many such runs; before that there is nothing to compare.
MIN_HISTORY_RUNS = 1
#: The current run is judged only when it scraped at least this many items: incremental runs
#: often scrape none or one, and one item without a date would read as "date fell to 0%".
MIN_ITEMS_JUDGED = 3
#: Alarm when a field's coverage falls by more than this (a share: 0.20 = 20 points), ...
MAX_COVERAGE_DROP = 0.20
#: ... or falls below this floor when the baseline was at or above it.
COVERAGE_FLOOR = 0.90
#: Alarm when listing entries per listing page fall below this share of the baseline ...
MIN_YIELD_RATIO = 0.5
#: ... provided the baseline had at least this many entries per page.
MIN_BASELINE_YIELD = 2.0

#: No finished run for longer than this makes a source stale (the nightly is not running).
STALE_AFTER = timedelta(days=3)
#: An unfinished run younger than this may simply still be running.
STILL_RUNNING_WITHIN = timedelta(hours=12)
#: Finish reasons that mean the crawl was stopped from outside rather than failing by itself.
INTERRUPTED_REASONS = frozenset({"interrupted", "shutdown"})

#: The finish reason of a run in which archive writes failed (a full disk): not finished, so
#: the next run resumes, and the source is failing until a run finishes.
WRITE_FAILED = "write_failed"

#: Run modes (`crawl_runs.mode`) in which fetching or scraping nothing is normal.
QUIET_MODES = frozenset({"incremental", "sweep", "resume"})

#: The fault kind (and `crawl_runs.clock_skew_s`) of a run that started before the previous one.
CLOCK_SKEW = "clock_skew"

#: A run that lost more than this share of its articles leaves its source failing, not degraded.
MOST_LOST = 0.5

STATES = ("ok", "degraded", "failing", "interrupted", "stale", "never-run")
#: States for which `tjcrawl health` should exit non-zero: a degraded run lost articles too.
UNHEALTHY_STATES = frozenset({"degraded", "failing", "interrupted", "stale"})


# -- small helpers ------------------------------------------------------------------------
def _connection(conn: Any) -> sqlite3.Connection:
    """Accept a sqlite-utils Database too, since the CLI holds one."""
    return cast(sqlite3.Connection, conn.conn if hasattr(conn, "conn") else conn)


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The table's columns, so that code works before and after a migration adds some."""
    return {row[1] for row in _connection(conn).execute(f"PRAGMA table_info({table})")}


def _rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Rows as dicts without touching the caller's row_factory."""
    cursor = _connection(conn).execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _optional(available: set[str], *names: str) -> str:
    """`, col` for each optional column present and `, NULL AS col` for the others."""
    return "".join(f", {n}" if n in available else f", NULL AS {n}" for n in names)


def pct(share: float) -> str:
    """A share as a percentage, rounded down so that 99.6% never shows as a healthy 100%."""
    value = math.floor(share * 1000 + 1e-9) / 10
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 from the archive; naive times are taken as Asia/Shanghai."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def default_now() -> datetime:
    """The current time, honouring TJCRAWL_NOW through tjcrawl.clock when it is available."""
    try:
        from tjcrawl import clock
    except ImportError:
        return datetime.now(SHANGHAI)
    return clock.now()


def _json(value: Any) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(0, int(hours * 60))} min"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


def kinds_text(kinds: Mapping[str, int]) -> str:
    """Fault kinds with their counts, most first: `truncated 2, too_large 2, http_503 1`."""
    ranked = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{kind} {count}" for kind, count in ranked)


# -- losses and the clock -----------------------------------------------------------------
def loss_problems(
    slug: str,
    losses: Mapping[str, Mapping[str, int]],
    arrived: int,
    listings_read: int | None = None,
) -> tuple[list[str], bool]:
    """A run's losses as problem lines, and whether they make the source failing: it lost most
    of its articles, or every listing page it asked for (`listings_read` is 0).

    `losses` maps what was lost (article, listing, attachment) to counts by fault kind;
    `arrived` is how many articles the run did archive (new, changed or unchanged). Attachments
    are not articles: the caller reports them apart.
    """
    lines, most = [], False
    articles = losses.get("article") or {}
    lost = sum(articles.values())
    if lost:
        total = lost + arrived
        most = lost > total * MOST_LOST
        lines.append(f"{slug}: {lost} of {total} articles lost ({kinds_text(articles)})")
    if cut := sum((losses.get("cut_article") or {}).values()):
        lines.append(
            f"{slug}: {cut} article page{'s' if cut > 1 else ''} arrived cut short, kept"
            " flagged incomplete; fetched whole again next run"
        )
    listings = losses.get("listing") or {}
    if pages := sum(listings.values()):
        most = most or listings_read == 0
        them = "them" if pages > 1 else "it"
        lines.append(
            f"{slug}: {pages} listing page{'s' if pages > 1 else ''} lost"
            f" ({kinds_text(listings)}); the entries on {them} are unknown this run"
        )
    return lines, most


def attachments_note(losses: Mapping[str, Mapping[str, int]]) -> str:
    """`3 attachments failed (http_404 2, too_large 1)`, or "" when none did."""
    kinds = losses.get("attachment") or {}
    failed = sum(kinds.values())
    if not failed:
        return ""
    return f"{failed} attachment{'s' if failed > 1 else ''} failed ({kinds_text(kinds)})"


@dataclass(frozen=True)
class ClockSkew:
    """A run that started before the run before it: the machine's clock went back."""

    started_at: str
    previous_run_id: str
    previous_started_at: str
    seconds: float

    def describe(self) -> str:
        return (
            f"the clock went back: this run started at {self.started_at}, "
            f"{_age(timedelta(seconds=self.seconds))} before the previous run "
            f"{self.previous_run_id} (started {self.previous_started_at}); runs are ordered by "
            "their sequence, so this one is the newest all the same"
        )


def clock_went_back(conn: sqlite3.Connection, source: str, row_id: int) -> ClockSkew | None:
    """Whether the run in `crawl_runs` row `row_id` started before the source's previous run."""
    this = _rows(conn, "SELECT run_id, started_at FROM crawl_runs WHERE id = ?", (row_id,))
    if not this:
        return None
    previous = _rows(
        conn,
        "SELECT run_id, started_at FROM crawl_runs WHERE source = ? AND id < ? AND run_id != ?"
        " ORDER BY id DESC LIMIT 1",
        (source, row_id, this[0]["run_id"]),
    )
    if not previous:
        return None
    started = parse_time(this[0]["started_at"])
    before = parse_time(previous[0]["started_at"])
    if started is None or before is None or started >= before:
        return None
    return ClockSkew(
        this[0]["started_at"],
        previous[0]["run_id"],
        previous[0]["started_at"],
        (before - started).total_seconds(),
    )


def skew_problem(run: RunRow) -> list[str]:
    """The line for a stored run whose clock went back, if it did."""
    if not run.clock_skew_s:
        return []
    return [
        f"{run.source}: the clock went back: run {run.run_id} started "
        f"{_age(timedelta(seconds=run.clock_skew_s))} before the run before it (fault "
        f"{CLOCK_SKEW}); it is judged as the newest all the same"
    ]


def run_losses(run: RunRow) -> tuple[list[str], bool]:
    """`loss_problems` of a stored run; runs from before losses were recorded by kind show
    their items_failed."""
    articles = dict(run.losses.get("article") or {})
    unnamed = run.items_failed - sum(articles.values())
    if unnamed > 0:
        articles["refused"] = unnamed  # before losses were named, refusals alone counted
    arrived = run.items_new + run.items_changed + run.items_unchanged
    losses = {**run.losses, "article": articles}
    return loss_problems(run.source, losses, arrived, run.listing_pages)


# -- coverage -----------------------------------------------------------------------------
def coverage(stats_like: Mapping[str, Any] | sqlite3.Row) -> dict[str, float]:
    """Share of items that had each field, from Scrapy stats or from a `crawl_runs` row.

    Accepts the crawler's stats (`tjcrawl/items_seen`, `tjcrawl/present/<field>`) so the
    end-of-crawl judgement can use it before anything is read back, and a stored row
    (`items_scraped`, `field_failures` JSON) so history is measured the same way. A run that
    scraped nothing has no coverage at all: an empty dict, not zeros, so it cannot raise alarms.
    """
    data = dict(stats_like)
    if "items_scraped" in data or "field_failures" in data:
        items = int(data.get("items_scraped") or 0)
        parsed = _json(data.get("field_failures"))
        present = (parsed.get("present") if isinstance(parsed, dict) else None) or {}
    else:
        items = int(data.get("tjcrawl/items_seen") or 0)
        prefix = "tjcrawl/present/"
        present = {f: 0 for f in COVERAGE_FIELDS}
        present.update({k[len(prefix) :]: v for k, v in data.items() if k.startswith(prefix)})
    if items <= 0:
        return {}
    return {f: min(1.0, max(0.0, int(n or 0) / items)) for f, n in present.items()}


def _history(
    conn: sqlite3.Connection, source: str, before_row: int | None, where: str
) -> list[dict[str, Any]]:
    """The source's last HISTORY_RUNS finished runs before `before_row` matching `where`."""
    available = columns(conn, "crawl_runs")
    sql = (
        "SELECT id, items_scraped, field_failures"
        + _optional(available, "listing_pages", "listing_entries")
        + " FROM crawl_runs WHERE source = ? AND finished_at IS NOT NULL AND (? IS NULL OR id < ?)"
        + f" AND {where} ORDER BY id DESC LIMIT ?"
    )
    return _rows(conn, sql, (source, before_row, before_row, HISTORY_RUNS))


def coverage_alarms(
    conn: sqlite3.Connection,
    source: str,
    run_row_id: int | None,
    current: Mapping[str, float],
    items: int,
    listing_entries_per_page: float | None,
) -> list[str]:
    """One line per field whose coverage, or the listing's yield, fell against earlier runs.

    The baseline is the median of the source's last HISTORY_RUNS finished runs before
    `run_row_id` (a `crawl_runs.id`; None means all) that scraped at least HISTORY_MIN_ITEMS
    items: a median ignores one odd night, and finished runs only, because an interrupted run's
    stats are partial. A field alarms when it fell by more than MAX_COVERAGE_DROP, or below
    COVERAGE_FLOOR from a baseline at or above it. A run that scraped fewer than
    MIN_ITEMS_JUDGED items is not judged on coverage (incremental runs often find nothing
    new), and a source without history has nothing to fall from.

    The yield (listing entries per listing page) is compared the same way even when no item was
    scraped, since incremental runs still read their listings: a listing selector that now
    matches only one of two blocks shows up there first.
    """
    conn = _connection(conn)
    alarms: list[str] = []
    if items >= MIN_ITEMS_JUDGED and current:
        history = [
            coverage(row)
            for row in _history(conn, source, run_row_id, f"items_scraped >= {HISTORY_MIN_ITEMS}")
        ]
        history = [h for h in history if h]
        if len(history) >= MIN_HISTORY_RUNS:
            for name in JUDGED_FIELDS:
                earlier = [h[name] for h in history if name in h]
                if name not in current or not earlier:
                    continue
                baseline, now = median(earlier), current[name]
                if baseline - now > MAX_COVERAGE_DROP + 1e-9 or (
                    baseline >= COVERAGE_FLOOR and now < COVERAGE_FLOOR
                ):
                    alarms.append(
                        f"{source}: {name} coverage fell to {pct(now)} "
                        f"({round(now * items)} of {items} items; earlier runs: {pct(baseline)})"
                    )
    if listing_entries_per_page is not None and "listing_pages" in columns(conn, "crawl_runs"):
        yields = [
            row["listing_entries"] / row["listing_pages"]
            for row in _history(
                conn, source, run_row_id, "listing_pages > 0 AND listing_entries IS NOT NULL"
            )
        ]
        if len(yields) >= MIN_HISTORY_RUNS:
            baseline = median(yields)
            if (
                baseline >= MIN_BASELINE_YIELD
                and listing_entries_per_page < baseline * MIN_YIELD_RATIO
            ):
                alarms.append(
                    f"{source}: field listing.entries yield fell to "
                    f"{listing_entries_per_page:.1f} per listing page "
                    f"(earlier runs: {baseline:.1f})"
                )
    return alarms


def listing_yield(row: Mapping[str, Any]) -> float | None:
    """Listing entries per listing page of a stats mapping or a stored row, when recorded."""
    pages = row.get("listing_pages", row.get("tjcrawl/listing_pages"))
    entries = row.get("listing_entries", row.get("tjcrawl/listing_entries"))
    if not pages or entries is None:
        return None
    return int(entries) / int(pages)


def alarms_for_run(conn: sqlite3.Connection, run_id: str, source: str) -> list[str]:
    """`coverage_alarms` for a run already stored (one `crawl_runs` row, after finish_run)."""
    conn = _connection(conn)
    available = columns(conn, "crawl_runs")
    rows = _rows(
        conn,
        "SELECT id, items_scraped, field_failures"
        + _optional(available, "listing_pages", "listing_entries")
        + " FROM crawl_runs WHERE run_id = ? AND source = ?",
        (run_id, source),
    )
    if not rows:
        return []
    row = rows[0]
    return coverage_alarms(
        conn,
        source,
        row["id"],
        coverage(row),
        int(row["items_scraped"] or 0),
        listing_yield(row),
    )


# -- selectors the generic extractor stood in for -----------------------------------------
def generic_fill_problems(
    source: str, fills: Mapping[str, int], items: int, min_coverage: float = COVERAGE_FLOOR
) -> list[str]:
    """One line per judged field whose detail selector matched nothing on more than
    1 - `min_coverage` of the items: the generic extractor filled it, so nothing was lost, but
    the selector is broken and the source fails until someone fixes it."""
    problems = []
    for name in JUDGED_FIELDS:
        filled = int(fills.get(name) or 0)
        if filled and items and (items - filled) / items < min_coverage:
            problems.append(
                f"{source}: field detail.{name} matched nothing on {filled} of {items} pages;"
                " the generic extractor filled it (provenance generic)"
            )
    return problems


def _generic_fills(field_failures: Any) -> dict[str, int]:
    parsed = _json(field_failures)
    fills = parsed.get("generic") if isinstance(parsed, dict) else None
    return {str(k): int(v) for k, v in fills.items()} if isinstance(fills, dict) else {}


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


# -- text for the CLI ---------------------------------------------------------------------
def _short_time(value: str | None) -> str:
    parsed = parse_time(value)
    return parsed.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if parsed else "-"


def _coverage_cell(values: Mapping[str, float]) -> str:
    """title/date/body coverage as `100/100/40`, `-` when the run scraped nothing."""
    if not values:
        return "-"
    return "/".join(
        str(math.floor(values[f] * 100 + 1e-9)) if f in values else "?" for f in JUDGED_FIELDS
    )


def format_runs(rows: Iterable[RunRow]) -> str:
    """The `tjcrawl runs` table (ASCII columns; sources by slug)."""
    lines = [
        f"{'started':16}  {'source':18} {'mode':11} {'status':12} {'secs':>6} {'items':>6} "
        f"{'new':>5} {'chg':>4} {'fail':>4} {'cov t/d/b':11} {'faults':>6}  run"
    ]
    for r in rows:
        secs = f"{r.duration_s:.0f}" if r.duration_s is not None else "-"
        lines.append(
            f"{_short_time(r.started_at):16}  {r.source:18} {r.mode or '-':11} "
            f"{r.status[:12]:12} {secs:>6} {r.items_scraped:>6} {r.items_new:>5} "
            f"{r.items_changed:>4} {r.items_failed:>4} {_coverage_cell(r.coverage):11} "
            f"{sum(r.faults.values()):>6}  {r.run_id}"
            + (f"  {CLOCK_SKEW}" if r.clock_skew_s else "")
        )
    return "\n".join(lines)


def format_states(states: Iterable[SourceState]) -> str:
    """The `tjcrawl health` table, then every problem line in full."""
    states = list(states)
    lines = [
        f"{'source':18} {'state':11} {'last run':16}  {'new':>4} {'chg':>4} {'fail':>4} "
        f"{'cov t/d/b':11} {'articles':>8} {'newest':10}  reason"
    ]
    for s in states:
        newest = (s.newest_published_at or "-")[:10]
        lines.append(
            f"{s.slug:18} {s.state:11} {_short_time(s.last_run_at):16}  "
            f"{'-' if s.last_new is None else s.last_new:>4} "
            f"{'-' if s.last_changed is None else s.last_changed:>4} "
            f"{'-' if s.last_failed is None else s.last_failed:>4} "
            f"{_coverage_cell(s.coverage):11} {s.articles:>8} {newest:10}  {s.reason}"
        )
    problems = [p for s in states for p in s.problems]
    if problems:
        lines.append("")
        lines.extend(f"problem: {p}" for p in problems)
    return "\n".join(lines)
