"""The Datasette plugin behind `tjcrawl serve`: Chinese full-text search and a month facet.

Registered in-process by `tjcrawl.serve` (nothing needs installing as a Datasette plugin).

* ``tj_match(q)``: the MATCH expression for ``q`` against the bigram index ``articles_search``
  (`tjcrawl.storage.search.match_expression`), so that SQL can search the way
  `tjcrawl search` does::

      SELECT a.title FROM articles_search JOIN articles a ON a.id = articles_search.rowid
      WHERE articles_search MATCH tj_match('天津')

* ``tj_snippet(title, body, q)``: the text around the first occurrence of ``q``, marked
  ``[like this]`` (the title when it holds ``q``, else the body).
* In a tjcrawl archive, Datasette's own ``escape_fts()`` (what the search box of a table page
  runs its query through) becomes ``tj_match()``, so ``/archive/articles?_search=天津`` searches
  the bigram index: raw text would match nothing there.
* A ``month`` facet (``_facet_month=published_at``): counts by the first seven characters of
  an ISO 8601 text (2025-08), which are the local (+08:00) month; SQLite's ``date()`` would
  convert to UTC and move midnight articles to the day before. A month is selected with
  ``published_at__startswith=2025-08``.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from tjcrawl.storage.search import fold, match_expression, snippet

INDEX_TABLE = "articles_search"
NOTHING = '""'  # an empty FTS5 phrase: matches no row, raises no error


def tj_match(query: str | None) -> str:
    if not query:
        return NOTHING
    return match_expression(str(query))


def tj_snippet(title: str | None, body: str | None, query: str | None, width: int = 40) -> str:
    title, body = title or "", body or ""
    if not query:
        return body[: width * 2].replace("\n", " ")
    text = title if fold(str(query)) in fold(title) else body
    return snippet(text, str(query), width)


def _has_index(conn: sqlite3.Connection) -> bool:
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (INDEX_TABLE,)
        ).fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    # trylast: Datasette's built-in plugin registers its escape_fts() first, this replaces it.
    conn.create_function("tj_match", 1, tj_match, deterministic=True)
    conn.create_function("tj_snippet", 3, tj_snippet, deterministic=True)
    if _has_index(conn):
        conn.create_function("escape_fts", 1, tj_match, deterministic=True)


class MonthFacet(Facet):
    """Counts by month (YYYY-MM) of an ISO 8601 text column, newest month first."""

    type = "month"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        facet_size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            month = f"substr({escape_sqlite(column)}, 1, 7)"
            sql = (
                f"SELECT {month} AS value, count(*) AS count FROM ({self.sql}) "
                f"WHERE {escape_sqlite(column)} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' "
                f"GROUP BY value ORDER BY value DESC LIMIT {facet_size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            selected_key = f"{column}__startswith"
            values = []
            for row in rows.rows[:facet_size]:
                selected = args.get(selected_key) == row["value"]
                if selected:
                    toggle = path_with_removed_args(self.request, {selected_key: row["value"]})
                else:
                    toggle = path_with_added_args(self.request, {selected_key: row["value"]})
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_month": column}),
                    "truncated": len(rows) > facet_size,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [MonthFacet]
