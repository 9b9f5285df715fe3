"""Re-posts (转载): the same report republished on several sites, grouped.

A report copied from 天津日报 onto 天津政务网, 北方网 and a district site arrives with each site's
own boilerplate and small edits: a 编者按 in front, a 来源 line at the end, a reworded sentence,
a last paragraph trimmed, another title. Different reports on the same topic (two districts'
signing ceremonies written from one template, the opening and the closing of one fair) must stay
apart.

How:

1. Each article's title and body are normalised: short metadata lines (来源：…, 责任编辑：…,
   记者：… and the like) dropped, everything but letters and digits removed (so punctuation,
   spacing and paragraph breaks do not count), NFKC (full-width digits and letters become plain
   ones) and lower case.
2. The text is cut into overlapping character shingles of ``SHINGLE`` characters and summarised
   as a MinHash (datasketch, ``NUM_PERM`` permutations, fixed seed: the same archive always gives
   the same signatures).
3. LSH bands (``BANDS`` bands of ``ROWS`` rows, tuned to a lower threshold than the real one,
   for recall) put likely re-posts in common buckets; pairs of a bucket whose MinHash estimate
   passes ``PREFILTER`` are verified with the exact Jaccard similarity of the two shingle sets
   and kept at ``THRESHOLD`` or above, so an LSH false positive never groups anything. A pair
   whose articles are already in one group is not verified, and the pairs verified per article
   are bounded, so that the work grows with the archive, not with the square of a group's
   size (tjcrawl/repost_linking.py says how).
4. Groups are the connected components of the kept pairs. The canonical member is the earliest
   published (then the earliest first seen, then the lowest id); ``similarity`` is each member's
   exact shingle Jaccard to the canonical member (1.0 for the canonical itself).

The parameters were measured on tests/reposts/ (true re-posts with the edits above, hard
negatives), the ten seed articles and the demo fixture sites: with 5-character shingles of the
title and body, true re-post pairs are at 0.526 or above and different articles at 0.291 or
below (two years' reports of one annual fair, written from one template; the seed's articles
are at 0.009 or below), so 0.40 sits in the middle of the gap.

Signatures are kept in ``repost_signatures`` (keyed by the article's content hash and these
parameters) when the archive has that table, so a nightly run only hashes new and changed
articles; without it every signature is computed afresh. Then, too, a stored group none of
whose members changed is taken as joined, and its similarities as stored: only new and changed
articles are verified against the rest.

Text and signatures are in tjcrawl/repost_text.py, the bucket walk in tjcrawl/repost_linking.py.
"""

from __future__ import annotations

import sqlite3
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlite_utils

from tjcrawl.repost_linking import (
    BANDS,
    PREFILTER,
    ROWS,
    THRESHOLD,
    Linker,
    ShingleCache,
)
from tjcrawl.repost_text import (
    MIN_CHARS,
    NORMALISER_VERSION,
    NUM_PERM,
    PARAMS,
    SEED,
    SHINGLE,
    Signer,
    article_shingles,
    jaccard,
    normalise,
    shingle_hashes,
    shingles,
)

if TYPE_CHECKING:
    from tjcrawl.progress import Progress

__all__ = [
    "BANDS",
    "MIN_CHARS",
    "NORMALISER_VERSION",
    "NUM_PERM",
    "PARAMS",
    "PREFILTER",
    "ROWS",
    "SEED",
    "SHINGLE",
    "SIGNATURES_TABLE",
    "THRESHOLD",
    "Group",
    "GroupReport",
    "Member",
    "Signer",
    "article_shingles",
    "compute_groups",
    "jaccard",
    "list_groups",
    "normalise",
    "shingle_hashes",
    "shingles",
    "update_groups",
]

SIGNATURES_TABLE = "repost_signatures"


# -- the groups -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    article_id: int
    url: str
    source: str
    title: str
    origin: str | None
    published_at: str | None
    is_canonical: bool
    similarity: float


