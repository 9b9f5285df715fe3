"""The report's charts: articles per day by publish date, and each run's field coverage."""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from tjcrawl import health
from tjcrawl.report.svg import (
    BELOW_FLOOR_FILL,
    CHART_WIDTH,
    FIELD_STYLE,
    STATE_COLOURS,
    _e,
    _fit,
    _legend,
    _n,
    _svg,
    _text,
    nice_ticks,
    text_width,
)

#: At most this many days with articles are drawn (the most recent ones).
MAX_DAYS = 60
#: When those days span at most this many calendar days the axis is a calendar (empty days
#: drawn as gaps); beyond, only days with articles are drawn and the jumps are marked.
CALENDAR_SPAN_LIMIT = 92
#: The calendar axis runs on to today when the last article is at most this old, so a
#: silence of recent days shows.
EXTEND_TO_TODAY_WITHIN = timedelta(days=14)


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
