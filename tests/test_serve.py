"""`tjcrawl serve`: the archive in Datasette, checked in-process and in headless Chromium.

The browser tests drive Debian's Chromium (/usr/bin/chromium) through Debian's ChromeDriver
(/usr/bin/chromedriver) with Selenium; nothing is downloaded. Without them they fail, saying
what to install. Screenshots go to tests/artifacts/.
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
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import REPO, DemoArchive, run_cli

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
from tjcrawl.storage.search import search

ARTIFACTS = REPO / "tests" / "artifacts"
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
    "--window-size=1400,2000",
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
        "repost_groups",
        "withdrawn",
        "failed_pages",
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
        db, *(f"/archive/{name}.json?_shape=array" for name in QUERIES if name != "search")
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
        conn.execute(f"PRAGMA user_version = {version - 1}")
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


@pytest.fixture
def served(demo_archive: DemoArchive, tmp_path: Path) -> Iterator[str]:
    """`tjcrawl serve` on a free loopback port; its base URL. Always stopped."""
    port = _free_port()
    command = ["serve", "--db", str(demo_archive.path), "--host", "127.0.0.1", "--port", str(port)]
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "tjcrawl.cli", *command],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"tjcrawl serve exited {server.returncode}:\n{log_path.read_text()}")
            try:
                with no_proxy.open(f"{base}/-/versions.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tjcrawl serve not ready after 30 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


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
    column_list = browser.find_element(By.CSS_SELECTOR, "dl.column-descriptions").text
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
