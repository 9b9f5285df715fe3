"""Searching: `search` (newest or best first), `search_sql` for SQL and Datasette, snippets, and
the substring scan every search must agree with.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from tjcrawl.storage.search.common import BIGRAMS
from tjcrawl.storage.search.folding import _preimages, fold, fold_map, opencc_fold_map
from tjcrawl.storage.search.query import _fetch, _Query, _Scorer
from tjcrawl.storage.search.scopes import scope_match
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
        rows = _fetch(conn, candidates, q.read)
        scored = [(row, -scorer.score(row[3], row[5], q.tf.get(row[0]))) for row in rows.values()]
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

    The index gives the articles holding every bigram of the query (a one-character query
    is a prefix query); for three characters or more a GLOB over title and body, each query
    character a class of every character that folds to it, keeps those that hold the query.
    Ordered best first by FTS5's bm25 over every match (over distinct bigrams: it is not
    `search`'s ranking, which counts the query's occurrences) or newest first. A source or
    date filter is also spelled as the index's scope tokens (`scopes`), so that the index
    answers it rather than a join of every match.
    """
    if not query:
        raise ValueError("empty query")
    table = fold_map(conn)
    match = match_expression(query, table)
    # The filter's scope tokens narrow the index's answer to (about) the filtered
    # articles; the conditions on `a` below keep it exact.
    scope = scope_match(conn, source, since, until)
    if scope is not None:
        match = f"({match}) AND ({scope.either})"
    where = [f"{BIGRAMS} MATCH {_sql_text(match)}"]
    pattern = glob_pattern(query, table)
    if pattern is not None:
        where.append(f"(a.title GLOB {_sql_text(pattern)} OR a.body GLOB {_sql_text(pattern)})")
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


def glob_pattern(query: str, table: dict[int, str] | None = None) -> str | None:
    """A GLOB that a text matches when it holds ``query`` folded, for the queries the index
    does not answer exactly (three characters or more); None for the others."""
    folded = fold(query, table)
    if len(folded) <= 2:
        return None
    pre = _preimages(table if table is not None else opencc_fold_map())
    parts = []
    for c in folded:
        chars = pre.get(c, c)
        if len(chars) == 1 and chars not in "*?[]":
            parts.append(chars)
        else:  # in a class "]" must come first and "^" must not
            chars = "".join(sorted(set(chars), key=lambda x: (x != "]", x == "^")))
            parts.append(f"[{chars}]")
    return "*" + "".join(parts) + "*"


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
