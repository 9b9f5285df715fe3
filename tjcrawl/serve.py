"""`tjcrawl serve`: the archive in Datasette, described, faceted and searchable in Chinese.

What Datasette shows of an archive is defined here, from `tjcrawl.storage.descriptions`:
table and column descriptions, facets (by source, by month of publication), newest-first
sorting, the full-text index's own tables hidden, and canned queries. The tjcrawl Datasette
plugin (`tjcrawl.datasette_plugin`, a ``datasette`` entry point) hands it to Datasette for
every archive it serves, so plain ``datasette archive.db`` shows the same. `serve` adds the
settings and opens the archive read-only (SQLite ``mode=ro``): serving never writes to it, and
a crawl may run while it is served.

    from tjcrawl.serve import build_datasette, serve
    ds = build_datasette("archive.db")    # a configured Datasette, e.g. for ds.client in tests
    serve("archive.db", port=8001)         # runs the web server until Ctrl-C
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import webbrowser
from pathlib import Path
from typing import Any

from tjcrawl.storage.descriptions import DESCRIPTIONS
from tjcrawl.storage.migrations import SCHEMA_VERSION
from tjcrawl.storage.readonly import leave_no_sidecars

TITLE = "tjcrawl archive"
DESCRIPTION = (
    "News from Tianjin's government and investment-promotion (招商引资) portals, archived by "
    "tjcrawl. Search Chinese text with the search box of articles or current_articles, or the "
    "search query: both use the archive's own index and find exactly what a substring scan "
    "finds, two-character words such as 天津 included. The archive is served read-only."
)
SEARCH_LIMIT = 50
INDEX_TABLES = [
    "articles_search",
    "articles_search_config",
    "articles_search_content",
    "articles_search_data",
    "articles_search_docsize",
    "articles_search_idx",
    "articles_search_chars",
    "articles_search_chars_config",
    "articles_search_chars_data",
    "articles_search_chars_idx",
    "articles_search_chars_docsize",
    "articles_search_fold",
    "articles_search_counts",
    "articles_search_phrases",
    "articles_search_scope_counts",
    "articles_search_attachments",
    "articles_search_attachments_config",
    "articles_search_attachments_data",
    "articles_search_attachments_docsize",
    "articles_search_attachments_idx",
    "articles_search_attachment_ids",
]

# Per table or view: facets, default sort (newest first) and full-text search.
ARTICLE_OPTIONS = {
    "facets": ["source", {"month": "published_at"}],
    "sort_desc": "published_at",
    "fts_table": "articles_search",
    "fts_pk": "id",
    "label_column": "title",
}
TABLE_OPTIONS: dict[str, dict[str, Any]] = {
    "articles": ARTICLE_OPTIONS,
    "current_articles": ARTICLE_OPTIONS,
    "revisions": {"sort_desc": "replaced_at"},
    "article_revisions": {"facets": ["source"], "sort_desc": "replaced_at"},
    "repost_groups": {"facets": ["source", "origin"], "sort_desc": "group_id"},
    "pages": {"facets": ["source", "kind", "status"], "sort_desc": "fetched_at"},
    "faults": {"facets": ["source", "kind"], "sort_desc": "at"},
    # By run sequence, not start time: a clock set wrong for one night must not reorder runs.
    "crawl_runs": {"facets": ["source", "mode", "finish_reason"], "sort_desc": "id"},
    "runs": {"facets": ["source", "mode", "finish_reason"], "sort_desc": "id"},
    # 招商引资 facts: by where, in which industry, for how much (amount_range is a column of
    # the view, so that a plain value facet counts the ranges).
    "fact_projects": {
        "facets": ["district", "industry", "amount_range"],
        "sort_desc": "published_at",
        "label_column": "title",
    },
    "article_facts": {"facets": ["kind", "role"]},
    "sources": {"label_column": "name"},
    "exports": {"sort_desc": "exported_at"},
    "attachment_texts": {"facets": ["state", "method"], "sort_desc": "extracted_at"},
    "attachment_files": {"facets": ["content_type"], "sort_desc": "fetched_at"},
}

QUERIES: dict[str, dict[str, str]] = {
    "latest_per_source": {
        "title": "Latest articles per source",
        "description": "The five newest articles of every source, newest source first.",
        "sql": """\
