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

The package is split by what it does:

- `common`: constants and the small helpers all parts share
- `losses`: what a run lost, and runs whose clock went back
- `alarms`: coverage and listing yield against earlier runs; generic-extractor fills
- `stored_runs`: `RunRow`, the run listing, coverage history, a run's problems
- `states`: each source's state (ok, degraded, failing, interrupted, stale, never-run)
- `text`: the plain-text tables of `tjcrawl runs` and `tjcrawl health`

The names are re-exported here so `from tjcrawl.health import ...` keeps working.
"""

from tjcrawl.health.alarms import (
    alarms_for_run,
    coverage,
    coverage_alarms,
    generic_fill_problems,
    listing_yield,
)
from tjcrawl.health.common import (
    CLOCK_SKEW,
    COVERAGE_FIELDS,
    COVERAGE_FLOOR,
    HISTORY_MIN_ITEMS,
    HISTORY_RUNS,
    INTERRUPTED_REASONS,
    JUDGED_FIELDS,
    MAX_COVERAGE_DROP,
    MIN_BASELINE_YIELD,
    MIN_HISTORY_RUNS,
    MIN_ITEMS_JUDGED,
    MIN_YIELD_RATIO,
    MOST_LOST,
    QUIET_MODES,
    SHANGHAI,
    STALE_AFTER,
    STATES,
    STILL_RUNNING_WITHIN,
    UNHEALTHY_STATES,
    WRITE_FAILED,
    _connection,
    columns,
    default_now,
    kinds_text,
    parse_time,
    pct,
)
from tjcrawl.health.losses import (
    ClockSkew,
    attachments_note,
    clock_went_back,
    loss_problems,
    run_losses,
    skew_problem,
)
from tjcrawl.health.states import SourceState, source_states
from tjcrawl.health.stored_runs import (
    RunRow,
    coverage_history,
    coverage_problems,
    run_problems,
    runs,
)
from tjcrawl.health.text import format_runs, format_states

__all__ = [
    "CLOCK_SKEW",
    "COVERAGE_FIELDS",
    "COVERAGE_FLOOR",
    "HISTORY_MIN_ITEMS",
    "HISTORY_RUNS",
    "INTERRUPTED_REASONS",
    "JUDGED_FIELDS",
    "MAX_COVERAGE_DROP",
    "MIN_BASELINE_YIELD",
    "MIN_HISTORY_RUNS",
    "MIN_ITEMS_JUDGED",
    "MIN_YIELD_RATIO",
    "MOST_LOST",
    "QUIET_MODES",
    "SHANGHAI",
    "STALE_AFTER",
    "STATES",
    "STILL_RUNNING_WITHIN",
    "UNHEALTHY_STATES",
    "WRITE_FAILED",
    "ClockSkew",
    "RunRow",
    "SourceState",
    "_connection",
    "alarms_for_run",
    "attachments_note",
    "clock_went_back",
    "columns",
    "coverage",
    "coverage_alarms",
    "coverage_history",
    "coverage_problems",
    "default_now",
    "format_runs",
    "format_states",
    "generic_fill_problems",
    "kinds_text",
    "listing_yield",
    "loss_problems",
    "parse_time",
    "pct",
    "run_losses",
    "run_problems",
    "runs",
    "skew_problem",
    "source_states",
]
