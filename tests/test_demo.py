"""The README's first steps: `tjcrawl demo` into a fresh archive, twice, then use it."""

import csv
import io
import json
import sqlite3
import tomllib
from contextlib import closing
from datetime import datetime
from typing import Any

import pytest
import zstandard
from conftest import FIXTURES, DemoArchive, count, run_cli

from tjcrawl.cli.searching import DEMO_ATTACHMENT_WORD
from tjcrawl.fixtures import fact_differences, fixture_fetched_at, fixture_path, read_goldens
from tjcrawl.profiles import load_profiles
from tjcrawl.storage.attachments import attachment_bytes
from tjcrawl.storage.fact_queries import FactQuery, find
from tjcrawl.storage.search import substring_scan_ids
from tjcrawl.storage.search.attachments import attachment_substring_scan

FIXTURE_PROFILES = [p for p in load_profiles().values() if p.fixture]


def fixture_article_count() -> int:
    return sum(
        tomllib.loads((FIXTURES / p.slug / "fixture.toml").read_text("utf-8"))["articles"]
        for p in FIXTURE_PROFILES
    )


def test_demo_archives_every_fixture_article_once(demo_archive: DemoArchive) -> None:
    assert demo_archive.articles_after_first == fixture_article_count()
    assert count(demo_archive.path, "SELECT count(*) FROM articles") == fixture_article_count()
    assert (
        count(demo_archive.path, "SELECT count(DISTINCT url) FROM articles")
        == fixture_article_count()
    )


def test_a_second_demo_adds_no_article_and_a_second_set_of_runs(demo_archive: DemoArchive) -> None:
    sources = len(FIXTURE_PROFILES)
    assert demo_archive.runs_after_first == sources
    path = demo_archive.path
    assert count(path, "SELECT count(*) FROM crawl_runs") == 2 * sources
    assert count(path, "SELECT count(DISTINCT run_id) FROM crawl_runs") == 2
    assert count(path, "SELECT sum(items_new) FROM crawl_runs") == fixture_article_count()
    with sqlite3.connect(path) as conn:
        last = conn.execute(
            "SELECT sum(items_new), sum(items_changed), sum(items_unchanged), min(finish_reason),"
            " max(finish_reason), count(finished_at) FROM crawl_runs WHERE run_id ="
            " (SELECT run_id FROM crawl_runs ORDER BY id DESC LIMIT 1)"
        ).fetchone()
    assert last[:2] == (0, 0)
    assert last[3:] == ("finished", "finished", sources)
    assert count(path, "SELECT count(*) FROM revisions") == 0


def test_demo_prints_a_summary_and_an_example_search(demo_archive: DemoArchive) -> None:
    out = demo_archive.first.stdout
    for profile in FIXTURE_PROFILES:
        assert profile.slug in out
    assert "tjcrawl search 招商引资" in out
    assert "Example: tjcrawl facts --" in out  # one 招商引资 fact query
    assert "Traceback" not in demo_archive.first.stderr


def test_the_demo_finds_a_word_that_only_an_attachment_holds(demo_archive: DemoArchive) -> None:
    word = DEMO_ATTACHMENT_WORD
    docx = "http://gov.tjcrawl.test/sy/tjxw/202411/P020241114123457.docx"
    out = demo_archive.first.stdout
    assert f"tjcrawl search {word} --db {demo_archive.path}  (0 articles, 1 attachment files)" in (
        out
    )
    assert "附件 附件2：政策问答.docx  in: 天津市出台支持民营经济高质量发展若干措施" in out
    assert f"[{word}]" in out
    with sqlite3.connect(demo_archive.path) as conn:
        assert substring_scan_ids(conn, word) == set()  # in no page: only in the file
        assert attachment_substring_scan(conn, word) == {docx}
        stored = attachment_bytes(conn, docx)
    served = fixture_path(next(p for p in FIXTURE_PROFILES if p.slug == "demo_trs"), docx)
    assert served is not None and stored == served.read_bytes()


def test_demo_articles_equal_the_goldens(demo_archive: DemoArchive) -> None:
    with closing(sqlite3.connect(demo_archive.path)) as conn:
        conn.row_factory = sqlite3.Row
        stored = {r["url"]: dict(r) for r in conn.execute("SELECT * FROM articles")}
        facts: dict[int, list[dict[str, Any]]] = {}
        for f in conn.execute(
            "SELECT article_id, kind, value, role, surface FROM article_facts"
            " WHERE field IN ('title', 'body') ORDER BY id"
        ):
            facts.setdefault(f["article_id"], []).append(
                {name: f[name] for name in ("kind", "value", "role", "surface")}
            )
    for profile in FIXTURE_PROFILES:
        for golden in read_goldens(profile.slug):
            row = stored[golden["url"]]
            for field in ("url", "title", "body", "origin", "author"):
                assert row[field] == golden[field], (golden["url"], field)
            # Relative listing dates (昨天 10:30) resolve against the fixture's frozen clock
            # (its fetched_at), as the goldens do, not against the day the demo runs.
            for field in ("published_at", "date_source", "date_precision"):
                assert row[field] == golden[field], (golden["url"], field)
            assert bool(row["date_conflict"]) == golden["date_conflict"], golden["url"]
            # The crawl computed the facts the goldens expect, fact by fact.
            found = facts.get(row["id"], [])
            assert fact_differences(golden["facts"], found) == [], golden["url"]


