"""A full disk loses nothing silently: failed writes are counted, the run is not finished,
the crawl exits 3 naming the cause in one line, and the next run fetches what did not land.

The archive lives on a small tmpfs where this machine lets us mount one (CI runs as root), so
SQLite meets a real ENOSPC. Where mounting is not permitted the same SQLITE_FULL ("database or
disk is full") comes from SQLite's page cap (PRAGMA max_page_count, set through the test-only
TJCRAWL_MAX_PAGE_COUNT) and every assertion is the same.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import run_cli

from tjcrawl.fixtures import read_goldens
from tjcrawl.storage.archive import open_database

SLUG = "demo_trs"
ARTICLES = len(read_goldens(SLUG))
CAUSE = "the disk holding {db} is full"
# Calibrated on the demo_trs fixture (14 articles) with a commit every 4 writes: 300, 400 and
# 500 KiB of room store 2, 5 and 7 articles; 15, 20 and 25 spare pages 4, 6 and 6.
COMMIT_EVERY = 4
TMPFS_BUDGET = 400 * 1024
PAGE_BUDGET = 20


class SmallDisk:
    """An archive with little room left: on a tmpfs nearly filled, else under a page cap."""

    def __init__(self, root: Path, budget_bytes: int, budget_pages: int, tmpfs: bool) -> None:
        self.folder = root / "disk"
        self.folder.mkdir()
        self.db = self.folder / "archive.db"
        self.filler = self.folder / "filler"
        self.mounted = tmpfs and _mount_tmpfs(self.folder, 4 * 1024 * 1024)
        db = open_database(self.db)  # created and migrated while there is room
        pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
        db.close()
        self.extra: dict[str, int] = {}
        if self.mounted:
            stat = os.statvfs(self.folder)
            self.filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - budget_bytes))
        else:
            self.extra = {"TJCRAWL_MAX_PAGE_COUNT": pages + budget_pages}

    def make_room(self) -> None:
        self.filler.unlink(missing_ok=True)
        self.extra = {}

    def crawl(self, commit_every: int) -> subprocess.CompletedProcess[str]:
        # Commits by count only: the calibration above, and a run in one transaction, must not
        # depend on how fast a loaded machine crawls.
        settings = {
            "TJCRAWL_COMMIT_EVERY": commit_every,
            "TJCRAWL_COMMIT_SECONDS": 3600,
            **self.extra,
        }
        return run_cli(
            "crawl",
            SLUG,
            "--serve-fixtures",
            "--db",
            str(self.db),
            env={"TJCRAWL_SETTINGS": json.dumps(settings)},
        )

    def health(self) -> subprocess.CompletedProcess[str]:
        return run_cli("health", "--db", str(self.db))

    def close(self) -> None:
        if self.mounted and subprocess.run(["umount", str(self.folder)], check=False).returncode:
            # Something still holds a file there: detach now, freed when it lets go.
            subprocess.run(["umount", "--lazy", str(self.folder)], check=False)


def _mount_tmpfs(folder: Path, size: int) -> bool:
    if shutil.which("mount") is None:
        return False
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return mounted.returncode == 0


@pytest.fixture(params=["tmpfs", "page_cap"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path, TMPFS_BUDGET, PAGE_BUDGET, tmpfs=request.param == "tmpfs")
    try:
        yield disk
    finally:
        disk.close()


def count(db: Path, sql: str) -> int:
    with closing(sqlite3.connect(db)) as conn:  # closed, so that the tmpfs can be unmounted
        return conn.execute(sql).fetchone()[0]


def last_run(db: Path) -> sqlite3.Row:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()


def summary_counts(stdout: str) -> dict[str, int]:
    line = next(line for line in stdout.splitlines() if line.startswith(f"{SLUG}:"))
    return {word: int(n) for n, word in re.findall(r"(\d+) (new|changed|unchanged|failed)", line)}


def state_line(health: str) -> str:
    return next(line for line in health.splitlines() if line.startswith(SLUG + " "))


def assert_failed_run_is_reported(disk: SmallDisk, run: subprocess.CompletedProcess[str]) -> int:
    """What every crawl that met a full disk must show; returns the articles stored."""
    stored = count(disk.db, "SELECT count(*) FROM articles")
    counts = summary_counts(run.stdout)
    # Counts are of committed writes: every article counted new is in the archive, and each
    # article seen but not stored is counted failed.
    assert (counts["new"], counts["failed"]) == (stored, ARTICLES - stored), run.stdout
    row = last_run(disk.db)
    assert row["finish_reason"] != "finished"
    if row["finished_at"] is not None:  # the run's own figures found room
        assert (row["finish_reason"], row["items_new"]) == ("write_failed", stored)
        assert row["items_failed"] == ARTICLES - stored
        assert json.loads(row["faults"])["write_failed"] >= ARTICLES - stored
    assert run.returncode == 3, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    cause = CAUSE.format(db=disk.db)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and cause in errors[0], errors
    return stored


def test_a_full_disk_stores_some_then_the_next_run_recovers_every_article(
    small_disk: SmallDisk,
) -> None:
    first = small_disk.crawl(commit_every=COMMIT_EVERY)
    stored = assert_failed_run_is_reported(small_disk, first)
    assert 0 < stored < ARTICLES, "the disk must fill in the middle of the crawl"

    small_disk.make_room()
    health = small_disk.health()
    assert health.returncode == 3, health.stdout
    line = state_line(health.stdout)
    if last_run(small_disk.db)["finished_at"] is not None:
        assert line.split()[1] == "failing"
        assert CAUSE.format(db=small_disk.db) in health.stdout
    else:  # even the run's own row found no room: it never finished
        assert line.split()[1] == "interrupted"

    second = small_disk.crawl(commit_every=COMMIT_EVERY)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Traceback" not in second.stderr
    assert count(small_disk.db, "SELECT count(*) FROM articles") == ARTICLES
    assert summary_counts(second.stdout)["new"] == ARTICLES - stored
    recovered = last_run(small_disk.db)
    assert (recovered["finish_reason"], recovered["mode"]) == ("finished", "resume")
    assert recovered["items_new"] == ARTICLES - stored
    unfinished = "SELECT count(*) FROM crawl_runs WHERE finished_at IS NULL"
    assert count(small_disk.db, f"{unfinished} AND finish_reason IS NOT 'interrupted'") == 0
    assert state_line(small_disk.health().stdout).split()[1] == "ok"


def test_failures_in_the_last_batch_are_counted(tmp_path: Path) -> None:
    # One transaction for the whole run, so the commit that fails is the run's last one.
    disk = SmallDisk(tmp_path, 160 * 1024, 6, tmpfs=True)
    try:
        run = disk.crawl(commit_every=100_000)
        assert assert_failed_run_is_reported(disk, run) == 0
        assert summary_counts(run.stdout) == {
            "new": 0,
            "changed": 0,
            "unchanged": 0,
            "failed": ARTICLES,
        }
    finally:
        disk.close()


def test_write_errors_are_named_in_one_line() -> None:
    from tjcrawl.storage.archive import write_error_text

    def failure(message: str) -> sqlite3.OperationalError:
        return sqlite3.OperationalError(message)

    assert write_error_text(failure("database or disk is full"), "a.db") == (
        "the disk holding a.db is full"
    )
    assert "read-only" in write_error_text(failure("attempt to write a readonly database"), "a.db")
    assert "I/O error" in write_error_text(failure("disk I/O error"), "a.db")
    assert "locked" in write_error_text(failure("database is locked"), "a.db")
    for text in (
        write_error_text(failure("database or disk is full"), "a.db"),
        write_error_text(RuntimeError("boom"), "a.db"),
    ):
        assert "\n" not in text and "a.db" in text