SELECT source, published_at, title, url, id
FROM (
  SELECT a.source, a.published_at, a.title, a.url, a.id,
         row_number() OVER (
           PARTITION BY a.source ORDER BY a.published_at DESC, a.id DESC
         ) AS n,
         max(a.published_at) OVER (PARTITION BY a.source) AS newest
  FROM articles a
)
WHERE n <= 5
ORDER BY newest DESC, source, n""",
    },
    "search": {
        "title": "Search articles",
        "description": (
            f"Titles and bodies containing q, best match first (at most {SEARCH_LIMIT}), through "
            "the archive's Chinese full-text index: tj_match(q) encodes q as `tjcrawl search` "
            "does. Finds exactly what a substring scan finds; one character works too."
        ),
        "sql": f"""\
SELECT a.id, a.published_at, a.source, a.title,
       tj_snippet(a.title, a.body, :q) AS snippet, a.url
FROM articles_search
JOIN articles a ON a.id = articles_search.rowid
WHERE articles_search MATCH tj_match(:q) AND tj_holds(a.title, a.body, :q)
ORDER BY bm25(articles_search), a.published_at DESC
LIMIT {SEARCH_LIMIT}""",
    },
    "search_attachments": {
        "title": "Search attachment files",
        "description": (
            f"Attachment files (PDF, Word, Excel …) whose text contains q, best match first (at "
            f"most {SEARCH_LIMIT} rows), with each article that links them, through the "
            "attachments' Chinese full-text index: finds exactly what a substring scan of "
            "attachment_texts finds, as `tjcrawl search --in attachments` does."
        ),
        "sql": f"""\
SELECT coalesce(nullif(trim(l.text), ''), i.url) AS name, t.state,
       tj_attachment_snippet(t.text, :q) AS snippet, a.published_at, a.source,
       a.title AS article,
       a.id AS article_id, i.url
FROM articles_search_attachments
JOIN articles_search_attachment_ids i ON i.id = articles_search_attachments.rowid
JOIN attachment_texts t ON t.url = i.url
LEFT JOIN attachments l ON l.url = i.url
LEFT JOIN articles a ON a.id = l.article_id
WHERE articles_search_attachments MATCH tj_attachment_match(:q)
ORDER BY bm25(articles_search_attachments), a.published_at DESC
LIMIT {SEARCH_LIMIT}""",
    },
    "repost_groups": {
        "title": "Re-post groups",
        "description": (
            "Reports republished (转载) by several sources or pages, grouped; the canonical "
            "(earliest) member first."
        ),
        "sql": """\
SELECT group_id, is_canonical, round(similarity, 3) AS similarity, source, published_at,
       title, origin, url, article_id
FROM repost_groups
ORDER BY group_id DESC, is_canonical DESC, published_at""",
    },
    "withdrawn": {
        "title": "Withdrawn articles",
        "description": (
            "Articles whose page was found gone (404/410). They stay in the archive; "
            "`tjcrawl history URL` shows every version."
        ),
        "sql": """\
SELECT withdrawn_at, source, published_at, title, url, last_seen_at, id
FROM articles
WHERE withdrawn_at IS NOT NULL
ORDER BY withdrawn_at DESC""",
    },
    "failed_pages": {
        "title": "Pages whose extraction failed",
        "description": (
            "Faults of kind extraction_failed with the raw page kept for each; "
            "`tjcrawl failures --save-fixtures DIR` turns them into a fixture site."
        ),
        "sql": """\
SELECT f.at, f.source, f.url, f.detail, f.run_id, p.id AS page_id, p.status,
       p.used_encoding, p.body_size, p.last_fetched_at
FROM faults f
LEFT JOIN pages p ON p.id = (
  SELECT id FROM pages WHERE url = f.url ORDER BY last_fetched_at DESC LIMIT 1
)
WHERE f.kind = 'extraction_failed'
ORDER BY f.at DESC, f.source, f.url""",
    },
}

QUERIES["signed_projects"] = {
    "title": "Signed projects by district and year",
    "description": (
        "Articles that report signed projects (a project count, a named project, money "
        "signed or a signatory), by the year of publication and the district of the facts (a "
        "functional zone counts in its district: 天津港保税区 in 滨海新区): how many articles, "
        "the projects they say were signed (签约项目N个), and the investment in 亿元: each "
        "article's largest amount in yuan (a batch's total, not also its parts), summed. From "
        "the fact_projects view."
    ),
    "sql": """\
WITH signed AS (
  SELECT DISTINCT article_id FROM fact_projects
  WHERE kind IN ('project_count', 'project') OR role = '签约' OR role = 'signatory'
),
per_article AS (
  SELECT year, coalesce(district, '(no district named)') AS district, article_id,
         max(CASE WHEN kind = 'project_count' AND role = '签约' THEN CAST(value AS INTEGER) END)
           AS projects,
         max(amount_yuan) AS largest_yuan
  FROM fact_projects
  WHERE article_id IN (SELECT article_id FROM signed)
  GROUP BY year, district, article_id
)
SELECT year, district, count(*) AS articles, sum(projects) AS projects_signed,
       round(sum(largest_yuan) / 1e8, 2) AS investment_yi_yuan
