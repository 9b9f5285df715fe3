"""One query's plan: the kept or exact total, the source and date filters, and newest first by
walking ``articles`` or sorting the matches; bm25 scoring of the candidates.
"""

from __future__ import annotations

import itertools
import math
import re
import sqlite3
from collections.abc import Sequence

from tjcrawl.storage.search import scope_counts
from tjcrawl.storage.search.common import BIGRAMS, COUNTS, FILTER_INDEX, LENGTH_KEY, PHRASES
from tjcrawl.storage.search.folding import _preimages, fold, fold_map
from tjcrawl.storage.search.scopes import _MONTH, _YEAR, ScopeMatch, scope_match
from tjcrawl.storage.search.tokens import _CODE, _index_query

SCAN_COST_RATIO = 20  # reading a filtered article vs joining one match to the filter index
JOIN_SORT_MAX = 20_000  # newest first: sort at most this many matches by date, else walk
PROBE_BATCH = 256
SHORT_WALK = 2 * PROBE_BATCH  # articles a filtered query reads before it sorts instead
MOST_SPELLINGS = 32  # a query counted spelling by spelling, when it has at most this many


def article_filters(source: str | None, since: str | None, until: str | None) -> tuple[str, list]:
    """The WHERE conditions (on articles `a`) of a search's filters, and their parameters."""
    where, params = [], []
    if source:
        where.append("a.source = ?")
        params.append(source)
    if since:
        where.append("a.published_at >= ?")
        params.append(since)
    if until:
        where.append("a.published_at < ?")
        params.append(until)
    return " AND ".join(where), params


