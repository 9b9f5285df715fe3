"""The index must return exactly what a substring scan returns, for any query length."""

import itertools
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tjcrawl.datasette_plugin import tj_holds
from tjcrawl.storage import search as search_module
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.search import match_expression, search, searching, substring_scan_ids
from tjcrawl.storage.search import query as search_query
from tjcrawl.storage.search.tokens import phrase_expression

# Simplified and traditional forms (台臺, 湾灣, 资資, 发發, 区區), ASCII in both cases,
# punctuation, spaces and line breaks.
ALPHABET = "天津招商引资資滨海新区區港保税台臺湾灣发發aAbB1 ，。\n"


def article(n: int, title: str, body: str, **extra) -> dict:
    return {
        "url": f"http://x.test/{n}",
        "source": "s",
        "title": title or "t",
        "body": body or "b",
        "content_hash": str(n),
    } | extra


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    docs=st.lists(
        st.tuples(st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=40)),
        min_size=1,
        max_size=12,
    ),
    queries=st.lists(st.text(ALPHABET, min_size=1, max_size=8), min_size=1, max_size=6),
)
def test_search_equals_substring_scan(tmp_path_factory, docs, queries) -> None:
    path = Path(tmp_path_factory.mktemp("idx")) / "a.db"
    archive = Archive(path)
    for n, (title, body) in enumerate(docs):
        if n == len(docs) // 2:  # counts kept for every token and phrase from here on
            archive.commit()  # phrases are counted in the articles: the index must hold them
            search_module.refresh_counts(archive.conn, min_docs=1)
            search_module.refresh_phrases(archive.conn, min_docs=1)
        archive.store_article(article(n, title, body), None, "run")
    archive.commit()
    for query in queries:
        if not query.strip() and query != query.strip():
            continue
        expected = substring_scan_ids(archive.conn, query)
        for order in ("rank", "newest"):
            found = {hit.id for hit in search(archive.conn, query, limit=1000, order=order).hits}
            assert found == expected, (query, order)
        walked = search_module._Query(archive.conn, query, None, None, None)._walk(1000, 10**6)
        assert set(walked) == expected, query  # newest first in a large archive
        assert search(archive.conn, query).total == len(expected)
        # What SQL and Datasette run (tj_match, then tj_holds) finds the same.
        sql = (
            "SELECT a.id, a.title, a.body FROM articles_search s JOIN articles a"
            " ON a.id = s.rowid WHERE articles_search MATCH ?"
        )
        rows = archive.conn.execute(sql, (match_expression(query),))
        assert {i for i, title, body in rows if tj_holds(title, body, query)} == expected, query
    archive.conn.close()


