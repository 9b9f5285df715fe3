"""The command line never shows a traceback for a user's situation; read-only commands change
nothing.

Each command runs in its own process, as a user runs it. Exit statuses are the README's: 1 a
usage or archive error, 2 a bad command line, 4 another run holds the archive.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli

from tjcrawl.storage.archive import open_database
from tjcrawl.storage.migrations import MIGRATIONS, SCHEMA_VERSION

OLDER = 3  # an archive left at this many migrations
READ_COMMANDS = [
    ["stats"],
    ["search", "天津"],
    ["runs"],
    ["health"],
    ["schema"],
    ["history", "http://gov.tjcrawl.test/a.html"],
    ["dups"],
    ["failures"],
    ["facts", "--district", "滨海新区", "--min-amount", "1亿"],
    ["export", "--format", "warc", "{tmp}/out.warc.gz"],
]
WRITE_COMMANDS = [
    ["export", "-o", "{tmp}/out.jsonl"],
    ["dups", "--update"],
    ["reextract"],
    ["upgrade"],
]


# -- archives a user may point --db at ---------------------------------------------------------
def make_archive(path: Path) -> None:
    db = open_database(path)
    db.conn.execute("INSERT INTO sources (slug, name) VALUES ('one', 'One')")
    db.close()


def make_older(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    for number in range(OLDER):
        MIGRATIONS[number](db)
        db["tjcrawl_meta"].upsert({"key": "schema_version", "value": str(number + 1)}, pk="key")
        conn.execute(f"PRAGMA user_version = {number + 1}")
    conn.close()


def make_newer(path: Path) -> None:
    make_archive(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()


def make_foreign(path: Path) -> None:
    conn = sqlite3.connect(path)  # another program's database, rollback journal
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('mine')")
    conn.commit()
    conn.close()


def make_truncated(path: Path) -> None:
    """The first third of an archive, as a copy cut short leaves it."""
    make_archive(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def make_damaged(path: Path) -> None:
    """An archive whose schema reads fine but whose stored pages are overwritten: it opens,
    and the first query that reaches the pages fails."""
    make_archive(path)
    db = open_database(path)
    body = zlib.compress(b"x" * 1000)
    db.conn.executemany(
        "INSERT INTO pages (url, source, status, body, fetched_at) VALUES (?, 'one', 200, ?, ?)",
        [
            (f"http://one.test/{n}", body + os.urandom(2000), "2025-01-01T00:00:00+08:00")
            for n in range(400)
        ],
    )
    db.close()
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    data[half:] = b"\xa5" * (len(data) - half)
    path.write_bytes(bytes(data))


BAD_ARCHIVES = {
    "missing": lambda p: None,
    "empty": lambda p: p.write_bytes(b""),
    "folder": lambda p: p.mkdir(),
    "not sqlite": lambda p: p.write_bytes(b"these are my notes, not a database\n" * 200),
    "another program's": make_foreign,
    "newer": make_newer,
    "cut short": make_truncated,
}
# (exit status, what the one line says) per bad archive.
EXPECTED = {
    "missing": (1, "no archive here"),
    "empty": (1, "an empty file, not an archive"),
    "folder": (2, "is a directory"),
    "not sqlite": (1, "not a usable SQLite archive"),
    "another program's": (1, "not a tjcrawl archive"),
    "newer": (1, f"written by a newer tjcrawl, schema {SCHEMA_VERSION + 5}; upgrade tjcrawl"),
    "cut short": (1, "malformed"),
}
# Every way of opening the archive: read-only (with and without older schemas, with an output
# file), and each writer.
MATRIX_COMMANDS = [
    ["stats"],
    ["search", "天津"],
    ["schema"],
    ["history", "http://gov.tjcrawl.test/a.html"],
    ["facts", "--district", "滨海新区"],
    ["export", "--format", "warc", "{tmp}/out.warc.gz"],
    *WRITE_COMMANDS,
]


def state(folder: Path) -> dict[str, str]:
    """Every file in the folder (the archive, -wal, -shm, .lock …) with a hash of its bytes."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
        for p in sorted(folder.iterdir())
        if p.name != "out"
    }