def test_a_district_query_on_the_demo_lists_the_seeds_bonded_zone_projects(
    demo_archive: DemoArchive,
) -> None:
    """The facts the demo's crawl stored (the real finder, on the write path): a query for
    滨海新区 takes in the 天津港保税区 (a zone inside it) and so lists the seed's projects."""
    with sqlite3.connect(f"file:{demo_archive.path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        listed = {row["title"] for row in find(conn, FactQuery(district="滨海新区"))}
        bonded = {
            title
            for (title,) in conn.execute(
                "SELECT DISTINCT title FROM fact_projects WHERE title LIKE '%保税区%'"
            )
        }
    assert "天津港保税区签约一批航空航天产业项目" in bonded  # the seed's 保税区 projects
    assert bonded <= listed  # 保税区 lies in 滨海新区


def test_no_demo_article_is_dated_after_its_fixture_was_captured(
    demo_archive: DemoArchive,
) -> None:
    with sqlite3.connect(demo_archive.path) as conn:
        rows = conn.execute("SELECT source, url, published_at FROM articles").fetchall()
    captured = {p.slug: fixture_fetched_at(p.slug) for p in FIXTURE_PROFILES}
    dated = [(s, u, d) for s, u, d in rows if d]
    assert len(dated) > len(rows) / 2
    later = [(u, d) for s, u, d in dated if datetime.fromisoformat(d) > captured[s]]
    assert later == []


def test_a_first_ever_run_is_not_a_resume(demo_archive: DemoArchive) -> None:
    with sqlite3.connect(demo_archive.path) as conn:
        modes = conn.execute("SELECT mode FROM crawl_runs ORDER BY id").fetchall()
    assert [m for (m,) in modes] == ["incremental"] * len(modes)


@pytest.mark.parametrize(
    "query",
    [
        "天",
        "津",
        "资",
        "天津",
        "招商",
        "港口",
        "滨海新",
        "保税区",
        "招商引资",
        "京津冀协",
        "高质量发展",
        "津市召开民营企业",  # 8 characters
        "跨境电商产业园实",  # 8 characters
        "no such words",
        "2025",
    ],
)
def test_search_json_equals_a_substring_scan(demo_archive: DemoArchive, query: str) -> None:
    result = run_cli("search", query, "--json", "--limit", "10000", "--db", str(demo_archive.path))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    with sqlite3.connect(demo_archive.path) as conn:
        expected_ids = substring_scan_ids(conn, query)
        urls = {r[0]: r[1] for r in conn.execute("SELECT id, url FROM articles")}
    assert {hit["url"] for hit in payload["hits"]} == {urls[i] for i in expected_ids}
    assert payload["total"] == len(expected_ids)
    if query in ("天津", "招商引资"):
        assert 0 < payload["total"] < len(urls), "fixtures should have articles without the word"


def test_raw_pages_are_kept_byte_for_byte_with_their_encodings(demo_archive: DemoArchive) -> None:
    profiles = {p.slug: p for p in FIXTURE_PROFILES}
    with sqlite3.connect(demo_archive.path) as conn:
        rows = conn.execute(
            "SELECT url, source, body, status, declared_encoding, used_encoding, compression"
            " FROM pages"
        ).fetchall()
    assert rows
    used = set()
    for url, source, body, status, declared, encoding, how in rows:
        if status != 200:
            continue
        path = fixture_path(profiles[source], url)
        # Too few pages for a dictionary: zstd alone, readable by any zstd tool.
        assert how == "zstd" and path is not None, url
        assert zstandard.decompress(body) == path.read_bytes(), url
        used.add((declared, encoding))
    assert ("gb2312", "utf-8") in used, "the lying-charset page should be read as UTF-8"
    assert any(e == "gb18030" for _, e in used)


def test_export_jsonl_and_csv(demo_archive: DemoArchive, tmp_path) -> None:
    out = tmp_path / "a.jsonl"
    result = run_cli("export", "--format", "jsonl", "-o", str(out), "--db", str(demo_archive.path))
    assert result.returncode == 0, result.stderr
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == fixture_article_count()
    assert "\\u" not in lines[0] and json.loads(lines[0])["title"]
    result = run_cli(
        "export", "--format", "csv", "--source", "demo_trs", "--db", str(demo_archive.path)
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(read_goldens("demo_trs"))
    assert {r["source"] for r in rows} == {"demo_trs"}


def test_stats_counts_per_source(demo_archive: DemoArchive) -> None:
    result = run_cli("stats", "--db", str(demo_archive.path))
    assert result.returncode == 0
    for profile in FIXTURE_PROFILES:
        line = next(x for x in result.stdout.splitlines() if x.startswith(profile.slug))
        assert int(line.split()[1]) == len(read_goldens(profile.slug))
    assert f"total: {fixture_article_count()} articles from 2 runs" in result.stdout


def test_a_traditional_query_finds_the_simplified_articles(demo_archive: DemoArchive) -> None:
    def urls(query: str) -> set[str]:
        result = run_cli(
            "search", query, "--json", "--limit", "1000", "--db", str(demo_archive.path)
        )
        assert result.returncode == 0, result.stderr
        return {hit["url"] for hit in json.loads(result.stdout)["hits"]}

    simplified = urls("招商引资")
    assert simplified and urls("招商引資") == simplified
    assert urls("濱海新區") == urls("滨海新区") != set()
