"""Searching: `search` (newest or best first), `search_sql` for SQL and Datasette, snippets, and
the substring scan every search must agree with.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from tjcrawl.storage.search.common import BIGRAMS
from tjcrawl.storage.search.folding import fold, fold_map
from tjcrawl.storage.search.query import _fetch, _Query, _Scorer
from tjcrawl.storage.search.tokens import match_expression

RANK_WINDOW = 1000  # best first ranks every match up to this many, else the newest archived


# -- searching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    id: int
    url: str
    source: str
    title: str
    published_at: str | None
    snippet: str
    rank: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[SearchHit]


def snippet(text: str, query: str, width: int = 40, table: dict[int, str] | None = None) -> str:
    needle = fold(query, table)
    position = fold(text, table).find(needle)
    if position < 0:
        return text[: width * 2].replace("\n", " ")
    end_of_hit = position + len(needle)
    start, end = max(0, position - width), min(len(text), end_of_hit + width)
    piece = f"{text[start:position]}[{text[position:end_of_hit]}]{text[end_of_hit:end]}"
    return ("…" if start else "") + piece.replace("\n", " ") + ("…" if end < len(text) else "")


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    order: str = "rank",
) -> SearchResult:
    """Articles whose title or body contains ``query``, best first (or newest first)."""
    if not query:
        raise ValueError("empty query")
    snapshot = not conn.in_transaction  # total and page from one snapshot of the archive
    if snapshot:
        conn.execute("BEGIN")
    try:
        return _search(conn, query, source, since, until, limit, order)
    finally:
        if snapshot:
            conn.execute("COMMIT")


def _search(conn, query, source, since, until, limit, order) -> SearchResult:
    q = _Query(conn, query, source, since, until)
    total = q.count()
    if total == 0 or limit <= 0:
        return SearchResult(query=query, total=total, hits=[])
    scorer = _Scorer(conn, q.matcher)
    if order == "newest":
        ids = q.newest(limit, total)
        rows = _fetch(conn, ids)
        ranked = [(rows[i], -scorer.score(rows[i][3], rows[i][5])) for i in ids]
    else:
        candidates = q.most_recently_archived(min(total, max(RANK_WINDOW, limit)))
        rows = _fetch(conn, candidates)
        scored = [(row, -scorer.score(row[3], row[5])) for row in rows.values()]
        # bm25 first, then newest, then the latest archived (as the SQL in README orders).
        scored.sort(key=lambda x: -x[0][0])
        scored.sort(key=lambda x: x[0][4] or "", reverse=True)
        scored.sort(key=lambda x: x[1])
        ranked = scored[:limit]
    hits = []
    for row, rank in ranked:
        title, body = row[3], row[5]
        in_title = q.matcher.holds(title, "")
        hits.append(
            SearchHit(
                id=row[0],
                url=row[1],
                source=row[2],
                title=title,
                published_at=row[4],
                snippet=snippet(title if in_title else body, query, table=q.table),
                rank=rank if math.isfinite(rank) else 0.0,
            )
        )
    return SearchResult(query=query, total=total, hits=hits)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def search_sql(
    conn: sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    order: str = "rank",
) -> str:
    """A statement for plain ``sqlite3 archive.db`` (no tjcrawl function needed) that returns
    every article `search` counts for ``query``: the folded query spelled as the bigram
    index's tokens, as a MATCH literal.

    The phrase of bigrams is already an exact substring match, so it needs no verification
    against the text; a one-character query is a prefix query on the bigram index. Ordered
    best first by FTS5's own bm25 over every match (`search` ranks at most RANK_WINDOW of them,
    so its first page can differ on a large archive) or newest first.
    """
    if not query:
        raise ValueError("empty query")
    match = match_expression(query, fold_map(conn))
    where = [f"{BIGRAMS} MATCH {_sql_text(match)}"]
    if source:
        where.append(f"a.source = {_sql_text(source)}")
    if since:
        where.append(f"a.published_at >= {_sql_text(since)}")
    if until:
        where.append(f"a.published_at < {_sql_text(until)}")
    ordering = "a.published_at DESC, a.id DESC"
    if order == "rank":
        ordering = f"bm25({BIGRAMS}), {ordering}"
    conditions = "\n  AND ".join(where)
    return (
        f"-- articles containing {query.replace(chr(10), ' ')}\n"
        "SELECT a.id, a.published_at, a.source, a.title, a.url\n"
        f"FROM {BIGRAMS} JOIN articles a ON a.id = {BIGRAMS}.rowid\n"
        f"WHERE {conditions}\n"
        f"ORDER BY {ordering};"
    )


def substring_scan_ids(conn: sqlite3.Connection, query: str) -> set[int]:
    """The reference the index must equal: LIKE over the folded title and body.

    For a simplified query over simplified text this is SQLite's LIKE (ASCII case folded).
    """
    table = fold_map(conn)
    needle = fold(query, table)
    found = set()
    for article_id, title, body in conn.execute("SELECT id, title, body FROM articles"):
        if needle in fold(title or "", table) or needle in fold(body or "", table):
            found.add(article_id)
    return found