def run_in(tmp: Path, args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*[a.format(tmp=tmp / "out") for a in args], "--db", str(db), timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess[str], status: int, says: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # A bad command line also gets click's usage reminder (exit 2); nothing else is printed.
    errors = [line for line in lines if not line.startswith(("Usage: ", "Try '"))]
    assert len(errors) == 1 and errors[0].startswith("Error: "), result.stderr
    assert says in errors[0], result.stderr


@pytest.mark.parametrize("kind", list(BAD_ARCHIVES))
def test_a_bad_archive_is_one_line_for_every_command_and_left_as_it_was(
    kind: str, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    db = tmp_path / "archive.db"
    BAD_ARCHIVES[kind](db)
    before = state(tmp_path)
    commands = MATRIX_COMMANDS
    if kind not in ("missing", "empty"):  # there, crawl makes a new archive, as it should
        commands = [*commands, ["crawl", "demo_trs", "--serve-fixtures"]]
    if kind == "missing":  # a new archive described from memory, nothing created
        commands = [c for c in commands if c[0] != "schema"]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: run_in(tmp_path, args, db), commands))
    status, says = EXPECTED[kind]
    for args, result in zip(commands, results, strict=True):
        try:
            assert_one_line_error(result, status, says)
        except AssertionError as exc:
            raise AssertionError(f"tjcrawl {' '.join(args)}: {exc}") from None
    assert state(tmp_path) == before, "a command changed a file it refused"
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    "args", [["stats"], ["export", "--format", "warc", "{tmp}/out.warc.gz"]], ids=["stats", "warc"]
)
def test_an_archive_damaged_past_its_schema_is_one_line(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    db = tmp_path / "archive.db"
    make_damaged(db)
    before = state(tmp_path)
    assert_one_line_error(run_in(tmp_path, args, db), 1, "cannot read the archive")
    assert state(tmp_path) == before
    assert list((tmp_path / "out").iterdir()) == []


def test_schema_of_no_archive_describes_a_new_one_and_creates_nothing(tmp_path: Path) -> None:
    result = run_cli("schema", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 0 and "articles" in result.stdout
    assert list(tmp_path.iterdir()) == []


# -- read-only commands change nothing ---------------------------------------------------------
ARCHIVES_TO_READ = {
    "current": make_archive,
    "older": make_older,
    "another program's": make_foreign,
    "empty": lambda p: p.write_bytes(b""),
}


@pytest.mark.parametrize("kind", list(ARCHIVES_TO_READ))
def test_read_only_commands_leave_the_archive_bytes_as_they_were(kind: str, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    db = tmp_path / "archive.db"
    ARCHIVES_TO_READ[kind](db)
    before = state(tmp_path)
    assert not (tmp_path / "archive.db-wal").exists()
    for args in READ_COMMANDS:  # one at a time: the state is compared after each
        result = run_in(tmp_path, args, db)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert state(tmp_path) == before, f"tjcrawl {' '.join(args)} changed the archive"
        if kind == "older" and args[0] != "schema":
            assert_one_line_error(result, 1, f"archive is schema {OLDER}")
            assert "tjcrawl upgrade" in result.stderr
        if kind == "current" and args[0] != "history":
            assert result.returncode == 0, (args, result.stderr)


def test_an_older_archive_is_migrated_by_upgrade_and_then_read(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    make_older(db)
    result = run_cli("upgrade", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"schema {OLDER} -> {SCHEMA_VERSION}" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    assert run_cli("stats", "--db", str(db)).returncode == 0


def test_a_read_while_a_writer_holds_the_archive_leaves_its_wal_alone(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    make_archive(db)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("INSERT INTO sources (slug, name) VALUES ('two', 'Two')")
    assert (tmp_path / "archive.db-wal").exists()
    result = run_cli("stats", "--db", str(db))
    assert result.returncode == 0 and "two" in result.stdout, result.stderr
    assert (tmp_path / "archive.db-wal").exists(), "the writer's WAL must stay"
    writer.execute("INSERT INTO sources (slug, name) VALUES ('three', 'Three')")
    writer.close()
    assert "three" in run_cli("stats", "--db", str(db)).stdout


# -- bad arguments and settings ----------------------------------------------------------------
BAD_INVOCATIONS = [
    (["export", "-o", "/nonexistent/x.csv", "--format", "csv"], {}, 2, "does not exist"),
    (["export", "/nonexistent/x.jsonl"], {}, 2, "does not exist"),
    (["export", "--format", "warc", "/nonexistent/x.warc"], {}, 2, "does not exist"),
    (["health", "--html", "/nonexistent/report.html"], {}, 2, "does not exist"),
    (
        ["crawl", "demo_trs", "--serve-fixtures", "--log-file", "/nonexistent/x.log"],
        {},
        2,
        "does not exist",
    ),
    (["dups", "--update"], {"lock": True}, 1, "cannot open the lock file"),
    (["reextract"], {"lock": True}, 1, "cannot open the lock file"),
    (["crawl", "demo_trs", "--serve-fixtures"], {"lock": True}, 1, "cannot open the lock file"),
    (["export", "-o", "{tmp}/x.jsonl"], {"TJCRAWL_NOW": "yesterday"}, 1, "TJCRAWL_NOW"),
    (["crawl", "demo_trs", "--serve-fixtures"], {"TJCRAWL_NOW": "2025-13-45"}, 1, "TJCRAWL_NOW"),
    (
        ["crawl", "demo_trs", "--serve-fixtures"],
        {"TJCRAWL_SETTINGS": '{"CONCURRENT_REQUESTS": "many"}'},
        1,
        "CONCURRENT_REQUESTS must be int",
    ),
    (
        ["crawl", "demo_trs", "--serve-fixtures"],
        {"TJCRAWL_SETTINGS": '{"TJCRAWL_COMMIT_EVERY": "often"}'},
        1,
        "TJCRAWL_COMMIT_EVERY",
    ),
    (["goldens", "--check"], {"TJCRAWL_SOURCES_DIR": "/nonexistent"}, 1, "does not exist"),
]


@pytest.mark.parametrize(
    ("args", "setting", "status", "says"),
    BAD_INVOCATIONS,
    ids=[" ".join(a[0][:2]) + f" {sorted(a[1])}" for a in BAD_INVOCATIONS],
)
def test_bad_arguments_and_settings_are_one_line(
    args: list[str], setting: dict[str, str], status: int, says: str, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    make_archive(db)
    setting = dict(setting)
    if setting.pop("lock", False):
        (tmp_path / "archive.db.lock").mkdir()  # a lock file that cannot be opened
    before = state(tmp_path)
    db_args = [] if args[0] == "goldens" else ["--db", str(db)]
    result = run_cli(*[a.format(tmp=tmp_path) for a in args], *db_args, env=setting, timeout=60)
    assert_one_line_error(result, status, says)
    assert state(tmp_path) == before, "nothing is written when the command is refused"


def test_an_unexpected_error_is_one_line_asking_for_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tjcrawl import health
    from tjcrawl.cli import main

    def broken(*args: object, **kwargs: object) -> str:
        raise ZeroDivisionError("division by zero\nsecond line")

    db = tmp_path / "archive.db"
    make_archive(db)
    monkeypatch.setattr(health, "format_runs", broken)
    monkeypatch.delenv("TJCRAWL_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["runs", "--db", str(db)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "unexpected ZeroDivisionError: division by zero;" in lines[0]
    assert "please report it" in lines[0]
    monkeypatch.setenv("TJCRAWL_DEBUG", "1")
    debug = CliRunner().invoke(main, ["runs", "--db", str(db)])
    assert isinstance(debug.exception, ZeroDivisionError)  # the traceback, on request
