"""The finder's fast helpers (sentence and clause bounds, the term automaton, the anchored
scans) find what the plain definitions find, on arbitrary text made of the characters that
matter to them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tjcrawl.extract.facts.common import (
    CLAUSE_END,
    SENTENCE_END,
    Sentences,
    anchored,
    clause_end,
    clause_start,
)
from tjcrawl.extract.facts.money import _BARE_YI_RE, _BARE_YI_STARTS, _MONEY_RE, _MONEY_STARTS
from tjcrawl.extract.facts.projects import _COUNT_BEFORE, _COUNT_STARTS
from tjcrawl.extract.facts.terms import terms

# punctuation of both kinds, numerals, currencies, qualifiers and a few letters of terms
ALPHABET = st.sampled_from(
    list(SENTENCE_END + CLAUSE_END) + list("0123456789.一二三十百千万亿元美约超近余多个项目 ")
    + list("天津港保税区滨海新经开生物医药集成电路东疆自贸试验片西青")
)  # fmt: skip
TEXTS = st.text(ALPHABET, max_size=120)


def _plain_clause_start(text: str, pos: int, limit: int) -> int:
    lo = max(0, pos - limit)
    for i in range(pos - 1, lo - 1, -1):
        if text[i] in CLAUSE_END:
            return i + 1
    return lo


def _plain_clause_end(text: str, pos: int, limit: int) -> int:
    hi = min(len(text), pos + limit)
    for i in range(pos, hi):
        if text[i] in CLAUSE_END:
            return i
    return hi


def _plain_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(c, 0, start) for c in SENTENCE_END)
    right = len(text)
    for i in range(max(start, end - 1), len(text)):
        if text[i] in SENTENCE_END:
            right = i + 1
            break
    return left + 1, right


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_clause_and_sentence_bounds_are_the_plain_ones(text: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(pos, len(text)))
    limit = data.draw(st.integers(1, 50))
    assert clause_start(text, pos, limit) == _plain_clause_start(text, pos, limit)
    assert clause_end(text, pos, limit) == _plain_clause_end(text, pos, limit)
    assert Sentences(text).bounds(pos, end) == _plain_bounds(text, pos, end)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_terms_are_matched_leftmost_longest_as_an_alternation_would(text: str) -> None:
    term_list = terms()
    longest_first = sorted(term_list.entries, key=len, reverse=True)
    alternation = re.compile("|".join(map(re.escape, longest_first)))
    expected = [(m.start(), m.end(), m.group()) for m in alternation.finditer(text)]
    found = [
        (start, end, term_list.words[index])
        for index, start, end in term_list.automaton.find_matches_as_indexes(text)
    ]
    assert found == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_a_scan_from_the_first_possible_start_finds_what_a_full_window_does(text: str) -> None:
    for pattern, starts, anchor, group in (
        (_MONEY_RE, _MONEY_STARTS, re.compile("美元|元"), "cur"),
        (_BARE_YI_RE, _BARE_YI_STARTS, re.compile("(?:万亿|亿)"), "cur"),
        (_COUNT_BEFORE, _COUNT_STARTS, re.compile("项目"), "p"),
    ):
        fast = [m.span() for m in anchored(pattern, anchor, text, 40, group, starts)]
        full = [m.span() for m in anchored(pattern, anchor, text, 40, group)]
        assert fast == full
