"""Scope tokens: a search filtered by source or date through the index's own tokens returns
exactly what the SQL filter over the substring scan returns."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from tests.test_search_index import article
from tjcrawl.storage import migrations
from tjcrawl.storage import search as search_module
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.search import query as search_query
from tjcrawl.storage.search import scope_counts, scopes, substring_scan_ids
from tjcrawl.storage.search.scopes import SCOPES_KEY, scope_tokens

WORDS = ("天津", "發展", "招商引资", "北京", "新闻")
# What published_at holds in real archives and in odd ones: days with and without a time,
# month ends, a leap day, an undated article, and strings that are no calendar date.
DATES = [
    "2024-02-29T23:59:59+08:00",
    "2024-03-01T00:00:00+08:00",
    "2024-12-31T08:00:00+08:00",
    "2025-01-01",
    "2025-01-01T00:00:00+08:00",
    "2025-01-31T12:30:00+08:00",
    "2025-02-01T09:00:00+08:00",
    "2025-11-30T23:00:00+08:00",
    "2025-12-01T00:00:00+08:00",
    "2025-12-01T15:00:00+08:00",
    "2026-01-02T10:00:00+08:00",
    None,
    "2025-13-01T00:00:00+08:00",
    "2025/12/01",
    "unknown",
]
# Bounds a user may give: days, months, years, a time of day that cuts a day, odd strings.
BOUNDS = [
    None,
    "2024",
    "2024-02-29",
    "2024-03",
    "2025-01-01",
    "2025-01-01T00:00:00+08:00",
    "2025-01-01T06",
    "2025-02-01",
    "2025-12-01",
    "2025-12-01T12:00:00+08:00",
    "2025-12",
    "2026",
    "2025/12",
    "x",
]


def build_varied(path: Path) -> sqlite3.Connection:
    archive = Archive(path)
    draw = random.Random(20261207)
    for n in range(240):
        body = "".join(draw.sample(WORDS, 2)) + "第" + str(n)
        row = article(n, f"标题{n}", body)
        row["source"] = ("tj_daily", "区县", "a b")[draw.randrange(3)]
        archive.store_article(row, None, "r")
    archive.commit()
    for (article_id,) in archive.conn.execute("SELECT id FROM articles").fetchall():
        set_published(archive.conn, article_id, DATES[article_id % len(DATES)])
    archive.conn.commit()
    return archive.conn


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    conn = build_varied(tmp_path_factory.mktemp("scopes") / "a.db")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    """The same archive with every token and phrase counted, also by scope."""
    conn = build_varied(tmp_path_factory.mktemp("counted") / "a.db")
    search_module.refresh_counts(conn, min_docs=1)
    search_module.refresh_phrases(conn, min_docs=2, scope_min_docs=2)
    conn.commit()
    yield conn
    conn.close()


def set_published(conn: sqlite3.Connection, article_id: int, published: str | None) -> None:
    """Give a stored article any published_at, as the archive changes a row: unindexed
    before, indexed after (the pipeline stores ISO dates only; older archives hold others)."""
    title, body = conn.execute(
        "SELECT title, body FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    search_module.unindex_article(conn, article_id, title, body)
    conn.execute("UPDATE articles SET published_at = ? WHERE id = ?", (published, article_id))
    search_module.index_article(conn, article_id, title, body)


def expected_ids(conn: sqlite3.Connection, query: str, source, since, until) -> set[int]:
    where, params = search_query.article_filters(source, since, until)
    kept = {r[0] for r in conn.execute(f"SELECT a.id FROM articles a WHERE {where}", params)}
    return substring_scan_ids(conn, query) & kept


def assert_every_filter_exact(conn: sqlite3.Connection, until_step: int) -> None:
    """Each filter of BOUNDS (and a source) finds, in both orders, what the SQL filter keeps."""
    for since in BOUNDS:
        for until in BOUNDS[::until_step]:
            for source in (None, "区县"):
                if not (source or since or until):
                    continue
                plan = scopes.scope_match(conn, source, since, until)
                assert plan is not None, (source, since, until)
                for query in ("天津", "发", "招商引资"):
                    want = expected_ids(conn, query, source, since, until)
                    for order in ("rank", "newest"):
                        found = search_module.search(
                            conn, query, source=source, since=since, until=until,
                            order=order, limit=1000,
                        )  # fmt: skip
                        assert found.total == len(want), (query, source, since, until, order)
                        assert {h.id for h in found.hits} == want


def test_every_filter_finds_what_the_sql_filter_keeps(varied: sqlite3.Connection) -> None:
    assert scopes.scoped(varied)
    assert_every_filter_exact(varied, until_step=3)


def test_the_sql_for_plain_sqlite3_uses_the_scope_tokens_and_stays_exact(
    varied: sqlite3.Connection,
) -> None:
    for source, since, until in [("区县", None, None), (None, "2025-01-01T06", "2025-12-01T12")]:
        sql = search_module.search_sql(varied, "天津", source=source, since=since, until=until)
        assert "zzzzz" in sql
        found = {r[0] for r in varied.execute(sql)}
        assert found == expected_ids(varied, "天津", source, since, until)


def test_the_scoped_plan_gives_the_joined_plans_hits(
    varied: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [("区县", None, None), (None, "2025-01-01T06", "2025-12-01T12:00:00+08:00")]
    scoped = {
        c: search_module.search(varied, "天津", source=c[0], since=c[1], until=c[2]) for c in cases
    }
    monkeypatch.setattr(search_query, "scope_match", lambda *_: None)
    for (source, since, until), result in scoped.items():
        assert (
            search_module.search(varied, "天津", source=source, since=since, until=until) == result
        )


def test_a_bound_that_cuts_a_day_makes_it_an_edge_and_whole_days_need_no_test(
    varied: sqlite3.Connection,
) -> None:
    plan = scopes.scope_match(varied, None, "2025-12-01T12:00:00+08:00", None)
    assert plan is not None and plan.edge is not None and plan.whole is not None
    assert "zzzzzd20251201" in plan.edge and "zzzzzd20251201" not in plan.whole
    assert "zzzzzd20251202" in plan.whole and "zzzzzy2026" in plan.whole
    whole_year = scopes.scope_match(varied, "tj_daily", "2025-01-01", "2026-01-01")
    assert whole_year is not None and whole_year.whole is not None
    assert "zzzzzy2025" in whole_year.whole and "zzzzzy2024" not in whole_year.whole
    assert whole_year.whole_match.startswith(scopes.source_token("tj_daily") + " AND ")


def could_be_a_text_token(token: str) -> bool:
    """A character's four base-36 digits (at most 0x10FFFF), END, or a bigram of two."""
    if len(token) not in (4, 8):
        return False
    codes = [token[:4], token[4:]] if len(token) == 8 else [token]
    return all(code == "zzzz" or int(code, 36) <= 0x10FFFF for code in codes)


