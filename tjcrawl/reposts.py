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
3. MinHashLSH (``BANDS`` bands of ``ROWS`` rows, tuned to a lower threshold than the real one,
   for recall) proposes candidate pairs; those whose MinHash estimate passes ``PREFILTER`` are
   verified with the exact Jaccard similarity of the two shingle sets and kept at
   ``THRESHOLD`` or above, so an LSH false positive never groups anything.
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
articles; without it every signature is computed afresh.
"""

from __future__ import annotations

import operator
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

SHINGLE = 5
NUM_PERM = 128
SEED = 20250823
THRESHOLD = 0.40
# The LSH bands: 42 bands of 3 rows, what MinHashLSH(threshold=0.25, num_perm=128) chooses (a
# threshold well below THRESHOLD, for recall): a pair at Jaccard 0.40 is proposed with
# probability 0.94, at 0.50 with 0.996, at 0.05 with 0.005.
BANDS, ROWS = 42, 3
BANDS_PER_PASS = 6
# Candidates whose MinHash estimate is below this are not checked exactly: at a true Jaccard of
# THRESHOLD the estimate (128 permutations, standard deviation 0.043) falls this low about once
# in 4,000 pairs; for true re-posts (0.5 and above) practically never.
PREFILTER = 0.25
# Fewer letters and digits than this (title included) is too little text to tell a re-post from
# a template notice ("关于…的通知 / 详见附件"): such articles are never grouped.
MIN_CHARS = 40
NORMALISER_VERSION = 1
PARAMS = f"v{NORMALISER_VERSION}-k{SHINGLE}-p{NUM_PERM}-s{SEED}-affine32"
SIGNATURES_TABLE = "repost_signatures"

# A short line that only says where the text came from or who handled it.
_METADATA_LINE = re.compile(
    r"^[（(【\[]?\s*(?:来源|稿源|本文来源|文章来源|信息来源|转自|转载自|原标题|责任编辑|编辑|"
    r"作者|记者|通讯员|审核|审校|校对|供稿|摄影|图片来源)\s*[:：]"
)
_METADATA_MAX_LEN = 100
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


# -- text -----------------------------------------------------------------------------------------
def normalise(title: str, body: str) -> str:
    """Title and body as one run of lower-case letters and digits, metadata lines dropped."""
    lines = [
        line
        for line in f"{title}\n{body}".split("\n")
        if not (len(line) <= _METADATA_MAX_LEN and _METADATA_LINE.match(line.strip()))
    ]
    text = _NOT_LETTER_OR_DIGIT.sub("", "".join(lines))
    # NFKC after the punctuation is gone, where it is cheap: full-width digits and letters become
    # plain ones; what it turns into punctuation (㈠ -> (一)) is removed again.
    if not unicodedata.is_normalized("NFKC", text):
        text = _NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """The set of overlapping k-character pieces of a normalised text (for reading, not speed)."""
    if len(text) <= k:
        return {text} if text else set()
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def shingle_hashes(text: str, k: int = SHINGLE) -> Any:
    """The shingles of a normalised text as a sorted array of distinct 64-bit hashes.

    A polynomial hash of each window of k code points (mod 2**64, computed for all windows at
    once) followed by a 64-bit finaliser: stable across processes and machines, and without a
    collision in practice, so that set operations on it are the exact Jaccard of the shingles.
    """
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    width = min(k, len(codes))
    count = len(codes) - width + 1
    if width == 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        value = np.zeros(count, dtype=np.uint64)
        for j in range(width):
            value = value * _POLY + codes[j : j + count]
        value ^= value >> np.uint64(33)  # the finaliser of MurmurHash3 (fmix64)
        value *= np.uint64(0xFF51AFD7ED558CCD)
        value ^= value >> np.uint64(33)
        value *= np.uint64(0xC4CEB9FE1A85EC53)
        value ^= value >> np.uint64(33)
    value.sort()
    distinct = np.empty(len(value), dtype=bool)
    distinct[0] = True
    np.not_equal(value[1:], value[:-1], out=distinct[1:])
    return value[distinct]


_POLY = 0x100000001B3  # odd: the 64-bit FNV prime


def article_shingles(title: str, body: str) -> Any:
    """An article's shingle hashes; empty when it is too short to be compared."""
    import numpy as np

    text = normalise(title or "", body or "")
    if len(text) < MIN_CHARS:
        return np.empty(0, dtype=np.uint64)
    return shingle_hashes(text)


