"""Chinese full-text search with exactly the recall of a substring scan, in either script.

**Folding.** Title, body and query are folded character by character before anything else:
ASCII letters to lower case (as SQLite's LIKE does) and every traditional character to its
simplified form, by OpenCC's character table (TSCharacters plus its CJK compatibility
normalisation: 臺→台, 灣→湾, 資→资, 發→发, 於→于). The fold is per character and keeps the
length, so a substring of a text folds to a substring of the folded text: search never finds
less than LIKE does, the folded query is found at the same offset as in the original text,
and a simplified query over simplified text finds exactly what LIKE finds. "Substring scan"
means LIKE over the folded texts (`substring_scan_ids`). OpenCC's phrase tables are not
used: they depend on context, and a substring would then not fold as it does in its text.
An archive keeps the fold table it was indexed with (``articles_search_fold``), so a newer
OpenCC can never make the index and its deletions disagree.

**Index.** Every character is spelled as four base-36 digits of its code point, so that FTS5
sees one opaque ASCII token per position, whatever the character:

* ``articles_search`` (rowid = ``articles.id``): the bigram that starts at each position of
  ``title + END + body + END``, with positions (detail=full). A query of n >= 2 characters is
  the phrase of its n-1 bigrams: an exact substring match that cannot cross from title to
  body. A one-character query is a prefix query there (what SQL and Datasette use);
* ``articles_search_chars``: the distinct characters of each article, no positions
  (detail=none): a one-character query is one token, which a prefix query on the bigram
  index is not without a prefix index (which would double that index);
* ``articles_search_counts``: the exact number of articles holding each token that is in at
  least ``HEAD_MIN_DOCS`` of them, made by `refresh_counts` and moved by every index and
  unindex, so that the total of 天津 or 的 is a lookup instead of a walk over 900,000 rows;
* ``articles_search_phrases``: the same for every phrase of 3 to 16 characters in at least
  ``HEAD_MIN_DOCS`` articles (招商引资, 推动经济社会高质), found by `refresh_phrases` and
  moved by every index and unindex (`tjcrawl.storage.phrase_counts`): an exact phrase count
  otherwise checks positions in every article holding all of its bigrams.

**Queries.** The total is a kept count, else the index's own exact count. A source or date
filter joins each match to the covering index (id, source, published_at); for a common word
whose filtered articles are fewer than a 20th of its matches, those articles are read and
tested instead (`SCAN_COST_RATIO`). Newest first walks ``articles`` by
``published_at`` and tests each article's text for the common words and phrases, and sorts
the matches by date for the rare ones. Best first is FTS5's bm25 (one phrase, so its
constant IDF drops out), computed from the texts: over every match when there are at most
``RANK_WINDOW``, else over the ``RANK_WINDOW`` most recently archived ones.
Measurements: docs/benchmarks.md, "search".
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tjcrawl.storage import phrase_counts
from tjcrawl.storage.arrays import distinct
from tjcrawl.storage.phrase_counts import PhraseTrie

END = "zzzz"  # beyond the last code point (0x10FFFF is "ny2n"), so it never collides
BIGRAMS = "articles_search"
CHARS = "articles_search_chars"
FOLD_TABLE = "articles_search_fold"
COUNTS = "articles_search_counts"
PHRASES = "articles_search_phrases"
FILTER_INDEX = "idx_articles_id_source_published_at"
META_KEY = "search_fold_sha256"
COUNTS_KEY = "search_counts_generation"
PHRASES_KEY = "search_phrases_generation"
PHRASES_AT_KEY = "search_phrases_found_at_articles"
HEAD_MIN_DOCS = 20_000  # a token in at least this many articles gets a kept, exact count
PHRASE_LONGEST = 16  # kept phrase counts are for 3 to this many characters
PHRASE_SAMPLE = 20_000  # articles read to find candidate phrases (then counted in all)
PHRASE_CHUNK = 5_000
LARGE_ARCHIVE = 50_000  # above this many articles a crawl refreshes the kept counts
PHRASES_REFRESH_GROWTH = 1.1  # ... and finds the common phrases anew once grown by this
SCAN_COST_RATIO = 20  # reading a filtered article vs joining one match to the filter index
RANK_WINDOW = 1000  # best first ranks every match up to this many, else the newest archived
JOIN_SORT_MAX = 20_000  # newest first: sort at most this many matches by date, else walk
PROBE_BATCH = 256

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_CJK_RANGES = ((0x2E80, 0xA000), (0xF900, 0xFB00), (0x20000, 0x31350))
_ASCII_UPPER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


# -- folding ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def opencc_fold_map() -> dict[int, str]:
    """Traditional to simplified, one character at a time, as OpenCC converts a lone one."""
    import opencc

    converter = opencc.OpenCC("t2s", include_tofu_risk_dictionaries=False)
    chars = [chr(c) for first, last in _CJK_RANGES for c in range(first, last)]
    # A line holds one character and OpenCC's phrases hold no line break, so each converts
    # alone; one call instead of ~90,000.
    converted = converter.convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - a future OpenCC that merges lines
        converted = [converter.convert(c) for c in chars]
    table: dict[int, str] = {}
    for char, out in zip(chars, converted, strict=True):
        if out != char and len(out) == 1:
            table[ord(char)] = out
    for source, target in table.items():  # 薴→苧→苎: fold straight to the end of a chain
        while ord(target) in table and table[ord(target)] != target:
            target = table[ord(target)]
        table[source] = target
    table.update({k: chr(v) for k, v in _ASCII_UPPER.items()})
    return table


def _digest(table: dict[int, str]) -> str:
    text = json.dumps(sorted(table.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


_loaded: dict[str, dict[int, str]] = {}


def fold_map(conn: sqlite3.Connection | None = None) -> dict[int, str]:
    """The archive's own fold table (the one it was indexed with), else OpenCC's."""
    if conn is None:
        return opencc_fold_map()
    try:
        row = conn.execute("SELECT value FROM tjcrawl_meta WHERE key = ?", (META_KEY,)).fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None:
        return opencc_fold_map()
    table = _loaded.get(row[0])
    if table is None:
        rows = conn.execute(f"SELECT char, folded FROM {FOLD_TABLE}")
        table = _loaded[row[0]] = {ord(c): f for c, f in rows}
    return table


def fold(text: str, table: dict[int, str] | None = None) -> str:
    """Lower-case ASCII, simplified Chinese; same length as ``text``."""
    return text.translate(table if table is not None else opencc_fold_map())


_preimage_cache: dict[int, tuple[dict[int, str], dict[str, str]]] = {}


def _preimages(table: dict[int, str]) -> dict[str, str]:
    """For each folded character, every character that folds to it (itself first)."""
    cached = _preimage_cache.get(id(table))
    if cached is None or cached[0] is not table:
        pre: dict[str, str] = {}
        for source, target in table.items():
            pre[target] = pre.get(target, target) + chr(source)
        cached = _preimage_cache[id(table)] = (table, pre)
    return cached[1]


# -- tokens -------------------------------------------------------------------------------


class _Codes(dict):
    def __missing__(self, char: str) -> str:
        number, digits = ord(char), []
        for _ in range(4):
            number, rest = divmod(number, 36)
            digits.append(_DIGITS[rest])
        code = self[char] = "".join(reversed(digits))
        return code


_CODE = _Codes()


def _add(a: str, b: str) -> str:
    return a + b


_MAX_POINT = 0x110000
_END_ROW = np.frombuffer(END.encode("ascii"), dtype=np.uint8).reshape(1, 4)
_coders: dict[int, tuple[dict[int, str], np.ndarray, np.ndarray]] = {}


def _coder(table: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """For every code point, its folded code point and the four ASCII digits of that code."""
    cached = _coders.get(id(table))
    if cached is None or cached[0] is not table:
        folded = np.arange(_MAX_POINT + 1, dtype=np.uint32)  # END (_MAX_POINT) folds to itself
        if table:
            folded[np.fromiter(table, dtype=np.uint32, count=len(table))] = [
                ord(v) for v in table.values()
            ]
        alphabet = np.frombuffer(_DIGITS.encode("ascii"), dtype=np.uint8)
        # One row per code point, and one more (index _MAX_POINT) for the END marker.
        digits = np.empty((_MAX_POINT + 1, 4), dtype=np.uint8)
        rest = folded[:_MAX_POINT].copy()
        for place in (3, 2, 1, 0):
            digits[:_MAX_POINT, place] = alphabet[rest % 36]
            rest //= 36
        digits[_MAX_POINT] = _END_ROW[0]
        cached = _coders[id(table)] = (table, folded, digits)
    return cached[1], cached[2]


def _points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


_END_POINT = np.array([_MAX_POINT], dtype=np.uint32)


def _batch_points(
    rows: Sequence[tuple[int, str | None, str | None]],
) -> tuple[np.ndarray, np.ndarray]:
    """The code points of every row's ``title END body END``, one after another, and the
    offset one past each row's last position."""
    parts: list[np.ndarray] = []
    ends = np.empty(len(rows), dtype=np.int64)
    length = 0
    for n, (_, title, body) in enumerate(rows):
        title_points, body_points = _points(title or ""), _points(body or "")
        parts += (title_points, _END_POINT, body_points, _END_POINT)
        length += len(title_points) + len(body_points) + 2
        ends[n] = length
    return np.concatenate(parts), ends


