"""The interface downstream tools rely on: documented schema, views, incremental exports."""

import json
import sqlite3
from pathlib import Path

from conftest import REPO, DemoArchive, count, run_cli

from tjcrawl.storage.archive import open_database
from tjcrawl.storage.migrations import SCHEMA_VERSION
from tjcrawl.storage.schema_doc import render, undocumented

VIEWS = {"current_articles", "article_revisions", "repost_groups", "runs"}


def test_docs_schema_md_is_generated_from_the_database(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.db")
    assert undocumented(db.conn) == []
    expected = render(db.conn)
    assert (REPO / "docs" / "schema.md").read_text("utf-8") == expected, (
        "docs/schema.md is stale: run `tjcrawl schema --db no-such.db > docs/schema.md`"
    )
    printed = run_cli("schema", "--db", str(tmp_path / "absent.db"))
    assert printed.stdout == expected
    assert not (tmp_path / "absent.db").exists()


def test_the_schema_version_is_readable_from_sql(demo_archive: DemoArchive) -> None:
    with sqlite3.connect(demo_archive.path) as conn:
        version = conn.execute("SELECT value FROM tjcrawl_meta WHERE key = 'schema_version'")
        assert int(version.fetchone()[0]) == SCHEMA_VERSION
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert views >= VIEWS
    articles = count(demo_archive.path, "SELECT count(*) FROM articles")
    assert count(demo_archive.path, "SELECT count(*) FROM current_articles") == articles
    assert count(demo_archive.path, "SELECT count(*) FROM runs") == count(
        demo_archive.path, "SELECT count(*) FROM crawl_runs"
    )


def test_changed_since_last_export_hands_over_only_changes(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    assert run_cli("demo", "--quiet", "--db", str(db)).returncode == 0
    articles = count(db, "SELECT count(*) FROM articles")

    def export() -> list[dict]:
        result = run_cli("export", "--changed-since-last-export", "--db", str(db))
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    assert len(export()) == articles
    assert export() == []
    rerun = run_cli("demo", "--quiet", "--db", str(db))
    assert rerun.returncode == 0, rerun.stderr
    assert export() == [], "an unchanged crawl must export nothing"
    assert count(db, "SELECT count(*) FROM exports") == 3


def test_export_since_a_day(demo_archive: DemoArchive) -> None:
    everything = run_cli("export", "--since", "2000-01-01", "--db", str(demo_archive.path))
    future = run_cli("export", "--since", "2999-01-01", "--db", str(demo_archive.path))
    assert len(everything.stdout.splitlines()) == count(
        demo_archive.path, "SELECT count(*) FROM articles"
    )
    assert future.stdout == ""