def jaccard(a: Any, b: Any) -> float:
    """Exact Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    import numpy as np

    if len(a) == 0 or len(b) == 0:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    found = np.searchsorted(b, a)
    found[found == len(b)] = 0
    inter = int(np.count_nonzero(b[found] == a))
    return inter / (len(a) + len(b) - inter)


class Signer:
    """MinHash signatures with fixed permutations: the same text always gives the same bytes.

    The shingles' 64-bit hashes are folded to the 32 bits of datasketch's affine32 scheme and
    handed over as they are (hashfunc is the identity).
    """

    def __init__(self) -> None:
        from datasketch import MinHash

        self._template = MinHash(
            num_perm=NUM_PERM, seed=SEED, hashfunc=operator.index, scheme="affine32"
        )

    def signature(self, hashes: Any) -> Any:
        import numpy as np
        from datasketch import LeanMinHash

        folded = ((hashes >> np.uint64(32)) ^ hashes) & np.uint64(0xFFFFFFFF)
        minhash = self._template.copy()
        minhash.update_batch(folded.tolist())
        return LeanMinHash(minhash)

    @staticmethod
    def from_bytes(data: bytes) -> Any:
        import numpy as np
        from datasketch import LeanMinHash

        values = np.frombuffer(data, dtype="<u4")
        return LeanMinHash(seed=SEED, hashvalues=values, scheme="affine32")

    @staticmethod
    def to_bytes(minhash: Any) -> bytes:
        import numpy as np

        return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


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
    candidates: int  # LSH proposals (a pair proposed by several passes counts in each)
    checked: int  # distinct pairs whose MinHash estimate passed PREFILTER, checked exactly
    pairs: int  # pairs verified at THRESHOLD or above
    groups: int
    grouped: int  # articles in a group
    written: bool  # whether repost_members changed
    seconds: float

    def summary(self) -> str:
        return (
            f"re-posts: {self.groups} groups of {self.grouped} articles "
            f"({self.articles} articles, {self.candidates} candidate pairs, {self.checked} "
            f"checked, {self.pairs} confirmed, {self.seconds:.1f} s)"
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


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        self.add(a)
        self.add(b)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def add(self, x: int) -> None:
        self.parent.setdefault(x, x)

    def components(self) -> list[list[int]]:
        found: dict[int, list[int]] = {}
        for x in self.parent:
            found.setdefault(self.find(x), []).append(x)
        return [sorted(c) for c in found.values() if len(c) > 1]


def _signatures(conn: sqlite3.Connection, signer: Signer) -> tuple[list[int], Any, int, int]:
    """Comparable articles' MinHashes: (their ids, one row of hash values each, articles, how
    many were computed now rather than read from repost_signatures)."""
    import numpy as np

    cached = _has_table(conn, SIGNATURES_TABLE)
    stored: dict[int, tuple[str, bytes | None]] = {}
    if cached:
        stored = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                f"SELECT article_id, content_hash, minhash FROM {SIGNATURES_TABLE}"
                " WHERE params = ?",
                (PARAMS,),
            )
        }
    rows: dict[int, Any] = {}
    todo: list[tuple[int, str]] = []
    articles = 0
    for article_id, content_hash in conn.execute("SELECT id, content_hash FROM articles"):
        articles += 1
        known = stored.pop(article_id, None)
        if known is not None and known[0] == content_hash:
            if known[1] is not None:
                rows[article_id] = np.frombuffer(known[1], dtype="<u4")
        else:
            todo.append((article_id, content_hash))
    stored.clear()
    fresh: list[tuple[int, str, bytes | None]] = []
    for chunk in _chunks(todo):
        marks = ",".join("?" * len(chunk))
        texts = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                f"SELECT id, title, body FROM articles WHERE id IN ({marks})",
                [a for a, _ in chunk],
            )
        }
        for article_id, content_hash in chunk:
            pieces = article_shingles(*texts[article_id])
            data = signer.to_bytes(signer.signature(pieces)) if len(pieces) else None
            if data is not None:
                rows[article_id] = np.frombuffer(data, dtype="<u4")
            fresh.append((article_id, content_hash, data))
    if cached and fresh:
        conn.execute("SAVEPOINT repost_signatures")
        try:
            conn.executemany(
                f"INSERT OR REPLACE INTO {SIGNATURES_TABLE}"
                " (article_id, content_hash, params, minhash) VALUES (?, ?, ?, ?)",
                [(a, h, PARAMS, m) for a, h, m in fresh],
            )
            conn.execute("RELEASE repost_signatures")
        except BaseException:
            conn.execute("ROLLBACK TO repost_signatures")
            conn.execute("RELEASE repost_signatures")
            raise
    ids = sorted(rows)
    matrix = np.empty((len(ids), NUM_PERM), dtype=np.uint32)
    for n, article_id in enumerate(ids):
        matrix[n] = rows.pop(article_id)
    return ids, matrix, articles, len(fresh)


def _candidates(ids: list[int], matrix: Any) -> tuple[int, list[tuple[int, int]]]:
    """Pairs the LSH bands propose: (how many proposals, the pairs whose estimate passes
    PREFILTER, as article ids).

    The BANDS bands are indexed a few at a time (BANDS_PER_PASS, a MinHashLSH over that slice of
    every signature), which finds exactly the pairs one index of all the bands would, with a
    fraction of its memory (some 300 bytes per article and band).
    """
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    proposals = 0
    likely: set[tuple[int, int]] = set()
    for first in range(0, BANDS, BANDS_PER_PASS):
        bands = min(BANDS_PER_PASS, BANDS - first)
        lo, hi = first * ROWS, (first + bands) * ROWS
        lsh = MinHashLSH(num_perm=hi - lo, params=(bands, ROWS))
        part = [
            LeanMinHash(seed=SEED, hashvalues=matrix[n, lo:hi], scheme="affine32")
            for n in range(len(ids))
        ]
        with lsh.insertion_session() as session:
            for n, sketch in enumerate(part):
                session.insert(n, sketch, check_duplication=False)
        for n, sketch in enumerate(part):
            found = np.fromiter((m for m in lsh.query(sketch) if m > n), dtype=np.int64)
            if not len(found):
                continue
            proposals += len(found)
            estimate = np.count_nonzero(matrix[found] == matrix[n], axis=1) / NUM_PERM
            likely.update((ids[n], ids[m]) for m in found[estimate >= PREFILTER].tolist())
        del lsh, part
    return proposals, sorted(likely)


def _shingles_of(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in _chunks(sorted(set(ids))):
        marks = ",".join("?" * len(chunk))
        for article_id, title, body in conn.execute(
            f"SELECT id, title, body FROM articles WHERE id IN ({marks})", list(chunk)
        ):
            found[article_id] = article_shingles(title, body)
    return found


def compute_groups(
    conn: sqlite3.Connection | sqlite_utils.Database,
) -> tuple[list[tuple[int, int, int, float]], GroupReport]:
    """The re-post groups of the archive as repost_members rows, without writing them."""
    conn = _connection(conn)
    started = time.monotonic()
    ids, matrix, articles, signed = _signatures(conn, Signer())
    proposed, candidates = _candidates(ids, matrix)
    comparable = len(ids)
    del matrix
    pieces = _shingles_of(conn, (a for pair in candidates for a in pair))
    union = _UnionFind()
    confirmed = 0
    for a, b in candidates:
        if jaccard(pieces[a], pieces[b]) >= THRESHOLD:
            union.union(a, b)
            confirmed += 1
    components = union.components()
    rows: list[tuple[int, int, int, float]] = []
    for component in components:
        order = {}
        for chunk in _chunks(component):
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT id, published_at, first_seen_at FROM articles WHERE id IN ({marks})",
                list(chunk),
            ):
                order[row[0]] = _order_key(row)
        members = sorted(component, key=order.__getitem__)
        canonical = members[0]
        for article_id in members:
            similarity = (
                1.0 if article_id == canonical else jaccard(pieces[canonical], pieces[article_id])
            )
            rows.append((article_id, canonical, int(article_id == canonical), round(similarity, 4)))
    rows.sort()
    report = GroupReport(
        articles=articles,
        comparable=comparable,
        signed=signed,
        candidates=proposed,
        checked=len(candidates),
        pairs=confirmed,
        groups=len(components),
        grouped=len(rows),
        written=False,
        seconds=time.monotonic() - started,
    )
    return rows, report


def update_groups(conn: sqlite3.Connection | sqlite_utils.Database) -> GroupReport:
    """(Re)compute every re-post group of the archive and store them in repost_members.

    Deterministic: the same articles always give the same rows, and a second run with nothing
    new writes nothing. Singletons get no row.
    """
    conn = _connection(conn)
    rows, report = compute_groups(conn)
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
