"""A self-contained HTML health report of the archive: one file, no network, no JavaScript.

`tjcrawl health --html report.html` writes it after a nightly crawl so that someone can open
it from a mail attachment or a file share, possibly without Internet access (or behind a
firewall that blocks CDNs): the styles are inline and the charts are SVG drawn here. It shows
each source's state, articles per day by publish date (did a source stop producing?) and the
field coverage of each run (did extraction break, and when?). Every text from the archive is
escaped; source names are Chinese, so the fonts are local CJK families with a generic fallback.
"""

from __future__ import annotations

import html
import math
import os
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tjcrawl import health

#: At most this many days with articles are drawn (the most recent ones).
MAX_DAYS = 60
#: When those days span at most this many calendar days the axis is a calendar (empty days
#: drawn as gaps); beyond, only days with articles are drawn and the jumps are marked.
CALENDAR_SPAN_LIMIT = 92
#: The calendar axis runs on to today when the last article is at most this old, so a
#: silence of recent days shows.
EXTEND_TO_TODAY_WITHIN = timedelta(days=14)
#: Runs per source in the coverage chart.
COVERAGE_RUNS = 30
#: Runs in the table of recent runs.
RECENT_RUNS = 40

CHART_WIDTH = 1100
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", system-ui, sans-serif'
)
#: 20 distinguishable colours (the strong ones first); more sources get golden-angle hues.
PALETTE = (
    "#4363d8",
    "#e6194b",
    "#3cb44b",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#469990",
    "#800000",
    "#808000",
    "#000075",
    "#bfef45",
    "#fabed4",
    "#dcbeff",
    "#ffd8b1",
    "#aaffc3",
    "#a9a9a9",
    "#ffe119",
    "#000000",
)
FIELD_STYLE = {  # drawn widest first so that equal lines show as one banded line
    "body": ("#3cb44b", 6.0),
    "date": ("#f58231", 3.5),
    "title": ("#4363d8", 1.5),
}
BELOW_FLOOR_FILL = "#fff5f5"
STATE_COLOURS = {
    "ok": "#2e7d32",
    "degraded": "#ef6c00",
    "failing": "#c62828",
    "interrupted": "#e65100",
    "stale": "#8d6e00",
    "never-run": "#757575",
}


# -- helpers ------------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}"


def colour(index: int) -> str:
    """A source's colour, the same in every chart."""
    if index < len(PALETTE):
        return PALETTE[index]
    return f"hsl({(index * 137.508) % 360:.0f}, 60%, 42%)"


def text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK glyphs are about 1 em wide, Latin ones about 0.6 em."""
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6) for c in text)


def _fit(text: str, size: float, width: float) -> str:
    """Shorten text with an ellipsis to fit `width` pixels."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top` (steps of 1, 2 or 5 times a power of 10)."""
    top = max(top, 1)
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1)
    return [i * step for i in range(math.ceil(top / step) + 1)]


def _svg(width: float, height: float, label: str, body: Iterable[str]) -> str:
    return (
        f'<svg role="img" aria-label="{_e(label)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}">' + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, text: str, *, size: float = 11, anchor: str = "start", **attrs: Any
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size:g}" text-anchor="{anchor}"{extra}>'
        f"{_e(text)}</text>"
    )


