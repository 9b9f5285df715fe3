"""The index must return exactly what a substring scan returns, for any query length."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tjcrawl.storage.archive import Archive
from tjcrawl.storage.search import search, substring_scan_ids

ALPHABET = "天津招商引资滨海新区港保税aAbB1 ，。\n"


def article(n: int, title: str, body: str) -> dict:
    return {
        "url": f"http://x.test/{n}",
        "source": "s",
        "title": title or "t",
        "body": body or "b",
        "content_hash": str(n),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    docs=st.lists(
        st.tuples(st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=40)),
        min_size=1,
        max_size=12,
    ),
    queries=st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=6),
)
def test_search_equals_substring_scan(tmp_path_factory, docs, queries) -> None:
    path = Path(tmp_path_factory.mktemp("idx")) / "a.db"
    archive = Archive(path)
    for n, (title, body) in enumerate(docs):
        archive.store_article(article(n, title, body), None, "run")
    archive.commit()
    for query in queries:
        if not query.strip() and query != query.strip():
            continue
        found = {hit.id for hit in search(archive.conn, query, limit=1000).hits}
        assert found == substring_scan_ids(archive.conn, query), query
        assert search(archive.conn, query).total == len(found)
    archive.conn.close()


def test_a_changed_article_is_found_by_its_new_text_only(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    assert archive.store_article(article(1, "天津", "招商引资签约"), None, "r1") == "new"
    assert archive.store_article(article(1, "天津", "招商引资签约"), None, "r2") == "unchanged"
    changed = article(1, "天津", "滨海新区开放")
    changed["content_hash"] = "other"
    assert archive.store_article(changed, None, "r3") == "changed"
    archive.commit()
    assert search(archive.conn, "招商").total == 0
    assert search(archive.conn, "滨海").total == 1
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
    newest = search(archive.conn, "天津", order="newest").hits
    assert [h.published_at[:10] for h in newest] == ["2025-06-01", "2025-03-01", "2024-01-05"]
    archive.conn.close()
