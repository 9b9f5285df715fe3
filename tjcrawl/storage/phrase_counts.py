"""Which common phrases (3 characters or more) each article holds, for kept phrase counts.

The search index answers a phrase by testing the text of every article that holds all of
its bigrams: 427,197 articles for 招商引资 at a million, seconds for an exact total. The
archive keeps the exact number of articles holding each *common* phrase instead
(``articles_search_phrases``), and every index or unindex moves those numbers. This module
finds the phrases in a batch of text, fast enough to run on every commit: the kept phrases
form a trie whose levels are sorted arrays, and a batch walks it with one `searchsorted` per
level over all of its positions at once.

A text arrives as pairs of folded code points, ``first[i]`` and ``second[i]`` being the
characters at positions i and i + 1 of its row ``row[i]``, made from the folded texts
(`from_bigram_streams` reads them back from a positional bigram stream). The END
marker between title and body is a code point beyond Unicode, never part of a phrase, so no
phrase is found across title and body or across rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tjcrawl.storage.arrays import distinct

_CHAR_BITS = 21  # every code point, and the END marker, is below 2**21
_BASE36 = np.zeros(256, dtype=np.int64)
_BASE36[np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = np.arange(36)
_LAST_POINT = 0x10FFFF


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` of each wanted key in the sorted ``keys``, -1 where it is absent."""
    if not len(keys):
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], -1)


def _pair_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return (first.astype(np.int64) << _CHAR_BITS) | second.astype(np.int64)


class PhraseTrie:
    """The kept phrases, by level: a phrase of k characters is its (k-1)-prefix plus one."""

    def __init__(self, phrases: Sequence[str]) -> None:
        # Only phrases whose every prefix of 3 or more is kept are reachable; the counting
        # keeps that true (a prefix is in at least as many articles as its phrase).
        self.phrases: list[str] = []
        ids: dict[str, int] = {}
        pairs: dict[str, int] = {}
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        by_level: list[tuple[list[int], list[int]]] = []
        for phrase in sorted(set(phrases), key=lambda p: (len(p), p)):
            if len(phrase) < 3 or (len(phrase) > 3 and phrase[:-1] not in ids):
                continue
            if len(phrase) == 3:
                parent = pairs.setdefault(phrase[:2], len(pairs))
            else:
                parent = ids[phrase[:-1]]
            while len(by_level) < len(phrase) - 2:
                by_level.append(([], []))
            keys, values = by_level[len(phrase) - 3]
            keys.append((parent << _CHAR_BITS) | ord(phrase[-1]))
            values.append(len(self.phrases))
            ids[phrase] = len(self.phrases)
            self.phrases.append(phrase)
        self.prefix_keys, self.prefix_ids = _sorted(
            [(ord(p[0]) << _CHAR_BITS) | ord(p[1]) for p in pairs], list(pairs.values())
        )
        self.levels = [_sorted(keys, values) for keys, values in by_level]
        self.starts = np.zeros(_LAST_POINT + 2, dtype=bool)
        self.starts[[ord(p[0]) for p in pairs]] = True
        self.seconds = np.zeros(_LAST_POINT + 2, dtype=bool)
        self.seconds[[ord(p[1]) for p in pairs]] = True

    def __len__(self) -> int:
        return len(self.phrases)

    def _found(
        self, first: np.ndarray, second: np.ndarray, row: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, phrase id) of every occurrence of a kept phrase, repeats included."""
        rows: list[np.ndarray] = []
        ids: list[np.ndarray] = []
        # Most positions start no kept phrase: a table lookup drops them before the search.
        start = np.flatnonzero(
            self.starts[np.minimum(first, _LAST_POINT + 1)]
            & self.seconds[np.minimum(second, _LAST_POINT + 1)]
        )
        node = _lookup(self.prefix_keys, self.prefix_ids, _pair_keys(first[start], second[start]))
        start, node = start[node >= 0], node[node >= 0]
        for depth, (keys, values) in enumerate(self.levels, start=1):
            start, node, longer = _extend(start, node, depth, second, row)
            node = _lookup(keys, values, longer)
            kept = node >= 0
            start, node = start[kept], node[kept]
            if not len(start):
                break
            rows.append(row[start])
            ids.append(node)
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(rows).astype(np.int64), np.concatenate(ids)

    def hits(self, first: np.ndarray, second: np.ndarray, row: np.ndarray) -> np.ndarray:
        """The distinct (row << 32 | phrase id) of every kept phrase found, sorted."""
        rows, ids = self._found(first, second, row)
        return distinct((rows << 32) | ids)

    def counts(self, first: np.ndarray, second: np.ndarray, row: np.ndarray) -> np.ndarray:
        """For each kept phrase, how many rows hold it."""
        rows, ids = self._found(first, second, row)
        if not len(rows):
            return np.zeros(len(self.phrases), dtype=np.int64)
        # A row-by-phrase table of "seen" instead of sorting every occurrence.
        seen = np.zeros((int(rows.max()) + 1, len(self.phrases)), dtype=bool)
        seen[rows, ids] = True
        return seen.sum(axis=0, dtype=np.int64)


def _extend(
    start: np.ndarray, node: np.ndarray, depth: int, second: np.ndarray, row: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The phrases of depth + 1 characters at ``start`` (trie nodes ``node``) that go on by
    a real character in the same row: their starts, nodes, and keys one character longer.

    The phrase's next character is the second of the pair at start + depth.
    """
    at = start + depth
    inside = at < len(second)
    start, node, at = start[inside], node[inside], at[inside]
    ok = (row[at] == row[start]) & (second[at] <= _LAST_POINT)
    start, node, at = start[ok], node[ok], at[ok]
    return start, node, (node << _CHAR_BITS) | second[at].astype(np.int64)