def _legend(
    entries: Sequence[tuple[str, str]], top: float, width: float, left: float = 0
) -> tuple[list[str], float]:
    """Swatch-and-label entries in as many columns as fit; returns the parts and the height."""
    if not entries:
        return [], 0
    column = max(text_width(label, 12) for label, _ in entries) + 30
    columns = max(1, int((width - left) // column))
    parts = []
    for i, (label, fill) in enumerate(entries):
        x = left + (i % columns) * column
        y = top + (i // columns) * 20
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="14" height="14" fill="{_e(fill)}" '
            'stroke="#555" stroke-width="0.5"/>'
        )
        parts.append(_text(x + 20, y + 11.5, label, size=12))
    rows = math.ceil(len(entries) / columns)
    return parts, rows * 20


# -- data ---------------------------------------------------------------------------------
def articles_per_day(
    conn: sqlite3.Connection, today: date
) -> tuple[list[date], dict[str, dict[date, int]], bool, int]:
    """Days to draw, counts per source and day, whether the axis is a calendar, future count.

    By publish day (the first ten characters of `published_at`, which is in +08:00). Articles
    dated after today are a parsing problem, not news: they are counted apart, not drawn.
    """
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    future = 0
    for source, day_text, n in conn.execute(
        "SELECT source, substr(published_at, 1, 10), count(*) FROM articles"
        " WHERE published_at IS NOT NULL GROUP BY 1, 2"
    ):
        try:
            day = date.fromisoformat(day_text)
        except (TypeError, ValueError):
            continue
        if day > today:
            future += n
            continue
        counts[source][day] = n
    with_data = sorted({d for per_day in counts.values() for d in per_day})[-MAX_DAYS:]
    if not with_data:
        return [], {}, True, future
    first, last = with_data[0], with_data[-1]
    if (last - first).days + 1 > CALENDAR_SPAN_LIMIT:
        days, calendar = with_data, False
    else:
        if today - last <= EXTEND_TO_TODAY_WITHIN and (today - first).days < CALENDAR_SPAN_LIMIT:
            last = today
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        calendar = True
    shown = set(days)
    window = {s: {d: n for d, n in per_day.items() if d in shown} for s, per_day in counts.items()}
    return days, {s: v for s, v in window.items() if v}, calendar, future


# -- charts -------------------------------------------------------------------------------
def articles_chart(
    days: Sequence[date],
    counts: Mapping[str, Mapping[date, int]],
    colours: Mapping[str, str],
    calendar: bool,
    width: float = CHART_WIDTH,
) -> str:
    """Stacked bars: articles per publish day, one colour per source, with axes and legend."""
    if not days:
        return _svg(width, 40, "no dated articles", [_text(8, 24, "No dated articles yet.")])
    left, right, top, plot_h, label_h = 52, 12, 14, 260, 74
    plot_w = width - left - right
    band = plot_w / len(days)
    index = {d: i for i, d in enumerate(days)}
    totals = [sum(counts[s].get(d, 0) for s in counts) for d in days]
    ticks = nice_ticks(max(totals))
    y_max = ticks[-1]

    def y(value: float) -> float:
        return top + plot_h - value / y_max * plot_h

    parts = []
    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{_n(left + plot_w)}" y1="{_n(y(tick))}" y2="{_n(y(tick))}" '
            f'stroke="{"#888" if tick == 0 else "#e3e3e3"}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y(tick) + 4, f"{tick:g}", anchor="end"))
    parts.append(
        _text(
            14,
            top + plot_h / 2,
            "articles",
            anchor="middle",
            transform=f"rotate(-90 14 {_n(top + plot_h / 2)})",
        )
    )
    bar_w = max(1.0, band * 0.8)
    order = sorted(counts)
    for day in days:
        i, base = index[day], 0
        x = left + i * band + (band - bar_w) / 2
        for source in order:
            n = counts[source].get(day, 0)
            if not n:
                continue
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y(base + n))}" width="{_n(bar_w)}" '
                f'height="{_n(y(base) - y(base + n))}" fill="{_e(colours[source])}" '
                f'stroke="#fff" stroke-width="0.5"><title>{_e(day.isoformat())} {_e(source)}: '
                f"{n} article{'s' if n != 1 else ''}</title></rect>"
            )
            base += n
    if not calendar:  # mark where days without articles were left out
        for i in range(1, len(days)):
            gap = (days[i] - days[i - 1]).days - 1
            if gap > 0:
                x = left + i * band
                parts.append(
                    f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{_n(top + plot_h)}" '
                    f'stroke="#999" stroke-dasharray="3 3"><title>{gap} days without articles'
                    "</title></line>"
                )
    step = max(1, math.ceil(len(days) / 24))
    for i, day in enumerate(days):
        if i % step and i != len(days) - 1:
            continue
        if i == len(days) - 1 and i % step and (i % step) < step / 2:
            continue
        x = left + (i + 0.5) * band
        y0 = top + plot_h + 12
        parts.append(
            _text(
                x,
                y0,
                day.isoformat(),
                size=10,
                anchor="end",
                transform=f"rotate(-45 {_n(x)} {_n(y0)})",
            )
        )
    legend_top = top + plot_h + label_h
    entries = [(f"{s} ({sum(counts[s].values())})", colours[s]) for s in order]
    legend, legend_h = _legend(entries, legend_top, width, left)
    parts += legend
    return _svg(width, legend_top + legend_h + 6, "articles per day and source", parts)


