"""The plain-text tables of `tjcrawl runs` and `tjcrawl health`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from tjcrawl.health.common import CLOCK_SKEW, JUDGED_FIELDS, SHANGHAI, parse_time
from tjcrawl.health.states import SourceState
from tjcrawl.health.stored_runs import RunRow


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
