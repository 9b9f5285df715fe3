"""tjcrawl's Datasette plugin: Chinese full-text search, descriptions, facets and readable
articles for every tjcrawl archive Datasette serves.

Installed as a ``datasette`` entry point (pyproject.toml), so plain ``datasette archive.db``
loads it; `tjcrawl serve` registers it in-process as well. It acts only on databases that are
tjcrawl archives (a ``tjcrawl_meta`` table and the ``articles_search`` index); every other
database is served as Datasette serves it.

* ``tj_match(q)``: the MATCH expression for ``q`` against the bigram index ``articles_search``
  (`tjcrawl.storage.search.match_expression`): the articles holding every bigram of ``q``,
  exactly its matches for one or two characters; ``tj_holds(title, body, q)`` keeps those
  whose text holds ``q`` (the index has no positions), so that SQL finds what `tjcrawl
  search` finds::

      SELECT a.title FROM articles_search JOIN articles a ON a.id = articles_search.rowid
      WHERE articles_search MATCH tj_match('招商引资') AND tj_holds(a.title, a.body, '招商引资')

* ``tj_snippet(title, body, q)``: the text around the first occurrence of ``q``, marked
  ``[like this]`` (the title when it holds ``q``, else the body).
* ``tj_attachment_match(q)`` and ``tj_attachment_snippet(text, q)``: the same for the
  attachments' index ``articles_search_attachments``, which folds away a line break between
  two CJK characters (`tjcrawl.storage.search.attachments.fold_line_breaks`).
* In a tjcrawl archive, Datasette's own ``escape_fts()`` (what the search box of a table page
  runs its query through) becomes ``tj_match()``, so ``/archive/articles?_search=天津`` searches
  the bigram index: raw text would match nothing there; `filters_from_request` adds the
  ``tj_holds`` test to such a search on articles.
* Metadata (`get_metadata`): descriptions of every table, view and column, facets, newest
  first, the search box, the index's own tables hidden, canned queries (`tjcrawl.serve`).
* A ``month`` facet (``_facet_month=published_at``) and a ``day`` facet
  (``_facet_day=published_at``): counts by the first seven or ten characters of an ISO 8601
  text (2025-08, 2025-08-22), which are the local (+08:00) month and day; SQLite's ``date()``,
  which Datasette's own ``date`` facet uses, converts to UTC and moves midnight articles to the
  day before, so its suggestion is left out in an archive. A month or day is selected with
  ``published_at__startswith=2025-08``.
* Pages (templates/): an article's row page shows title, date, source, origin, a link to the
  original and the body as paragraphs, then the article's attachments (link, type, size,
  state and the start of their text; `article_attachments`); the articles table shows a
  narrow default set of columns (`DEFAULT_COLUMNS`; any ``_col``/``_nocol`` shows what it
  asks) and folds the column descriptions away.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from tjcrawl.storage.search import fold, match_expression, snippet
from tjcrawl.storage.search.attachments import fold_line_breaks
from tjcrawl.storage.search.tokens import phrase_expression

INDEX_TABLE = "articles_search"
META_TABLE = "tjcrawl_meta"
NOTHING = '""'  # an empty FTS5 phrase: matches no row, raises no error
ARTICLE_TABLES = ("articles", "current_articles")
# What a table page of articles shows unless its URL picks columns (_col / _nocol).
DEFAULT_COLUMNS = ("id", "source", "title", "published_at", "origin")  # in table order
ISO_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*"


def tj_match(query: str | None) -> str:
    if not query:
        return NOTHING
    return match_expression(str(query))


def tj_holds(title: str | None, body: str | None, query: str | None) -> int:
    """1 when title or body holds ``query`` (folded as the index folds): what turns the
    articles `tj_match` gives (every bigram of the query, no positions) into the matches."""
    if not query:
        return 0
    needle = fold(str(query))
    if len(needle) <= 2:  # the index answers these exactly
        return 1
    return int(needle in fold(title or "") or needle in fold(body or ""))


def tj_snippet(title: str | None, body: str | None, query: str | None, width: int = 40) -> str:
    title, body = title or "", body or ""
    if not query:
        return body[: width * 2].replace("\n", " ")
    text = title if fold(str(query)) in fold(title) else body
    return snippet(text, str(query), width)


def tj_attachment_match(query: str | None) -> str:
    if not query:
        return NOTHING
    return phrase_expression(fold_line_breaks(str(query)))


def tj_attachment_snippet(text: str | None, query: str | None, width: int = 40) -> str:
    return tj_snippet("", fold_line_breaks(text or ""), fold_line_breaks(query or ""), width)


def is_archive(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` is a tjcrawl archive: its meta table and its search index."""
    try:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
                (META_TABLE, INDEX_TABLE),
            )
        }
    except sqlite3.DatabaseError:
        return False
    return names == {META_TABLE, INDEX_TABLE}


