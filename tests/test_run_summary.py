"""What a crawl prints about each source equals what it recorded in crawl_runs."""

import re
import sqlite3
from pathlib import Path

from conftest import run_cli

SUMMARY_RE = re.compile(
    r"^(?P<source>\w+): \d+ requests, (?P<new>\d+) new, (?P<changed>\d+) changed,"
    r" (?P<unchanged>\d+) unchanged, (?P<failed>\d+) failed",
    re.M,
)


def _demo(db: Path, now: str) -> str:
    result = run_cli("demo", "--quiet", "--db", str(db), env={"TJCRAWL_NOW": now})
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_revisit_run_prints_the_counts_it_records(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    _demo(db, "2025-08-23T12:00:00+08:00")  # just after the fixtures were captured
    # Three days on, yesterday's articles are due for a revisit; the fixture server answers
    # their conditional requests with 304, which is what the summary once left out.
    out = _demo(db, "2025-08-26T12:00:00+08:00")
    printed = {
        m["source"]: tuple(int(m[k]) for k in ("new", "changed", "unchanged", "failed"))
        for m in SUMMARY_RE.finditer(out)
    }
    with sqlite3.connect(db) as conn:
        recorded = {
            row[0]: tuple(row[1:])
            for row in conn.execute(
                "SELECT source, items_new, items_changed, items_unchanged, items_failed"
                " FROM crawl_runs WHERE run_id = (SELECT max(run_id) FROM crawl_runs)"
            )
        }
    assert sum(r[2] for r in recorded.values()) > 0, "no article was revisited"
    assert printed == recorded
