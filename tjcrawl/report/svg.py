"""Drawing blocks of the report: chart width, fonts and colours, escaping, SVG text and legends."""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

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
