"""Kept phrase counts: exactly the number of articles a substring scan finds, always."""

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tjcrawl.storage import search as search_module
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.phrase_counts import PhraseTrie, common_phrases, from_bigram_streams
from tjcrawl.storage.search import counts as search_counts
from tjcrawl.storage.search import (
    keep_counts_fresh,
    refresh_phrases,
    search,
    substring_scan_ids,
)

ALPHABET = "天津招商引资資滨海新区區台臺湾灣aA ，\n"
WORDS = ["天津", "招商引资", "招商引資", "滨海新区", "推动经济社会高质量发展", "的", "项目", "签约"]


def article(n: int, title: str, body: str) -> dict:
    return {
        "url": f"http://x.test/{n}",
        "source": "s",
        "title": title or "t",
        "body": body or "b",
        "content_hash": f"{n}:{title}:{body}",
    }


def kept(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT phrase, docs FROM articles_search_phrases"))


def assert_exact(conn) -> None:
    for phrase, docs in kept(conn).items():
        assert docs == len(substring_scan_ids(conn, phrase)), phrase


def every_phrase(conn, min_docs: int) -> set[str]:
    """By definition: each folded 3- to 16-character substring of a title or a body."""
    table = search_module.fold_map(conn)
    docs: dict[str, set[int]] = {}
    for rowid, title, body in conn.execute("SELECT id, title, body FROM articles"):
        for text in (search_module.fold(title, table), search_module.fold(body, table)):
            for size in range(3, search_module.PHRASE_LONGEST + 1):
                for start in range(len(text) - size + 1):
                    docs.setdefault(text[start : start + size], set()).add(rowid)
    return {phrase for phrase, ids in docs.items() if len(ids) >= min_docs}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    docs=st.lists(
        st.tuples(st.text(ALPHABET, max_size=6), st.text(ALPHABET, max_size=30)),
        min_size=2,
        max_size=10,
    ),
    later=st.lists(
        st.tuples(st.text(ALPHABET, max_size=6), st.text(ALPHABET, max_size=30)), max_size=4
    ),
    changes=st.lists(st.text(ALPHABET, max_size=30), max_size=3),
    removed=st.integers(min_value=0, max_value=9),
)
def test_kept_phrase_counts_stay_exact(tmp_path_factory, docs, later, changes, removed):
    archive = Archive(Path(tmp_path_factory.mktemp("phrases")) / "a.db")
    conn = archive.conn
    for n, (title, body) in enumerate(docs):
        archive.store_article(article(n, title, body), None, "r")
    archive.commit()
    refresh_phrases(conn, min_docs=2)
    # With every article in the sample, every phrase in two or more articles is found.
    assert set(kept(conn)) == every_phrase(conn, 2)
    assert_exact(conn)
    for n, (title, body) in enumerate(later, len(docs)):
        archive.store_article(article(n, title, body), None, "r")
    for n, body in enumerate(changes):
        title = docs[n % len(docs)][0]
        archive.store_article(article(n % len(docs), title, body + "改"), None, "r")
    archive.commit()
    gone = conn.execute(
        "SELECT id, title, body FROM articles ORDER BY id LIMIT 1 OFFSET ?",
        (removed % len(docs),),
    ).fetchone()
    conn.execute("PRAGMA foreign_keys = OFF")  # its revisions may stay: only search is tested
    search_module.unindex_article(conn, *gone)
    conn.execute("DELETE FROM articles WHERE id = ?", (gone[0],))
    conn.commit()
    assert_exact(conn)
    for phrase, docs_now in kept(conn).items():
        assert search(conn, phrase).total == docs_now
    conn.close()


