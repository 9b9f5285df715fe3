"""Kept counts: the exact number of articles holding each common token (``articles_search_counts``)
and each common phrase (``articles_search_phrases``), moved by every index and unindex.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence

import numpy as np

from tjcrawl.storage import phrase_counts
from tjcrawl.storage.phrase_counts import PhraseTrie
from tjcrawl.storage.search import scope_counts
from tjcrawl.storage.search.common import (
    BIGRAMS,
    CHARS,
    COUNTS,
    COUNTS_KEY,
    HEAD_MIN_DOCS,
    LENGTH_KEY,
    PHRASE_CHUNK,
    PHRASE_LONGEST,
    PHRASE_SAMPLE,
    PHRASE_SAMPLE_CHARS,
    PHRASES,
    PHRASES_AT_KEY,
    PHRASES_KEY,
    PHRASES_REFRESH_GROWTH,
)
from tjcrawl.storage.search.folding import fold_map
from tjcrawl.storage.search.scope_counts import SCOPE_MIN_DOCS
from tjcrawl.storage.search.scopes import SCOPE_GLOB, scope_tokens
from tjcrawl.storage.search.tokens import _folded_pairs

LARGE_ARCHIVE = 50_000  # above this many articles a crawl refreshes the kept counts


def create_phrase_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {PHRASES} (phrase TEXT PRIMARY KEY, docs INTEGER NOT NULL)"
        " WITHOUT ROWID"
    )


def _head(conn: sqlite3.Connection) -> frozenset[str]:
    """The tokens whose document counts are kept (cached per generation of the table)."""
    generation = _generation(conn, COUNTS_KEY)
    if generation is None:
        return frozenset()
    head = _heads.get(generation)
    if head is None:
        head = _heads[generation] = frozenset(
            r[0] for r in conn.execute(f"SELECT token FROM {COUNTS}")
        )
    return head


_heads: dict[str, frozenset[str]] = {}


def _move_counts(
    conn: sqlite3.Connection,
    rows: Sequence[tuple[int, str, str]],
    texts: Sequence[tuple[int, str | None, str | None]],
    step: int,
) -> None:
    _move_phrase_counts(conn, texts, step)
    # The index keeps no token counts that are lengths (its bigrams are distinct), so the
    # archive keeps the total that bm25's average length needs.
    length = sum(len(title or "") + len(body or "") + 1 for _, title, body in texts)
    conn.execute(
        "UPDATE tjcrawl_meta SET value = CAST(value AS INTEGER) + ? WHERE key = ?",
        (step * length, LENGTH_KEY),
    )
    head = _head(conn)
    by_scope, phrase_trie = scope_counts.kept_keys(conn)
    if not head and phrase_trie is None:
        return
    moved: dict[str, int] = {}
    token_rows: list[tuple[list[str], set[str]]] = []
    scopes_by_id: dict[int, list[str]] = {}
    for rowid, bigrams, chars in rows:
        words = bigrams.split()
        held = head.intersection(words).union(head.intersection(chars.split()))
        for token in held:
            moved[token] = moved.get(token, 0) + step
        if by_scope or phrase_trie is not None:
            # An article's scope tokens end its bigram stream (`scopes.with_scopes`).
            scopes = scope_counts.article_scopes([w for w in words[-4:] if w[:5] == "zzzzz"])
            scopes_by_id[rowid] = scopes
            token_rows.append((scopes, by_scope.intersection(held)))
    conn.executemany(
        f"UPDATE {COUNTS} SET docs = docs + ? WHERE token = ?", [(n, t) for t, n in moved.items()]
    )
    phrase_rows: list[tuple[list[str], list[str]]] = []
    if phrase_trie is not None and texts:
        found = phrase_trie.hits(*_folded_pairs(texts, fold_map(conn)))
        held_phrases: dict[int, list[str]] = {}
        for n, phrase_id in zip((found >> 32).tolist(), (found & 0xFFFFFFFF).tolist(), strict=True):
            held_phrases.setdefault(n, []).append(phrase_trie.phrases[phrase_id])
        phrase_rows = [
            (scopes_by_id.get(texts[n][0], []), phrases) for n, phrases in held_phrases.items()
        ]
    scope_counts.move(conn, token_rows, phrase_rows, step)


def refresh_counts(conn: sqlite3.Connection, min_docs: int = HEAD_MIN_DOCS) -> int:
    """Count anew every token found in at least ``min_docs`` articles; returns how many.

    One pass over both indexes (about 30 s at a million articles): run it after a bulk
    load or now and then (``optimize_index`` does). Between runs the counts are kept exact
    by indexing and unindexing; a token that became common since is counted at query time.
    """
    for name in (BIGRAMS, CHARS):
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name}_vocab"
            f" USING fts5vocab(main, {name}, row)"
        )
    conn.execute(f"DELETE FROM {COUNTS}")
    # Scope tokens (source and date) are in both indexes and never a query's own token.
    for name in (BIGRAMS, CHARS):
        conn.execute(
            f"INSERT INTO {COUNTS} (token, docs) SELECT term, doc FROM temp.{name}_vocab"
            f" WHERE doc >= ? AND term NOT GLOB '{SCOPE_GLOB}'",
            (max(1, min_docs),),
        )
    generation = secrets.token_hex(8)
    conn.execute(
        "INSERT OR REPLACE INTO tjcrawl_meta (key, value) VALUES (?, ?)", (COUNTS_KEY, generation)
    )
    return conn.execute(f"SELECT count(*) FROM {COUNTS}").fetchone()[0]


def _generation(conn: sqlite3.Connection, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM tjcrawl_meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


_tries: dict[str, PhraseTrie] = {}


def _phrase_trie(conn: sqlite3.Connection) -> PhraseTrie | None:
    """The phrases whose document counts are kept (cached per generation of the table)."""
    generation = _generation(conn, PHRASES_KEY)
    if generation is None:
        return None
    trie = _tries.get(generation)
    if trie is None:
        trie = _tries[generation] = PhraseTrie(
            [r[0] for r in conn.execute(f"SELECT phrase FROM {PHRASES}")]
        )
    return trie if len(trie) else None


def _move_phrase_counts(
    conn: sqlite3.Connection, texts: Sequence[tuple[int, str | None, str | None]], step: int
) -> None:
    trie = _phrase_trie(conn)
    if trie is None or not texts:
        return
    counts = trie.counts(*_folded_pairs(texts, fold_map(conn)))
    moved = np.flatnonzero(counts)
    conn.executemany(
        f"UPDATE {PHRASES} SET docs = docs + ? WHERE phrase = ?",
        [(int(counts[i]) * step, trie.phrases[i]) for i in moved],
    )


def _sample(conn: sqlite3.Connection, total: int, sample: int) -> list[tuple[int, str, str]]:
    """Every n-th article, at most `sample` of them and PHRASE_SAMPLE_CHARS characters."""
    every = max(1, -(-total // sample))
    sizes = conn.execute(
        "SELECT id, coalesce(length(title), 0) + coalesce(length(body), 0) FROM articles"
        " WHERE id % ? = 0",
        (every,),
    ).fetchall()
    step = max(1, -(-sum(size for _, size in sizes) // PHRASE_SAMPLE_CHARS))
    chosen = [article_id for article_id, _ in sizes[::step]]
    rows = []
    for lo in range(0, len(chosen), 500):
        part = chosen[lo : lo + 500]
        marks = ",".join("?" * len(part))
        rows += conn.execute(
            f"SELECT id, title, body FROM articles WHERE id IN ({marks}) ORDER BY id", part
        ).fetchall()
    return rows


def refresh_phrases(
    conn: sqlite3.Connection,
    min_docs: int = HEAD_MIN_DOCS,
    sample: int = PHRASE_SAMPLE,
    scope_min_docs: int = SCOPE_MIN_DOCS,
) -> int:
    """Find and count anew every phrase of 3 to PHRASE_LONGEST characters in at least
    ``min_docs`` articles; returns how many.

    Candidates come from a sample of ``sample`` articles (taken with a margin, so that a
    phrase just common enough is rarely missed), then every candidate is counted exactly in
    every article: a kept count is always exact, and a common phrase the sample missed is
    counted by the index at query time, as any other. The same pass finds the counts by
    scope of every token and phrase in at least ``scope_min_docs`` articles
    (`scope_counts`). About two minutes at a million articles.

    It counts the ``articles`` table, so every article must be indexed as it stands: run it
    outside an `Archive`'s transaction (whose search indexing waits for its commit).
    """
    create_phrase_table(conn)
    scope_counts.create_scope_count_table(conn)
    conn.execute(f"DELETE FROM {PHRASES}")
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    table = fold_map(conn)
    kept = 0
    if total and total >= min_docs:
        rows = _sample(conn, total, sample)
        share = len(rows) / total
        margin = 1.0 if len(rows) == total else 0.8
        candidates = phrase_counts.common_phrases(
            *_folded_pairs(rows, table), max(1.0, margin * min_docs * share), PHRASE_LONGEST
        )
        del rows
        trie = PhraseTrie(candidates)
        # The same pass counts the very common tokens and phrases by scope.
        tally = scope_counts.ScopeTally(conn, trie, scope_min_docs)
        articles = conn.execute("SELECT id, title, body, source, published_at FROM articles")
        while tally.counting and (chunk := articles.fetchmany(PHRASE_CHUNK)):
            texts = [row[:3] for row in chunk]
            scopes = [scope_counts.article_scopes(scope_tokens(*row[3:]).split()) for row in chunk]
            tally.add(texts, scopes, table, _folded_pairs(texts, table))
        counts = tally.phrase_docs
        # A prefix is in at least as many articles as its phrase, so this keeps every
        # prefix of a kept phrase: the trie stays whole.
        common = [
            (p, n) for p, n in zip(trie.phrases, counts.tolist(), strict=True) if n >= min_docs
        ]
        conn.executemany(f"INSERT INTO {PHRASES} (phrase, docs) VALUES (?, ?)", common)
        kept = len(common)
        tally.store(conn)
    else:
        scope_counts.clear(conn)
    conn.executemany(
        "INSERT OR REPLACE INTO tjcrawl_meta (key, value) VALUES (?, ?)",
        [(PHRASES_KEY, secrets.token_hex(8)), (PHRASES_AT_KEY, str(total))],
    )
    return kept


def keep_counts_fresh(
    conn: sqlite3.Connection,
    min_docs: int = HEAD_MIN_DOCS,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """After a crawl: count common tokens anew, and find common phrases anew once the
    archive has grown by a tenth since they were found (a minute at a million articles).

    Small archives count fast enough without kept counts. Kept counts are exact whenever
    this runs; it only lets words and phrases that became common be looked up too.
    """
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    if articles <= LARGE_ARCHIVE:
        return
    steps = [("search: counting common words", refresh_counts)]
    found_at = _generation(conn, PHRASES_AT_KEY)
    if found_at is None or articles >= PHRASES_REFRESH_GROWTH * int(found_at):
        steps.append(("search: counting common phrases", refresh_phrases))
    for what, step in steps:
        if progress is not None:
            progress(what, 0, articles)
        step(conn, min_docs)
        if progress is not None:
            progress(what, articles, articles)