def prepare_many(
    rows: Sequence[tuple[int, str | None, str | None]], table: dict[int, str]
) -> list[tuple[int, str, str]]:
    """`prepare` for many (id, title, body) rows at once: (id, bigrams, chars) each.

    The same token streams, from a handful of array operations for the whole batch instead
    of a handful per article: numpy releases the GIL in each, and every release made the
    archive writer wait for the crawl's thread to hand the GIL back.
    """
    if not rows:
        return []
    folded, digits = _coder(table)
    points, ends = _batch_points(rows)
    codes = digits[points]
    pairs = np.empty((len(codes) - 1, 9), dtype=np.uint8)
    pairs[:, :4] = codes[:-1]
    pairs[:, 4:8] = codes[1:]
    pairs[:, 8] = 32
    text = pairs.tobytes()
    # Distinct folded characters per article: sort (article, point) keys once.
    article_of = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(ends, prepend=0))
    keep = points != _MAX_POINT
    keys = distinct((article_of[keep] << 21) | folded[points[keep]].astype(np.int64))
    char_rows = np.empty((len(keys), 5), dtype=np.uint8)
    char_rows[:, :4] = digits[keys & 0x1FFFFF]
    char_rows[:, 4] = 32
    char_text = char_rows.tobytes()
    char_ends = np.searchsorted(keys >> 21, np.arange(len(rows)), side="right")
    out = []
    start = char_start = 0
    for n, (rowid, _, _) in enumerate(rows):
        end, char_end = int(ends[n]), int(char_ends[n])
        # Bigrams start at every position but the article's last (its END).
        bigrams = text[start * 9 : (end - 1) * 9 - 1].decode("ascii")
        chars = (
            char_text[char_start * 5 : char_end * 5 - 1].decode("ascii")
            if char_end > char_start
            else ""
        )
        out.append((rowid, bigrams, chars))
        start, char_start = end, char_end
    return out


