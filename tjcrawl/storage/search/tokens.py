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


def _folded_pairs(
    rows: Sequence[tuple[int, str | None, str | None]], table: dict[int, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, row) of folded characters, as the bigram index holds them."""
    folded, _ = _coder(table)
    points, ends = _batch_points(rows)
    codes = folded[points]
    row = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(ends, prepend=0))
    return codes[:-1], codes[1:], row[:-1]