class _Query:
    def __init__(self, conn, query, source, since, until) -> None:
        self.conn = conn
        self.table = fold_map(conn)
        self.folded = fold(query, self.table)
        self.matcher = _Matcher(self.folded, self.table)
        self.index, self.match = _index_query(self.folded)
        # The index answers 1 and 2 characters exactly; for more it gives the articles that
        # hold every bigram of the query (no positions), and each one's text is tested.
        self.exact = len(self.folded) <= 2
        self.where, self.params = article_filters(source, since, until)
        # A filter as the index's scope tokens: the matches within it come from FTS5 alone,
        # and only those under edge tokens (a bound that cuts a day) need the SQL filter.
        self.scope = scope_match(conn, source, since, until) if self.where else None
        self.filtered_match = (
            f"({self.match}) AND ({self.scope.either})" if self.scope else self.match
        )
        # Matches found by reading every filtered article, when that is the cheaper plan.
        self.scanned: list[tuple[int, str | None]] | None = None
        # Rows (as `_fetch` gives them) that a plan read anyway, by id.
        self.read: dict[int, tuple] = {}
        self.tf: dict[int, int] = {}  # ... and the query's occurrences in them

    def _joined(self) -> str:
        """The index joined to each match's source and date.

        CROSS JOIN keeps the index as the outer loop: the planner would otherwise walk a
        whole source and probe the index for each of its articles. The narrow covering
        index (id, source, published_at) is read in id order, as the matches come, instead
        of one 1.5 KB article row per match: 4x faster for 94,048 of 941,958 matches.
        SQLite picks the primary key by itself, hence INDEXED BY (archives before
        migration 8 lack the index).
        """
        covering = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (FILTER_INDEX,)
        ).fetchone()
        articles = f"articles a INDEXED BY {FILTER_INDEX}" if covering else "articles a"
        return f"{self.index} AS s CROSS JOIN {articles} ON a.id = s.rowid"

    def _from(self) -> str:
        """The matches within the filter, given ``filtered_match`` and ``params``."""
        return f"FROM {self._joined()} WHERE {self.index} MATCH ? AND {self.where}"

    def _kept_count(self) -> int | None:
        """The kept count of a common token or phrase, over the whole archive."""
        if len(self.folded) <= 2:
            sql = f"SELECT docs FROM {COUNTS} WHERE token = ?"
            key = "".join(_CODE[c] for c in self.folded)
        else:
            sql, key = f"SELECT docs FROM {PHRASES} WHERE phrase = ?", self.folded
        row = self.conn.execute(sql, (key,)).fetchone()
        return None if row is None else row[0]

    def count(self) -> int:
        kept = self._kept_count()
        if not self.where and kept is not None:
            return kept
        if self.scope is not None:
            split = self._kept_by_scope(self.scope)
            if split is not None:
                kept_part, rest = split
                return kept_part + (self._scoped_count(rest) if rest is not None else 0)
            if not self.exact:
                self.scanned = self._tested_candidates()
                return len(self.scanned)
            return self._scoped_count(self.scope)
        # A phrase's candidates are read and tested too, so reading the filtered articles
        # instead pays as soon as they are fewer.
        ratio = SCAN_COST_RATIO if self.exact else 1
        if self.where and kept is not None and self._filter_is_narrow(kept, ratio):
            self.scanned = self._scan_filter()
            return len(self.scanned)
        if not self.exact:
            self.scanned = self._tested_candidates()
            return len(self.scanned)
        if not self.where:
            sql = f"SELECT count(*) FROM {self.index} WHERE {self.index} MATCH ?"
            return self.conn.execute(sql, (self.match,)).fetchone()[0]
        sql = f"SELECT count(*) {self._from()}"
        return self.conn.execute(sql, [self.match, *self.params]).fetchone()[0]

    def _kept_by_scope(self, scope: ScopeMatch) -> tuple[int, ScopeMatch | None] | None:
        """The matches in the filter's whole years and months (a source's years, with a
        source) from the counts kept by scope, and the rest of the filter; None when the
        query is not kept by scope or nothing of the filter is a kept scope."""
        kept: list[str] = []
        rest: list[str] = []
        for token in scope.whole:
            if scope.source is None and token[:6] in (_YEAR, _MONTH):
                kept.append(token)
            elif scope.source is not None and token[:6] == _YEAR:
                kept.append(scope_counts.source_year(scope.source, token))
            else:
                rest.append(token)
        if scope.source is not None and not scope.dated:
            kept.append(scope.source)
        if not kept:
            return None
        if self.exact:
            kind, key = scope_counts.TOKEN, "".join(_CODE[c] for c in self.folded)
        else:
            kind, key = scope_counts.PHRASE, self.folded
        docs = scope_counts.kept_docs(self.conn, kind, key, kept)
        if docs is None:
            return None
        left = ScopeMatch(scope.source, tuple(rest), scope.edge, scope.dated)
        return docs, (left if rest or scope.edge else None)

    def _scoped_count(self, scope: ScopeMatch) -> int:
        """FTS5 counts the matches wholly inside the filter; those under edge tokens are
        joined to their rows and tested by the SQL filter. A query of three characters or
        more tests each candidate's text, within the scope."""
        if not self.exact:
            where = f" AND {self.where}" if self.where else ""
            rows = self.conn.execute(
                f"SELECT a.title, a.body FROM {self.index} AS s CROSS JOIN articles a"
                f" ON a.id = s.rowid WHERE {self.index} MATCH ?{where}",
                [f"({self.match}) AND ({scope.either})", *self.params],
            )
            holds = self.matcher.holds
            return sum(1 for title, body in rows if holds(title or "", body or ""))
        total = 0
        whole = scope.whole_match
        if whole:
            sql = f"SELECT count(*) FROM {self.index} WHERE {self.index} MATCH ?"
            total += self.conn.execute(sql, (f"({self.match}) AND ({whole})",)).fetchone()[0]
        edge = scope.edge_match
        if edge:
            sql = f"SELECT count(*) {self._from()}"
            match = f"({self.match}) AND ({edge})"
            total += self.conn.execute(sql, [match, *self.params]).fetchone()[0]
        return total

    def _tested_candidates(self) -> list[tuple[int, str | None]]:
        """(id, published_at) of every (filtered) article that holds all of the query's
        bigrams and whose text holds the query.

        The worst case is a rare phrase made of common bigrams that is not a kept phrase:
        every article holding all of them is read, at most the whole archive once, in id
        order (~3 µs an article; a LIKE scan of title and body costs the same).
        """
        where = f" AND {self.where}" if self.where else ""
        rows = self.conn.execute(
            f"SELECT a.id, a.published_at, a.title, a.body FROM {self.index} AS s"
            f" CROSS JOIN articles a ON a.id = s.rowid WHERE {self.index} MATCH ?{where}",
            [self.filtered_match, *self.params],
        )
        holds = self.matcher.holds
        return [(i, date) for i, date, title, body in rows if holds(title or "", body or "")]

    def _filter_is_narrow(self, matches: int, ratio: float = SCAN_COST_RATIO) -> bool:
        """Whether reading every filtered article costs less than joining every match.

        A common word's matches cost ~0.25 µs each from FTS5 through the covering index;
        reading an article and testing its text ~5 µs (docs/benchmarks.md, "search").
        """
        most = int(matches / ratio)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM articles a WHERE {self.where} LIMIT ?)"
        return self.conn.execute(sql, [*self.params, most + 1]).fetchone()[0] <= most

    def _scan_filter(self) -> list[tuple[int, str | None]]:
        """(id, published_at) of every filtered article holding the query."""
        holds = self.matcher.holds
        rows = self.conn.execute(
            f"SELECT a.id, a.published_at, a.title, a.body FROM articles a WHERE {self.where}",
            self.params,
        )
        return [(i, date) for i, date, title, body in rows if holds(title or "", body or "")]

    def most_recently_archived(self, n: int) -> list[int]:
        if self.scanned is not None:
            return sorted((i for i, _ in self.scanned), reverse=True)[:n]
        if not self.exact:  # a kept (common) phrase: its candidates mostly hold it
            where = f" AND {self.where}" if self.where else ""
            rows = self.conn.execute(
                f"SELECT {_ROW} FROM {self.index} AS s"
                f" CROSS JOIN articles a ON a.id = s.rowid WHERE {self.index} MATCH ?{where}"
                " ORDER BY s.rowid DESC",
                [self.filtered_match, *self.params],
            )
            count, found = self.matcher.count, []
            while len(found) < n and (batch := rows.fetchmany(PROBE_BATCH)):
                for row in batch:
                    tf = count(row[3] or "", row[5] or "")
                    if tf:
                        found.append(row)
                        self.tf[row[0]] = tf
            # The rows are read and counted already: `search` scores them from that.
            self.read = {r[0]: r for r in found[:n]}
            return list(self.read)
        if not self.where:
            sql = (
                f"SELECT rowid FROM {self.index} WHERE {self.index} MATCH ? "
                "ORDER BY rowid DESC LIMIT ?"
            )
            return [r[0] for r in self.conn.execute(sql, (self.match, n))]
        sql = f"SELECT s.rowid {self._from()} ORDER BY s.rowid DESC LIMIT ?"
        return [r[0] for r in self.conn.execute(sql, [self.filtered_match, *self.params, n])]

    def newest(self, n: int, total: int) -> list[int]:
        """The ids of the n newest matches (published_at, then id, descending)."""
        if self.scanned is not None:
            return self._scanned_newest(n)
        # Sorting a phrase's matches by date reads every candidate; a common phrase is
        # found sooner by walking the (filtered) articles newest first.
        if total <= JOIN_SORT_MAX and self.exact:
            # Sorting joins every match to its date; a word common within its filter is
            # found sooner by a short walk of the newest filtered articles (a few ms lost
            # when it is not).
            found = self._walk(n, SHORT_WALK) if self.where else None
            return found if found is not None else self._sorted_by_date(n)
        articles = self.conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 1
        # Expected probes: n over the share of articles that match; give up at 4 times that.
        budget = 4 * n * articles / total + 4 * PROBE_BATCH
        found = self._walk(n, budget)
        return found if found is not None else self._sorted_by_date(n)

    def _scanned_newest(self, n: int) -> list[int]:
        assert self.scanned is not None  # as SQL orders: an undated article is the oldest
        ordered = sorted(self.scanned, key=lambda m: (m[1] is not None, m[1] or "", m[0]))
        return [i for i, _ in reversed(ordered[-n:])] if n else []

    def _sorted_by_date(self, n: int) -> list[int]:
        if not self.exact:
            self.scanned = self._tested_candidates()
            return self._scanned_newest(n)
        where = f"{self.index} MATCH ?" + (f" AND {self.where}" if self.where else "")
        sql = (
            f"SELECT a.id FROM {self._joined()} "
            f"WHERE {where} ORDER BY a.published_at DESC, a.id DESC LIMIT ?"
        )
        return [r[0] for r in self.conn.execute(sql, [self.filtered_match, *self.params, n])]

    def _walk(self, n: int, budget: float) -> list[int] | None:
        """Articles newest first, each read and tested for the query; None over budget.

        Reading an article and searching its text (~5 µs) is cheaper than asking the index
        about it (6.5 µs for one token, 35 µs for the phrase of an 8-character query).
        """
        where = f"WHERE {self.where}" if self.where else ""
        newest = self.conn.execute(
            f"SELECT a.id, a.title, a.body FROM articles a {where}"
            " ORDER BY a.published_at DESC, a.id DESC",
            self.params,
        )
        holds = self.matcher.holds
        found: list[int] = []
        probed = 0
        while len(found) < n:
            batch = newest.fetchmany(PROBE_BATCH)
            if not batch:
                break
            probed += len(batch)
            if probed > budget:
                return None
            found.extend(i for i, title, body in batch if holds(title or "", body or ""))
        return found[:n]