def prepare(title: str | None, body: str | None, table: dict[int, str]) -> tuple[str, str]:
    """The token streams of one article: (bigrams with positions, distinct characters)."""
    [(_, bigrams, chars)] = prepare_many([(0, title, body)], table)
    return bigrams, chars


def match_expression(query: str, table: dict[int, str] | None = None) -> str:
    """The MATCH expression for ``query`` against the bigram index ``articles_search``."""
    codes = [_CODE[c] for c in fold(query, table)]
    if len(codes) == 1:
        return f"{codes[0]}*"
    return '"' + " ".join(map(_add, codes, codes[1:])) + '"'


def _index_query(query: str) -> tuple[str, str]:
    """(table, MATCH expression) that search() uses for an already folded query."""
    if len(query) == 1:
        return CHARS, _CODE[query]
    codes = [_CODE[c] for c in query]
    return BIGRAMS, '"' + " ".join(map(_add, codes, codes[1:])) + '"'


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
    conn.execute(
        f"CREATE VIRTUAL TABLE {BIGRAMS} USING fts5(text, content='', tokenize='unicode61')"
    )
    create_char_index(conn)
    conn.execute(f"CREATE TABLE {FOLD_TABLE} (char TEXT PRIMARY KEY, folded TEXT NOT NULL)")
    conn.execute(
        f"CREATE TABLE {COUNTS} (token TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID"
    )
    create_phrase_table(conn)
    table = opencc_fold_map()
    conn.executemany(
        f"INSERT INTO {FOLD_TABLE} (char, folded) VALUES (?, ?)",
        [(chr(k), v) for k, v in sorted(table.items())],
    )
    conn.execute(
        "INSERT OR REPLACE INTO tjcrawl_meta (key, value) VALUES (?, ?)", (META_KEY, _digest(table))
    )
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
        conn.executemany(
            f"INSERT INTO {CHARS} (rowid, text) VALUES (?, ?)",
            [(rowid, chars) for rowid, _, chars in prepare_many(batch, table)],
        )


