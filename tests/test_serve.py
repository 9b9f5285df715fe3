"""`tjcrawl serve`, plain `datasette`, sqlite-utils and sqlite3 on an archive, checked
in-process, in their own processes and in headless Chromium.

The browser tests drive Debian's Chromium (/usr/bin/chromium) through Debian's ChromeDriver
(/usr/bin/chromedriver) with Selenium; nothing is downloaded. Without them they fail, saying
what to install. Screenshots are kept in tests/artifacts/ (ignored by git).

Plain `datasette` finds tjcrawl's plugin through its ``datasette`` entry point, which exists
once tjcrawl is installed (``pip install -e '.[test]'``; again after pyproject.toml changes).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import REPO, DemoArchive, run_cli
from facts_archive import make_facts_archive

from tjcrawl.datasette_plugin import DEFAULT_COLUMNS
from tjcrawl.serve import (
    INDEX_TABLES,
    QUERIES,
    SEARCH_LIMIT,
    ServeError,
    build_datasette,
    build_metadata,
    check_archive,
)
from tjcrawl.storage.descriptions import DESCRIPTIONS
from tjcrawl.storage.migrations import MIGRATIONS
from tjcrawl.storage.search import CHARS, search
from tjcrawl.storage.search_migrations import scannable_char_index

ARTIFACTS = REPO / "tests" / "artifacts"
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",  # the server is on loopback; never ask a proxy from the environment
    "--window-size=1400,900",  # a laptop's first screen
    "--lang=zh-CN",
]
INSTALL_HINT = (
    "apt-get install chromium chromium-driver fonts-noto-cjk "
    "and pip install -e '.[test]' (.ci/run does both)"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_only(db: Path) -> sqlite3.Connection:
    """The shared demo archive is only ever read here."""
    return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)


def get_all(db_path: Path, *paths: str) -> list:
    """GET each path from a fresh in-process Datasette for the archive; responses in order."""
    ds = build_datasette(db_path)

    async def fetch() -> list:
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    return asyncio.run(fetch())


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.text[:2000]
    return response.json()


def cli_search(db: Path, query: str) -> dict:
    result = run_cli("search", query, "--db", str(db), "--json", "--limit", str(SEARCH_LIMIT))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# In-process: configuration and queries, no browser.


def test_metadata_describes_every_table_and_view_and_hides_the_index() -> None:
    tables = build_metadata("archive")["databases"]["archive"]["tables"]
    for name, (description, columns) in DESCRIPTIONS.items():
        assert tables[name]["description"] == description
        assert tables[name]["columns"] == columns
    for name in INDEX_TABLES:
        assert tables[name] == {"hidden": True}
    assert tables["articles"]["facets"] == ["source", {"month": "published_at"}]
    assert tables["articles"]["sort_desc"] == "published_at"
    assert set(build_metadata("archive")["databases"]["archive"]["queries"]) == {
        "latest_per_source",
        "search",
        "search_attachments",
        "repost_groups",
        "withdrawn",
        "failed_pages",
        "signed_projects",
    }


@pytest.mark.parametrize("query", ["天津", "津", "招商引资", "滨海新区", "2024", "不存在的词语"])
def test_the_search_query_and_the_search_box_find_what_tjcrawl_search_finds(
    demo_archive: DemoArchive, query: str
) -> None:
    with closing(read_only(demo_archive.path)) as conn:
        expected = search(conn, query, limit=SEARCH_LIMIT)
    canned, table_page = get_all(
        demo_archive.path,
        f"/archive/search.json?_shape=array&q={query}",
        f"/archive/articles.json?_search={query}&_size=max&_shape=objects",
    )
    found = rows(canned)
    assert len(found) == min(expected.total, SEARCH_LIMIT)
    assert {r["id"] for r in found} == {h.id for h in expected.hits}
    for row in found:
        assert query.lower() in row["snippet"].lower()
    assert table_page.json()["filtered_table_rows_count"] == expected.total


def test_an_empty_search_finds_nothing_and_fails_nothing(demo_archive: DemoArchive) -> None:
    (response,) = get_all(demo_archive.path, "/archive/search.json?_shape=array&q=")
    assert rows(response) == []


def test_articles_are_faceted_by_source_and_by_local_month(demo_archive: DemoArchive) -> None:
    with closing(read_only(demo_archive.path)) as conn:
        by_source = dict(conn.execute("SELECT source, count(*) FROM articles GROUP BY 1"))
        by_month = dict(
            conn.execute(
                "SELECT substr(published_at, 1, 7), count(*) FROM articles"
                " WHERE published_at IS NOT NULL GROUP BY 1"
            )
        )
    month = max(by_month)
    whole, one_month = get_all(
        demo_archive.path,
        "/archive/articles.json",
        f"/archive/articles.json?published_at__startswith={month}",
    )
    facets = whole.json()["facet_results"]
    assert {r["value"]: r["count"] for r in facets["source"]["results"]} == by_source
    months = facets["published_at"]
    assert months["type"] == "month"
    assert [r["value"] for r in months["results"]] == sorted(by_month, reverse=True)
    assert {r["value"]: r["count"] for r in months["results"]} == by_month
    assert f"published_at__startswith={month}" in months["results"][0]["toggle_url"]
    assert one_month.json()["filtered_table_rows_count"] == by_month[month]
    published = [r[4] for r in whole.json()["rows"]]  # sorted newest first by default
    assert published == sorted(published, reverse=True)


def test_canned_queries_list_latest_reposts_withdrawn_and_failed_pages(
    demo_archive: DemoArchive, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive.path, db)
    with sqlite3.connect(db) as conn:
        first = conn.execute("SELECT min(id) FROM articles").fetchone()[0]
        conn.execute(
            "UPDATE articles SET withdrawn_at = '2026-11-28T02:40:00+08:00' WHERE id = ?", (first,)
        )
        # The crawl grouped the demo sites' three re-posts (转载).
        groups = dict(conn.execute("SELECT article_id, group_id FROM repost_members"))
        page_id, page_url, source = conn.execute(
            "SELECT id, url, source FROM pages WHERE kind = 'detail' LIMIT 1"
        ).fetchone()
        conn.execute(
            "INSERT INTO faults (run_id, source, url, kind, status, detail, at)"
            " VALUES ('r1', ?, ?, 'extraction_failed', 200, 'no title', '2026-11-28T02:41:00')",
            (source, page_url),
        )
        per_source = dict(conn.execute("SELECT source, count(*) FROM articles GROUP BY 1"))
    latest, reposts, withdrawn, failed = get_all(
        db,
        *(
            f"/archive/{name}.json?_shape=array"
            for name in ("latest_per_source", "repost_groups", "withdrawn", "failed_pages")
        ),
    )
    latest = rows(latest)
    assert len(latest) == sum(min(5, n) for n in per_source.values())
    assert latest[0]["published_at"] == max(r["published_at"] for r in latest)
    listed = [(r["group_id"], r["article_id"], r["is_canonical"]) for r in rows(reposts)]
    assert len(listed) == len(groups) == 6
    assert {article: group for group, article, _ in listed} == groups
    assert [group for group, _, _ in listed] == sorted(groups.values(), reverse=True)
    heads = {}
    for group, article, canonical in listed:
        heads.setdefault(group, (article, canonical))
    assert all(head == (group, 1) for group, head in heads.items()), "canonical member first"
    assert [r["id"] for r in rows(withdrawn)] == [first]
    assert [(r["url"], r["page_id"], r["detail"]) for r in rows(failed)] == [
        (page_url, page_id, "no title")
    ]


def test_facts_are_faceted_by_district_industry_and_amount_and_summed_by_district_and_year(
    tmp_path: Path,
) -> None:
    db = make_facts_archive(tmp_path / "archive.db")
    table, signed = get_all(
        db,
        "/archive/fact_projects.json?_shape=objects",
        "/archive/signed_projects.json?_shape=array",
    )
    facets = rows(table)["facet_results"]
    counts = {name: {r["value"]: r["count"] for r in facets[name]["results"]} for name in facets}
    # 天津港保税区 and 经开区 are in 滨海新区: a district facet counts its zones' facts.
    assert counts["district"] == {"滨海新区": 4, "和平区": 1}
    assert counts["industry"] == {"航空航天": 2}
    assert counts["amount_range"] == {"10亿–100亿": 2, "1000万–1亿": 1}
    published = [r["published_at"] for r in rows(table)["rows"]]
    assert published == sorted(published, reverse=True)  # newest first
    # Only articles reporting signed projects; each article's largest amount, summed.
    assert rows(signed) == [
        {
            "year": "2025",
            "district": "滨海新区",
            "articles": 2,
            "projects_signed": 12,
            "investment_yi_yuan": 90.0,
        }
    ]


def test_serving_never_writes_to_the_archive(demo_archive: DemoArchive, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive.path, db)
    before = sha256(db)
    responses = get_all(
        db,
        "/archive/articles?_search=天津",
        "/archive/search?q=天津",
        "/archive/latest_per_source",
        "/archive.json?sql=insert+into+tjcrawl_meta+values+('x','y')",
    )
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert responses[3].status_code == 400  # Datasette refuses anything but a read
    assert sha256(db) == before
    assert (
        not db.with_name("archive.db-wal").exists()
        or db.with_name("archive.db-wal").stat().st_size == 0
    )


def test_what_is_not_an_archive_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "text.db").write_text("not sqlite at all " * 100)
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    cases = {
        tmp_path / "missing.db": "no archive here",
        tmp_path: "is a folder",
        tmp_path / "text.db": "not a usable SQLite archive",
        tmp_path / "other.db": "not a tjcrawl archive",
    }
    for path, message in cases.items():
        with pytest.raises(ServeError, match=message):
            check_archive(path)
    result = run_cli("serve", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'missing.db'}: no archive here; "
        "run `tjcrawl demo` or `tjcrawl crawl` first"
    ]


def test_an_older_archive_is_served_as_it_is_and_a_newer_one_refused(
    demo_archive: DemoArchive, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive.path, db)
    assert check_archive(db) is None
    with sqlite3.connect(db) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        # As the archive was before that migration (the later ones run again, harmlessly).
        conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(scannable_char_index)}")
    assert "older than this tjcrawl" in check_archive(db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {version + 1}")
    with pytest.raises(ServeError, match="newer than this tjcrawl"):
        check_archive(db)


# In Chromium, against `tjcrawl serve` in its own process.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _running(command: list[str], log_path: Path, port: int) -> Iterator[str]:
    """A web server started by ``command`` on 127.0.0.1:PORT; its base URL. Always stopped."""
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"{command} exited {server.returncode}:\n{log_path.read_text()}")
            try:
                with no_proxy.open(f"{base}/-/versions.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{command} not ready after 30 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _get(url: str) -> tuple[int, str]:
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with no_proxy.open(url, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def served(demo_archive: DemoArchive, tmp_path: Path) -> Iterator[str]:
    """`tjcrawl serve` on a free loopback port; its base URL. Always stopped."""
    port = _free_port()
    command = ["serve", "--db", str(demo_archive.path), "--host", "127.0.0.1", "--port", str(port)]
    with _running(
        [sys.executable, "-m", "tjcrawl.cli", *command], tmp_path / "serve.log", port
    ) as base:
        yield base


def _require_chromium() -> None:
    """Fail (not skip) when the browser, its driver or Selenium is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"Chromium test: {', '.join(missing)} not found; {INSTALL_HINT}", pytrace=False)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail(f"Chromium test: selenium is not installed; {INSTALL_HINT}", pytrace=False)


