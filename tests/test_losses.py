"""The verdict counts every lost article: exit 3, items_failed, and `health` not ok.

tests/loss_server.py serves a small site whose detail pages are lost in the ways a portal loses
them (a body cut short, a page over the size cap, a gzip body that unpacks past it, a 503 that
never clears) or refused (a page without a body). Each run goes through the CLI as a user's
would; the last test sets the clock 9 days ahead for one run and back for the next.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from conftest import REPO, count, run_cli
from loss_server import HOST, MAXSIZE, LossServer

from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

SLUG = "loss_site"
ENV = {
    "TJCRAWL_SOURCES_DIR": str(REPO / "tests" / "loss_site"),
    # The site behind the proxy is ours: no delays, one quick retry, a small size cap.
    "TJCRAWL_SETTINGS": json.dumps(
        {
            **LOOPBACK_FAST_SETTINGS,
            "DOWNLOAD_MAXSIZE": MAXSIZE,
            "RETRY_TIMES": 1,
            "RETRY_BACKOFF_BASE": 0.01,
        }
    ),
}


def crawl(server: LossServer, db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    proxy = f"{HOST}={server.proxy_url}"
    return run_cli("crawl", SLUG, "--db", str(db), "--proxy", proxy, env={**ENV, **env}, timeout=60)


def health(db: Path) -> tuple[int, str, list[str]]:
    """`tjcrawl health`: its exit, this source's line and every problem line."""
    result = run_cli("health", "--db", str(db), env=ENV)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    line = next(x for x in lines if x.startswith(f"{SLUG} "))
    return result.returncode, line, [x for x in lines if x.startswith("problem:")]


def runs(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(
            "SELECT * FROM crawl_runs WHERE source = ? ORDER BY id", (SLUG,)
        ).fetchall()
    finally:
        conn.close()


def context(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-3000:]}"


def test_a_run_that_lost_articles_to_network_faults_says_so(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    entries = ["good"] * 5 + ["truncated"] * 2 + ["too_large", "gzip_bomb", "http_503"]
    with LossServer(entries) as server:
        result = crawl(server, db)
    # Not a finished-and-fine night: 3 of the 10 articles listed were not archived, and the 2
    # pages cut short are kept flagged incomplete (fetched whole next run), never as good ones.
    assert result.returncode == 3, context(result)
    assert f"{SLUG}: " in result.stdout and "7 new, 0 changed, 0 unchanged, 3 failed" in (
        result.stdout
    ), context(result)
    expected = "3 of 10 articles lost (too_large 2, http_503 1)"
    cut = "2 article pages arrived cut short, kept flagged incomplete"
    assert f"error: {SLUG}: {expected}" in result.stderr, context(result)
    assert f"error: {SLUG}: {cut}" in result.stderr, context(result)
    (run,) = runs(db)
    assert run["items_failed"] == 3
    assert run["finish_reason"] == "finished"
    assert json.loads(run["losses"]) == {
        "article": {"http_503": 1, "too_large": 2},
        "cut_article": {"incomplete": 2},
    }
    # The gzip body that unpacks past the cap is too_large like the page that says so up front.
    assert json.loads(run["faults"]) == {"http_503": 1, "incomplete": 2, "too_large": 2}
    assert count(db, "SELECT count(*) FROM articles WHERE incomplete = 1") == 2

    status, line, problems = health(db)
    assert status == 3, line
    assert line.split()[1] == "degraded", line
    assert expected in line, line
    assert f"problem: {SLUG}: {expected}" in problems
    assert any(p.startswith(f"problem: {SLUG}: {cut}") for p in problems), problems


def test_a_run_that_lost_most_articles_is_failing(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with LossServer(["good", "http_503", "http_503", "too_large"]) as server:
        result = crawl(server, db)
    assert result.returncode == 3, context(result)
    status, line, _ = health(db)
    assert status == 3 and line.split()[1] == "failing", line
    assert "3 of 4 articles lost (http_503 2, too_large 1)" in line, line


def test_a_refused_article_is_a_loss_that_health_reports(tmp_path: Path) -> None:
    # One article in ten has no body: refused, which leaves coverage at 90%, just above the
    # floor, so that no coverage alarm covers for it.
    db = tmp_path / "a.db"
    with LossServer(["good"] * 9 + ["no_body"]) as server:
        result = crawl(server, db)
    assert result.returncode == 3, context(result)
    assert "9 new, 0 changed, 0 unchanged, 1 failed" in result.stdout, context(result)
    (run,) = runs(db)
    assert run["items_failed"] == 1
    status, line, problems = health(db)
    assert status == 3, line
    assert line.split()[1] == "degraded", line
    assert f"problem: {SLUG}: 1 of 10 articles lost (extraction_failed 1)" in problems, problems


def test_a_run_after_a_clock_set_ahead_is_judged_as_the_newest(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ahead = (datetime.now().astimezone() + timedelta(days=9)).isoformat(timespec="seconds")
    with LossServer(["good"] * 3) as server:
        first = crawl(server, db, TJCRAWL_NOW=ahead)
        assert first.returncode == 0, context(first)
        server.listing_status = 500  # the next night the site is broken
        second = crawl(server, db)
    assert second.returncode == 3, context(second)
    assert "clock went back" in second.stderr, context(second)

    first_run, second_run = runs(db)
    assert second_run["started_at"] < first_run["started_at"]
    assert second_run["clock_skew_s"] > 8 * 86400
    assert first_run["clock_skew_s"] is None
    conn = sqlite3.connect(db)
    kinds = [
        k
        for (k,) in conn.execute(
            "SELECT kind FROM faults WHERE run_id = ?", (second_run["run_id"],)
        )
    ]
    conn.close()
    assert "clock_skew" in kinds and "http_500" in kinds, kinds

    # `runs` lists the later run first, flagged; `health` judges it and says failing.
    listed = run_cli("runs", "--db", str(db), env=ENV).stdout.splitlines()
    assert second_run["run_id"] in listed[1] and listed[1].endswith("clock_skew"), listed
    assert first_run["run_id"] in listed[2], listed
    status, line, problems = health(db)
    assert status == 3, line
    assert line.split()[1] == "failing", line
    assert any("listing page lost (http_500 1)" in p for p in problems), problems
    assert any("clock went back" in p for p in problems), problems


def test_a_page_that_moved_to_another_host_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with LossServer(["good"] * 4 + ["offsite"]) as server:
        result = crawl(server, db)
    assert result.returncode == 3, context(result)
    (run,) = runs(db)
    assert run["items_failed"] == 1
    assert json.loads(run["losses"]) == {"article": {"offsite": 1}}
    status, line, _ = health(db)
    assert status == 3 and line.split()[1] == "degraded", line