def create_phrase_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {PHRASES} (phrase TEXT PRIMARY KEY, docs INTEGER NOT NULL)"
        " WITHOUT ROWID"
    )


def insert_prepared(conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Add (id, bigrams, chars) rows made by `prepare` (ascending ids index fastest).

    Call inside a write transaction, as the archive does: the kept counts move with it.
    """
    conn.executemany(f"INSERT INTO {BIGRAMS} (rowid, text) VALUES (?, ?)", [r[:2] for r in rows])
    conn.executemany(
        f"INSERT INTO {CHARS} (rowid, text) VALUES (?, ?)", [(r[0], r[2]) for r in rows]
    )
    _move_counts(conn, rows, +1)


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


def _move_counts(conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str]], step: int) -> None:
    _move_phrase_counts(conn, rows, step)
    head = _head(conn)
    if not head:
        return
    moved: dict[str, int] = {}
    for _, bigrams, chars in rows:
        for token in head.intersection(bigrams.split()).union(head.intersection(chars.split())):
            moved[token] = moved.get(token, 0) + step
    conn.executemany(
        f"UPDATE {COUNTS} SET docs = docs + ? WHERE token = ?", [(n, t) for t, n in moved.items()]
    )


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
    for name in (BIGRAMS, CHARS):
        conn.execute(
            f"INSERT INTO {COUNTS} (token, docs) SELECT term, doc FROM temp.{name}_vocab"
            " WHERE doc >= ?",
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
    conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str]], step: int
) -> None:
    trie = _phrase_trie(conn)
    if trie is None or not rows:
        return
    counts = trie.counts(*phrase_counts.from_bigram_streams([r[1] for r in rows]))
    moved = np.flatnonzero(counts)
    conn.executemany(
        f"UPDATE {PHRASES} SET docs = docs + ? WHERE phrase = ?",
        [(int(counts[i]) * step, trie.phrases[i]) for i in moved],
    )


def refresh_phrases(
    conn: sqlite3.Connection, min_docs: int = HEAD_MIN_DOCS, sample: int = PHRASE_SAMPLE
) -> int:
    """Find and count anew every phrase of 3 to PHRASE_LONGEST characters in at least
    ``min_docs`` articles; returns how many.

    Candidates come from a sample of ``sample`` articles (taken with a margin, so that a
    phrase just common enough is rarely missed), then every candidate is counted exactly in
    every article: a kept count is always exact, and a common phrase the sample missed is
    counted by the index at query time, as any other. About a minute at a million articles.

    It counts the ``articles`` table, so every article must be indexed as it stands: run it
    outside an `Archive`'s transaction (whose search indexing waits for its commit).
    """
    create_phrase_table(conn)
    conn.execute(f"DELETE FROM {PHRASES}")
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    table = fold_map(conn)
    kept = 0
    if total and total >= min_docs:
        every = max(1, -(-total // sample))
        rows = conn.execute(
            "SELECT id, title, body FROM articles WHERE id % ? = 0", (every,)
        ).fetchall()
        share = len(rows) / total
        margin = 1.0 if every == 1 else 0.8
        candidates = phrase_counts.common_phrases(
            *_folded_pairs(rows, table), max(1.0, margin * min_docs * share), PHRASE_LONGEST
        )
        trie = PhraseTrie(candidates)
        counts = np.zeros(len(trie), dtype=np.int64)
        if len(trie):
            articles = conn.execute("SELECT id, title, body FROM articles")
            while chunk := articles.fetchmany(PHRASE_CHUNK):
                counts += trie.counts(*_folded_pairs(chunk, table))
        # A prefix is in at least as many articles as its phrase, so this keeps every
        # prefix of a kept phrase: the trie stays whole.
        common = [
            (p, n) for p, n in zip(trie.phrases, counts.tolist(), strict=True) if n >= min_docs
        ]
        conn.executemany(f"INSERT INTO {PHRASES} (phrase, docs) VALUES (?, ?)", common)
        kept = len(common)
    conn.executemany(
        "INSERT OR REPLACE INTO tjcrawl_meta (key, value) VALUES (?, ?)",
        [(PHRASES_KEY, secrets.token_hex(8)), (PHRASES_AT_KEY, str(total))],
    )
    return kept


def _folded_pairs(
    rows: Sequence[tuple[int, str | None, str | None]], table: dict[int, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, row) of folded characters, as the bigram index holds them."""
    folded, _ = _coder(table)
    points, ends = _batch_points(rows)
    codes = folded[points]
    row = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(ends, prepend=0))
    return codes[:-1], codes[1:], row[:-1]


