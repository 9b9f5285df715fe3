"""`tjcrawl reextract`: articles rebuilt from the stored pages with the current profiles.

Each test works on its own copy of the session's demo archive, with sockets guarded: a
re-extraction that tried to open a connection would fail loudly.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from tjcrawl.profiles import BUNDLED_DIR
from tjcrawl.reextract import ReextractError, reextract
from tjcrawl.storage import search
from tjcrawl.storage.lock import ArchiveLocked, RunLock

#: The variant profile: one more boilerplate rule, which cuts each article's first paragraph.
FIRST_PARAGRAPH_RULE = '"xpath:(.//p)[1]"'


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every way to open a connection (or resolve a name) raises, and is noted."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
        raise NetworkUsed(f"network use during re-extraction: {args!r}")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    return attempts


@pytest.fixture
def archive(demo_archive: Any, tmp_path: Path) -> Path:
    """A private copy of the demo archive (the session's copy stays as it is)."""
    copy = tmp_path / "archive.db"
    with (
        closing(sqlite3.connect(demo_archive.path)) as source,
        closing(sqlite3.connect(copy)) as dest,
    ):
        source.backup(dest)
    return copy


@pytest.fixture
def variant_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TJCRAWL_SOURCES_DIR with a demo_trs whose boilerplate also removes the first paragraph."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    text = (BUNDLED_DIR / "demo_trs.toml").read_text(encoding="utf-8")
    rule = 'boilerplate = ["div.article-tools",'
    assert rule in text
    text = text.replace(rule, f"boilerplate = [{FIRST_PARAGRAPH_RULE}, " + rule.split("[", 1)[1])
    (folder / "demo_trs.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("TJCRAWL_SOURCES_DIR", str(folder))
    return folder


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def articles(db: Path) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in rows(db, "SELECT * FROM articles ORDER BY id")}


def seconds(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).isoformat(timespec="seconds")


def search_urls(db: Path, query: str) -> set[str]:
    result = run_cli("search", query, "--db", str(db), "--json", "--limit", "10000")
    assert result.returncode == 0, result.stderr
    return {hit["url"] for hit in json.loads(result.stdout)["hits"]}


def test_unchanged_profiles_change_nothing(archive: Path, no_network: list[Any]) -> None:
    before = articles(archive)
    revisions = rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"]
    pages = rows(archive, "SELECT count(*) AS n FROM pages")[0]["n"]
    facts = rows(
        archive, "SELECT kind, value, article_id FROM article_facts ORDER BY article_id, id"
    )
    assert facts, "the demo's crawl stored its articles' facts"

    report = reextract(archive)

    sources = sorted({a["source"] for a in before.values()})
    assert "demo_trs" in sources and [s.source for s in report.sources] == sources
    assert report.total("changed") == report.total("new") == report.total("failed") == 0
    assert report.total("errors") == report.total("lost") == report.total("duplicate") == 0
    assert report.total("unchanged") == len(before) > 40
    assert report.total("dates_differ") == 0
    assert (
        report.pages
        == rows(archive, "SELECT count(DISTINCT url) AS n FROM pages WHERE status = 200")[0]["n"]
    )
    assert articles(archive) == before  # not a column moved: not even last_seen_at
    assert rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"] == revisions
    assert rows(archive, "SELECT count(*) AS n FROM pages")[0]["n"] == pages
    # Facts are recomputed for every article, changed or not (the finder may have changed):
    # the same finder gives the same facts, and no article is news for them.
    again = rows(
        archive, "SELECT kind, value, article_id FROM article_facts ORDER BY article_id, id"
    )
    assert again == facts
    assert report.total("facts") == len(facts) and report.total("facts_failed") == 0
    runs = rows(archive, "SELECT * FROM crawl_runs WHERE run_id = ?", (report.run_id,))
    assert sorted(r["source"] for r in runs) == sources
    for run in runs:
        assert run["mode"] == "reextract" and run["finish_reason"] == "finished"
        assert run["finished_at"] and run["requests"] == 0 and run["items_changed"] == 0
        assert run["listing_pages"] >= 1 and run["items_scraped"] == run["items_unchanged"]
        assert json.loads(run["field_failures"])["missing"] == {}
    assert no_network == []
    # `tjcrawl health` reads the re-extraction as a healthy run.
    health = run_cli("health", "--db", str(archive))
    assert "failing" not in health.stdout, health.stdout


def test_a_changed_profile_records_revisions_and_search_follows(
    archive: Path, variant_profiles: Path, no_network: list[Any]
) -> None:
    before = articles(archive)
    trs = {url: a for url, a in before.items() if a["source"] == "demo_trs"}
    # One withdrawn article: a re-extraction must not bring it back to life.
    withdrawn_url = sorted(trs)[0]
    with closing(sqlite3.connect(archive)) as conn, conn:
        conn.execute(
            "UPDATE articles SET withdrawn_at = '2026-01-01T00:00:00+08:00',"
            " next_revisit_at = NULL WHERE url = ?",
            (withdrawn_url,),
        )
    before[withdrawn_url] = articles(archive)[withdrawn_url]
    sample_url = "http://gov.tjcrawl.test/sy/tjxw/202411/t20241105_6012040.html"
    first_paragraph = trs[sample_url]["body"].split("\n")[0]
    phrase = first_paragraph[:16]
    assert sample_url in search_urls(archive, phrase)

    report = reextract(archive, ["demo_trs"])

    (trs_report,) = report.sources
    assert trs_report.changed == len(trs) >= 10
    assert trs_report.new == trs_report.failed == trs_report.lost == trs_report.errors == 0
    after = articles(archive)
    revisions = {
        r["url"]: r for r in rows(archive, "SELECT * FROM revisions WHERE replaced_at IS NOT NULL")
    }
    assert set(revisions) == set(trs)
    for url, old in trs.items():
        new, revision = after[url], revisions[url]
        assert new["body"] == "\n".join(old["body"].split("\n")[1:]), url
        assert new["content_hash"] != old["content_hash"]
        assert revision["body"] == old["body"] and revision["content_hash"] == old["content_hash"]
        assert new["run_id"] == report.run_id and new["last_changed_at"] >= old["last_changed_at"]
        assert new["change_seq"] > old["change_seq"]
        # What the crawler saw of the site is as it was.
        for column in (
            "first_seen_at",
            "last_seen_at",
            "last_checked_at",
            "revisit_interval_days",
            "next_revisit_at",
            "withdrawn_at",
            "published_at",
        ):
            assert new[column] == before[url][column], (url, column)
    assert after[withdrawn_url]["withdrawn_at"] == "2026-01-01T00:00:00+08:00"
    # The other sources were not re-extracted, and are untouched.
    assert {u: a for u, a in after.items() if u not in trs} == {
        u: a for u, a in before.items() if u not in trs
    }
    # The search index follows: the cut paragraph is gone, the rest still found.
    assert sample_url not in search_urls(archive, phrase)
    second = trs[sample_url]["body"].split("\n")[1][:16]
    assert sample_url in search_urls(archive, second)
    history = run_cli("history", sample_url, "--db", str(archive))
    assert "2 versions" in history.stdout, history.stdout

    # Again with the same profile: nothing left to change.
    again = reextract(archive, ["demo_trs"])
    assert again.total("changed") == 0 and again.total("unchanged") == len(trs)
    assert no_network == []


def test_a_page_that_extracts_for_the_first_time_becomes_an_article(
    archive: Path, no_network: list[Any]
) -> None:
    url = "http://gov.tjcrawl.test/sy/tjxw/202411/t20241105_6012040.html"
    gone = articles(archive)[url]
    sql = "SELECT fetched_at, last_fetched_at FROM pages WHERE id = ?"
    page = rows(archive, sql, (gone["page_id"],))[0]
    with closing(sqlite3.connect(archive)) as conn, conn:
        search.unindex_article(conn, gone["id"], gone["title"], gone["body"])
        conn.execute("DELETE FROM articles WHERE id = ?", (gone["id"],))

    report = reextract(archive, ["demo_trs"])

    trs = sum(a["source"] == "demo_trs" for a in articles(archive).values())
    assert report.total("new") == 1 and report.total("unchanged") == trs - 1
    back = articles(archive)[url]
    for column in ("title", "body", "content_hash", "published_at", "listing_title", "page_id"):
        assert back[column] == gone[column], column
    # First and last seen when its page was fetched, not when it was re-extracted.
    assert back["first_seen_at"] == seconds(page["fetched_at"])
    assert back["last_seen_at"] == seconds(page["last_fetched_at"])
    assert url in search_urls(archive, gone["body"].split("\n")[0][:16])
    assert no_network == []


def test_pages_that_no_longer_extract_are_counted_not_stored(
    archive: Path, no_network: list[Any]
) -> None:
    # Neither the profile nor the generic extractor finds an article in a page without text.
    blank = b"<html><head><title>t</title></head><body><div></div></body></html>"
    with closing(sqlite3.connect(archive)) as conn, conn:
        conn.execute(
            "UPDATE pages SET body = ?, compression = NULL"
            " WHERE source = 'demo_trs' AND kind = 'detail'",
            (blank,),
        )
    before = articles(archive)

    report = reextract(archive, ["demo_trs"])

    (trs,) = report.sources
    stored = sum(a["source"] == "demo_trs" for a in before.values())
    assert trs.failed == trs.lost == stored >= 10 and trs.changed == trs.new == 0
    assert articles(archive) == before  # nothing stored, nothing deleted
    assert report.problems == [f"demo_trs: {stored} stored articles no longer extract"]
    faults = rows(
        archive, "SELECT kind, url FROM faults WHERE run_id = ? ORDER BY url", (report.run_id,)
    )
    assert len(faults) == stored and {f["kind"] for f in faults} == {"extraction_failed"}
    assert no_network == []


def test_a_body_selector_that_breaks_falls_back_to_the_generic_extractor(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    text = (BUNDLED_DIR / "demo_trs.toml").read_text(encoding="utf-8")
    text = text.replace('body = "div.article-content"', 'body = "div.no-such-block"')
    (folder / "demo_trs.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("TJCRAWL_SOURCES_DIR", str(folder))
    before = articles(archive)
    trs_before = {url: a for url, a in before.items() if a["source"] == "demo_trs"}
    revisions = rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"]

    report = reextract(archive, ["demo_trs"])

    (trs,) = report.sources
    stored = len(trs_before)
    assert trs.failed == trs.lost == trs.new == 0 and trs.changed + trs.unchanged == stored
    assert trs.generic_fills == {"body": stored}
    assert report.problems == [
        f"demo_trs: field detail.body matched nothing on {stored} of {stored} pages;"
        " the generic extractor filled it (provenance generic)"
    ]
    after = articles(archive)
    for url, old in trs_before.items():
        sources = json.loads(after[url]["field_sources"])
        assert sources["body"] == "generic" and sources["title"] == "profile", url
        assert after[url]["title"] == old["title"]
    # A changed body is a revision as usual; the article was never lost.
    # Each changed article keeps its earlier version, as any re-extraction does.
    assert rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"] == revisions + trs.changed
    kinds = rows(archive, "SELECT DISTINCT kind FROM faults WHERE run_id = ?", (report.run_id,))
    assert [k["kind"] for k in kinds] == ["selector_missed"]
    (run,) = rows(archive, "SELECT * FROM crawl_runs WHERE run_id = ?", (report.run_id,))
    assert json.loads(run["field_failures"])["generic"] == {"body": stored}
    health = run_cli("health", "--db", str(archive))
    assert health.returncode == 3
    assert "detail.body matched nothing" in health.stdout, health.stdout
    assert no_network == []


def test_generic_re_extraction_reads_every_detail_field_without_selectors(
    archive: Path, no_network: list[Any]
) -> None:
    before = articles(archive)
    trs_before = {url: a for url, a in before.items() if a["source"] == "demo_trs"}
    revisions = rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"]

    report = reextract(archive, ["demo_trs", "demo_portal"], generic=True)

    assert [s.source for s in report.sources] == ["demo_trs"]
    assert report.skipped == [
        "demo_portal: its articles are in its listings; no detail pages for the generic extractor"
    ]
    (trs,) = report.sources
    assert trs.failed == trs.lost == trs.new == 0 and trs.generic_fills == {}
    assert report.problems == []
    after = articles(archive)
    for url, old in trs_before.items():
        sources = json.loads(after[url]["field_sources"])
        assert sources == {
            "title": "generic",
            "date": "generic",
            "body": "generic",
            "origin": "generic",
        }, url
        assert after[url]["published_at"][:10] == old["published_at"][:10], url
    # Each changed article keeps its earlier version, as any re-extraction does.
    assert rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"] == revisions + trs.changed
    assert no_network == []


def test_the_socket_guard_does_catch_a_connection(no_network: list[Any]) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkUsed), closing(socket.socket()) as sock:
        sock.connect(("127.0.0.1", 9))
    assert len(no_network) == 2
    no_network.clear()


def test_an_unknown_source_or_a_missing_archive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReextractError, match="unknown source no_such"):
        reextract(_empty_archive(tmp_path), ["no_such"])
    with pytest.raises(Exception, match="no archive here"):
        reextract(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def _empty_archive(tmp_path: Path) -> Path:
    from tjcrawl.storage.archive import open_database

    path = tmp_path / "empty.db"
    open_database(path).close()
    return path


@pytest.fixture
def lock_held_elsewhere(archive: Path) -> Iterator[None]:
    """Another process holds the archive's run lock (as a running crawl would)."""
    code = (
        "import fcntl, sys, time\n"
        "handle = open(sys.argv[1], 'a+')\n"
        "fcntl.flock(handle, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(RunLock.lock_path(archive))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_it_waits_for_no_one_when_a_crawl_holds_the_archive(
    archive: Path, lock_held_elsewhere: None
) -> None:
    before = articles(archive)
    with pytest.raises(ArchiveLocked):
        reextract(archive)
    assert articles(archive) == before


def test_worker_processes_give_what_one_process_gives(
    archive: Path, tmp_path: Path, variant_profiles: Path, no_network: list[Any]
) -> None:
    twin = tmp_path / "twin.db"
    with closing(sqlite3.connect(archive)) as source, closing(sqlite3.connect(twin)) as dest:
        source.backup(dest)

    alone = reextract(archive, workers=1)
    parallel = reextract(twin, workers=2)

    def outcome(report: Any) -> list[tuple[Any, ...]]:
        return [
            (s.source, s.pages, s.items, s.new, s.changed, s.unchanged, s.failed, s.lost)
            for s in report.sources
        ]

    assert outcome(parallel) == outcome(alone) and parallel.total("changed") >= 10
    columns = ("title", "body", "body_html", "content_hash", "published_at", "page_id")
    assert {u: [a[c] for c in columns] for u, a in articles(twin).items()} == {
        u: [a[c] for c in columns] for u, a in articles(archive).items()
    }
    runs = rows(twin, "SELECT * FROM crawl_runs WHERE run_id = ?", (parallel.run_id,))
    alone_runs = rows(archive, "SELECT * FROM crawl_runs WHERE run_id = ?", (alone.run_id,))
    keys = ("source", "items_scraped", "items_changed", "listing_pages", "listing_entries")
    assert [[r[k] for k in keys] for r in runs] == [[r[k] for k in keys] for r in alone_runs]
    assert [r["field_failures"] for r in runs] == [r["field_failures"] for r in alone_runs]
    assert no_network == []


def test_it_runs_with_the_crawls_collector_threshold_and_puts_it_back(
    archive: Path, no_network: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from tjcrawl.gc_tuning import YOUNG_THRESHOLD
    from tjcrawl.reextract import runs

    seen: list[tuple[int, ...]] = []
    recompute = runs.recompute_source

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        return recompute(*args, **kwargs)

    monkeypatch.setattr(runs, "recompute_source", watched)
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        reextract(archive, ["demo_trs"])
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)

    assert seen and all(t == (YOUNG_THRESHOLD, 10, 10) for t in seen)
