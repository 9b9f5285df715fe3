"""Kept counts by scope: for each very common token and phrase (in at least
``SCOPE_MIN_DOCS`` articles), how many articles of each source, year, month and
source-and-year hold it (``articles_search_scope_counts``).

A filtered count of 天津 at a million articles is otherwise FTS5's intersection of its
941,958 articles with the filter's (~20 ms) and a filtered count of a phrase a test of every
candidate's text; with these, the filter's whole years and months (with or without a
source) are lookups, and only its stray days and edge days go to the index.

The counts are found anew with the common phrases (`refresh_phrases` reads every article
once for both) and kept exact between refreshes by every index and unindex, as the other
kept counts are. A row with the empty scope holds a key's total: a key without it is not
kept by scope, and a kept key without a row for a scope is in none of its articles.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence

import numpy as np

from tjcrawl.storage.arrays import distinct
from tjcrawl.storage.phrase_counts import PhraseTrie
from tjcrawl.storage.search.common import COUNTS
from tjcrawl.storage.search.scopes import _MONTH, _PREFIX, _YEAR
from tjcrawl.storage.search.tokens import (
    _CHAR_KEY,
    _MAX_POINT,
    _batch_points,
    _coder,
    token_keys,
)

SCOPE_COUNTS = "articles_search_scope_counts"
SCOPE_COUNTS_KEY = "search_scope_counts_generation"
SCOPE_MIN_DOCS = 100_000  # below this an FTS5 intersection with a filter takes a few ms
ALL = ""  # the scope of a key's total
TOKEN, PHRASE = "t", "p"

_SOURCE = _PREFIX + "s"


def create_scope_count_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCOPE_COUNTS} (kind TEXT NOT NULL, key TEXT NOT NULL,"
        " scope TEXT NOT NULL, docs INTEGER NOT NULL, PRIMARY KEY (kind, key, scope))"
        " WITHOUT ROWID"
    )


def source_year(source_token: str, year_token: str) -> str:
    """The scope of one source's articles of one year ('y' is no hex digit: unambiguous)."""
    return f"{source_token}y{year_token[len(_YEAR) :]}"


def article_scopes(scope_tokens: Sequence[str]) -> list[str]:
    """The kept-count scopes of an article, from its scope tokens (`scopes.scope_tokens`)."""
    source = year = None
    found = []
    for token in scope_tokens:
        if token.startswith(_SOURCE):
            source = token
            found.append(token)
        elif token.startswith(_YEAR):
            year = token
            found.append(token)
        elif token.startswith(_MONTH):
            found.append(token)
    if source and year:
        found.append(source_year(source, year))
    return found


# -- which keys are kept, cached per generation -------------------------------------------

_kept_cache: dict[str, tuple[frozenset[str], PhraseTrie | None]] = {}


def kept_keys(conn: sqlite3.Connection) -> tuple[frozenset[str], PhraseTrie | None]:
    """(tokens, trie of phrases) whose counts are kept by scope; empty when none are."""
    try:
        row = conn.execute(
            "SELECT value FROM tjcrawl_meta WHERE key = ?", (SCOPE_COUNTS_KEY,)
        ).fetchone()
    except sqlite3.OperationalError:
        return frozenset(), None
    if row is None:
        return frozenset(), None
    cached = _kept_cache.get(row[0])
    if cached is None:
        rows = conn.execute(f"SELECT kind, key FROM {SCOPE_COUNTS} WHERE scope = ?", (ALL,))
        tokens, phrases = set(), []
        for kind, key in rows:
            if kind == TOKEN:
                tokens.add(key)
            else:
                phrases.append(key)
        trie = PhraseTrie(phrases) if phrases else None
        cached = _kept_cache[row[0]] = (frozenset(tokens), trie if trie and len(trie) else None)
    return cached


