"""The query's occurrences (bm25's tf) counted in original text equal a position-by-position
count over the folded text, whichever way the matcher counts them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tjcrawl.storage.search import fold
from tjcrawl.storage.search.folding import opencc_fold_map
from tjcrawl.storage.search.query import _Matcher

TABLE = opencc_fold_map()
# Characters with traditional spellings (發/髮 fold to 发, 資 to 资), one that borders
# itself (哈哈), ASCII that folds by case.
ALPHABET = "发發髮展资資招商引哈aA天津"


def occurrences_in_folded_text(title: str, body: str, query: str) -> int:
    needle = fold(query, TABLE)
    return sum(
        fold(text, TABLE)[i : i + len(needle)] == needle
        for text in (title, body)
        for i in range(len(text))
    )


@settings(max_examples=400, deadline=None)
@given(
    title=st.text(ALPHABET, max_size=12),
    body=st.text(ALPHABET, max_size=60),
    query=st.text(ALPHABET, min_size=1, max_size=4),
)
def test_counts_equal_a_position_by_position_count(title: str, body: str, query: str) -> None:
    matcher = _Matcher(fold(query, TABLE), TABLE)
    assert matcher.count(title, body) == occurrences_in_folded_text(title, body, query)
    assert matcher.holds(title, body) == (occurrences_in_folded_text(title, body, query) > 0)


def test_a_query_that_borders_itself_counts_overlapping_occurrences() -> None:
    assert _Matcher("哈哈", TABLE).count("", "哈哈哈") == 2
    assert _Matcher("发展", TABLE).count("發展", "髮展发展") == 3
    assert _Matcher("发发", TABLE).count("", "發发髮") == 2