def archive_names(datasette) -> list[str]:
    """The names of the databases served that are tjcrawl archives (each checked once)."""
    known: dict[tuple[str, str | None], bool] = datasette.__dict__.setdefault(
        "_tjcrawl_archives", {}
    )
    names = []
    for name, db in list(datasette.databases.items()):
        key = (name, db.path)
        if key not in known:
            if db.is_memory or db.path is None:
                known[key] = False
            else:
                # get_metadata is synchronous: a short connection of Datasette's own kind
                # (read-only or immutable, as it serves the file).
                try:
                    conn = db.connect()
                except (sqlite3.DatabaseError, OSError):
                    known[key] = False
                else:
                    try:
                        known[key] = is_archive(conn)
                    finally:
                        conn.close()
        if known[key]:
            names.append(name)
    return names


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    # trylast: Datasette's built-in plugin registers its escape_fts() first, this replaces it.
    conn.create_function("tj_match", 1, tj_match, deterministic=True)
    conn.create_function("tj_snippet", 3, tj_snippet, deterministic=True)
    conn.create_function("tj_holds", 3, tj_holds, deterministic=True)
    conn.create_function("tj_attachment_match", 1, tj_attachment_match, deterministic=True)
    conn.create_function("tj_attachment_snippet", 2, tj_attachment_snippet, deterministic=True)
    if is_archive(conn):
        conn.create_function("escape_fts", 1, tj_match, deterministic=True)


@hookimpl
def filters_from_request(request, database, table, datasette):
    """The search box (``?_search=``) on articles: Datasette asks the index (`tj_match`), and
    this keeps the articles whose text holds the query, so that it finds what `tjcrawl
    search` finds for three characters and more too."""
    query = request.args.get("_search")
    if not query or table not in ARTICLE_TABLES or database not in archive_names(datasette):
        return None
    return FilterArguments(["tj_holds(title, body, :tj_search) = 1"], params={"tj_search": query})


@hookimpl
def get_metadata(datasette, key, database, table):
    from tjcrawl.serve import database_metadata

    names = archive_names(datasette)
    if not names:
        return {}
    return {"databases": {name: database_metadata() for name in names}}


def _article_page(datasette, database: str | None, table: str | None) -> bool:
    return table in ARTICLE_TABLES and database in archive_names(datasette)


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    """``tjcrawl_page`` on an archive's pages: what the templates/ overrides need."""
    if database is None or database not in archive_names(datasette):
        return {}
    article = table in ARTICLE_TABLES
    picked = request is not None and any(arg in request.args for arg in ("_col", "_nocol"))
    hidden = []
    if article and view_name == "table" and not picked:
        hidden = [c for c in columns or [] if c not in DEFAULT_COLUMNS]
    page: dict[str, Any] = {"article": article and view_name == "row", "hidden_columns": hidden}
    if table == "articles" and view_name == "row" and request is not None:
        pks = request.url_vars.get("pks") or ""

        async def with_attachments() -> dict[str, Any]:
            page["attachments"] = await article_attachments(datasette.get_database(database), pks)
            return {"tjcrawl_page": page}

        return with_attachments
    return {"tjcrawl_page": page}


