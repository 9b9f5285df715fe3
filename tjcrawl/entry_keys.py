"""The identity of an entry that carries its article on a listing and has no page of its own.

Such an entry is keyed by its title and its date, as the listing shows them: a weekly bulletin
(每周工作动态) repeats its title every week, so the title alone would make each week's entry
overwrite the last. Neither depends on the listing page the entry stands on, so the key holds
when newer entries push it to a later page, and an edited text stays the same article (a
revision). Only two entries with the same title and the same date are told apart by their text:
the first one a run meets keeps the plain key, the other is keyed by its text too, so editing
that other one makes a new article (the cost of having nothing else to tell them apart by).
"""

from __future__ import annotations

import hashlib

PREFIX = "entry-"
DIGEST_CHARS = 16


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def entry_key(title: str | None, date: str | None, text: str | None = None) -> str:
    """`entry-<hash>` of the title and date; of the text too when given (see above)."""
    parts = [title or "", date or ""]
    if text is not None:
        parts.append(text)
    return PREFIX + _digest(*parts)


def title_only_key(title: str | None) -> str:
    """The key tjcrawl used before (schema 8 and earlier): the title alone."""
    return PREFIX + hashlib.sha1((title or "").encode("utf-8")).hexdigest()[:DIGEST_CHARS]


class EntryKeys:
    """Keys for one run's entries: the plain key first, the text-qualified one for another
    entry of the same title and date with a different text."""

    def __init__(self) -> None:
        self._text_by_key: dict[str, str] = {}

    def key(self, title: str | None, date: str | None, text: str) -> str:
        plain = entry_key(title, date)
        first_text = self._text_by_key.setdefault(plain, text)
        return plain if first_text == text else entry_key(title, date, text)
