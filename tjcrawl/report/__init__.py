"""A self-contained HTML health report of the archive: one file, no network, no JavaScript.

`tjcrawl health --html report.html` writes it after a nightly crawl so that someone can open
it from a mail attachment or a file share, possibly without Internet access (or behind a
firewall that blocks CDNs): the styles are inline and the charts are SVG drawn here. It shows
each source's state, articles per day by publish date (did a source stop producing?) and the
field coverage of each run (did extraction break, and when?). Every text from the archive is
escaped; source names are Chinese, so the fonts are local CJK families with a generic fallback.

The package is split by what it does:

- `svg`: sizes, fonts, colours, escaping, SVG text
- `charts`: articles per day and coverage charts
- `tables`: source state and run tables
- `page`: the styles and `render_html_report`, `write_html_report`

The names are re-exported here so `from tjcrawl.report import ...` keeps working.
"""

from tjcrawl.report.charts import (
    CALENDAR_SPAN_LIMIT,
    EXTEND_TO_TODAY_WITHIN,
    MAX_DAYS,
    articles_chart,
    articles_per_day,
    coverage_chart,
)
from tjcrawl.report.page import (
    COVERAGE_RUNS,
    CSS,
    RECENT_RUNS,
    render_html_report,
    write_html_report,
)
from tjcrawl.report.svg import (
    BELOW_FLOOR_FILL,
    CHART_WIDTH,
    FIELD_STYLE,
    FONT_STACK,
    PALETTE,
    STATE_COLOURS,
    colour,
    nice_ticks,
    text_width,
)
from tjcrawl.report.tables import runs_table, states_table

__all__ = [
    "BELOW_FLOOR_FILL",
    "CALENDAR_SPAN_LIMIT",
    "CHART_WIDTH",
    "COVERAGE_RUNS",
    "CSS",
    "EXTEND_TO_TODAY_WITHIN",
    "FIELD_STYLE",
    "FONT_STACK",
    "MAX_DAYS",
    "PALETTE",
    "RECENT_RUNS",
    "STATE_COLOURS",
    "articles_chart",
    "articles_per_day",
    "colour",
    "coverage_chart",
    "nice_ticks",
    "render_html_report",
    "runs_table",
    "states_table",
    "text_width",
    "write_html_report",
]