def kept_docs(conn: sqlite3.Connection, kind: str, key: str, scopes: Sequence[str]) -> int | None:
    """The articles holding ``key`` summed over ``scopes`` (disjoint), or None when the key
    is not kept by scope."""
    marks = ",".join("?" * (len(scopes) + 1))
    try:
        found = dict(
            conn.execute(
                f"SELECT scope, docs FROM {SCOPE_COUNTS} WHERE kind = ? AND key = ?"
                f" AND scope IN ({marks})",
                (kind, key, ALL, *scopes),
            ).fetchall()
        )
    except sqlite3.OperationalError:  # an archive without the table: nothing is kept
        return None
    if ALL not in found:
        return None
    return sum(found.get(scope, 0) for scope in scopes)


def clear(conn: sqlite3.Connection) -> None:
    """No key kept by scope (an archive too small for them, or an index made anew)."""
    conn.execute(f"DELETE FROM {SCOPE_COUNTS}")
    conn.execute("DELETE FROM tjcrawl_meta WHERE key = ?", (SCOPE_COUNTS_KEY,))


# -- moved by every index and unindex -----------------------------------------------------


def move(
    conn: sqlite3.Connection,
    token_rows: Sequence[tuple[list[str], set[str]]],
    phrase_rows: Sequence[tuple[list[str], Sequence[str]]],
    step: int,
) -> None:
    """Move the counts by ``step`` for articles given as (scopes, kept tokens they hold) and
    (scopes, kept phrases they hold)."""
    moved: dict[tuple[str, str, str], int] = {}
    for kind, rows in ((TOKEN, token_rows), (PHRASE, phrase_rows)):
        for scopes, keys in rows:
            for key in keys:
                for scope in (ALL, *scopes):
                    at = (kind, key, scope)
                    moved[at] = moved.get(at, 0) + step
    if not moved:
        return
    conn.executemany(
        f"INSERT INTO {SCOPE_COUNTS} (kind, key, scope, docs) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (kind, key, scope) DO UPDATE SET docs = docs + excluded.docs",
        [(kind, key, scope, n) for (kind, key, scope), n in moved.items()],
    )


# -- found anew with the phrases ----------------------------------------------------------


