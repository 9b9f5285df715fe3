"""Attachment text in the exact search: the same folding and bigram tokens as the articles'
index (see the package's docstring), in an index of its own.

``articles_search_attachments`` (FTS5, contentless, detail=full) holds, per attachment file,
the bigram that starts at each position of ``END + text + END``; its rowid is the file's id in
``articles_search_attachment_ids`` (one stable integer per URL: ``attachment_texts`` is keyed
by its URL, and the implicit rowid of such a table may be renumbered by VACUUM). A query of n
>= 2 characters is the phrase of its n-1 bigrams, one character a prefix query on the bigrams
(every character of the text starts one, the last with END): an exact substring match, so the
index finds exactly what `attachment_substring_scan` finds. Attachments are few next to
articles (one in ten pages links any), so this index keeps no counts: a total is the index's
own count.

`store_text` keeps the index in step with ``attachment_texts``: it removes the tokens of the
text a row held (a contentless table forgets a row only when given the exact tokens it
indexed) and adds the new text's, in the caller's transaction.

A line break between two CJK characters is folded away, in the index, in the query and in the
substring scan alike (`fold_line_breaks`): a PDF's text breaks lines inside words (Chromium
set 澜屿芯材科技（天津）有 / 限公司 on two lines of a table cell), and Chinese puts no space
between words, so the break is layout, not text. The price: two cells or lines that meet at a
break read as one run (公司 / 东丽区 is also found as 公司东丽区). A break beside a Latin
letter or digit, and a blank line (two breaks), stay. The stored text is kept as read.
"""

from __future__ import annotations

import math
import posixpath
import re
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from tjcrawl.storage.search.folding import fold, fold_map
from tjcrawl.storage.search.query import article_filters
from tjcrawl.storage.search.searching import snippet
from tjcrawl.storage.search.tokens import phrase_expression, prepare_many

INDEX = "articles_search_attachments"
IDS = "articles_search_attachment_ids"

_CJK = "\u2e80-\u2fff\u3001-\u303f\u3040-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
#: One line break (spaces around it too) with a CJK character on each side.
_CJK_LINE_BREAK = re.compile(f"(?<=[{_CJK}])[^\\S\\n]*\\r?\\n[^\\S\\n]*(?=[{_CJK}])")


def fold_line_breaks(text: str) -> str:
    """`text` without the line breaks that stand between two CJK characters (see above)."""
    return _CJK_LINE_BREAK.sub("", text) if "\n" in text else text


def create_index(conn: sqlite3.Connection) -> None:
    """Create the index (a migration calls this) and index every stored attachment text."""
    conn.execute(f"DROP TABLE IF EXISTS {INDEX}")
    conn.execute(f"DROP TABLE IF EXISTS {IDS}")
    conn.execute(f"CREATE TABLE {IDS} (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE)")
    conn.execute(f"CREATE VIRTUAL TABLE {INDEX} USING fts5(text, content='', tokenize='unicode61')")
    rows = conn.execute("SELECT url, text FROM attachment_texts ORDER BY url").fetchall()
    table = fold_map(conn)
    for start in range(0, len(rows), 500):
        batch = [(_id_of(conn, url), text or "") for url, text in rows[start : start + 500]]
        _insert(conn, batch, table)


def _id_of(conn: sqlite3.Connection, url: str) -> int:
    conn.execute(f"INSERT OR IGNORE INTO {IDS} (url) VALUES (?)", (url,))
    return int(conn.execute(f"SELECT id FROM {IDS} WHERE url = ?", (url,)).fetchone()[0])


def _insert(conn: sqlite3.Connection, rows: list[tuple[int, str]], table: dict[int, str]) -> None:
    prepared = prepare_many(
        [(rowid, "", fold_line_breaks(text)) for rowid, text in rows], table, positions=True
    )
    conn.executemany(f"INSERT INTO {INDEX} (rowid, text) VALUES (?, ?)", [p[:2] for p in prepared])


def store_text(conn: sqlite3.Connection, url: str, old_text: str | None, new_text: str) -> None:
    """Index `new_text` as the attachment's text, replacing `old_text` (None: it had none)."""
    table = fold_map(conn)
    rowid = _id_of(conn, url)
    if old_text is not None:
        [(_, bigrams, _)] = prepare_many(
            [(rowid, "", fold_line_breaks(old_text))], table, positions=True
        )
        conn.execute(
            f"INSERT INTO {INDEX} ({INDEX}, rowid, text) VALUES ('delete', ?, ?)", (rowid, bigrams)
        )
    _insert(conn, [(rowid, new_text)], table)


@dataclass(frozen=True)
class LinkingArticle:
    id: int
    url: str
    source: str
    title: str
    published_at: str | None


@dataclass(frozen=True)
class AttachmentHit:
    url: str
    name: str
    state: str
    snippet: str
    rank: float
    articles: list[LinkingArticle] = field(default_factory=list)


@dataclass(frozen=True)
class AttachmentSearchResult:
    query: str
    total: int
    hits: list[AttachmentHit]


def attachment_name(url: str, link_text: str | None) -> str:
    """What a reader calls the file: its link text, else the last part of its URL."""
    text = " ".join((link_text or "").split())
    if text:
        return text
    path = unquote(urlsplit(url).path)
    return posixpath.basename(path.rstrip("/")) or url


