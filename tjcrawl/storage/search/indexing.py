"""The index: creating the FTS5 tables, adding and removing articles, optimising."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from tjcrawl.storage.search.common import (
    BIGRAMS,
    CHARS,
    COUNTS,
    FOLD_TABLE,
    LENGTH_KEY,
    META_KEY,
    PHRASES,
    PHRASES_AT_KEY,
)
from tjcrawl.storage.search.counts import (
    _move_counts,
    create_phrase_table,
    refresh_counts,
    refresh_phrases,
)
from tjcrawl.storage.search.folding import _digest, fold_map, opencc_fold_map
from tjcrawl.storage.search.scope_counts import (
    SCOPE_COUNTS,
    SCOPE_COUNTS_KEY,
    create_scope_count_table,
)
from tjcrawl.storage.search.scopes import SCOPES_KEY, scoped, scopes_of, with_scopes
from tjcrawl.storage.search.tokens import prepare, prepare_many

# -- the index ----------------------------------------------------------------------------


def create_index(conn: sqlite3.Connection, reindex: bool = True) -> None:
    """Create the index tables (a migration calls this), pin the fold table, index articles.

    Replaces an older ``articles_search``. Runs inside the caller's transaction.
    """
    conn.execute(f"DROP TABLE IF EXISTS {BIGRAMS}")
    conn.execute(f"DROP TABLE IF EXISTS {CHARS}")
    conn.execute(f"DROP TABLE IF EXISTS {FOLD_TABLE}")
    conn.execute(f"DROP TABLE IF EXISTS {COUNTS}")
    conn.execute(f"DROP TABLE IF EXISTS {PHRASES}")
    conn.execute(f"DROP TABLE IF EXISTS {SCOPE_COUNTS}")
    # Distinct bigrams, no positions (detail=none): 40 % of the positional index's size. A
    # query of 3 or more characters is the AND of its bigrams, each candidate's text tested.
    conn.execute(
        f"CREATE VIRTUAL TABLE {BIGRAMS} USING fts5("
        "text, content='', detail=none, tokenize='unicode61')"
    )
    create_char_index(conn)
    conn.execute(f"CREATE TABLE {FOLD_TABLE} (char TEXT PRIMARY KEY, folded TEXT NOT NULL)")
    conn.execute(
        f"CREATE TABLE {COUNTS} (token TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID"
    )
    create_phrase_table(conn)
    create_scope_count_table(conn)
    table = opencc_fold_map()
    conn.executemany(
        f"INSERT INTO {FOLD_TABLE} (char, folded) VALUES (?, ?)",
        [(chr(k), v) for k, v in sorted(table.items())],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO tjcrawl_meta (key, value) VALUES (?, ?)",
        [(META_KEY, _digest(table)), (LENGTH_KEY, "0"), (SCOPES_KEY, "1")],
    )
    conn.execute("DELETE FROM tjcrawl_meta WHERE key IN (?, ?)", (PHRASES_AT_KEY, SCOPE_COUNTS_KEY))
    if reindex:
        rows = conn.execute("SELECT id, title, body FROM articles ORDER BY id")
        while batch := rows.fetchmany(500):
            index_articles(conn, batch)
        refresh_counts(conn)


def create_char_index(conn: sqlite3.Connection) -> None:
    # Keeps FTS5's per-row sizes (columnsize=1, ~10 bytes an article) although nothing reads
    # them: without them a contentless table has no list of its rows, so every full scan
    # (count(*), `sqlite-utils tables --counts`) fails with "table does not support scanning".
    conn.execute(
        f"CREATE VIRTUAL TABLE {CHARS} USING fts5("
        "text, content='', detail=none, tokenize='unicode61')"
    )


def make_char_index_scannable(conn: sqlite3.Connection) -> None:
    """Re-create an archive's ``articles_search_chars`` made with columnsize=0 (migration 6
    before schema 12) as `create_char_index` does, and index every article into it again.

    Its tokens stay as they were, so the kept counts stay exact.
    """
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (CHARS,)
    ).fetchone()
    if row is None or "columnsize=0" not in row[0].replace(" ", ""):
        return
    conn.execute(f"DROP TABLE {CHARS}")
    create_char_index(conn)
    table = fold_map(conn)
    rows = conn.execute("SELECT id, title, body FROM articles ORDER BY id")
    while batch := rows.fetchmany(500):
        prepared = prepare_many(batch, table)
        prepared = with_scopes(prepared, scopes_of(conn, [r[0] for r in prepared]))
        conn.executemany(
            f"INSERT INTO {CHARS} (rowid, text) VALUES (?, ?)",
            [(rowid, chars) for rowid, _, chars in prepared],
        )


def insert_prepared(
    conn: sqlite3.Connection,
    rows: Sequence[tuple[int, str, str]],
    texts: Sequence[tuple[int, str | None, str | None]],
) -> None:
    """Add (id, bigrams, chars) rows made by `prepare` (ascending ids index fastest) for the
    (id, title, body) ``texts`` they were made from (the kept counts and lengths need them).

    Call inside a write transaction, as the archive does: the kept counts move with it. Each
    article's row must be stored first: its source and date are indexed with it (`scopes`).
    """
    rows = with_scopes(rows, scopes_of(conn, [r[0] for r in rows]))
    conn.executemany(f"INSERT INTO {BIGRAMS} (rowid, text) VALUES (?, ?)", [r[:2] for r in rows])
    conn.executemany(
        f"INSERT INTO {CHARS} (rowid, text) VALUES (?, ?)", [(r[0], r[2]) for r in rows]
    )
    _move_counts(conn, rows, texts, +1)


def index_articles(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> None:
    """Index (id, title, body) rows."""
    texts = list(rows)
    insert_prepared(conn, prepare_many(texts, fold_map(conn)), texts)


def index_article(conn: sqlite3.Connection, rowid: int, title: str, body: str) -> None:
    index_articles(conn, [(rowid, title, body)])


def unindex_article(conn: sqlite3.Connection, rowid: int, title: str, body: str) -> None:
    """Remove an article from the index; call it before its row changes or is deleted."""
    # A contentless table forgets a row only when given the exact tokens it indexed, and
    # its scope tokens are read from the row as it still stands.
    bigrams, chars = prepare(title, body, fold_map(conn))
    scopes = scopes_of(conn, [rowid])
    if scoped(conn) and rowid not in scopes:
        raise ValueError(f"article {rowid} has no row: unindex an article before deleting it")
    [(_, bigrams, chars)] = with_scopes([(rowid, bigrams, chars)], scopes)
    conn.execute(
        f"INSERT INTO {BIGRAMS} ({BIGRAMS}, rowid, text) VALUES ('delete', ?, ?)",
        (rowid, bigrams),
    )
    conn.execute(
        f"INSERT INTO {CHARS} ({CHARS}, rowid, text) VALUES ('delete', ?, ?)", (rowid, chars)
    )
    _move_counts(conn, [(rowid, bigrams, chars)], [(rowid, title, body)], -1)


def optimize_index(conn: sqlite3.Connection, counts: bool = True) -> None:
    """Merge each index into one segment (after a bulk load; queries get faster)."""
    for name in (BIGRAMS, CHARS):
        conn.execute(f"INSERT INTO {name} ({name}) VALUES ('optimize')")
    if counts:
        refresh_counts(conn)
        refresh_phrases(conn)
