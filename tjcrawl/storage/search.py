"""Chinese full-text search with exactly the recall of a substring scan.

FTS5's trigram tokenizer finds nothing for one- and two-character queries (天津, 招商) and a
word segmenter misses words outside its dictionary. Instead every character is indexed as the
bigram it starts, each character spelled as four base-36 digits of its code point so that FTS5
sees one opaque ASCII token per position:

* a query of n >= 2 characters is the phrase of its n-1 bigrams: an exact substring match;
* a one-character query is a prefix query on the bigrams it starts: also exact, because the
  last character of a text gets a bigram with an end marker.

ASCII letters are folded to lower case on both sides, as SQLite's LIKE does.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

END = "zzzz"  # beyond the last code point (0x10FFFF is "ny2n"), so it never collides
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@lru_cache(maxsize=65536)
def _code(char: str) -> str:
    number, digits = ord(char), []
    for _ in range(4):
        number, rest = divmod(number, 36)
        digits.append(_DIGITS[rest])
    return "".join(reversed(digits))


def fold(text: str) -> str:
    return text.translate(_ASCII_UPPER)


def index_tokens(text: str | None) -> str:
    """The token stream stored in the index for a title or body."""
    if not text:
        return ""
    codes = [_code(c) for c in fold(text)]
    codes.append(END)
    return " ".join(a + b for a, b in itertools.pairwise(codes))


def match_expression(query: str) -> str:
    codes = [_code(c) for c in fold(query)]
    if len(codes) == 1:
        return f"{codes[0]}*"
    return '"' + " ".join(a + b for a, b in itertools.pairwise(codes)) + '"'


def index_article(conn: sqlite3.Connection, rowid: int, title: str, body: str) -> None:
    conn.execute(
        "INSERT INTO articles_search(rowid, title, body) VALUES (?, ?, ?)",
        (rowid, index_tokens(title), index_tokens(body)),
    )


def unindex_article(conn: sqlite3.Connection, rowid: int, title: str, body: str) -> None:
    # A contentless table forgets a row only when given the exact tokens it indexed.
    conn.execute(
        "INSERT INTO articles_search(articles_search, rowid, title, body) "
        "VALUES ('delete', ?, ?, ?)",
        (rowid, index_tokens(title), index_tokens(body)),
    )


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


def snippet(text: str, query: str, width: int = 40) -> str:
    position = fold(text).find(fold(query))
    if position < 0:
        return text[: width * 2].replace("\n", " ")
    start, end = max(0, position - width), min(len(text), position + len(query) + width)
    found = text[position : position + len(query)]
    piece = text[start:position] + f"[{found}]" + text[position + len(query) : end]
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
    where, params = ["articles_search MATCH ?"], [match_expression(query)]
    if source:
        where.append("a.source = ?")
        params.append(source)
    if since:
        where.append("a.published_at >= ?")
        params.append(since)
    if until:
        where.append("a.published_at < ?")
        params.append(until)
    base = (
        "FROM articles_search JOIN articles a ON a.id = articles_search.rowid "
        f"WHERE {' AND '.join(where)}"
    )
    total = conn.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    ordering = "rank, a.published_at DESC" if order == "rank" else "a.published_at DESC, rank"
    rows = conn.execute(
        f"SELECT a.id, a.url, a.source, a.title, a.published_at, a.body, "
        f"bm25(articles_search) AS rank {base} ORDER BY {ordering} LIMIT ?",
        [*params, limit],
    ).fetchall()
    hits = [
        SearchHit(
            id=r[0],
            url=r[1],
            source=r[2],
            title=r[3],
            published_at=r[4],
            snippet=snippet(r[5] if fold(query) not in fold(r[3]) else r[3], query),
            rank=r[6],
        )
        for r in rows
    ]
    return SearchResult(query=query, total=total, hits=hits)


def substring_scan_ids(conn: sqlite3.Connection, query: str) -> set[int]:
    """The reference the index must equal: LIKE over title and body."""
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", query) + "%"
    rows = conn.execute(
        "SELECT id FROM articles WHERE body LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\'",
        (pattern, pattern),
    )
    return {r[0] for r in rows}
