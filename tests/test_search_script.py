"""Search is insensitive to script: simplified finds traditional and back, on any archive."""

import json
import shutil
import sqlite3
from pathlib import Path

import opencc
import pytest
from click.testing import CliRunner
from conftest import DemoArchive, run_cli

from tjcrawl.cli import main
from tjcrawl.storage import search as search_module
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.search import fold, search, substring_scan_ids


def article(n: int, title: str, body: str, **extra) -> dict:
    return {
        "url": f"http://x.test/{n}",
        "source": extra.pop("source", "s"),
        "title": title,
        "body": body,
        "content_hash": str(n),
        **extra,
    }


@pytest.fixture
def mixed(tmp_path: Path):
    """A simplified article, its traditional mirror (as a Big5 site has it) and others."""
    archive = Archive(tmp_path / "a.db")
    docs = [
        ("台湾投资企业座谈会召开", "滨海新区举行台湾投资企业座谈会，推动经济社会高质量发展。"),
        ("臺灣投資企業座談會召開", "濱海新區舉行臺灣投資企業座談會，推動經濟社會高質量發展。"),
        ("天津港集装箱吞吐量增长", "天津港今年以来集装箱吞吐量同比增长，港口发展势头良好。"),
        ("GDP Report", "Tianjin gdp grew; 天津GDP增长。"),
    ]
    for n, (title, body) in enumerate(docs, 1):
        archive.store_article(article(n, title, body), None, "run")
    archive.commit()
    yield archive.conn
    archive.conn.close()


def ids(conn, query: str, **kwargs) -> set[int]:
    return {h.id for h in search(conn, query, limit=100, **kwargs).hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("台湾投资", {1, 2}),
        ("臺灣投資", {1, 2}),
        ("台灣投资", {1, 2}),  # mixed within the query too
        ("发展", {1, 2, 3}),
        ("發展", {1, 2, 3}),
        ("臺", {1, 2}),
        ("灣", {1, 2}),
        ("推动经济社会高质", {1, 2}),  # 8 characters
        ("推動經濟社會高質", {1, 2}),
        ("gdp", {4}),
        ("GDP增长", {4}),
    ],
)
def test_either_script_finds_both(mixed, query: str, expected: set[int]) -> None:
    assert ids(mixed, query) == expected
    assert substring_scan_ids(mixed, query) == expected
    assert search(mixed, query).total == len(expected)


def test_snippets_mark_the_original_text(mixed) -> None:
    hits = {h.id: h for h in search(mixed, "台湾投资").hits}
    assert "[台湾投资]" in hits[1].snippet
    assert "[臺灣投資]" in hits[2].snippet
    hits = {h.id: h for h in search(mixed, "發展", order="newest").hits}
    assert "[發展]" in hits[2].snippet and "[发展]" in hits[3].snippet


def test_the_fold_is_openccs_character_table_and_keeps_length(mixed) -> None:
    table = search_module.fold_map(mixed)
    assert fold("臺灣投資發展於乾ABC", table) == "台湾投资发展于干abc"
    assert all(len(v) == 1 for v in table.values())
    assert all(fold(v, table) == v for v in table.values())  # one fold is enough: 薴→苎
    converter = opencc.OpenCC("t2s")
    for char in "臺灣資發們國經區濱質":
        assert fold(char, table) == converter.convert(char)
    # The archive keeps the table it indexed with.
    stored = mixed.execute("SELECT count(*) FROM articles_search_fold").fetchone()[0]
    assert stored == len(table) > 4000


