"""Constants of the health judgement and the small helpers every part of it shares.

Columns added by later migrations are used when present: `columns` and `_optional` let the
queries work before and after them.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
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