def index_articles(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> None:
    """Index (id, title, body) rows."""
    insert_prepared(conn, prepare_many(list(rows), fold_map(conn)))


def index_article(conn: sqlite3.Connection, rowid: int, title: str, body: str) -> None:
    index_articles(conn, [(rowid, title, body)])


def unindex_article(conn: sqlite3.Connection, rowid: int, title: str, body: str) -> None:
    # A contentless table forgets a row only when given the exact tokens it indexed.
    bigrams, chars = prepare(title, body, fold_map(conn))
    conn.execute(
        f"INSERT INTO {BIGRAMS} ({BIGRAMS}, rowid, text) VALUES ('delete', ?, ?)",
        (rowid, bigrams),
    )
    conn.execute(
        f"INSERT INTO {CHARS} ({CHARS}, rowid, text) VALUES ('delete', ?, ?)", (rowid, chars)
    )
    _move_counts(conn, [(rowid, bigrams, chars)], -1)


def optimize_index(conn: sqlite3.Connection, counts: bool = True) -> None:
    """Merge each index into one segment (after a bulk load; queries get faster)."""
    for name in (BIGRAMS, CHARS):
        conn.execute(f"INSERT INTO {name} ({name}) VALUES ('optimize')")
    if counts:
        refresh_counts(conn)
        refresh_phrases(conn)


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


def _filters(source: str | None, since: str | None, until: str | None) -> tuple[str, list]:
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
        self.where, self.params = _filters(source, since, until)
        # Matches found by reading every filtered article, when that is the cheaper plan.
        self.scanned: list[tuple[int, str | None]] | None = None

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
        if not self.where:
            if kept is not None:
                return kept
            sql = f"SELECT count(*) FROM {self.index} WHERE {self.index} MATCH ?"
            return self.conn.execute(sql, (self.match,)).fetchone()[0]
        if kept is not None and self._filter_is_narrow(kept):
            self.scanned = self._scan_filter()
            return len(self.scanned)
        sql = f"SELECT count(*) {self._from()}"
        return self.conn.execute(sql, [self.match, *self.params]).fetchone()[0]

    def _filter_is_narrow(self, matches: int) -> bool:
        """Whether reading every filtered article costs less than joining every match.

        A common word's matches cost ~0.25 µs each from FTS5 through the covering index;
        reading an article and testing its text ~5 µs (docs/benchmarks.md, "search").
        """
        most = int(matches / SCAN_COST_RATIO)
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
        if not self.where:
            sql = (
                f"SELECT rowid FROM {self.index} WHERE {self.index} MATCH ? "
                "ORDER BY rowid DESC LIMIT ?"
            )
            return [r[0] for r in self.conn.execute(sql, (self.match, n))]
        sql = f"SELECT s.rowid {self._from()} ORDER BY s.rowid DESC LIMIT ?"
        return [r[0] for r in self.conn.execute(sql, [self.match, *self.params, n])]

    def newest(self, n: int, total: int) -> list[int]:
        """The ids of the n newest matches (published_at, then id, descending)."""
        if self.scanned is not None:  # as SQL orders: an undated article is the oldest
            ordered = sorted(self.scanned, key=lambda m: (m[1] is not None, m[1] or "", m[0]))
            return [i for i, _ in reversed(ordered[-n:])] if n else []
        if total <= JOIN_SORT_MAX:
            return self._sorted_by_date(n)
        articles = self.conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 1
        # Expected probes: n over the share of articles that match; give up at 4 times that.
        budget = 4 * n * articles / total + 4 * PROBE_BATCH
        found = self._walk(n, budget)
        return found if found is not None else self._sorted_by_date(n)

    def _sorted_by_date(self, n: int) -> list[int]:
        where = f"{self.index} MATCH ?" + (f" AND {self.where}" if self.where else "")
        sql = (
            f"SELECT a.id FROM {self._joined()} "
            f"WHERE {where} ORDER BY a.published_at DESC, a.id DESC LIMIT ?"
        )
        return [r[0] for r in self.conn.execute(sql, [self.match, *self.params, n])]

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
    """FTS5's own average token count per row of the bigram index (its bm25 uses it)."""
    row = conn.execute(f"SELECT block FROM {BIGRAMS}_data WHERE id = 1").fetchone()
    data = row[0] if row and row[0] else b""
    values, position = [], 0
    while position < len(data) and len(values) < 2:  # rows, then tokens of the one column
        number, position = _varint(data, position)
        values.append(number)
    rows, tokens = [*values, 0, 0][:2]
    return tokens / rows if rows and tokens else 1.0


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
        if all(len(c) == 1 for c in classes):
            self.count, self.holds = self._plain_count, self._plain_holds
        elif len(folded) == 1:
            self.chars = classes[0]
            self.count, self.holds = self._chars_count, self._chars_holds
        else:
            body = "".join(re.escape(c) if len(c) == 1 else f"[{re.escape(c)}]" for c in classes)
            self.overlapping = re.compile(f"(?={body})")
            self.first = re.compile(body).search
            self.count, self.holds = self._pattern_count, self._pattern_holds

    def _plain_count(self, title: str, body: str) -> int:
        return _occurrences(title, self.folded) + _occurrences(body, self.folded)

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

    def score(self, title: str, body: str) -> float:
        tf = self.tf(title, body)
        length = len(title) + len(body) + 1  # the bigrams of title END body END
        k1, b = self.K1, self.B
        return (tf * (k1 + 1.0)) / (tf + k1 * (1 - b + b * length / self.average))


def _fetch(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple]:
    rows: dict[int, tuple] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT id, url, source, title, published_at, body FROM articles"
            f" WHERE id IN ({marks})",
            chunk,
        ):
            rows[row[0]] = row
    return rows


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
