"""Readers never fail on a writer, and a writer keeps at most ~2 s of work at risk.

tests/steady_server.py serves 80 articles, one every 0.1 s, to a crawl fetching one page at a
time, so the crawl is mid-way for several seconds and the server knows when each page left it.
While it runs: a reader sees the article count grow every few seconds, `tjcrawl export` reads
a snapshot and records itself, and a SIGKILL loses only the last ~2 s of fetched pages.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from steady_server import HOST, SteadyServer

SOURCES_DIR = REPO / "tests" / "steady_site"
ARTICLES, DELAY = 80, 0.1  # an 8-second crawl of its article pages
# One page at a time, no polite delays (the site is ours), the default commit cadence.
SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "RETRY_TIMES": 0,
}
COMMIT_SECONDS = 2.0  # tjcrawl.settings.TJCRAWL_COMMIT_SECONDS
AT_RISK = COMMIT_SECONDS + 0.5  # what a kill may lose: the commit interval and a hand-over


def env() -> dict[str, str]:
    return {
        **os.environ,
        "TJCRAWL_SOURCES_DIR": str(SOURCES_DIR),
        "TJCRAWL_SETTINGS": json.dumps(SETTINGS),
    }


def start_crawl(server: SteadyServer, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tjcrawl.cli", "crawl", "steady_site", "--db", str(db)),
            *("--proxy", f"{HOST}={server.proxy_url}"),
        ],
        cwd=REPO,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_first_page(server: SteadyServer, process: subprocess.Popen[str]) -> float:
    deadline = time.monotonic() + 60
    while server.first_served() is None and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-3000:]
        time.sleep(0.02)
    first = server.first_served()
    assert first is not None, "the crawl never fetched an article"
    return first


def archived_urls(db: Path) -> set[str]:
    """What a reader sees now (read-only, as Datasette or an export reads)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return {row[0] for row in conn.execute("SELECT url FROM articles")}
    except sqlite3.OperationalError:
        return set()  # not created yet
    finally:
        conn.close()


@dataclass
class KilledCrawl:
    server: SteadyServer
    db: Path
    first_page: float
    killed_at: float
    seen: list[tuple[float, int]]  # (monotonic time, articles a reader saw)


@pytest.fixture(scope="module")
def killed_crawl(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("killed") / "archive.db"
    with SteadyServer(ARTICLES, DELAY) as server:
        process = start_crawl(server, db)
        try:
            first = wait_for_first_page(server, process)
            seen = []
            while time.monotonic() < first + 6.0 and process.poll() is None:
                seen.append((time.monotonic(), len(archived_urls(db))))
                time.sleep(0.1)
            killed_at = time.monotonic()
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=10)
        yield KilledCrawl(server, db, first, killed_at, seen)


def test_a_reader_sees_the_crawl_grow_every_few_seconds(killed_crawl: KilledCrawl) -> None:
    seen = killed_crawl.seen
    assert seen and seen[-1][0] - killed_crawl.first_page > 5.0, "the crawl ended too early"
    # From the first fetched page on, the count a reader sees never stands still for long.
    grew_at = [killed_crawl.first_page]
    grew_at += [at for (_, before), (at, n) in itertools.pairwise(seen) if n > before]
    gaps = [later - earlier for earlier, later in itertools.pairwise(grew_at)]
    gaps.append(seen[-1][0] - grew_at[-1])
    assert max(gaps) <= 3.5, f"no new article visible for {max(gaps):.1f} s; seen {seen}"


def test_a_kill_9_mid_crawl_loses_at_most_two_seconds_of_fetched_work(
    killed_crawl: KilledCrawl,
) -> None:
    server = killed_crawl.server
    fetched = server.served_before(killed_crawl.killed_at)
    assert len(fetched) < ARTICLES, "the kill came after the crawl had fetched everything"
    must_keep = server.served_before(killed_crawl.killed_at - AT_RISK)
    assert len(must_keep) >= 20, len(must_keep)
    archived = archived_urls(killed_crawl.db)
    lost = sorted(must_keep - archived)
    assert not lost, (
        f"{len(lost)} of {len(must_keep)} pages fetched over {AT_RISK} s before the kill"
        f" are not archived ({len(archived)} archived)"
    )


# -- export while a crawl writes -------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def export(db: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("export", "--db", str(db), "-o", str(out), *extra, env=env(), timeout=120)