def coverage_chart(
    panels: Sequence[tuple[str, str | None, str, Sequence[tuple[health.RunRow, list[str]]]]],
    width: float = CHART_WIDTH,
) -> str:
    """Small multiples, one panel per source: title, date and body coverage over its runs.

    A panel per source keeps 13+ sources readable where 39 lines on one plot would not be.
    The x axis is the run (oldest left), the y axis the share of the run's items that had the
    field; the band below COVERAGE_FLOOR is shaded and runs that raised an alarm are marked.
    """
    columns = 3 if width >= 900 else 2
    gap, legend_h = 18, 30
    panel_w = (width - (columns - 1) * gap) / columns
    panel_h = 172
    pad_l, pad_r, pad_t, plot_h = 40, 8, 30, 100
    plot_w = panel_w - pad_l - pad_r
    rows = math.ceil(len(panels) / columns) if panels else 1
    parts: list[str] = []
    x = 0.0
    for field_name, (fill, stroke_w) in reversed(list(FIELD_STYLE.items())):
        parts.append(
            f'<line x1="{_n(x)}" x2="{_n(x + 26)}" y1="12" y2="12" stroke="{fill}" '
            f'stroke-width="{stroke_w:g}"/>'
        )
        parts.append(_text(x + 32, 16, f"{field_name} coverage", size=12))
        x += 32 + text_width(f"{field_name} coverage", 12) + 18
    parts.append(
        f'<rect x="{_n(x)}" y="5" width="26" height="14" fill="{BELOW_FLOOR_FILL}" '
        'stroke="#e57373" stroke-dasharray="4 3"/>'
    )
    label = f"below {health.pct(health.COVERAGE_FLOOR)}"
    parts.append(_text(x + 32, 16, label, size=12))
    x += 32 + text_width(label, 12) + 18
    parts.append(f'<path d="M{_n(x + 7)} 6 L{_n(x + 14)} 18 L{_n(x)} 18 Z" fill="#c62828"/>')
    parts.append(_text(x + 22, 16, "run raised an alarm (hover for details)", size=12))
    if not panels:
        parts.append(_text(0, legend_h + 20, "No sources yet."))
    for p, (slug, name, state, history) in enumerate(panels):
        ox = (p % columns) * (panel_w + gap)
        oy = legend_h + (p // columns) * panel_h
        parts.append(
            _panel(ox, oy, panel_w, slug, name, state, history, pad_l, pad_t, plot_w, plot_h)
        )
    return _svg(width, legend_h + rows * panel_h, "field coverage per run and source", parts)


def _panel(
    ox: float,
    oy: float,
    panel_w: float,
    slug: str,
    name: str | None,
    state: str,
    history: Sequence[tuple[health.RunRow, list[str]]],
    pad_l: float,
    pad_t: float,
    plot_w: float,
    plot_h: float,
) -> str:
    left, top = ox + pad_l, oy + pad_t
    parts = [
        f'<circle cx="{_n(ox + 5)}" cy="{_n(oy + 11)}" r="5" '
        f'fill="{STATE_COLOURS.get(state, "#757575")}"><title>{_e(state)}</title></circle>',
        f'<text x="{_n(ox + 15)}" y="{_n(oy + 15)}" font-size="12.5">'
        f'<tspan font-weight="bold">{_e(slug)}</tspan>'
        f'<tspan fill="#555"> {_e(_fit(name or "", 12, panel_w - 22 - text_width(slug, 13)))}'
        "</tspan></text>",
    ]

    def y(share: float) -> float:
        return top + (1 - share) * plot_h

    floor = health.COVERAGE_FLOOR
    parts.append(
        f'<rect x="{_n(left)}" y="{_n(y(floor))}" width="{_n(plot_w)}" '
        f'height="{_n(y(0) - y(floor))}" fill="{BELOW_FLOOR_FILL}"/>'
    )
    parts.append(
        f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(y(floor))}" '
        f'y2="{_n(y(floor))}" stroke="#e57373" stroke-dasharray="4 3"/>'
    )
    for share in (0, 0.5, 1):
        parts.append(
            f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(y(share))}" '
            f'y2="{_n(y(share))}" stroke="{"#888" if share == 0 else "#e3e3e3"}"/>'
        )
        parts.append(_text(left - 5, y(share) + 4, f"{share:.0%}", size=10, anchor="end"))
    parts.append(
        f'<line x1="{_n(left)}" x2="{_n(left)}" y1="{_n(top)}" y2="{_n(y(0))}" stroke="#888"/>'
    )
    if not history:
        parts.append(
            _text(
                left + plot_w / 2,
                top + plot_h / 2,
                "no finished run with items",
                size=11,
                anchor="middle",
                fill="#777",
            )
        )
        return "".join(parts)
    band = plot_w / len(history)

    def x(i: int) -> float:
        return left + (i + 0.5) * band

    for name_, (fill, stroke_w) in FIELD_STYLE.items():
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, (run, _) in enumerate(history):
            if name_ in run.coverage:
                segment.append(f"{_n(x(i))},{_n(y(run.coverage[name_]))}")
            elif segment:
                segments.append(segment)
                segment = []
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(
                    f'<circle cx="{cx}" cy="{cy}" r="{stroke_w / 2 + 1:g}" fill="{fill}"/>'
                )
            else:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{fill}" '
                    f'stroke-width="{stroke_w:g}" stroke-linejoin="round" stroke-linecap="round"/>'
                )
    for i, (run, alarms) in enumerate(history):
        cov = ", ".join(
            f"{f} {health.pct(run.coverage[f])}" for f in health.JUDGED_FIELDS if f in run.coverage
        )
        tip = f"{run.started_at[:16]} run {run.run_id}: {run.items_scraped} items; {cov}"
        if alarms:
            tip += "\n" + "\n".join(alarms)
            ax = x(i)
            parts.append(
                f'<path d="M{_n(ax)} {_n(y(0) + 3)} L{_n(ax + 5)} {_n(y(0) + 11)} '
                f'L{_n(ax - 5)} {_n(y(0) + 11)} Z" fill="#c62828"/>'
            )
        parts.append(
            f'<rect x="{_n(left + i * band)}" y="{_n(top)}" width="{_n(band)}" '
            f'height="{_n(plot_h + 12)}" fill="transparent"><title>{_e(tip)}</title></rect>'
        )
    first, last = history[0][0].started_at[:10], history[-1][0].started_at[:10]
    label_y = y(0) + 24
    parts.append(_text(left, label_y, first, size=10))
    if len(history) > 1:
        parts.append(_text(left + plot_w, label_y, last, size=10, anchor="end"))
    runs_label = f"{len(history)} run{'s' if len(history) != 1 else ''}"
    parts.append(
        _text(left + plot_w / 2, label_y, runs_label, size=10, anchor="middle", fill="#777")
    )
    return "".join(parts)


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
