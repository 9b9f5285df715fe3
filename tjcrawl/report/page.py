"""The report page: its styles, and the HTML written from the archive."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tjcrawl import health
from tjcrawl.report.charts import articles_chart, articles_per_day, coverage_chart
from tjcrawl.report.svg import CHART_WIDTH, FONT_STACK, _e, colour
from tjcrawl.report.tables import runs_table, states_table

#: Runs per source in the coverage chart.
COVERAGE_RUNS = 30
#: Runs in the table of recent runs.
RECENT_RUNS = 40


# -- the page -----------------------------------------------------------------------------
CSS = f"""
body {{ font-family: {FONT_STACK}; margin: 24px; color: #222; max-width: {CHART_WIDTH + 40}px; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }}
h2 {{ font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }}
p.note, .muted {{ color: #666; font-size: 12px; }}
table {{ border-collapse: collapse; font-size: 12px; width: 100%; }}
th, td {{ border-bottom: 1px solid #e5e5e5; padding: 4px 5px; text-align: left;
  vertical-align: top; }}
th {{ background: #f5f5f5; font-weight: 600; }}
div.wide {{ overflow-x: auto; }}
td.num, th.num {{ text-align: right; }}
td.num, td.when {{ white-space: nowrap; }}
td.source {{ min-width: 150px; }}
td.reason {{ min-width: 200px; }}
td.low, td.bad {{ color: #c62828; font-weight: 600; }}
.badge {{ color: #fff; border-radius: 3px; padding: 1px 6px; font-size: 12px;
  white-space: nowrap; }}
ul.problems li {{ color: #c62828; }}
figure {{ margin: 0; }}
svg {{ max-width: 100%; height: auto; font-family: {FONT_STACK}; }}
svg text {{ fill: #333; }}
"""


def render_html_report(
    conn: sqlite3.Connection,
    *,
    known_sources: Iterable[str] = (),
    now: datetime | None = None,
) -> str:
    """The report as one HTML string (see write_html_report)."""
    conn = health._connection(conn)
    now = now or health.default_now()
    today = now.astimezone(health.SHANGHAI).date()
    states = health.source_states(conn, known_sources=known_sources, now=now)
    colours = {s.slug: colour(i) for i, s in enumerate(states)}
    days, counts, calendar, future = articles_per_day(conn, today)
    for source in counts:
        colours.setdefault(source, colour(len(colours)))
    panels = [
        (s.slug, s.name, s.state, health.coverage_history(conn, s.slug, COVERAGE_RUNS))
        for s in states
    ]
    archive = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    run_count = conn.execute("SELECT count(DISTINCT run_id) FROM crawl_runs").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tally = ", ".join(
        f"{sum(1 for s in states if s.state == st)} {st}"
        for st in health.STATES
        if any(s.state == st for s in states)
    )
    unhealthy = [s for s in states if not s.healthy]
    problems = "".join(
        f"<li>{_e(line)}</li>"
        for s in unhealthy
        for line in (s.problems or (f"{s.slug}: {s.state}: {s.reason}",))
    )
    if days:
        span = f"{days[0].isoformat()} – {days[-1].isoformat()}"
        how = (
            "calendar days; empty days are gaps"
            if calendar
            else f"only the {len(days)} most recent days with articles; dashed lines mark "
            "skipped days"
        )
        days_note = f"By publish day (Asia/Shanghai), {span}: {how}."
    else:
        days_note = "By publish day (Asia/Shanghai)."
    if future:
        days_note += f" {future} article(s) dated after today are not drawn."
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>tjcrawl health · {_e(Path(archive).name or 'archive')}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>tjcrawl archive health</h1>",
        f'<p class="note">{_e(archive or "(in memory)")} · schema version {version} · '
        f"generated {_e(now.astimezone(health.SHANGHAI).isoformat(timespec='seconds'))} · "
        f"{total} articles from {run_count} runs · {len(states)} sources: {_e(tally or '-')}</p>",
        '<section id="problems"><h2>Problems</h2>',
        f'<ul class="problems">{problems}</ul>' if problems else "<p>None: every source is ok.</p>",
        "</section>",
        '<section id="sources"><h2>Sources</h2>',
        '<p class="note">Each source\'s last run; title/date/body: the share of items that had '
        "the field in its last run that scraped any (red below "
        f"{_e(health.pct(health.COVERAGE_FLOOR))}).</p>",
        states_table(states),
        "</section>",
        '<section id="articles-per-day"><h2>Articles per day</h2>',
        f'<p class="note">{_e(days_note)} Hover a bar for its count.</p>',
        f"<figure>{articles_chart(days, counts, colours, calendar)}</figure>",
        "</section>",
        '<section id="coverage"><h2>Field coverage per run</h2>',
        f'<p class="note">Each source\'s last {COVERAGE_RUNS} finished runs that scraped items, '
        "oldest left; hover a run for its numbers.</p>",
        f"<figure>{coverage_chart(panels)}</figure>",
        "</section>",
        '<section id="runs"><h2>Recent runs</h2>',
        runs_table(health.runs(conn, limit=RECENT_RUNS)),
        "</section></body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html_report(
    conn: sqlite3.Connection,
    path: str | Path,
    *,
    known_sources: Iterable[str] = (),
    now: datetime | None = None,
) -> Path:
    """Write the report to `path` (UTF-8), replacing it atomically; returns the path.

    Atomic so that a web server or a mailer picking the file up never reads half a report.
    """
    path = Path(path)
    text = render_html_report(conn, known_sources=known_sources, now=now)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path