def _average_length(conn: sqlite3.Connection) -> float:
    """The average length of an article's ``title END body`` in bigrams, as FTS5's bm25
    averaged it over a positional index: the rows from FTS5's own statistics record, the
    bigrams from the total the archive keeps (``LENGTH_KEY``)."""
    row = conn.execute(f"SELECT block FROM {BIGRAMS}_data WHERE id = 1").fetchone()
    data = row[0] if row and row[0] else b""
    rows = _varint(data, 0)[0] if data else 0
    kept = conn.execute("SELECT value FROM tjcrawl_meta WHERE key = ?", (LENGTH_KEY,)).fetchone()
    tokens = int(kept[0]) if kept and kept[0] else 0
    return tokens / rows if rows and tokens > 0 else 1.0


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = data[position + i]
        if i == 8:
            return (value << 8) | byte, position + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, position + i + 1
    raise AssertionError("unreachable")


def _occurrences(text: str, needle: str) -> int:
    """Overlapping occurrences, as FTS5 counts phrase matches."""
    if len(needle) == 1:
        return text.count(needle)
    count, position = 0, text.find(needle)
    while position >= 0:
        count += 1
        position = text.find(needle, position + 1)
    return count


class _Matcher:
    """The folded query found in original text: each query character stands for every
    character that folds to it, so no text needs folding."""

    def __init__(self, folded: str, table: dict[int, str]) -> None:
        pre = _preimages(table)
        classes = [pre.get(c, c) for c in folded]
        self.folded = folded
        # Without a border (a proper prefix that is also a suffix) two occurrences of the
        # folded query cannot overlap, so str.count, which counts apart, counts them all.
        apart = all(folded[:k] != folded[-k:] for k in range(1, len(folded)))
        if all(len(c) == 1 for c in classes):
            self.count, self.holds = self._plain_count, self._plain_holds
            if apart:
                self.count = self._apart_count
        elif len(folded) == 1:
            self.chars = classes[0]
            self.count, self.holds = self._chars_count, self._chars_holds
        else:
            body = "".join(re.escape(c) if len(c) == 1 else f"[{re.escape(c)}]" for c in classes)
            self.overlapping = re.compile(f"(?={body})")
            self.first = re.compile(body).search
            self.count, self.holds = self._pattern_count, self._pattern_holds
            if apart and math.prod(len(c) for c in classes) <= MOST_SPELLINGS:
                # Each occurrence is exactly one spelling (发展, 發展, 髮展): counting each
                # with str.count is ~5x faster than the regex over a 1.5 KB article.
                self.spellings = ["".join(p) for p in itertools.product(*classes)]
                self.count = self._spellings_count

    def _plain_count(self, title: str, body: str) -> int:
        return _occurrences(title, self.folded) + _occurrences(body, self.folded)

    def _apart_count(self, title: str, body: str) -> int:
        return title.count(self.folded) + body.count(self.folded)

    def _spellings_count(self, title: str, body: str) -> int:
        return sum(title.count(s) + body.count(s) for s in self.spellings)

    def _plain_holds(self, title: str, body: str) -> bool:
        return self.folded in title or self.folded in body

    def _chars_count(self, title: str, body: str) -> int:
        return sum(title.count(c) + body.count(c) for c in self.chars)

    def _chars_holds(self, title: str, body: str) -> bool:
        return any(c in title or c in body for c in self.chars)

    def _pattern_count(self, title: str, body: str) -> int:
        return len(self.overlapping.findall(title)) + len(self.overlapping.findall(body))

    def _pattern_holds(self, title: str, body: str) -> bool:
        return self.first(title) is not None or self.first(body) is not None