def test_export_during_a_crawl_is_a_complete_snapshot_recorded_for_the_next_one(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    with SteadyServer(ARTICLES, DELAY) as server:
        process = start_crawl(server, db)
        try:
            first = wait_for_first_page(server, process)
            while time.monotonic() < first + 3.0 and process.poll() is None:
                time.sleep(0.05)
            during = export(db, tmp_path / "during.jsonl", "--changed-since-last-export")
            crawling_after_export = process.poll() is None
            crawl_status = process.wait(timeout=120)
        finally:
            process.kill()
            process.wait(timeout=10)
        stderr = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in during.stderr, during.stderr
    assert during.returncode == 0, during.stderr
    assert crawling_after_export, "the crawl ended before the export did: not a test of both"
    assert crawl_status == 0, stderr[-3000:]

    exported = read_jsonl(tmp_path / "during.jsonl")  # every line whole JSON
    urls = [row["url"] for row in exported]
    assert 0 < len(urls) < ARTICLES and len(set(urls)) == len(urls)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT upto_change_seq, articles FROM exports").fetchall()
        assert len(rows) == 1, rows
        upto, counted = rows[0]
        # The snapshot: what was committed up to the recorded change number, no more, no less.
        committed_then = {
            r[0] for r in conn.execute("SELECT url FROM articles WHERE change_seq <= ?", (upto,))
        }
    conn.close()
    assert counted == len(urls)
    assert set(urls) == committed_then

    after = export(db, tmp_path / "after.jsonl", "--changed-since-last-export")
    assert after.returncode == 0, after.stderr
    rest = [row["url"] for row in read_jsonl(tmp_path / "after.jsonl")]
    assert not set(rest) & set(urls), "an article exported twice"
    assert set(rest) | set(urls) == server.all_urls == archived_urls(db), "an article skipped"
    assert len(rest) + len(urls) == ARTICLES


# -- an export that cannot get the write lock --------------------------------------------------
def make_articles(db: Path, numbers: range) -> None:
    from tjcrawl.storage.archive import Archive

    archive = Archive(db)
    for number in numbers:
        archive.store_article(
            {
                "url": f"http://one.test/{number}.html",
                "source": "one",
                "title": f"天津 {number}",
                "body": f"天津市招商引资 第{number}篇",
                "content_hash": str(number),
            },
            None,
            "r1",
        )
    archive.close()


def exported_urls(path: Path) -> list[str]:
    return [row["url"] for row in read_jsonl(path)]


def test_an_export_that_waits_too_long_for_the_lock_is_recorded_beside_the_archive(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    make_articles(db, range(5))
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a crawl in the middle of a transaction
    writer.execute(
        "INSERT INTO faults (run_id, source, url, kind, at) VALUES ('r','s','u','k','t')"
    )
    try:
        began = time.monotonic()
        first = export(
            db, tmp_path / "1.jsonl", "--changed-since-last-export", "--lock-timeout", "1"
        )
        waited = time.monotonic() - began
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    warnings = [line for line in first.stderr.splitlines() if line.startswith("Warning: ")]
    pending = db.with_name("archive.db.exports-pending")
    assert len(warnings) == 1 and str(pending) in warnings[0], first.stderr
    assert waited >= 1.0
    assert len(exported_urls(tmp_path / "1.jsonl")) == 5
    assert pending.exists()

    make_articles(db, range(5, 7))
    second = export(db, tmp_path / "2.jsonl", "--changed-since-last-export")
    assert second.returncode == 0, second.stderr
    assert "Warning" not in second.stderr
    assert exported_urls(tmp_path / "2.jsonl") == [
        "http://one.test/5.html",
        "http://one.test/6.html",
    ]
    # The pending record moved into the archive, whole and once.
    assert not pending.exists()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT from_change_seq, upto_change_seq, articles FROM exports ORDER BY id"
        ).fetchall()
    conn.close()
    assert rows == [(0, 5, 5), (5, 7, 2)]
    third = export(db, tmp_path / "3.jsonl", "--changed-since-last-export")
    assert third.returncode == 0 and exported_urls(tmp_path / "3.jsonl") == []


def test_an_export_waits_for_a_writer_to_commit_and_records_itself(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    make_articles(db, range(3))
    writer = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO faults (run_id, source, url, kind, at) VALUES ('r','s','u','k','t')"
    )
    commit = threading.Timer(1.5, lambda: writer.execute("COMMIT"))
    commit.start()
    try:
        result = export(db, tmp_path / "1.jsonl", "--changed-since-last-export")
    finally:
        commit.join()
        writer.close()
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    assert len(exported_urls(tmp_path / "1.jsonl")) == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT upto_change_seq, articles FROM exports").fetchall() == [(3, 3)]
    conn.close()
    assert not db.with_name("archive.db.exports-pending").exists()


def test_a_read_command_reads_one_snapshot(tmp_path: Path) -> None:
    from tjcrawl.storage.readonly import read_archive

    db = tmp_path / "archive.db"
    make_articles(db, range(3))
    with read_archive(db) as archive:
        before = archive.execute("SELECT count(*) FROM articles").fetchone()[0]
        make_articles(db, range(3, 5))  # a crawl commits meanwhile
        again = archive.execute("SELECT count(*) FROM articles").fetchone()[0]
        seq = archive.execute("SELECT value FROM tjcrawl_meta WHERE key = 'change_seq'")
        assert (before, again, int(seq.fetchone()[0])) == (3, 3, 3)
    with read_archive(db) as archive:
        assert archive.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