@dataclass(frozen=True)
class Group:
    group_id: int
    members: tuple[Member, ...]  # the canonical member first

    @property
    def canonical(self) -> Member:
        return self.members[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "canonical": asdict(self.canonical),
            "members": [asdict(m) for m in self.members],
        }


@dataclass(frozen=True)
class GroupReport:
    articles: int  # articles in the archive
    comparable: int  # long enough to be compared
    signed: int  # signatures computed in this run (the others came from repost_signatures)
    candidates: int  # pairs sharing an LSH bucket, counted in each band (not enumerated)
    checked: int  # distinct pairs checked exactly (estimate at PREFILTER or above, not yet joined)
    pairs: int  # pairs verified at THRESHOLD or above
    groups: int
    grouped: int  # articles in a group
    written: bool  # whether repost_members changed
    seconds: float

    def summary(self) -> str:
        return (
            f"re-posts: {self.groups} groups of {self.grouped} articles "
            f"({self.articles} articles, {self.checked} pairs checked, {self.pairs} confirmed, "
            f"{self.seconds:.1f} s)"
        )


def _connection(conn: sqlite3.Connection | sqlite_utils.Database) -> sqlite3.Connection:
    return conn.conn if isinstance(conn, sqlite_utils.Database) else conn


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _order_key(row: tuple[int, str | None, str | None]) -> tuple:
    """Earliest published first (undated last), then earliest first seen, then lowest id."""
    article_id, published, first_seen = row

    def instant(value: str | None) -> tuple[int, float | str]:
        if not value:
            return (1, "")
        try:
            return (0, datetime.fromisoformat(value).timestamp())
        except ValueError:
            return (0, value)

    return (*instant(published), *instant(first_seen), article_id)


class SortedIds(Sequence[int]):
    """Article ids in ascending order, 8 bytes each (a list of ints takes 36), with membership
    and position by bisection: the grouping holds one entry per article of the archive."""

    def __init__(self) -> None:
        self.values = array("q")

    def append(self, article_id: int) -> None:
        self.values.append(article_id)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, n: Any) -> Any:
        return self.values[n]

    def position(self, article_id: int) -> int | None:
        n = bisect_left(self.values, article_id)
        return n if n < len(self.values) and self.values[n] == article_id else None

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, int) and self.position(article_id) is not None


def _signatures(
    conn: sqlite3.Connection, signer: Signer, progress: Progress | None = None
) -> tuple[SortedIds, Any, int, SortedIds]:
    """Comparable articles' MinHashes: (their ids in order, one row of hash values each, the
    articles, the ids of those signed now rather than read from repost_signatures).

    One pass in id order fills the matrix row by row (512 bytes an article, the one structure
    of this size; nothing is copied or sorted afterwards); the signatures made now are written
    after that pass, from the matrix, not while it reads the table they go to."""
    import numpy as np

    cached = _has_table(conn, SIGNATURES_TABLE)
    # The text is read only for an article to sign: SQLite decodes a column when it is asked
    # for, and a CASE asks only then.
    stale = "s.article_id IS NULL OR s.content_hash IS NOT a.content_hash"
    query = (
        f"SELECT a.id, a.content_hash, s.minhash, {stale},"
        f" CASE WHEN {stale} THEN a.title END, CASE WHEN {stale} THEN a.body END"
        f" FROM articles a LEFT JOIN {SIGNATURES_TABLE} s"
        " ON s.article_id = a.id AND s.params = ? ORDER BY a.id"
        if cached
        else "SELECT id, content_hash, NULL, 1, title, body FROM articles"
        " WHERE ? IS NOT NULL ORDER BY id"
    )
    expected = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    matrix = np.empty((max(expected, 1), NUM_PERM), dtype="<u4")
    ids, fresh = SortedIds(), SortedIds()
    fresh_rows = array("q")  # each fresh article's row in the matrix, -1 without shingles
    fresh_hashes: list[str] = []
    articles = 0
    for article_id, content_hash, minhash, is_stale, title, body in conn.execute(query, (PARAMS,)):
        articles += 1
        if is_stale:
            if progress is not None and len(fresh) % 500 == 0:
                progress("re-posts: signing articles", len(fresh), expected)
            pieces = article_shingles(title or "", body or "")
            values = signer.values(pieces).astype("<u4") if len(pieces) else None
            fresh.append(article_id)
            fresh_hashes.append(content_hash)
            fresh_rows.append(len(ids) if values is not None else -1)
        elif minhash is None:
            continue  # signed before, and found without shingles
        else:
            values = np.frombuffer(minhash, dtype="<u4")
        if values is None:
            continue
        if len(ids) == len(matrix):  # more articles than counted a moment ago
            matrix = np.concatenate((matrix, np.empty_like(matrix)))
        matrix[len(ids)] = values
        ids.append(article_id)
    if progress is not None and fresh:
        progress("re-posts: signing articles", len(fresh), len(fresh))
    if cached and fresh:
        _store_signatures(conn, matrix, fresh, fresh_hashes, fresh_rows)
    return ids, matrix[: len(ids)], articles, fresh