def _sorted(keys: list[int], values: list[int]) -> tuple[np.ndarray, np.ndarray]:
    key_array = np.array(keys, dtype=np.int64)
    order = np.argsort(key_array, kind="stable")
    return key_array[order], np.array(values, dtype=np.int64)[order]


def common_phrases(
    first: np.ndarray, second: np.ndarray, row: np.ndarray, min_rows: float, longest: int
) -> list[str]:
    """Every phrase of 3 to ``longest`` characters held by at least ``min_rows`` rows.

    Level by level (a phrase is common only if its prefix is), counting distinct rows.
    """
    real = (first <= _LAST_POINT) & (second <= _LAST_POINT)
    pair_keys, pair_rows = _rows_per_key(_pair_keys(first[real], second[real]), row[real])
    common_pairs = pair_keys[pair_rows >= min_rows]
    node = _lookup(common_pairs, np.arange(len(common_pairs)), _pair_keys(first, second))
    start = np.flatnonzero(node >= 0)
    node = node[start]
    names = [chr(k >> _CHAR_BITS) + chr(k & ((1 << _CHAR_BITS) - 1)) for k in common_pairs]
    found: list[str] = []
    for depth in range(1, longest - 1):
        start, node, extended = _extend(start, node, depth, second, row)
        level_keys, level_rows = _rows_per_key(extended, row[start])
        common = level_keys[level_rows >= min_rows]
        if not len(common):
            break
        names = [names[k >> _CHAR_BITS] + chr(k & ((1 << _CHAR_BITS) - 1)) for k in common.tolist()]
        found += names
        node = _lookup(common, np.arange(len(common)), extended)
        kept = node >= 0
        start, node = start[kept], node[kept]
    return found


def _rows_per_key(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key, sorted, and the number of distinct rows it occurs in."""
    if not len(keys):
        return keys.astype(np.int64), np.empty(0, dtype=np.int64)
    key_bits = int(keys.max()).bit_length()
    if int(rows.max()).bit_length() + key_bits < 63:  # one sort of packed (row, key) pairs
        pairs = distinct((rows.astype(np.int64) << key_bits) | keys)
        return np.unique(pairs & ((1 << key_bits) - 1), return_counts=True)
    keys_seen, compact = np.unique(keys, return_inverse=True)
    pairs = distinct(rows.astype(np.int64) * len(keys_seen) + compact.reshape(-1))
    return keys_seen, np.bincount(pairs % len(keys_seen), minlength=len(keys_seen))


def from_bigram_streams(streams: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, row) read back from the bigram index's token streams."""
    text = np.frombuffer((" ".join(streams) + " ").encode("ascii"), dtype=np.uint8)
    digits = _BASE36[text.reshape(-1, 9)[:, :8]]
    first = ((digits[:, 0] * 36 + digits[:, 1]) * 36 + digits[:, 2]) * 36 + digits[:, 3]
    second = ((digits[:, 4] * 36 + digits[:, 5]) * 36 + digits[:, 6]) * 36 + digits[:, 7]
    sizes = [(len(s) + 1) // 9 for s in streams]
    row = np.repeat(np.arange(len(streams), dtype=np.int64), sizes)
    return first, second, row
