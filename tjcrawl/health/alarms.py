"""Coverage against earlier runs: the share of items with each field, the listing's yield, and
the fields the generic extractor stood in for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from statistics import median
from typing import Any

from tjcrawl.health.common import (
    COVERAGE_FIELDS,
    COVERAGE_FLOOR,
    HISTORY_MIN_ITEMS,
    HISTORY_RUNS,
    JUDGED_FIELDS,
    MAX_COVERAGE_DROP,
    MIN_BASELINE_YIELD,
    MIN_HISTORY_RUNS,
    MIN_ITEMS_JUDGED,
    MIN_YIELD_RATIO,
    _connection,
    _json,
    _optional,
    _rows,
    columns,
    pct,
)


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