class ScopeTally:
    """Counts by scope over every article, filled chunk by chunk by `refresh_phrases`."""

    def __init__(self, conn: sqlite3.Connection, trie: PhraseTrie, min_docs: int) -> None:
        self.min_docs = min_docs
        self.trie = trie
        self.tokens = [
            r[0] for r in conn.execute(f"SELECT token FROM {COUNTS} WHERE docs >= ?", (min_docs,))
        ]
        keys = token_keys(self.tokens)
        # Lookup tables instead of a search per position: the kept token (its number) of
        # each kept bigram by (first, second) character, and of each kept character.
        size = _MAX_POINT + 1
        is_pair = keys < _CHAR_KEY
        numbers = np.arange(len(keys), dtype=np.int64)
        firsts = np.unique(keys[is_pair] >> 21)
        seconds = np.unique(keys[is_pair] & 0x1FFFFF)
        self.first_id = np.full(size, -1, dtype=np.int64)
        self.first_id[firsts] = np.arange(len(firsts))
        self.second_id = np.full(size, -1, dtype=np.int64)
        self.second_id[seconds] = np.arange(len(seconds))
        self.pair_token = np.full((len(firsts), len(seconds)), -1, dtype=np.int64)
        pairs = keys[is_pair]
        self.pair_token[self.first_id[pairs >> 21], self.second_id[pairs & 0x1FFFFF]] = numbers[
            is_pair
        ]
        self.char_token = np.full(size, -1, dtype=np.int64)
        self.char_token[keys[~is_pair] & 0x1FFFFF] = numbers[~is_pair]
        self.scopes: dict[str, int] = {}
        self.token_counts = np.zeros((0, len(self.tokens)), dtype=np.int64)
        self.phrase_counts = np.zeros((0, len(trie)), dtype=np.int64)
        self.phrase_docs = np.zeros(len(trie), dtype=np.int64)

    @property
    def counting(self) -> bool:
        return bool(self.tokens) or len(self.trie) > 0

    def _scope_ids(self, scope_lists: Sequence[list[str]], width: int = 4) -> np.ndarray:
        ids = np.full((len(scope_lists), width), -1, dtype=np.int64)
        for n, scopes in enumerate(scope_lists):
            for slot, scope in enumerate(scopes[:width]):
                ids[n, slot] = self.scopes.setdefault(scope, len(self.scopes))
        grow = len(self.scopes) - len(self.token_counts)
        if grow > 0:
            self.token_counts = np.vstack(
                [self.token_counts, np.zeros((grow, len(self.tokens)), dtype=np.int64)]
            )
            self.phrase_counts = np.vstack(
                [self.phrase_counts, np.zeros((grow, len(self.trie)), dtype=np.int64)]
            )
        return ids

    @staticmethod
    def _add(counts: np.ndarray, ids: np.ndarray, rows: np.ndarray, which: np.ndarray) -> None:
        width = counts.shape[1]
        for slot in range(ids.shape[1]):
            scope = ids[rows, slot]
            keep = scope >= 0
            if keep.any():
                flat = np.bincount(
                    scope[keep] * width + which[keep], minlength=counts.size
                ).reshape(counts.shape)
                counts += flat

    def add(
        self,
        rows: Sequence[tuple[int, str | None, str | None]],
        scope_lists: Sequence[list[str]],
        table: dict[int, str],
        pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        """Count a chunk of (id, title, body) rows with their scopes; ``pairs`` are the
        chunk's folded pairs (`_folded_pairs`), which the phrases are found in."""
        ids = self._scope_ids(scope_lists)
        if self.tokens:
            row, which = self._token_hits(rows, table)
            self._add(self.token_counts, ids, row, which)
        if len(self.trie):
            found = self.trie.hits(*pairs)
            row, which = found >> 32, found & 0xFFFFFFFF
            self.phrase_docs += np.bincount(which, minlength=len(self.trie))
            self._add(self.phrase_counts, ids, row, which)

    def _token_hits(
        self, rows: Sequence[tuple[int, str | None, str | None]], table: dict[int, str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, kept token number) of every kept token each row holds, once per row."""
        folded, _ = _coder(table)
        points, ends = _batch_points(rows)
        article_of = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(ends, prepend=0))
        points = folded[points]
        starts = np.ones(max(len(points) - 1, 0), dtype=bool)
        starts[ends[:-1] - 1] = False  # as the index: no bigram starts at an article's END
        first_id, second_id = self.first_id[points[:-1]], self.second_id[points[1:]]
        starts &= (first_id >= 0) & (second_id >= 0)
        first = np.flatnonzero(starts)
        pair = self.pair_token[first_id[first], second_id[first]]
        first, pair = first[pair >= 0], pair[pair >= 0]
        char = self.char_token[points]
        char_at = np.flatnonzero(char >= 0)
        row = np.concatenate([article_of[first], article_of[char_at]])
        number = np.concatenate([pair, char[char_at]])
        found = distinct((row << 32) | number)
        return found >> 32, found & 0xFFFFFFFF

    def store(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"DELETE FROM {SCOPE_COUNTS}")
        names = list(self.scopes)
        rows: list[tuple[str, str, str, int]] = []
        token_docs = dict(
            conn.execute(f"SELECT token, docs FROM {COUNTS} WHERE docs >= ?", (self.min_docs,))
        )
        for n, token in enumerate(self.tokens):
            rows.append((TOKEN, token, ALL, token_docs[token]))
            rows += [
                (TOKEN, token, names[s], int(d)) for s, d in enumerate(self.token_counts[:, n]) if d
            ]
        # A prefix is in at least as many articles as its phrase: the kept ones stay a
        # whole trie.
        for n, (phrase, docs) in enumerate(
            zip(self.trie.phrases, self.phrase_docs.tolist(), strict=True)
        ):
            if docs < self.min_docs:
                continue
            rows.append((PHRASE, phrase, ALL, int(docs)))
            rows += [
                (PHRASE, phrase, names[s], int(d))
                for s, d in enumerate(self.phrase_counts[:, n])
                if d
            ]
        conn.executemany(
            f"INSERT INTO {SCOPE_COUNTS} (kind, key, scope, docs) VALUES (?, ?, ?, ?)", rows
        )
        conn.execute(
            "INSERT OR REPLACE INTO tjcrawl_meta (key, value) VALUES (?, ?)",
            (SCOPE_COUNTS_KEY, secrets.token_hex(8)),
        )