def test_simplified_over_simplified_is_exactly_like(tmp_path: Path) -> None:
    """Where neither text nor query holds a traditional character, search is LIKE."""
    archive = Archive(tmp_path / "a.db")
    words = ["天津", "发展", "资金", "台湾", "投资", "项目", "于家堡", "区"]
    for n in range(40):
        body = "".join(words[(n * k) % len(words)] for k in range(1, 9))
        archive.store_article(article(n, words[n % len(words)], body), None, "r")
    archive.commit()
    conn = archive.conn
    for query in [*words, "天", "资", "于", "发展资金", "天津发展台湾投资"]:
        pattern = f"%{query}%"
        like = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM articles WHERE title LIKE ? OR body LIKE ?", (pattern, pattern)
            )
        }
        assert ids(conn, query) == like, query
    conn.close()


# -- on the demo archive ------------------------------------------------------------------


def demo_queries(path: Path) -> list[str]:
    """Pieces of 1, 2, 3, 4 and 8 characters of the demo's own articles, and a few words."""
    with sqlite3.connect(path) as conn:
        bodies = [r[0] for r in conn.execute("SELECT body FROM articles ORDER BY id LIMIT 7")]
    pieces = []
    for n, body in enumerate(bodies):
        text = body.replace("\n", "")
        for length in (1, 2, 3, 4, 8):
            start = (n * 13 + length * 7) % max(1, len(text) - length)
            pieces.append(text[start : start + length])
    return [*pieces, "天", "天津", "滨海新", "招商引资", "高质量发展", "推动经济社会高质"]


def cli_ids(path: Path, query: str, *, own_process: bool = False) -> tuple[set[str], int]:
    """`tjcrawl search QUERY --json`'s URLs and total: in a process of its own as a user runs it,
    or through click in this one (the same command, without half a second of start-up)."""
    args = ("search", query, "--json", "--limit", "10000", "--db", str(path))
    if own_process:
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
        stdout = result.stdout
    else:
        invoked = CliRunner().invoke(main, args)
        assert invoked.exit_code == 0, invoked.output
        stdout = invoked.stdout
    payload = json.loads(stdout)
    return {h["url"] for h in payload["hits"]}, payload["total"]


def test_demo_search_json_equals_the_substring_scan_for_1_2_3_4_8_chars(
    demo_archive: DemoArchive,
) -> None:
    with sqlite3.connect(demo_archive.path) as conn:
        urls = dict(conn.execute("SELECT id, url FROM articles"))
        queries = demo_queries(demo_archive.path)
        expected = {q: substring_scan_ids(conn, q) for q in queries}
    assert {len(q) for q in queries} >= {1, 2, 3, 4, 8}
    for n, query in enumerate(queries):
        found, total = cli_ids(demo_archive.path, query, own_process=n == 0)
        assert found == {urls[i] for i in expected[query]}, query
        assert total == len(expected[query]), query


def test_demo_traditional_query_finds_the_simplified_article_and_back(
    demo_archive: DemoArchive, tmp_path: Path
) -> None:
    path = tmp_path / "demo-copy.db"
    shutil.copy(demo_archive.path, path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = conn.execute(
            "SELECT url, title, body FROM articles WHERE body LIKE '%发展%' ORDER BY id"
        ).fetchone()
    assert row, "the demo should have an article about 发展"
    url, title, body = row
    to_traditional = opencc.OpenCC("s2t")
    piece = next(
        body[i : i + 6]
        for i in range(len(body) - 6)
        if to_traditional.convert(body[i : i + 6]) != body[i : i + 6]
        and "\n" not in body[i : i + 6]
    )
    traditional_piece = to_traditional.convert(piece)
    found, _ = cli_ids(path, traditional_piece)
    assert url in found, (piece, traditional_piece)

    # A Big5 mirror of that article: the simplified query finds it too.
    archive = Archive(path)
    mirror = article(
        999,
        to_traditional.convert(title),
        to_traditional.convert(body),
        source="big5_mirror",
        url="http://mirror.test/999.html",
    )
    archive.store_article(mirror, None, "mirror-run")
    archive.close()
    found, total = cli_ids(path, piece)
    assert {url, "http://mirror.test/999.html"} <= found
    found_back, total_back = cli_ids(path, traditional_piece)
    assert found_back == found and total_back == total
