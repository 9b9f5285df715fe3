"""An interrupted export leaves nothing half-written: the final name holds the previous complete
export (or nothing), and no temporary file stays behind, except after SIGKILL, until the next
export to that name."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, run_cli

from tjcrawl.storage.archive import open_database


def make_export_archive(path: Path, pages: int) -> None:
    """Pages of source "big" (slow to export as gzipped WARC) and one page of "small"."""
    db = open_database(path)
    rows = []
    for number in range(pages):
        text = (f"<p>page {number} 天津市招商引资 " * 4000).encode()
        rows.append(("big", f"http://big.test/{number}.html", zlib.compress(text, 1)))
    rows.append(("small", "http://small.test/1.html", zlib.compress(b"<p>small</p>")))
    db.conn.executemany(
        "INSERT INTO pages (source, url, status, headers, body, compression, fetched_at)"
        " VALUES (?, ?, 200, '{}', ?, 'zlib', '2025-01-01T08:00:00+08:00')",
        rows,
    )
    db.close()


def parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


def start_export(db: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tjcrawl.cli",
            "export",
            "--format",
            "warc",
            str(out),
            "--db",
            str(db),
            *extra,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell without job control starts background jobs with SIGINT ignored, and Python
        # then keeps ignoring it: the child must get Ctrl-C as a user's terminal delivers it.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill_once_writing(process: subprocess.Popen[str], folder: Path, how: signal.Signals) -> None:
    deadline = time.monotonic() + 30
    while not parts(folder):
        assert process.poll() is None, f"the export ended before it was killed: {process.stderr}"
        assert time.monotonic() < deadline, "no .part file appeared"
        time.sleep(0.005)
    process.send_signal(how)
    process.communicate(timeout=30)


@pytest.fixture(scope="module")
def export_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("export") / "archive.db"
    make_export_archive(db, pages=600)
    return db


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_warc_export_keeps_the_previous_file_and_leaves_no_part(
    how: signal.Signals, export_archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pages.warc.gz"
    first = run_cli(
        "export", "--format", "warc", str(out), "--source", "small", "--db", str(export_archive)
    )
    assert first.returncode == 0, first.stderr
    previous = out.read_bytes()
    process = start_export(export_archive, out)
    kill_once_writing(process, tmp_path, how)
    assert process.returncode != 0
    assert out.read_bytes() == previous, "the previous complete export must stay"
    assert parts(tmp_path) == []


def test_a_killed_warc_export_leaves_a_part_that_the_next_export_removes(
    export_archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pages.warc.gz"
    process = start_export(export_archive, out)
    kill_once_writing(process, tmp_path, signal.SIGKILL)
    assert not out.exists(), "nothing half-written under the final name"
    assert len(parts(tmp_path)) == 1  # SIGKILL leaves no chance to clean up …
    again = run_cli(
        "export", "--format", "warc", str(out), "--source", "small", "--db", str(export_archive)
    )
    assert again.returncode == 0, again.stderr
    assert parts(tmp_path) == []  # … so the next export to that name does
    assert out.stat().st_size > 0


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_failed_article_export_keeps_the_previous_file_and_is_not_recorded(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite_utils

    from tjcrawl.cli import main

    db = tmp_path / "archive.db"
    shutil.copy(make_articles(tmp_path / "src.db"), db)
    out = tmp_path / f"articles.{fmt}"
    out.write_text("the previous complete export\n", encoding="utf-8")
    real_query = sqlite_utils.Database.query

    def failing_query(self: sqlite_utils.Database, sql: str, params: object = None):  # type: ignore[no-untyped-def]
        rows = real_query(self, sql, params)
        if "current_articles" not in sql:
            yield from rows
            return
        for number, row in enumerate(rows):
            if number == 2:
                raise KeyboardInterrupt  # Ctrl-C halfway through the export
            yield row

    monkeypatch.setattr(sqlite_utils.Database, "query", failing_query)
    result = CliRunner().invoke(main, ["export", "--format", fmt, "-o", str(out), "--db", str(db)])
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8") == "the previous complete export\n"
    assert parts(tmp_path) == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM exports").fetchone()[0] == 0
    conn.close()


def make_articles(path: Path) -> Path:
    """An archive with a few articles, stored by the archive writer."""
    from tjcrawl.storage.archive import Archive

    archive = Archive(path)
    for number in range(5):
        article = {
            "url": f"http://one.test/{number}.html",
            "source": "one",
            "title": f"天津 {number}",
            "body": f"天津市招商引资 第{number}篇",
            "content_hash": str(number),
        }
        archive.store_article(article, None, "r1")
    archive.close()
    return path