FROM per_article
GROUP BY year, district
ORDER BY year DESC, investment_yi_yuan DESC, district""",
}

SETTINGS = {
    "default_page_size": 50,
    "truncate_cells_html": 160,  # bodies and raw pages would fill the screen
    "facet_time_limit_ms": 1000,
}


class ServeError(Exception):
    """The archive cannot be served; the message is one line for the user."""


def database_name(db_path: str | Path) -> str:
    """The archive's name in Datasette's URLs: the file name without suffix (archive)."""
    return Path(db_path).stem


def database_metadata() -> dict[str, Any]:
    """Datasette metadata of one archive: its tables, views, their columns and its queries."""
    tables: dict[str, dict[str, Any]] = {}
    for table, (description, columns) in DESCRIPTIONS.items():
        tables[table] = {"description": description, "columns": dict(columns)}
        tables[table].update(TABLE_OPTIONS.get(table, {}))
    for table in INDEX_TABLES:
        tables[table] = {"hidden": True}
    return {
        "description": DESCRIPTION,
        "tables": tables,
        "queries": {key: dict(query) for key, query in QUERIES.items()},
    }


def build_metadata(name: str) -> dict[str, Any]:
    """Datasette metadata for an archive served under ``name``."""
    return {"title": TITLE, "description": DESCRIPTION, "databases": {name: database_metadata()}}


def check_archive(db_path: str | Path) -> str | None:
    """Raise ServeError (one line) unless ``db_path`` is a tjcrawl archive this version serves.

    Opens it read-only. An archive at an older schema version is served as it is (serving
    never upgrades it): the warning returned says so.
    """
    path = Path(db_path)
    if not path.exists():
        raise ServeError(f"{path}: no archive here; run `tjcrawl demo` or `tjcrawl crawl` first")
    if path.is_dir():
        raise ServeError(f"{path}: is a folder, not an archive file")
    try:
        with leave_no_sidecars(path):
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            finally:
                conn.close()
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"{path}: not a usable SQLite archive ({exc})") from None
    if not {"articles", "articles_search"} <= names:
        raise ServeError(f"{path}: not a tjcrawl archive (no articles table or search index)")
    if version > SCHEMA_VERSION:
        raise ServeError(
            f"{path}: archive schema version {version} is newer than this tjcrawl "
            f"({SCHEMA_VERSION}); upgrade tjcrawl"
        )
    if version < SCHEMA_VERSION:
        return (
            f"warning: {path}: archive schema version {version} is older than this tjcrawl "
            f"({SCHEMA_VERSION}), served as it is; the next crawl upgrades it"
        )
    return None


def register_plugin() -> None:
    """Register tjcrawl's Datasette plugin in this process, once."""
    from datasette.plugins import pm

    from tjcrawl import datasette_plugin

    if not pm.is_registered(datasette_plugin) and pm.get_plugin("tjcrawl") is None:
        pm.register(datasette_plugin, name="tjcrawl")


def build_datasette(db_path: str | Path, *, check: bool = True):
    """A configured `datasette.app.Datasette` serving the archive read-only."""
    from datasette.app import Datasette

    if check:
        check_archive(db_path)
    register_plugin()
    path = str(Path(db_path).resolve())
    name = database_name(db_path)
    # The plugin describes the archive (as for plain `datasette archive.db`); only the
    # instance's own title is set here.
    ds = Datasette(
        files=[path], metadata={"title": TITLE, "description": DESCRIPTION}, settings=SETTINGS
    )
    served = [n for n, db in ds.databases.items() if db.path == path]
    if served != [name]:  # Datasette names a file by its stem; the metadata relies on it
        raise ServeError(f"{db_path}: Datasette serves it as {served}, expected {name!r}")
    return ds


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    open_browser: bool = False,
    log_level: str = "warning",
) -> None:
    """Serve the archive on http://HOST:PORT/ until interrupted (Ctrl-C)."""
    import uvicorn

    warning = check_archive(db_path)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    ds = build_datasette(db_path, check=False)
    if not _port_free(host, port):
        raise ServeError(f"{host}:{port} is already in use; choose another --port")
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}{ds.urls.database(database_name(db_path))}"
    print(f"Serving {db_path} read-only at {url}  (Ctrl-C stops)", flush=True)
    if open_browser:
        webbrowser.open(url)
    with leave_no_sidecars(db_path):
        uvicorn.run(ds.app(), host=host, port=port, log_level=log_level, lifespan="on", workers=1)
