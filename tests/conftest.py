from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# This machine's tjcrawl config (~/.config/tjcrawl/config.toml, /etc/tjcrawl/config.toml) must
# not change what the tests crawl: none, unless a test gives its own.
os.environ["TJCRAWL_CONFIG"] = ""
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"
SHARED_PARTS = ("seed", "extraction-dev", "attachments-dev")


def pytest_configure(config: pytest.Config) -> None:
    # Real pages and PDFs labelled by others live beside the checkout, never in it (they are
    # third-party): without them a dozen test files would fail at collection with a traceback.
    missing = [part for part in SHARED_PARTS if not (SHARED / part).is_dir()]
    if missing:
        raise pytest.UsageError(
            f"the tests need {SHARED} beside this checkout (missing: {', '.join(missing)}); "
            "clone the project next to the shared folder, as CI does"
        )


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    """Run `tjcrawl ARGS` as a user would, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "tjcrawl.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or REPO,
        env={**os.environ, **(env or {})},
        check=False,
    )


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


@dataclass
class DemoArchive:
    path: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    articles_after_first: int
    runs_after_first: int


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> DemoArchive:
    """`tjcrawl demo` run twice into one archive, as the README's first steps do."""
    path = tmp_path_factory.mktemp("demo") / "archive.db"
    first = run_cli("demo", "--db", str(path))
    assert first.returncode == 0, first.stderr[-3000:]
    articles, runs = (
        count(path, "SELECT count(*) FROM articles"),
        count(path, "SELECT count(*) FROM crawl_runs"),
    )
    second = run_cli("demo", "--db", str(path))
    assert second.returncode == 0, second.stderr[-3000:]
    return DemoArchive(path, first, second, articles, runs)