@contextmanager
def chromium(work_dir: Path) -> Iterator:
    """Headless Debian Chromium through Debian's ChromeDriver; never Selenium Manager."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={work_dir / 'chromium-profile'}"]:
        options.add_argument(flag)
    # The driver's path is given, so Selenium Manager is never run (SE_OFFLINE besides).
    service = Service(
        executable_path=str(CHROMEDRIVER), log_output=str(work_dir / "chromedriver.log")
    )
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(20)
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, f"{path}: screenshot looks empty"
    return path


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return True  # cannot tell; the screenshot shows it
    listed = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def test_searching_tianjin_in_chromium_shows_the_articles_tjcrawl_search_finds(
    demo_archive: DemoArchive, served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _require_chromium()
    assert _has_cjk_font(), f"no Chinese font: screenshots would show boxes; {INSTALL_HINT}"
    monkeypatch.setenv("SE_OFFLINE", "true")
    expected = cli_search(demo_archive.path, "天津")
    before = sha256(demo_archive.path)
    with chromium(tmp_path) as browser:
        _search_and_browse(browser, served, demo_archive, expected)
    assert sha256(demo_archive.path) == before


def _search_and_browse(browser, served: str, demo_archive: DemoArchive, expected: dict) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}/archive/search")
    assert "Search articles" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.CSS_SELECTOR, "form.sql input[name=q]").send_keys("天津")
    browser.find_element(By.CSS_SELECTOR, "form.sql input[type=submit]").click()
    WebDriverWait(browser, 15).until(
        lambda d: (
            "q=" in d.current_url
            and d.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
        )
    )
    assert parse_qs(urlsplit(browser.current_url).query)["q"] == ["天津"]
    titles = [
        cell.text
        for cell in browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns td.col-title")
    ]
    assert expected["total"] > 0
    assert len(titles) == min(expected["total"], SEARCH_LIMIT)
    assert sorted(titles) == sorted(hit["title"] for hit in expected["hits"])
    heading = browser.find_element(By.CSS_SELECTOR, "form.sql h3").text
    assert f"returning {len(titles)} rows" in heading
    _screenshot(browser, "serve-search-tianjin.png")

    browser.get(f"{served}/archive/articles")
    description, columns = DESCRIPTIONS["articles"]
    assert description in browser.find_element(By.CSS_SELECTOR, ".metadata-description").text
    column_list = browser.find_element(By.CSS_SELECTOR, "dl.column-descriptions").get_attribute(
        "textContent"
    )  # folded away
    assert columns["url"] in column_list
    assert columns["published_at"] in column_list
    source_facet = browser.find_element(By.CSS_SELECTOR, ".facet-info[data-column=source]").text
    with closing(read_only(demo_archive.path)) as conn:
        sources = [r[0] for r in conn.execute("SELECT DISTINCT source FROM articles")]
    assert sources and all(s in source_facet for s in sources), source_facet
    month_facet = browser.find_element(
        By.CSS_SELECTOR, ".facet-info[data-column=published_at]"
    ).text
    assert "published_at (month)" in month_facet
    _screenshot(browser, "serve-articles.png")

    box = browser.find_element(By.CSS_SELECTOR, "input#_search")
    box.send_keys("天津")
    box.submit()
    WebDriverWait(browser, 15).until(lambda d: "_search=" in d.current_url)
    summary = browser.find_element(By.TAG_NAME, "h3").text
    assert f'{expected["total"]} rows where search matches "天津"' in summary, summary
    _screenshot(browser, "serve-articles-search-tianjin.png")

    browser.get(f"{served}/archive")
    queries = browser.find_element(By.CSS_SELECTOR, "body").text
    for query in QUERIES.values():
        assert query["title"] in queries


# Plain `datasette`, sqlite-utils and sqlite3: the tools users already have.


def _tjcrawl_search_ids(db: Path, query: str, *options: str) -> set[int]:
    result = run_cli("search", query, "--db", str(db), "--json", "--limit", "1000", *options)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["total"] == len(found["hits"]), "the demo's matches fit in one page"
    return {hit["id"] for hit in found["hits"]}


def test_plain_datasette_has_the_chinese_search_box_descriptions_and_facets(
    demo_archive: DemoArchive, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive.path, db)
    other = tmp_path / "other.db"  # another program's database is served as Datasette would
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT, at TEXT)")
        conn.execute("INSERT INTO notes VALUES (1, '天津', '2025-08-22T00:30:00+08:00')")
        conn.commit()
    expected = _tjcrawl_search_ids(db, "天津")
    assert expected
    port = _free_port()
    command = [str(BIN / "datasette"), str(db), str(other), "-h", "127.0.0.1", "-p", str(port)]
    with _running(command, tmp_path / "datasette.log", port) as base:
        status, page = _get(f"{base}/archive/articles")
        assert status == 200, page[:2000]
        assert 'id="_search"' in page, "no search box: is tjcrawl installed (entry point)?"
        assert DESCRIPTIONS["articles"][0] in page
        status, body = _get(
            f"{base}/archive/articles.json?_search=%E5%A4%A9%E6%B4%A5&_size=max&_shape=objects"
        )
        assert status == 200, body[:2000]
        searched = json.loads(body)
        assert {row["id"] for row in searched["rows"]} == expected
        assert searched["filtered_table_rows_count"] == len(expected)
        assert set(searched["facet_results"]) == {"source", "published_at"}
        status, body = _get(f"{base}/archive/search.json?_shape=array&q=%E5%A4%A9%E6%B4%A5")
        assert status == 200, body[:2000]
        assert len(json.loads(body)) == min(len(expected), SEARCH_LIMIT)
        status, body = _get(f"{base}/archive.json")
        tables = {t["name"]: t["hidden"] for t in json.loads(body)["tables"]}
        index = {name for name in tables if name.startswith("articles_search")}
        assert index and index <= set(INDEX_TABLES)
        assert all(tables[name] for name in index)
        status, page = _get(f"{base}/other/notes")
        assert status == 200, page[:2000]
        assert "tjcrawl" not in page
        assert 'id="_search"' not in page
        assert "published_at (day)" not in page


def test_sqlite_utils_counts_every_table_of_an_archive(demo_archive: DemoArchive) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "tables", "--counts", str(demo_archive.path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    counts = {row["table"]: row["count"] for row in json.loads(result.stdout)}
    with closing(read_only(demo_archive.path)) as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert counts["articles"] == counts["articles_search"] == counts[CHARS] == articles


def test_an_older_archive_gets_a_scannable_character_index(
    demo_archive: DemoArchive, tmp_path: Path
) -> None:
    """Archives indexed before schema 12 made articles_search_chars without row sizes."""
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive.path, db)
    before = {q: _tjcrawl_search_ids(db, q) for q in ("津", "资", "a")}
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"DROP TABLE {CHARS}")
        conn.execute(
            f"CREATE VIRTUAL TABLE {CHARS} USING fts5("
            "text, content='', detail=none, columnsize=0, tokenize='unicode61')"
        )
        # As the archive was before that migration (the later ones run again, harmlessly).
        conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(scannable_char_index)}")
        conn.commit()
        with pytest.raises(sqlite3.OperationalError, match="does not support scanning"):
            conn.execute(f"SELECT count(*) FROM {CHARS}").fetchone()
    result = run_cli("upgrade", "--db", str(db))
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(db)) as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert conn.execute(f"SELECT count(*) FROM {CHARS}").fetchone()[0] == articles
    assert {q: _tjcrawl_search_ids(db, q) for q in before} == before


def _plain_sqlite3_ids(db: Path, sql: str) -> set[int]:
    """The ids a statement returns in SQLite without any tjcrawl function loaded."""
    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:  # the same engine, through Python's module alone
        with closing(read_only(db)) as conn:
            return {row[0] for row in conn.execute(sql)}
    result = subprocess.run(
        [sqlite3_cli, "-readonly", "-list", str(db)],
        input=sql,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    return {int(line.split("|", 1)[0]) for line in result.stdout.splitlines()}


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("天津", []),
        ("津", []),
        ("招商引资", []),
        ("滨海新区", ["--order", "newest"]),
        ("2024", []),
        ("天津", ["--source", "demo_trs", "--since", "2024-01-01"]),
        ("it's", []),
        ("不存在的词语", []),
    ],
)
def test_search_sql_runs_in_plain_sqlite3_and_finds_what_tjcrawl_search_finds(
    demo_archive: DemoArchive, query: str, options: list[str]
) -> None:
    printed = run_cli("search", query, "--db", str(demo_archive.path), "--sql", *options)
    assert printed.returncode == 0, printed.stderr
    assert "tj_match" not in printed.stdout
    found = _plain_sqlite3_ids(demo_archive.path, printed.stdout)
    assert found == _tjcrawl_search_ids(demo_archive.path, query, *options)


def test_day_facets_count_local_days_and_replace_the_utc_date_suggestion(
    demo_archive: DemoArchive,
) -> None:
    with closing(read_only(demo_archive.path)) as conn:
        by_day = dict(
            conn.execute(
                "SELECT substr(published_at, 1, 10), count(*) FROM articles"
                " WHERE published_at IS NOT NULL GROUP BY 1"
            )
        )
        utc_days = {r[0] for r in conn.execute("SELECT date(published_at) FROM articles") if r[0]}
    assert utc_days != set(by_day), "the demo has articles whose UTC day is the day before"
    day = max(by_day)
    faceted, one_day, page = get_all(
        demo_archive.path,
        "/archive/articles.json?_facet_day=published_at&_facet_size=max",
        f"/archive/articles.json?published_at__startswith={day}",
        "/archive/articles",
    )
    [days] = [f for f in faceted.json()["facet_results"].values() if f["type"] == "day"]
    assert days["name"] == "published_at"
    assert {r["value"]: r["count"] for r in days["results"]} == by_day
    assert one_day.json()["filtered_table_rows_count"] == by_day[day]
    suggestions = page.text.split('class="suggested-facets"', 1)[1].split("</p>", 1)[0]
    assert "_facet_day=published_at" in suggestions
    assert "_facet_date=" not in suggestions


# Reading in Chromium: an article page and the articles table on a laptop's first screen.


def _article_to_read(db: Path) -> tuple[int, str, str, str, str, str, list[str]]:
    with closing(read_only(db)) as conn:
        row = conn.execute(
            "SELECT id, title, published_at, source, origin, url, body FROM articles"
            " WHERE origin IS NOT NULL AND origin != '' ORDER BY length(body) DESC LIMIT 1"
        ).fetchone()
    *fields, body = row
    return (*fields, [line.strip() for line in body.split("\n") if line.strip()])


def test_an_article_page_reads_well_in_chromium(
    demo_archive: DemoArchive, served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    _require_chromium()
    monkeypatch.setenv("SE_OFFLINE", "true")
    article_id, title, published_at, source, origin, url, paragraphs = _article_to_read(
        demo_archive.path
    )
    assert len(paragraphs) >= 2
    with chromium(tmp_path) as browser:
        browser.get(f"{served}/archive/articles/{article_id}")
        width, height = browser.execute_script("return [window.innerWidth, window.innerHeight]")
        article = browser.find_element(By.CSS_SELECTOR, "article.tjcrawl-article")
        assert article.find_element(By.TAG_NAME, "h1").text == title
        facts = article.find_element(By.CSS_SELECTOR, "dl.tjcrawl-facts").text
        for value in (published_at, source, origin, url):
            assert value in facts
        link = article.find_element(By.CSS_SELECTOR, ".tjcrawl-url a")
        assert link.get_attribute("href") == url
        body = article.find_element(By.CSS_SELECTOR, ".tjcrawl-body")
        shown = [p.text for p in body.find_elements(By.TAG_NAME, "p")]
        assert shown == paragraphs
        assert body.size["width"] >= 0.6 * width, (body.size, width)
        top = browser.execute_script("return arguments[0].getBoundingClientRect().top", body)
        assert top < height, "the body starts on the first screen"
        _screenshot(browser, "article-page.png")


def test_the_articles_table_shows_its_first_rows_on_the_first_screen_in_chromium(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    _require_chromium()
    monkeypatch.setenv("SE_OFFLINE", "true")
    with chromium(tmp_path) as browser:
        browser.get(f"{served}/archive/articles")
        width, height = browser.execute_script("return [window.innerWidth, window.innerHeight]")
        headers = [
            th.get_attribute("data-column")
            for th in browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns th")
            if th.is_displayed()
        ]
        assert headers == list(DEFAULT_COLUMNS)
        descriptions = browser.find_element(By.CSS_SELECTOR, "dl.column-descriptions")
        assert not descriptions.is_displayed(), "column descriptions are folded away"
        first_row = browser.find_element(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
        bottom = browser.execute_script(
            "return arguments[0].getBoundingClientRect().bottom", first_row
        )
        assert bottom <= height, f"the first row ends at {bottom}px, below the first screen"
        title_cell = first_row.find_element(By.CSS_SELECTOR, "td.col-title")
        assert title_cell.size["width"] >= 0.2 * width, title_cell.size
        _screenshot(browser, "articles-table.png")

        browser.get(f"{served}/archive/articles?_col=body")
        assert browser.find_element(By.CSS_SELECTOR, "th.col-body").is_displayed()


def _readme_plain_sql() -> str:
    readme = (REPO / "README.md").read_text("utf-8")
    start = readme.index("-- tjcrawl search in plain SQL")
    return readme[start : readme.index("```", start)]


@pytest.mark.parametrize("query", ["天津", "津", "招商引資", "臺灣投資", "2024", "it's", "不存在"])
def test_the_readmes_plain_sql_search_finds_what_tjcrawl_search_finds(
    demo_archive: DemoArchive, query: str
) -> None:
    first, second, rest = _readme_plain_sql().split("\n", 2)
    assert "('天津')" in second
    sql = "\n".join([first, second.replace("'天津'", "'" + query.replace("'", "''") + "'"), rest])
    assert _plain_sqlite3_ids(demo_archive.path, sql) == _tjcrawl_search_ids(
        demo_archive.path, query
    )


def test_the_search_box_and_the_canned_search_leave_articles_holding_only_the_bigrams(
    tmp_path: Path,
) -> None:
    """The index has no positions: 津天，天津 holds both bigrams of 天津天, not the phrase."""
    from tjcrawl.storage.archive import Archive

    path = tmp_path / "archive.db"
    archive = Archive(path)
    for n, body in enumerate(["津天，天津", "天津天", "天津，津天", "天津天津"]):
        archive.store_article(
            {"url": f"http://x.test/{n}", "source": "s", "title": "标题", "body": body,
             "content_hash": str(n)},
            None, "r",
        )  # fmt: skip
    archive.commit()
    archive.close()
    canned, table_page = get_all(
        path,
        "/archive/search.json?_shape=array&q=天津天",
        "/archive/articles.json?_search=天津天&_size=max&_shape=objects",
    )
    bodies = {"天津天", "天津天津"}
    assert {r["snippet"].replace("[", "").replace("]", "") for r in rows(canned)} == bodies
    assert {r["body"] for r in table_page.json()["rows"]} == bodies
    assert table_page.json()["filtered_table_rows_count"] == 2
