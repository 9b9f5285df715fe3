"""Scrapy's own commands work as a Scrapy user expects: `scrapy list`, `scrapy crawl SLUG -O
items.jsonl` (fixture sources served, the run judged as `tjcrawl crawl` judges it), `scrapy
shell` (no run recorded) and `scrapy check` (a contract per profile)."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO, count, run_cli

from tjcrawl.fixture_server import serving, site_roots
from tjcrawl.fixtures import read_goldens
from tjcrawl.profiles import BUNDLED_DIR, load_profiles

FIXTURE_PAGE = "sy/tjxw/202411/t20241110_6012201.html"
FIXTURE_TITLE = "滨海新区与二十家重点企业集中签约 聚力打造产业发展新高地_天津政务网"


def scrapy(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    """`scrapy ARGS` in its own process. Outside the checkout (cwd), as a user's folder: the
    project is found through SCRAPY_SETTINGS_MODULE, the package on PYTHONPATH."""
    outside = {"SCRAPY_SETTINGS_MODULE": "tjcrawl.settings", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
        env={**os.environ, **({} if cwd == REPO else outside), **(env or {})},
    )


def broken_demo_trs(folder: Path, old: str, new: str) -> dict[str, str]:
    """demo_trs with one line of its profile changed, as an override folder."""
    text = (BUNDLED_DIR / "demo_trs.toml").read_text(encoding="utf-8")
    assert old in text
    folder.mkdir()
    (folder / "demo_trs.toml").write_text(text.replace(old, new), encoding="utf-8")
    return {"TJCRAWL_SOURCES_DIR": str(folder)}


def test_scrapy_list_prints_every_source() -> None:
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == set(load_profiles())
    assert {"demo_portal", "demo_trs", "demo_enorth"} <= set(result.stdout.split())


def test_scrapy_crawl_writes_utf8_json_lines(tmp_path: Path) -> None:
    profiles = load_profiles()
    with serving(site_roots(profiles.values(), FIXTURES)) as server:
        out = tmp_path / "x.jsonl"
        result = scrapy(
            "crawl",
            "demo_enorth",
            "-O",
            str(out),
            "-s",
            f"TJCRAWL_PROXY_MAP={json.dumps(server.proxy_map())}",
            "-s",
            f"TJCRAWL_DB={tmp_path / 'a.db'}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
        )
    assert result.returncode == 0, result.stderr[-2000:]
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    assert "\\u" not in text and "天津" in text
    items = [json.loads(line) for line in text.splitlines()]
    assert {i["url"] for i in items} == {g["url"] for g in read_goldens("demo_enorth")}
    assert all(i["title"] and i["body"] and "body_html" not in i for i in items)


def test_scrapy_crawl_of_a_fixture_source_as_the_readme_writes_it(tmp_path: Path) -> None:
    """No proxy, no settings: the fixture site is served for the crawl, and the run is
    recorded and judged as `tjcrawl crawl` would."""
    result = scrapy("crawl", "demo_trs", "-O", "x.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text("utf-8").splitlines()]
    goldens = read_goldens("demo_trs")
    assert {i["url"] for i in items} == {g["url"] for g in goldens}
    # What was archived is dated as the goldens are: at the fixture's frozen clock.
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        dated = dict(conn.execute("SELECT url, published_at FROM articles").fetchall())
    assert dated == {g["url"]: g["published_at"] for g in goldens}
    assert "DNS lookup failed" not in result.stderr
    # 19 for pages, 3 for the attachment files t20241114_6012338 links (fetched by default).
    assert "demo_trs: 22 requests, 14 new, 0 changed" in result.stderr
    archive = tmp_path / "archive.db"
    assert count(archive, "SELECT count(*) FROM crawl_runs WHERE finish_reason = 'finished'") == 1
    health = run_cli("health", "--db", str(archive), timeout=60)
    assert "interrupted" not in health.stdout, health.stdout


def test_a_served_fixture_site_is_dated_at_its_capture(tmp_path: Path) -> None:
    """demo_enorth's listings say 昨天 and 3天前: days before the fixture was captured."""
    result = scrapy("crawl", "demo_enorth", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        dated = dict(conn.execute("SELECT url, published_at FROM articles").fetchall())
    assert dated == {g["url"]: g["published_at"] for g in read_goldens("demo_enorth")}


def test_scrapy_crawl_does_the_post_crawl_work_of_tjcrawl_crawl(tmp_path: Path) -> None:
    """Re-post groups are computed over the archive after a `scrapy crawl` too."""
    db = tmp_path / "archive.db"
    sources = ("demo_trs", "demo_enorth", "demo_portal")
    crawled = run_cli("crawl", *sources, "--serve-fixtures", "--db", str(db))
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        groups = sorted(conn.execute("SELECT * FROM repost_members").fetchall())
        conn.execute("DELETE FROM repost_members")
    assert groups
    result = scrapy("crawl", "demo_trs", "-s", f"TJCRAWL_DB={db}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        assert sorted(conn.execute("SELECT * FROM repost_members").fetchall()) == groups


def test_scrapy_crawl_exits_3_naming_the_field_when_extraction_broke(tmp_path: Path) -> None:
    env = broken_demo_trs(
        tmp_path / "profiles",
        'entries = "div.list-box > div.list-item"',
        'entries = "div.no-such-box"',
    )
    result = scrapy("crawl", "demo_trs", cwd=tmp_path, env=env)
    assert result.returncode == 3, result.stderr[-3000:]
    assert "error: demo_trs: field listing.entries matched nothing" in result.stderr
    runs = count(tmp_path / "archive.db", "SELECT count(*) FROM crawl_runs")
    assert runs == 1


def test_scrapy_crawl_waits_for_a_locked_archive_then_exits_4(tmp_path: Path) -> None:
    from tjcrawl.storage.lock import RunLock

    db = tmp_path / "archive.db"
    lock = RunLock.acquire(db)
    try:
        result = scrapy(
            "crawl", "demo_trs", "-s", f"TJCRAWL_DB={db}", "-s", "TJCRAWL_LOCK_WAIT=1", cwd=tmp_path
        )
    finally:
        lock.release()
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    (line,) = [ln for ln in result.stderr.splitlines() if "ERROR" in ln]
    assert "gave up after 1 s (TJCRAWL_LOCK_WAIT)" in line
    assert "another tjcrawl run is writing this archive" in line
    assert not db.exists() or count(db, "SELECT count(*) FROM crawl_runs") == 0


def test_scrapy_shell_on_a_fixture_file_without_a_spider(tmp_path: Path) -> None:
    page = FIXTURES / "demo_trs" / "site" / FIXTURE_PAGE
    result = scrapy(
        "shell", str(page), "-c", "response.css('title::text').get()", cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == FIXTURE_TITLE
    assert not (tmp_path / "archive.db").exists()


def test_scrapy_shell_with_a_spider_leaves_no_run(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    assert run_cli("crawl", "demo_trs", "--serve-fixtures", "--db", str(db)).returncode == 0
    runs = count(db, "SELECT count(*) FROM crawl_runs")
    url = f"http://gov.tjcrawl.test/{FIXTURE_PAGE}"
    for spider in (["--spider", "demo_trs"], []):  # without: found by the URL's host
        result = scrapy(
            "shell",
            url,
            *spider,
            "-c",
            "response.css('title::text').get()",
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.strip() == FIXTURE_TITLE
    assert count(db, "SELECT count(*) FROM crawl_runs") == runs
    health = run_cli("health", "--db", str(db), timeout=60)
    assert "interrupted" not in health.stdout, health.stdout


def test_scrapy_check_runs_a_contract_per_profile(tmp_path: Path) -> None:
    listed = scrapy("check", "-l", cwd=tmp_path, timeout=60)
    assert listed.returncode == 0, listed.stderr[-2000:]
    spiders = re.findall(r"^(\w+)\n  \* check_fixture$", listed.stdout, re.MULTILINE)
    assert sorted(spiders) == sorted(load_profiles())
    result = scrapy("check", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    # Two contracts with checks per profile: what the first listing yields, and the goldens.
    assert f"Ran {2 * len(load_profiles())} contracts" in result.stderr
    assert not (tmp_path / "archive.db").exists()  # contracts archive nothing


def test_scrapy_check_fails_when_a_profile_no_longer_gives_its_goldens(tmp_path: Path) -> None:
    env = broken_demo_trs(
        tmp_path / "profiles", 'body = "div.article-content"', 'body = "div.article-info"'
    )
    result = scrapy("check", "demo_trs", cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 1
    assert "FAIL: [demo_trs] check_fixture (@fixture_goldens pre-hook)" in result.stderr
    assert re.search(
        r"expected items, \d+ differences: http://gov\.tjcrawl\.test/\S+: body differs",
        result.stderr,
    )