def _row_bytes(matrix: Any, row: int) -> bytes | None:
    return matrix[row].tobytes() if row >= 0 else None


def _store_signatures(
    conn: sqlite3.Connection,
    matrix: Any,
    fresh: SortedIds,
    hashes: list[str],
    rows: array,
) -> None:
    conn.execute("SAVEPOINT repost_signatures")
    try:
        for lo in range(0, len(fresh), 500):
            conn.executemany(
                f"INSERT OR REPLACE INTO {SIGNATURES_TABLE}"
                " (article_id, content_hash, params, minhash) VALUES (?, ?, ?, ?)",
                [
                    (
                        fresh[n],
                        hashes[n],
                        PARAMS,
                        matrix[rows[n]].tobytes() if rows[n] >= 0 else None,
                    )
                    for n in range(lo, min(lo + 500, len(fresh)))
                ],
            )
        conn.execute("RELEASE repost_signatures")
    except BaseException:
        conn.execute("ROLLBACK TO repost_signatures")
        conn.execute("RELEASE repost_signatures")
        raise


def _stored_groups(
    conn: sqlite3.Connection, ids: SortedIds, fresh: SortedIds
) -> tuple[list[list[int]], dict[int, tuple[int, float]]]:
    """What the last grouping left that still holds: (the stored groups none of whose members is
    new, changed or gone, as rows of the matrix; article id -> (group, similarity) for the
    members not changed since)."""
    intact: dict[int, list[int] | None] = {}
    kept: dict[int, tuple[int, float]] = {}
    for article_id, group_id, similarity in conn.execute(
        "SELECT article_id, group_id, similarity FROM repost_members ORDER BY article_id"
    ):
        rows = intact.setdefault(group_id, [])
        row = ids.position(article_id)
        if row is None or article_id in fresh:
            intact[group_id] = None
            continue
        kept[article_id] = (group_id, similarity)
        if rows is not None:
            rows.append(row)
    return [rows for rows in intact.values() if rows], kept