class _Scorer:
    """FTS5's bm25 (k1 1.2, b 0.75) for one phrase over ``title END body``: tf and length.

    tf counts (overlapping) occurrences of the folded query in the folded text.
    """

    K1, B = 1.2, 0.75

    def __init__(self, conn: sqlite3.Connection, matcher: _Matcher) -> None:
        self.tf = matcher.count
        self.average = _average_length(conn)

    def score(self, title: str, body: str, tf: int | None = None) -> float:
        if tf is None:
            tf = self.tf(title, body)
        length = len(title) + len(body) + 1  # the bigrams of title END body END
        k1, b = self.K1, self.B
        return (tf * (k1 + 1.0)) / (tf + k1 * (1 - b + b * length / self.average))


_ROW = "a.id, a.url, a.source, a.title, a.published_at, a.body"


def _fetch(
    conn: sqlite3.Connection, ids: Sequence[int], read: dict[int, tuple] | None = None
) -> dict[int, tuple]:
    """(id, url, source, title, published_at, body) by id, from ``read`` when there."""
    rows: dict[int, tuple] = {i: read[i] for i in ids if i in read} if read else {}
    wanted = [i for i in ids if i not in rows]
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT id, url, source, title, published_at, body FROM articles"
            f" WHERE id IN ({marks})",
            chunk,
        ):
            rows[row[0]] = row
    return rows