def test_a_sample_finds_the_common_phrases_and_every_kept_count_is_exact(tmp_path: Path):
    archive = Archive(tmp_path / "a.db")
    rng = random.Random(7)
    for n in range(400):
        body = "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
        archive.store_article(article(n, "标题" + rng.choice(WORDS), body), None, "r")
    archive.commit()
    conn = archive.conn
    assert refresh_phrases(conn, min_docs=40, sample=50) == len(kept(conn)) > 20
    assert_exact(conn)
    # Common by a wide margin, so no sample of 50 misses them; 招商引資 is 招商引资 folded.
    assert {"招商引资", "推动经济社会高质", "滨海新区"} <= set(kept(conn))
    assert kept(conn)["招商引资"] == len(substring_scan_ids(conn, "招商引資"))
    for phrase in kept(conn):
        assert len(substring_scan_ids(conn, phrase)) >= 40
    assert search(conn, "高质量发展").total == len(substring_scan_ids(conn, "高质量发展"))
    conn.close()


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.text(ALPHABET, max_size=8), st.text(ALPHABET + "天津\U00020000", max_size=40)),
        min_size=1,
        max_size=6,
    ),
    phrases=st.lists(st.text("天津招商引资滨海新区台湾a ，", min_size=3, max_size=6), max_size=12),
)
def test_phrases_read_back_from_the_index_tokens_are_the_ones_in_the_text(rows, phrases):
    """What an unindex sees (the tokens) is what indexing saw (the text)."""
    table = search_module.opencc_fold_map()
    closed = {p[:size] for p in phrases for size in range(3, len(p) + 1)}
    trie = PhraseTrie(sorted(closed))
    numbered = [(n, title, body) for n, (title, body) in enumerate(rows)]
    streams = [b for _, b, _ in search_module.prepare_many(numbered, table, positions=True)]
    from_tokens = trie.hits(*from_bigram_streams(streams))
    from_text = trie.hits(*search_module._folded_pairs(numbered, table))
    assert from_tokens.tolist() == from_text.tolist()
    expected = {
        (n, trie.phrases.index(p))
        for n, title, body in numbered
        for p in closed
        if p in search_module.fold(title, table) or p in search_module.fold(body, table)
    }
    assert {(int(h) >> 32, int(h) & 0xFFFFFFFF) for h in from_text} == expected


def test_common_phrases_need_every_prefix_common_and_stop_at_the_longest() -> None:
    table = search_module.opencc_fold_map()
    rows = [(0, "天津港口", "天津港"), (1, "", "天津港保税区"), (2, "天津港保税", "")]
    found = common_phrases(*search_module._folded_pairs(rows, table), 2, 5)
    assert sorted(found) == ["天津港", "天津港保", "天津港保税", "津港保", "津港保税", "港保税"]
    assert common_phrases(*search_module._folded_pairs(rows, table), 3, 16) == ["天津港"]


def test_crawls_refresh_phrases_only_in_a_large_archive_grown_by_a_tenth(tmp_path, monkeypatch):
    archive = Archive(tmp_path / "a.db")
    conn = archive.conn

    def add(numbers: range, body: str) -> None:
        for n in numbers:
            archive.store_article(article(n, "天津新闻", body), None, "r")
        archive.commit()

    add(range(30), "招商引资")
    keep_counts_fresh(conn, min_docs=2)  # 30 articles is not large: nothing is kept
    assert kept(conn) == {}
    monkeypatch.setattr(search_counts, "LARGE_ARCHIVE", 10)
    keep_counts_fresh(conn, min_docs=2)
    assert kept(conn)["招商引资"] == 30
    add(range(30, 32), "滨海新区")
    keep_counts_fresh(conn, min_docs=2)  # 32 < 33: the same phrases, their counts moved
    assert kept(conn)["天津新"] == 32 and "滨海新" not in kept(conn)
    assert search(conn, "滨海新").total == 2
    add(range(32, 33), "滨海新区")
    keep_counts_fresh(conn, min_docs=2)
    assert kept(conn)["滨海新"] == 3 and kept(conn)["招商引资"] == 30
    assert_exact(conn)
    conn.close()