def test_scope_tokens_never_look_like_text_tokens() -> None:
    for source, published in [("tj_daily", "2025-12-01T00:00:00+08:00"), ("a", "odd"), ("x", None)]:
        for token in scope_tokens(source, published).split():
            assert token.startswith("zzzzz") and not could_be_a_text_token(token)
    assert scope_tokens("a", "2025-02-30T00:00:00+08:00").split()[1] == scopes.ODD_DATE


def test_a_corrected_date_moves_the_article_between_scopes(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    first = article(1, "标题", "天津发展", published_at="2025-03-01T00:00:00+08:00")
    archive.store_article(first, None, "r")
    archive.commit()
    corrected = first | {"published_at": "2024-03-01T00:00:00+08:00", "date_source": "url"}
    assert archive.store_article(corrected, None, "r") == "changed"
    archive.commit()
    conn = archive.conn
    assert search_module.search(conn, "天津", since="2025-01-01").total == 0
    assert search_module.search(conn, "天津", until="2025-01-01").total == 1
    assert search_module.search(conn, "天津", since="2024-03-01", until="2024-03-02").total == 1


def test_unindexing_an_article_whose_row_is_gone_is_refused(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    archive.store_article(article(1, "标题", "天津"), None, "r")
    archive.commit()
    conn = archive.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM articles WHERE id = 1")
    with pytest.raises(ValueError, match="unindex an article before deleting it"):
        search_module.unindex_article(conn, 1, "标题", "天津")


def test_migration_25_gives_an_older_index_its_scope_tokens(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    for n in range(len(DATES)):
        archive.store_article(article(n, "标题", f"天津第{n}"), None, "r")
    archive.commit()
    conn = archive.conn
    for n, published in enumerate(DATES, 1):
        set_published(conn, n, published)
    # The index as schema 24 left it: the same rows without scope tokens.
    search_module.create_index(conn, reindex=False)
    conn.execute("DELETE FROM tjcrawl_meta WHERE key = ?", (SCOPES_KEY,))
    search_module.index_articles(
        conn, conn.execute("SELECT id, title, body FROM articles").fetchall()
    )
    conn.execute("PRAGMA user_version = 24")
    conn.commit()
    assert scopes.scope_match(conn, "tj_daily", None, None) is None
    before = search_module.search(conn, "天津", since="2025-01-01", until="2025-12-01T12")
    db = migrations.sqlite_utils.Database(conn)
    assert migrations.migrate(db) == 1
    assert scopes.scoped(conn)
    assert search_module.search(conn, "天津", since="2025-01-01", until="2025-12-01T12") == before
    vocab = "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, articles_search, row)"
    conn.execute(vocab)
    assert conn.execute("SELECT doc FROM temp.v WHERE term = 'zzzzzy2025'").fetchone()[0] == 7
    conn.execute("PRAGMA user_version = 24")
    assert migrations.migrate(db) == 1  # run again: the index is kept as it is
    assert conn.execute("SELECT doc FROM temp.v WHERE term = 'zzzzzy2025'").fetchone()[0] == 7


def recount(conn: sqlite3.Connection) -> dict[tuple[str, str, str], int]:
    """The counts by scope made afresh from the articles themselves."""
    table = search_module.fold_map(conn)
    kept = conn.execute(
        "SELECT kind, key FROM articles_search_scope_counts WHERE scope = ''"
    ).fetchall()
    tokens = {key for kind, key in kept if kind == scope_counts.TOKEN}
    phrases = [key for kind, key in kept if kind == scope_counts.PHRASE]
    found: dict[tuple[str, str, str], int] = {}
    rows = conn.execute("SELECT id, title, body, source, published_at FROM articles").fetchall()
    prepared = search_module.prepare_many([r[:3] for r in rows], table)
    for (_, title, body, source, published), (_, bigrams, chars) in zip(
        rows, prepared, strict=True
    ):
        scopes = ["", *scope_counts.article_scopes(scope_tokens(source, published).split())]
        text = search_module.fold(f"{title}\n{body}", table)
        held = [(scope_counts.TOKEN, t) for t in tokens & set(f"{bigrams} {chars}".split())]
        held += [(scope_counts.PHRASE, p) for p in phrases if p in text]
        for kind, key in held:
            for scope in scopes:
                found[(kind, key, scope)] = found.get((kind, key, scope), 0) + 1
    return found


def kept_by_scope(conn: sqlite3.Connection) -> dict[tuple[str, str, str], int]:
    rows = conn.execute("SELECT kind, key, scope, docs FROM articles_search_scope_counts")
    return {(kind, key, scope): docs for kind, key, scope, docs in rows if docs}


def test_counts_by_scope_are_exact_when_found_and_after_every_change(tmp_path: Path) -> None:
    conn = build_varied(tmp_path / "a.db")
    search_module.refresh_counts(conn, min_docs=1)
    search_module.refresh_phrases(conn, min_docs=2, scope_min_docs=2)
    conn.commit()
    found = kept_by_scope(conn)
    assert any(k[0] == scope_counts.PHRASE for k in found), "招商引资 is kept by scope"
    assert any(k[2].startswith("zzzzzs") and "y2025" in k[2] for k in found)
    assert found == recount(conn)
    archive = Archive(tmp_path / "a.db")
    for n in range(300, 310):
        row = article(n, "新", "招商引资天津" * (n % 3), published_at="2025-12-01T09:00:00+08:00")
        archive.store_article(row | {"source": "区县"}, None, "r")
    changed = article(5, "标题5", "北京", published_at="2024-03-01T00:00:00+08:00")
    assert archive.store_article(changed | {"date_source": "url"}, None, "r") == "changed"
    archive.commit()
    gone = archive.conn.execute("SELECT id, title, body FROM articles WHERE id = 9").fetchone()
    search_module.unindex_article(archive.conn, *gone)
    archive.conn.execute("PRAGMA foreign_keys = OFF")
    archive.conn.execute("DELETE FROM articles WHERE id = 9")
    archive.conn.commit()
    assert kept_by_scope(archive.conn) == recount(archive.conn) != found


def test_filters_answered_from_counts_by_scope_stay_exact(
    counted: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered = []
    real = scope_counts.kept_docs

    def spy(*args):
        docs = real(*args)
        answered.append(docs is not None)
        return docs

    monkeypatch.setattr(scope_counts, "kept_docs", spy)
    assert_every_filter_exact(counted, until_step=4)
    assert sum(answered) > 50


def test_phrase_counts_by_scope_move_without_kept_token_counts(tmp_path: Path) -> None:
    conn = build_varied(tmp_path / "a.db")
    search_module.refresh_phrases(conn, min_docs=2, scope_min_docs=2)  # no refresh_counts
    conn.commit()
    archive = Archive(tmp_path / "a.db")
    row = article(400, "新", "招商引资", published_at="2025-12-01T09:00:00+08:00")
    archive.store_article(row | {"source": "区县"}, None, "r")
    archive.commit()
    assert kept_by_scope(archive.conn) == recount(archive.conn)
    assert any(key[0] == scope_counts.PHRASE for key in kept_by_scope(archive.conn))