def matching_urls(conn: sqlite3.Connection, query: str) -> dict[str, float]:
    """Every attachment URL whose text contains `query`, with its bm25 (lower is better)."""
    rows = conn.execute(
        f"SELECT i.url, bm25({INDEX}) FROM {INDEX} JOIN {IDS} i ON i.id = {INDEX}.rowid"
        f" WHERE {INDEX} MATCH ?",
        (phrase_expression(fold_line_breaks(query), fold_map(conn)),),
    )
    return {url: rank for url, rank in rows}


def _articles(
    conn: sqlite3.Connection, url: str, source: str | None, since: str | None, until: str | None
) -> list[tuple[LinkingArticle, str | None]]:
    filters, params = article_filters(source, since, until)
    where = ["l.url = ?", *([filters] if filters else [])]
    params = [url, *params]
    rows = conn.execute(
        "SELECT a.id, a.url, a.source, a.title, a.published_at, l.text FROM attachments l"
        f" JOIN articles a ON a.id = l.article_id WHERE {' AND '.join(where)}"
        " ORDER BY a.published_at DESC, a.id DESC",
        params,
    )
    return [(LinkingArticle(*row[:5]), row[5]) for row in rows]


def search_attachments(
    conn: sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    order: str = "rank",
) -> AttachmentSearchResult:
    """Attachment files whose text contains `query`, each with the articles that link it
    (only attachments linked from an article the filters keep, when any is given)."""
    if not query:
        raise ValueError("empty query")
    filters, filter_params = article_filters(source, since, until)
    where = [filters] if filters else []
    params = [phrase_expression(fold_line_breaks(query), fold_map(conn)), *filter_params]
    # Every match with its bm25 and its newest linking article's date, in two statements (a
    # filter keeps the files linked from an article it keeps); the linking articles are read
    # for the page of hits only.
    ranks = matching_urls(conn, query)
    dated = conn.execute(
        f"SELECT i.url, max(a.published_at) FROM {IDS} i"
        " LEFT JOIN attachments l ON l.url = i.url LEFT JOIN articles a ON a.id = l.article_id"
        f" WHERE i.id IN (SELECT rowid FROM {INDEX} WHERE {INDEX} MATCH ?)"
        + "".join(f" AND {condition}" for condition in where)
        + " GROUP BY i.url",
        params,
    ).fetchall()
    rows = [(url, ranks.get(url, 0.0), newest) for url, newest in dated]
    if order == "newest":
        rows.sort(key=lambda r: (r[2] or "", r[0]), reverse=True)
    else:
        rows.sort(key=lambda r: (r[1], r[0]))
    table = fold_map(conn)
    hits = []
    for url, rank, _ in rows[:limit]:
        linking = _articles(conn, url, source, since, until)
        row = conn.execute(
            "SELECT state, text FROM attachment_texts WHERE url = ?", (url,)
        ).fetchone()
        state, text = (row[0], row[1] or "") if row else ("", "")
        hits.append(
            AttachmentHit(
                url=url,
                name=attachment_name(url, linking[0][1] if linking else None),
                state=state,
                snippet=snippet(fold_line_breaks(text), fold_line_breaks(query), table=table),
                rank=rank if math.isfinite(rank) else 0.0,
                articles=[article for article, _ in linking],
            )
        )
    return AttachmentSearchResult(query=query, total=len(rows), hits=hits)


def attachment_substring_scan(conn: sqlite3.Connection, query: str) -> set[str]:
    """The reference the index must equal: the folded query in the folded attachment text
    (line breaks between CJK characters folded away in both)."""
    table = fold_map(conn)
    needle = fold(fold_line_breaks(query), table)
    return {
        url
        for url, text in conn.execute("SELECT url, text FROM attachment_texts")
        if needle in fold(fold_line_breaks(text or ""), table)
    }


def attachment_search_sql(
    conn: sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    order: str = "rank",
) -> str:
    """A statement for plain ``sqlite3 archive.db`` that returns every attachment file (with
    each article linking it) whose text contains ``query``, as `search_attachments` finds."""
    if not query:
        raise ValueError("empty query")
    match = phrase_expression(fold_line_breaks(query), fold_map(conn)).replace("'", "''")
    where = [f"{INDEX} MATCH '{match}'"]
    for column, op, value in (
        ("a.source", "=", source),
        ("a.published_at", ">=", since),
        ("a.published_at", "<", until),
    ):
        if value:
            where.append(f"{column} {op} '" + value.replace("'", "''") + "'")
    ordering = "a.published_at DESC, a.id DESC"
    if order == "rank":
        ordering = f"bm25({INDEX}), {ordering}"
    conditions = "\n  AND ".join(where)
    join = "JOIN" if (source or since or until) else "LEFT JOIN"
    return (
        f"-- attachment files containing {query.replace(chr(10), ' ')}\n"
        "SELECT i.url, l.text AS link_text, t.state, a.id AS article_id, a.published_at,"
        " a.source, a.title\n"
        f"FROM {INDEX} JOIN {IDS} i ON i.id = {INDEX}.rowid\n"
        "JOIN attachment_texts t ON t.url = i.url\n"
        f"{join} attachments l ON l.url = i.url {join} articles a ON a.id = l.article_id\n"
        f"WHERE {conditions}\n"
        f"ORDER BY {ordering};"
    )
