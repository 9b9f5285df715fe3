"""SIGKILL at any moment loses nothing and stores nothing twice; one run at a time."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, count

from tjcrawl.fixture_server import serving, site_roots
from tjcrawl.fixtures import read_goldens
from tjcrawl.profiles import load_profiles
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS
from tjcrawl.storage.search import search, substring_scan_ids

FIXTURE_PROFILES = [p for p in load_profiles().values() if p.fixture]
SLUGS = [p.slug for p in FIXTURE_PROFILES]
# Small batches, so that a kill lands between commits with part of the work stored. The site
# behind the proxy is ours: no delays, said explicitly (--proxy alone keeps them).
SETTINGS = json.dumps(
    {**LOOPBACK_FAST_SETTINGS, "TJCRAWL_COMMIT_EVERY": 2, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}
)


@pytest.fixture(scope="module")
def slow_site():
    with serving(site_roots(FIXTURE_PROFILES, FIXTURES), delay=0.08) as server:
        yield server


def crawl_command(server, db: Path) -> list[str]:
    proxies = [f"--proxy={host}={server.proxy_url}" for host in server.roots]
    return [sys.executable, "-m", "tjcrawl.cli", "crawl", *SLUGS, "--db", str(db), *proxies]


def env() -> dict[str, str]:
    return {**os.environ, "TJCRAWL_SETTINGS": SETTINGS}


def start(server, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        crawl_command(server, db),
        cwd=REPO,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(server, db: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        crawl_command(server, db),
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def crawling(db: Path) -> bool:
    """Whether the crawl has opened the archive and started its runs."""
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return False  # not created or migrated yet


def start_crawling(server, db: Path) -> tuple[subprocess.Popen, float]:
    """Start a crawl and return once it is crawling (bounded), with the time it took."""
    process = start(server, db)
    began = time.monotonic()
    while not crawling(db) and time.monotonic() - began < 30 and process.poll() is None:
        time.sleep(0.02)
    assert crawling(db), "the crawl never started"
    return process, time.monotonic()


def content(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT url, content_hash FROM articles"))


def test_sigkill_at_random_moments_then_rerun_equals_an_uninterrupted_crawl(slow_site, tmp_path):
    reference_db = tmp_path / "reference.db"
    process, crawl_began = start_crawling(slow_site, reference_db)
    assert process.wait(timeout=120) == 0
    crawl_phase = time.monotonic() - crawl_began
    reference = content(reference_db)
    assert len(reference) == sum(len(read_goldens(p.slug)) for p in FIXTURE_PROFILES)

    seed = int(os.environ.get("TJCRAWL_CRASH_SEED", "20261127"))
    rng = random.Random(seed)
    partial_states = started_runs = 0
    for attempt in range(10):
        db = tmp_path / f"killed-{attempt}.db"
        process, _ = start_crawling(slow_site, db)
        time.sleep(rng.uniform(0.0, crawl_phase))  # somewhere inside the crawl
        killed_mid_crawl = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        started_runs += killed_mid_crawl
        stored = count(db, "SELECT count(*) FROM articles")
        partial_states += 0 < stored < len(reference)
        finish(slow_site, db)
        assert content(db) == reference, f"attempt {attempt} (seed {seed})"
        assert count(db, "SELECT count(*) FROM articles") == len(reference)
        assert count(db, "SELECT count(*) FROM revisions") == 0
        assert (
            count(
                db,
                "SELECT count(*) FROM (SELECT url, body_sha256 FROM pages"
                " GROUP BY 1, 2 HAVING count(*) > 1)",
            )
            == 0
        )
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            unfinished = conn.execute(
                "SELECT count(*) FROM crawl_runs"
                " WHERE finished_at IS NULL AND finish_reason IS NOT 'interrupted'"
            ).fetchone()[0]
            assert unfinished == 0, "a killed run must end up marked interrupted"
            for query in ("天", "天津", "招商引资"):
                assert {h.id for h in search(conn, query, limit=10000).hits} == substring_scan_ids(
                    conn, query
                )
    # The kills must land while crawling, some with part of the archive written.
    assert started_runs >= 8 and partial_states >= 1, (started_runs, partial_states, seed)


def test_a_second_run_is_refused_and_a_killed_runs_lock_is_recovered(slow_site, tmp_path):
    db = tmp_path / "locked.db"
    first = start(slow_site, db)
    lock = db.with_name(db.name + ".lock")
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.read_text().strip(), "the first run never took the lock"
    second = subprocess.run(
        crawl_command(slow_site, db),
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 4
    assert "another tjcrawl run is writing this archive" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    finish(slow_site, db)
    with sqlite3.connect(db) as conn:
        reasons = {r[0] for r in conn.execute("SELECT finish_reason FROM crawl_runs")}
    assert "finished" in reasons