def test_eight_character_queries_are_exact(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    bodies = [
        "推动经济社会高质量发展",
        "推动经济社会高质",
        "推动经济社会高",  # 7 of the 8
        "推动经济 社会高质量",  # a space inside
        "高质推动经济社会高质量",
        "推動經濟社會高質量發展",  # the traditional form
    ]
    for n, body in enumerate(bodies):
        archive.store_article(article(n, "标题", body), None, "r")
    archive.commit()
    conn = archive.conn
    for query in ("推动经济社会高质", "推動經濟社會高質", "经济社会高质量发", "动经济 社会高质"):
        expected = substring_scan_ids(conn, query)
        assert {h.id for h in search(conn, query, limit=100).hits} == expected, query
    assert len(substring_scan_ids(conn, "推动经济社会高质")) == 4
    conn.close()


def test_a_changed_article_is_found_by_its_new_text_only(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    assert archive.store_article(article(1, "天津", "招商引资签约"), None, "r1") == "new"
    assert archive.store_article(article(1, "天津", "招商引资签约"), None, "r2") == "unchanged"
    changed = article(1, "天津", "滨海新区开放")
    changed["content_hash"] = "other"
    assert archive.store_article(changed, None, "r3") == "changed"
    archive.commit()
    assert search(archive.conn, "招商").total == 0
    assert search(archive.conn, "招").total == 0
    assert search(archive.conn, "滨海").total == 1
    assert search(archive.conn, "濱").total == 1
    revisions = archive.conn.execute("SELECT body FROM revisions").fetchall()
    assert revisions == [("招商引资签约",)]
    archive.conn.close()


def test_search_filters_by_source_and_date(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    for n, (source, day) in enumerate(
        [("a", "2024-01-05"), ("b", "2025-03-01"), ("a", "2025-06-01")]
    ):
        row = article(n, "天津新闻", "内容") | {
            "source": source,
            "published_at": f"{day}T00:00:00+08:00",
        }
        archive.store_article(row, None, "r")
    archive.commit()
    assert search(archive.conn, "天津", source="a").total == 2
    assert search(archive.conn, "天津", since="2025-01-01").total == 2
    assert search(archive.conn, "天津", since="2025-01-01", until="2025-04-01").total == 1
    assert search(archive.conn, "天", since="2025-01-01", until="2025-04-01").total == 1
    newest = search(archive.conn, "天津", order="newest").hits
    assert [h.published_at[:10] for h in newest] == ["2025-06-01", "2025-03-01", "2024-01-05"]
    archive.conn.close()


@pytest.fixture
def dated(tmp_path: Path):
    """60 articles over 60 days in shuffled order, every third without 天津, one undated."""
    archive = Archive(tmp_path / "a.db")
    for n in range(60):
        day = (n * 37) % 60
        body = ("天津" if n % 3 else "北京") + "新闻" + "发展" * (n % 4)
        published = f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}T{n % 24:02d}:00:00+08:00"
        row = article(n, f"第{n}条", body, published_at=None if n == 7 else published)
        row["source"] = "a" if n % 2 else "b"
        archive.store_article(row, None, "r")
    archive.commit()
    yield archive.conn
    archive.conn.close()


def by_date(conn: sqlite3.Connection, ids: set[int], limit: int) -> list[int]:
    rows = conn.execute(
        f"SELECT id FROM articles WHERE id IN ({','.join(map(str, ids))})"
        " ORDER BY published_at DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize("walk", [False, True])
@pytest.mark.parametrize("filters", [{}, {"source": "a"}, {"since": "2025-02-01"}])
def test_newest_first_is_exact_whether_sorted_or_walked(dated, monkeypatch, walk, filters):
    if walk:  # the path common words take in a large archive
        monkeypatch.setattr(search_query, "JOIN_SORT_MAX", 0)
        monkeypatch.setattr(search_query, "PROBE_BATCH", 4)
        # With kept counts, a filtered common word reads the filtered articles instead.
        search_module.refresh_counts(dated, min_docs=1)
        search_module.refresh_phrases(dated, min_docs=1)
        monkeypatch.setattr(search_query, "SCAN_COST_RATIO", 1e-9)
        dated.commit()
    for query in ("天津", "天", "新闻发展", "北京"):
        matching = {
            i
            for i in substring_scan_ids(dated, query)
            if dated.execute(
                "SELECT 1 FROM articles WHERE id = ? AND (? IS NULL OR source = ?)"
                " AND (? IS NULL OR published_at >= ?)",
                (i, filters.get("source"), filters.get("source"), filters.get("since"),
                 filters.get("since")),
            ).fetchone()
        }  # fmt: skip
        for limit in (1, 5, 100):
            hits = search(dated, query, order="newest", limit=limit, **filters).hits
            assert [h.id for h in hits] == by_date(dated, matching, limit), (query, limit)


def test_best_first_is_fts5_bm25_over_positions(dated, monkeypatch) -> None:
    """The order of FTS5's bm25 over a positional bigram index of the same articles (what
    the archive's index was before it dropped positions), then newest."""
    table = search_module.fold_map(dated)
    dated.execute("CREATE VIRTUAL TABLE temp.ref USING fts5(text, content='')")
    texts = dated.execute("SELECT id, title, body FROM articles").fetchall()
    dated.executemany(
        "INSERT INTO temp.ref (rowid, text) VALUES (?, ?)",
        [r[:2] for r in search_module.prepare_many(texts, table, positions=True)],
    )
    sql = (
        "SELECT s.rowid FROM temp.ref s JOIN articles a ON a.id = s.rowid"
        " WHERE ref MATCH ? ORDER BY bm25(ref), a.published_at DESC, a.id DESC"
    )
    for query in ("天津", "发展", "天", "展", "天津发展", "新闻"):
        expected = [r[0] for r in dated.execute(sql, (phrase_expression(query, table),))]
        assert [h.id for h in search(dated, query, limit=100).hits] == expected, query
    # Past the window, the most recently archived matches are ranked.
    monkeypatch.setattr(searching, "RANK_WINDOW", 10)
    hits = search(dated, "新闻", limit=5).hits
    assert len(hits) == 5 and min(h.id for h in hits) > 60 - 10


def test_kept_counts_stay_exact_through_new_changed_and_removed_articles(tmp_path: Path):
    archive = Archive(tmp_path / "a.db")
    texts = ["天津发展", "天津港發展", "招商引资", "天津", "台湾投资", "臺灣投資天津"]
    for n, text in enumerate(texts):
        archive.store_article(article(n, "标题", text), None, "r")
    archive.commit()
    conn = archive.conn
    assert search_module.refresh_counts(conn, min_docs=1) > 20  # every token is kept
    kept = dict(conn.execute("SELECT token, docs FROM articles_search_counts"))
    for n, text in enumerate(["天津天津", "发展", "投资台湾"], len(texts)):
        archive.store_article(article(n, "新", text), None, "r")
    changed = article(0, "标题", "北京发展") | {"content_hash": "changed"}
    assert archive.store_article(changed, None, "r") == "changed"
    gone = conn.execute("SELECT id, title, body FROM articles WHERE url LIKE '%/3'").fetchone()
    search_module.unindex_article(conn, *gone)
    conn.execute("DELETE FROM articles WHERE id = ?", (gone[0],))
    archive.commit()
    moved = dict(conn.execute("SELECT token, docs FROM articles_search_counts"))
    assert moved != kept and set(moved) == set(kept)
    for query in ("天", "津", "天津", "发展", "發展", "台湾", "投", "标题", "新", "北京"):
        assert search(conn, query).total == len(substring_scan_ids(conn, query)), query
    # The kept counts are what the index itself counts.
    search_module.refresh_counts(conn, min_docs=1)
    refreshed = dict(conn.execute("SELECT token, docs FROM articles_search_counts"))
    assert {t: n for t, n in refreshed.items() if t in moved} == {
        t: n for t, n in moved.items() if n > 0
    }
    archive.conn.close()


def _spelled(char: str) -> str:
    number, digits = ord(char), ""
    for _ in range(4):
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
    return digits


@settings(max_examples=300, deadline=None)
@given(
    title=st.one_of(st.none(), st.text(max_size=20)),
    body=st.one_of(
        st.none(),
        st.text(alphabet=st.sampled_from("臺灣投資台湾投资天津ABCabc，。\n\U00020000"), max_size=60)
        | st.text(max_size=60),
    ),
)
def test_token_streams_spell_every_folded_bigram_and_character(title, body) -> None:
    """The vectorised tokeniser against its definition, one character at a time."""
    table = search_module.opencc_fold_map()
    folded_title = search_module.fold(title or "", table)
    folded_body = search_module.fold(body or "", table)
    codes = [_spelled(c) for c in folded_title] + ["zzzz"]
    codes += [_spelled(c) for c in folded_body] + ["zzzz"]
    bigrams, chars = search_module.prepare(title, body, table)
    every = [a + b for a, b in itertools.pairwise(codes)]
    assert bigrams.split(" ") == sorted(set(every))  # distinct, in code point order
    [(_, positional, _)] = search_module.prepare_many([(0, title, body)], table, positions=True)
    assert positional.split(" ") == every
    expected_chars = {_spelled(c) for c in folded_title + folded_body}
    assert sorted(chars.split()) == sorted(expected_chars)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=15)), st.one_of(st.none(), st.text(max_size=80))
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_batch_gives_each_article_the_tokens_it_gets_alone(rows) -> None:
    table = search_module.opencc_fold_map()
    numbered = [(n + 7, title, body) for n, (title, body) in enumerate(rows)]
    batch = search_module.prepare_many(numbered, table)
    assert [rowid for rowid, _, _ in batch] == [rowid for rowid, _, _ in numbered]
    for (_, bigrams, chars), (_, title, body) in zip(batch, numbered, strict=True):
        alone_bigrams, alone_chars = search_module.prepare(title, body, table)
        assert bigrams == alone_bigrams
        assert sorted(chars.split()) == sorted(alone_chars.split())


def test_an_article_changed_twice_before_commit_is_found_by_its_last_text(tmp_path: Path):
    archive = Archive(tmp_path / "a.db")
    archive.store_article(article(1, "天津", "招商引资签约"), None, "r1")
    second = article(1, "天津", "滨海新区开放") | {"content_hash": "2nd"}
    third = article(1, "天津", "自贸区挂牌") | {"content_hash": "3rd"}
    assert archive.store_article(second, None, "r2") == "changed"
    assert archive.store_article(third, None, "r3") == "changed"
    archive.commit()
    assert search(archive.conn, "自贸").total == 1
    assert search(archive.conn, "滨海").total == 0
    assert search(archive.conn, "招商").total == 0
    assert archive.conn.execute(
        "SELECT count(*) FROM articles_search WHERE articles_search MATCH ?",
        (match_expression("天津"),),
    ).fetchone() == (1,)
    archive.conn.close()


def test_a_filtered_query_reads_source_and_date_from_the_covering_index(dated) -> None:
    query = search_module._Query(dated, "天津", "a", "2025-02-01", None)
    plan = " ".join(
        row[-1]
        for row in dated.execute(
            f"EXPLAIN QUERY PLAN SELECT count(*) {query._from()}", [query.match, *query.params]
        )
    )
    assert f"COVERING INDEX {search_module.FILTER_INDEX}" in plan
    expected = dated.execute(
        "SELECT count(*) FROM articles WHERE source = 'a' AND published_at >= '2025-02-01'"
        " AND body LIKE '%天津%'"
    ).fetchone()[0]
    assert search(dated, "天津", source="a", since="2025-02-01").total == expected > 0


@pytest.mark.parametrize(
    "filters",
    [{"source": "a"}, {"since": "2025-02-01"}, {"source": "b", "until": "2025-02-10"}],
)
def test_a_narrow_filter_read_article_by_article_gives_the_joined_answer(
    dated, monkeypatch, filters
) -> None:
    search_module.refresh_counts(dated, min_docs=1)
    search_module.refresh_phrases(dated, min_docs=1)
    dated.commit()
    queries = ("天津", "天", "新闻发展", "北京", "展")
    joined = {
        (q, order): search(dated, q, order=order, limit=100, **filters)
        for q in queries
        for order in ("rank", "newest")
    }
    # An archive not yet given scope tokens (read before migration 25) plans as before.
    monkeypatch.setattr(search_query, "scope_match", lambda *_: None)
    monkeypatch.setattr(search_query, "SCAN_COST_RATIO", 1e-9)
    scopes = {"source": None, "since": None, "until": None} | filters
    query = search_module._Query(dated, "天津", **scopes)
    query.count()
    assert query.scanned is not None  # the other plan, indeed
    for (q, order), expected in joined.items():
        for limit in (1, 7, 100):
            found = search(dated, q, order=order, limit=limit, **filters)
            assert found.total == expected.total, (q, order)
            assert found.hits == expected.hits[:limit], (q, order, limit)


def test_an_archive_indexed_with_positions_is_indexed_again_without(tmp_path: Path) -> None:
    """Migration 23: the positional bigram index of an older archive is rebuilt (distinct
    bigrams, detail=none), its kept counts with it, and a second run changes nothing."""
    from tjcrawl.storage import search_migrations
    from tjcrawl.storage.search.common import LENGTH_KEY

    path = tmp_path / "a.db"
    archive = Archive(path)
    texts = ["天津招商引资签约", "臺灣投資天津", "招商引资", "天津港发展"]
    for n, text in enumerate(texts):
        archive.store_article(article(n, "标题", text), None, "r")
    archive.commit()
    conn = archive.conn
    # As schema 22 left it: bigrams at every position, detail=full.
    table = search_module.fold_map(conn)
    rows = conn.execute("SELECT id, title, body FROM articles").fetchall()
    conn.execute("DROP TABLE articles_search")
    conn.execute("CREATE VIRTUAL TABLE articles_search USING fts5(text, content='')")
    conn.executemany(
        "INSERT INTO articles_search (rowid, text) VALUES (?, ?)",
        [r[:2] for r in search_module.prepare_many(rows, table, positions=True)],
    )
    conn.execute("DELETE FROM tjcrawl_meta WHERE key = ?", (LENGTH_KEY,))
    conn.commit()
    for run in range(2):
        conn.execute("BEGIN")
        search_migrations.lean_search_index(archive.db)
        conn.execute("COMMIT")
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_search'")
        assert "detail=none" in sql.fetchone()[0], run
        for query in ("招商引资", "天津", "台湾投资", "港发展"):
            assert {h.id for h in search(conn, query, limit=100).hits} == substring_scan_ids(
                conn, query
            ), (run, query)
    length = sum(len("标题") + len(text) + 1 for text in texts)
    assert conn.execute(
        "SELECT value FROM tjcrawl_meta WHERE key = ?", (LENGTH_KEY,)
    ).fetchone() == (str(length),)
    archive.close()


@pytest.mark.parametrize("kept", [False, True])
def test_an_article_holding_every_bigram_but_not_the_phrase_is_not_found(
    tmp_path: Path, kept: bool
) -> None:
    """The index has no positions: 津天 … 天津 holds both bigrams of 天津天 but not 天津天.
    search (both orders, filtered or not), search_sql and tj_match + tj_holds all leave it."""
    archive = Archive(tmp_path / "a.db")
    bodies = ["津天，天津", "天津天", "天津，津天", "天津天津", "天津"]
    for n, body in enumerate(bodies):
        extra = {"published_at": f"2025-01-0{n + 1}T00:00:00+08:00"}
        archive.store_article(article(n, "标题", body, **extra), None, "r")
    archive.commit()
    conn = archive.conn
    if kept:  # the total is then a kept count, the pages still tested
        search_module.refresh_counts(conn, min_docs=1)
        search_module.refresh_phrases(conn, min_docs=1)
        assert conn.execute(
            "SELECT docs FROM articles_search_phrases WHERE phrase = '天津天'"
        ).fetchone() == (2,)
    expected = substring_scan_ids(conn, "天津天")
    assert len(expected) == 2
    candidates = conn.execute(
        "SELECT count(*) FROM articles_search WHERE articles_search MATCH ?",
        (match_expression("天津天"),),
    ).fetchone()[0]
    assert candidates == 4  # two of them false
    for order in ("rank", "newest"):
        for filters in ({}, {"source": "s"}, {"since": "2025-01-02"}):
            result = search(conn, "天津天", order=order, **filters)
            found = {h.id for h in result.hits}
            assert found == expected and result.total == 2, (order, filters)
    rows = conn.execute(searching.search_sql(conn, "天津天")).fetchall()
    assert {r[0] for r in rows} == expected
    rows = conn.execute(
        "SELECT a.id, a.title, a.body FROM articles_search s JOIN articles a ON a.id = s.rowid"
        " WHERE articles_search MATCH ?",
        (match_expression("天津天"),),
    )
    assert {i for i, title, body in rows if tj_holds(title, body, "天津天")} == expected
    archive.close()
