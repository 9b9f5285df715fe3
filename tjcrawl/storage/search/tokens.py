"""Tokens: every character spelled as four base-36 digits of its code point, the bigram and
character streams FTS5 indexes, and the MATCH expression of a query.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tjcrawl.storage.arrays import distinct
from tjcrawl.storage.search.common import _DIGITS, BIGRAMS, CHARS, END
from tjcrawl.storage.search.folding import fold

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
    rows: Sequence[tuple[int, str | None, str | None]],
    table: dict[int, str],
    positions: bool = False,
) -> list[tuple[int, str, str]]:
    """`prepare` for many (id, title, body) rows at once: (id, bigrams, chars) each.

    The bigrams are each article's distinct ones, sorted (the article index has no
    positions), or with ``positions`` the bigram at every position (the attachment index).

    The same token streams, from a handful of array operations for the whole batch instead
    of a handful per article: numpy releases the GIL in each, and every release made the
    archive writer wait for the crawl's thread to hand the GIL back.
    """
    if not rows:
        return []
    folded, digits = _coder(table)
    points, ends = _batch_points(rows)
    codes = digits[points]
    article_of = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(ends, prepend=0))
    if positions:
        pairs = np.empty((len(codes) - 1, 9), dtype=np.uint8)
        pairs[:, :4] = codes[:-1]
        pairs[:, 4:8] = codes[1:]
        pairs[:, 8] = 32
        text = pairs.tobytes()
        pair_ends = ends - 1
    else:
        text, pair_ends = _distinct_pairs(folded[points], article_of, ends, digits)
    # Distinct folded characters per article: sort (article, point) keys once.
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
        pair_end, char_end = int(pair_ends[n]), int(char_ends[n])
        bigrams = text[start * 9 : pair_end * 9 - 1].decode("ascii") if pair_end > start else ""
        chars = (
            char_text[char_start * 5 : char_end * 5 - 1].decode("ascii")
            if char_end > char_start
            else ""
        )
        out.append((rowid, bigrams, chars))
        start, char_start = (pair_end if not positions else int(ends[n])), char_end
    return out


def _distinct_pairs(
    points: np.ndarray, article_of: np.ndarray, ends: np.ndarray, digits: np.ndarray
) -> tuple[bytes, np.ndarray]:
    """Each article's distinct bigrams of folded code points as 9-byte tokens, and the number
    of tokens up to the end of each article.

    Bigrams start at every position but an article's last (its END), as in the positional
    stream, so a character that only ends a title still starts one (with END).
    """
    starts = np.ones(max(len(points) - 1, 0), dtype=bool)
    starts[ends[:-1] - 1] = False  # each article's END but the last (already cut off)
    first = np.flatnonzero(starts)
    keys = distinct(
        (article_of[first] << 42)
        | (points[first].astype(np.int64) << 21)
        | points[first + 1].astype(np.int64)
    )
    rows = np.empty((len(keys), 9), dtype=np.uint8)
    rows[:, :4] = digits[(keys >> 21) & 0x1FFFFF]
    rows[:, 4:8] = digits[keys & 0x1FFFFF]
    rows[:, 8] = 32
    pair_ends = np.searchsorted(keys >> 42, np.arange(len(ends)), side="right")
    return rows.tobytes(), pair_ends


_CHAR_KEY = 1 << 42  # token keys: a bigram (first << 21 | second), a character this | point


def _point(code: str) -> int:
    return _MAX_POINT if code == END else int(code, 36)


def token_keys(tokens: Sequence[str]) -> np.ndarray:
    """Index tokens (four base-36 digits a character, eight a bigram) as int64 keys."""
    return np.array(
        [
            _CHAR_KEY | _point(t) if len(t) == 4 else (_point(t[:4]) << 21) | _point(t[4:])
            for t in tokens
        ],
        dtype=np.int64,
    )


def prepare(title: str | None, body: str | None, table: dict[int, str]) -> tuple[str, str]:
    """The token streams of one article: (bigrams with positions, distinct characters)."""
    [(_, bigrams, chars)] = prepare_many([(0, title, body)], table)
    return bigrams, chars


def match_expression(query: str, table: dict[int, str] | None = None) -> str:
    """The MATCH expression for ``query`` against the bigram index ``articles_search``: the
    articles holding every bigram of the query (exactly the matches for 1 or 2 characters,
    candidates to test for more; the index has no positions)."""
    codes = [_CODE[c] for c in fold(query, table)]
    if len(codes) == 1:
        return f"{codes[0]}*"
    return _all_bigrams(codes)


def phrase_expression(query: str, table: dict[int, str] | None = None) -> str:
    """The MATCH expression for ``query`` against a positional bigram index (the attachment
    index): the phrase of its bigrams, an exact substring match."""
    codes = [_CODE[c] for c in fold(query, table)]
    if len(codes) == 1:
        return f"{codes[0]}*"
    return '"' + " ".join(map(_add, codes, codes[1:])) + '"'


def _all_bigrams(codes: list[str]) -> str:
    return " ".join(dict.fromkeys(map(_add, codes, codes[1:])))


def _index_query(query: str) -> tuple[str, str]:
    """(table, MATCH expression) that search() uses for an already folded query."""
    if len(query) == 1:
        return CHARS, _CODE[query]
    return BIGRAMS, _all_bigrams([_CODE[c] for c in query])


def _folded_pairs(
    rows: Sequence[tuple[int, str | None, str | None]], table: dict[int, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, row) of folded characters, as the bigram index holds them."""
    folded, _ = _coder(table)
    points, ends = _batch_points(rows)
    codes = folded[points]
    row = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(ends, prepend=0))
    return codes[:-1], codes[1:], row[:-1]