ATTACHMENTS_SQL = """
SELECT l.url, l.text, f.content_type, f.size, t.state, substr(t.text, 1, {width}) AS snippet
FROM attachments l
LEFT JOIN attachment_files f ON f.url = l.url
LEFT JOIN attachment_texts t ON t.url = l.url
WHERE l.article_id = ?
ORDER BY l.first_seen_at, l.rowid
"""
SNIPPET_WIDTH = 160


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


async def article_attachments(db, pks: str) -> list[dict[str, Any]]:
    """An article row page's attachments: link, name, type, size, state and a text snippet
    (an archive from before attachment text was kept shows the links and files only)."""
    from tjcrawl.storage.search.attachments import attachment_name

    try:
        article_id = int(pks)
    except ValueError:
        return []
    try:
        result = await db.execute(ATTACHMENTS_SQL.format(width=SNIPPET_WIDTH), [article_id])
    except sqlite3.OperationalError:  # no attachment_texts yet (schema < 17)
        result = await db.execute(
            ATTACHMENTS_SQL.replace("t.state, substr(t.text, 1, {width})", "NULL, NULL").replace(
                "LEFT JOIN attachment_texts t ON t.url = l.url\n", ""
            ),
            [article_id],
        )
    found = []
    for url, link_text, content_type, size, state, text in result.rows:
        snippet_text = " ".join((text or "").split())
        found.append(
            {
                "url": url,
                "linkable": url.startswith(("https://", "http://")),
                "name": attachment_name(url, link_text),
                "type": content_type or "—",
                "size": human_size(size),
                "state": state or ("not fetched" if size is None else "not read"),
                "snippet": snippet_text + ("…" if len(text or "") >= SNIPPET_WIDTH else ""),
            }
        )
    return found


@hookimpl
def extra_body_script(template, database, table, columns, view_name, request, datasette):
    if view_name != "table" or database not in archive_names(datasette):
        return ""
    # Datasette lists every column's description above the rows (25 of them fill the first
    # screen of articles); fold them into one line that opens on click.
    return """
document.querySelectorAll("dl.column-descriptions").forEach(function (list) {
  var fold = document.createElement("details");
  fold.className = "tjcrawl-column-descriptions";
  var summary = document.createElement("summary");
  summary.textContent = "Column descriptions";
  fold.appendChild(summary);
  list.parentNode.insertBefore(fold, list);
  fold.appendChild(list);
});
"""


class _PrefixFacet(Facet):
    """Counts by the first ``length`` characters of an ISO 8601 text column, newest first."""

    length = 0

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        facet_size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            prefix = f"substr({escape_sqlite(column)}, 1, {self.length})"
            sql = (
                f"SELECT {prefix} AS value, count(*) AS count FROM ({self.sql}) "
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
                    "toggle_url": path_with_removed_args(
                        self.request, {f"_facet_{self.type}": column}
                    ),
                    "truncated": len(rows) > facet_size,
                }
            )
        return results, timed_out


class MonthFacet(_PrefixFacet):
    """Counts by month (YYYY-MM) as published (+08:00)."""

    type = "month"
    length = 7


class DayFacet(_PrefixFacet):
    """Counts by day (YYYY-MM-DD) as published (+08:00); suggested in an archive instead of
    Datasette's ``date`` facet, whose days are UTC."""

    type = "day"
    length = 10

    async def suggest(self) -> list[dict[str, Any]]:
        if self.database not in archive_names(self.ds):
            return []
        enabled = {c["config"]["simple"] for c in self.get_configs()}
        suggested = []
        for column in await self.get_columns(self.sql, self.params):
            if column in enabled:
                continue
            sql = (
                f"SELECT 1 FROM (SELECT {escape_sqlite(column)} AS v FROM ({self.sql}) LIMIT 100)"
                f" WHERE v GLOB '{ISO_TIME}' LIMIT 1"
            )
            try:
                found = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_suggest_time_limit_ms"),
                    log_sql_errors=False,
                )
            except (QueryInterrupted, sqlite3.OperationalError):
                continue
            if found.rows:
                toggle = path_with_added_args(self.request, {"_facet_day": column})
                suggested.append(
                    {
                        "name": column,
                        "type": self.type,
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
                    }
                )
        return suggested


@hookimpl
def register_facet_classes():
    return [MonthFacet, DayFacet]
