"""The report's tables: source states and recent runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tjcrawl import health
from tjcrawl.report.svg import STATE_COLOURS, _e


# -- tables -------------------------------------------------------------------------------
def _badge(state: str) -> str:
    return (
        f'<span class="badge" style="background:{STATE_COLOURS.get(state, "#757575")}">'
        f"{_e(state)}</span>"
    )


def _coverage_cells(values: Mapping[str, float]) -> str:
    cells = []
    for name in health.JUDGED_FIELDS:
        if name not in values:
            cells.append('<td class="num muted">-</td>')
            continue
        low = " low" if values[name] < health.COVERAGE_FLOOR else ""
        cells.append(f'<td class="num{low}">{_e(health.pct(values[name]))}</td>')
    return "".join(cells)


def _num(value: Any) -> str:
    return f'<td class="num">{_e("-" if value is None else value)}</td>'


def _when(value: str | None) -> str:
    return _e(value[:16].replace("T", " ") if value else "-")


def _head(*names: str) -> str:
    cells = "".join(
        f'<th class="num">{_e(n[1:])}</th>' if n.startswith("#") else f"<th>{_e(n)}</th>"
        for n in names
    )
    return f"<tr>{cells}</tr>"


def states_table(states: Sequence[health.SourceState]) -> str:
    """One row per source; withdrawn only once the archive records withdrawals."""
    show_withdrawn = any(s.withdrawn is not None for s in states)
    head = _head(
        "state",
        "source",
        "last run",
        "reason",
        "#new",
        "#changed",
        "#failed",
        "#title",
        "#date",
        "#body",
        "#articles",
        "newest published",
        "last new article",
        *(["#withdrawn"] if show_withdrawn else []),
    )
    rows = []
    for s in states:
        reason = "<br>".join(_e(p) for p in s.problems) if len(s.problems) > 1 else _e(s.reason)
        rows.append(
            f"<tr><td>{_badge(s.state)}</td>"
            f'<td class="source"><b>{_e(s.slug)}</b><div class="muted">{_e(s.name or "")}</div>'
            f'</td><td class="when">{_when(s.last_run_at)}</td><td class="reason">{reason}</td>'
            + f"{_num(s.last_new)}{_num(s.last_changed)}{_num(s.last_failed)}"
            f"{_coverage_cells(s.coverage)}{_num(s.articles)}"
            f'<td class="when">{_e((s.newest_published_at or "-")[:10])}</td>'
            f'<td class="when">{_e((s.last_new_article_at or "-")[:10])}</td>'
            + (_num(s.withdrawn) if show_withdrawn else "")
            + "</tr>"
        )
    return f'<div class="wide"><table id="states-table">{head}{"".join(rows)}</table></div>'


def runs_table(rows: Sequence[health.RunRow]) -> str:
    """The latest runs; mode, duration and faults only once the archive records them."""
    show_mode = any(r.mode for r in rows)
    show_faults = any(r.faults for r in rows)
    head = _head(
        "started",
        "source",
        "run",
        *(["mode"] if show_mode else []),
        "status",
        "#seconds",
        "#requests",
        "#items",
        "#new",
        "#changed",
        "#failed",
        "#title",
        "#date",
        "#body",
        *(["faults"] if show_faults else []),
    )
    body = []
    for r in rows:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(r.faults.items())) or "-"
        status_class = "" if r.status == "finished" else ' class="bad"'
        secs = None if r.duration_s is None else f"{r.duration_s:.0f}"
        body.append(
            f'<tr><td class="when">{_when(r.started_at)}</td><td>{_e(r.source)}</td>'
            f'<td class="muted">{_e(r.run_id)}</td>'
            + (f"<td>{_e(r.mode or '-')}</td>" if show_mode else "")
            + f"<td{status_class}>{_e(r.status)}</td>{_num(secs)}{_num(r.requests)}"
            f"{_num(r.items_scraped)}{_num(r.items_new)}{_num(r.items_changed)}"
            f"{_num(r.items_failed)}{_coverage_cells(r.coverage)}"
            + (f"<td>{_e(faults)}</td>" if show_faults else "")
            + "</tr>"
        )
    return f'<div class="wide"><table id="runs-table">{head}{"".join(body)}</table></div>'