def compute_groups(
    conn: sqlite3.Connection | sqlite_utils.Database, progress: Progress | None = None
) -> tuple[list[tuple[int, int, int, float]], GroupReport]:
    """The re-post groups of the archive as repost_members rows, without writing them."""
    conn = _connection(conn)
    started = time.monotonic()
    ids, matrix, articles, fresh = _signatures(conn, Signer(), progress)
    cache = ShingleCache(conn, ids)
    linker = Linker(matrix, lambda a, b: jaccard(cache.get(a), cache.get(b)))
    # Without repost_signatures nothing says which articles are unchanged: all count as new.
    reuse = _has_table(conn, SIGNATURES_TABLE)
    stored, kept = _stored_groups(conn, ids, fresh) if reuse else ([], {})
    for rows in stored:  # verified when they were grouped, and none of them changed since
        for row in rows[1:]:
            linker.union(rows[0], row)
    linker.link_all(progress)
    components = linker.components()
    linker_proposed, linker_checked = linker.proposed, len(linker.verified)
    linker_confirmed = linker.confirmed
    del matrix, linker
    found: list[tuple[int, int, int, float]] = []
    for component in components:
        article_ids = [ids[n] for n in component]
        order = {}
        for chunk in _chunks(article_ids):
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT id, published_at, first_seen_at FROM articles WHERE id IN ({marks})",
                list(chunk),
            ):
                order[row[0]] = _order_key(row)
        members = sorted(component, key=lambda n: order[ids[n]])
        canonical = members[0]
        canonical_id = ids[canonical]
        for n in members:
            article_id = ids[n]
            if n == canonical:
                similarity = 1.0
            elif kept.get(article_id, (None,))[0] == canonical_id and canonical_id in kept:
                similarity = kept[article_id][1]  # neither text changed since
            else:
                similarity = round(jaccard(cache.get(canonical), cache.get(n)), 4)
            found.append((article_id, canonical_id, int(n == canonical), similarity))
    found.sort()
    report = GroupReport(
        articles=articles,
        comparable=len(ids),
        signed=len(fresh),
        candidates=linker_proposed,
        checked=linker_checked,
        pairs=linker_confirmed,
        groups=len(components),
        grouped=len(found),
        written=False,
        seconds=time.monotonic() - started,
    )
    return found, report


def update_groups(
    conn: sqlite3.Connection | sqlite_utils.Database, progress: Progress | None = None
) -> GroupReport:
    """(Re)compute every re-post group of the archive and store them in repost_members.

    Deterministic: the same articles always give the same rows, and a second run with nothing
    new writes nothing. Singletons get no row.
    """
    conn = _connection(conn)
    rows, report = compute_groups(conn, progress)
    existing = sorted(
        conn.execute(
            "SELECT article_id, group_id, is_canonical, similarity FROM repost_members"
        ).fetchall()
    )
    if existing == rows:
        return report
    conn.execute("SAVEPOINT repost_members")
    try:
        conn.execute("DELETE FROM repost_members")
        conn.executemany(
            "INSERT INTO repost_members (article_id, group_id, is_canonical, similarity)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )
        conn.execute("RELEASE repost_members")
    except BaseException:
        conn.execute("ROLLBACK TO repost_members")
        conn.execute("RELEASE repost_members")
        raise
    return GroupReport(**{**asdict(report), "written": True})


def list_groups(
    conn: sqlite3.Connection | sqlite_utils.Database, source: str | None = None
) -> list[Group]:
    """Stored groups, newest canonical first; with `source`, only groups with a member there."""
    conn = _connection(conn)
    sql = (
        "SELECT g.group_id, g.article_id, g.is_canonical, g.similarity, g.url, g.source,"
        " g.title, g.origin, g.published_at FROM repost_groups g"
    )
    params: list[Any] = []
    if source:
        sql += " WHERE g.group_id IN (SELECT group_id FROM repost_members m"
        sql += " JOIN articles a ON a.id = m.article_id WHERE a.source = ?)"
        params.append(source)
    members: dict[int, list[Member]] = {}
    for row in conn.execute(sql, params):
        members.setdefault(row[0], []).append(
            Member(
                article_id=row[1],
                url=row[4],
                source=row[5],
                title=row[6],
                origin=row[7],
                published_at=row[8],
                is_canonical=bool(row[2]),
                similarity=row[3],
            )
        )
    groups = []
    for group_id, found in members.items():
        found.sort(key=lambda m: (not m.is_canonical, m.published_at or "~", m.article_id))
        groups.append(Group(group_id, tuple(found)))
    groups.sort(key=lambda g: (g.canonical.published_at or "", g.group_id), reverse=True)
    return groups
