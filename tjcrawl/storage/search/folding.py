"""Folding: ASCII to lower case and traditional characters to simplified, one character for one.

The table is OpenCC's character table; an archive keeps the table it was indexed with
(``articles_search_fold``), so a newer OpenCC never makes the index and its deletions disagree.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from functools import lru_cache

from tjcrawl.storage.search.common import _ASCII_UPPER, _CJK_RANGES, FOLD_TABLE, META_KEY

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
