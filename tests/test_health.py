"""Source health from the archive: coverage alarms, source states and the HTML report.

Archives are built small and by hand: a migrated database (or the first schema only, to check
that the code works before the nightly migration) with crawl_runs rows inserted directly.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from tjcrawl import health, report
from tjcrawl.storage.archive import open_database
from tjcrawl.storage.migrations import MIGRATIONS

SHANGHAI = health.SHANGHAI
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
LATER_COLUMNS = {
    "crawl_runs": {
        "mode": "TEXT",
        "faults": "TEXT",
        "duration_s": "REAL",
        "listing_pages": "INTEGER",
        "listing_entries": "INTEGER",
    },
    "articles": {"withdrawn_at": "TEXT"},
}


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Stand in for the nightly migration where this checkout does not have it yet."""
    for table, wanted in LATER_COLUMNS.items():
        present = health.columns(conn, table)
        for name, kind in wanted.items():
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


@pytest.fixture(params=["first-schema", "nightly-schema"])
def conn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """An empty archive: with only the first migration, or with the nightly columns."""
    path = tmp_path / "archive.db"
    if request.param == "first-schema":
        db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
        MIGRATIONS[0](db)
        connection = db.conn
    else:
        connection = open_database(path).conn
        _add_missing_columns(connection)
    yield connection
    connection.close()


@pytest.fixture
def nightly(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_database(tmp_path / "archive.db").conn
    _add_missing_columns(connection)
    yield connection
    connection.close()


def add_source(conn: sqlite3.Connection, slug: str, name: str = "演示：天津政务网") -> None:
    conn.execute(
        "INSERT INTO sources (slug, name, verified) VALUES (?, ?, ?)", (slug, name, "never")
    )


def add_run(
    conn: sqlite3.Connection,
    source: str,
    *,
    items: int = 15,
    body: int | None = None,
    date: int | None = None,
    title: int | None = None,
    started: datetime | None = None,
    finished: bool = True,
    reason: str | None = "finished",
    **extra: Any,
) -> int:
    """One crawl_runs row as the archive pipeline writes it; returns its id."""
    started = started or NOW - timedelta(hours=6)
    number = conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    present = {
        "title": items if title is None else title,
        "body": items if body is None else body,
        "date": items if date is None else date,
        "origin": items,
        "author": 0,
    }
    row: dict[str, Any] = {
        "run_id": started.strftime("%Y%m%dT%H%M%S") + f"-{number:06x}",
        "source": source,
        "profile_sha256": "0" * 64,
        "started_at": started.isoformat(timespec="seconds"),
        "requests": 20,
        "responses": 20,
        "bytes": 1000,
        "pages_stored": items + 2,
    }
    if finished:
        refused = items - min(present["title"], present["body"])
        row.update(
            finished_at=(started + timedelta(minutes=5)).isoformat(timespec="seconds"),
            items_scraped=items,
            items_new=items - refused,
            items_changed=0,
            items_unchanged=0,
            items_failed=refused,
            items_duplicate=0,
            field_failures=json.dumps({"missing": {}, "present": present}),
            finish_reason=reason,
        )
    row.update(extra)
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(
        f"INSERT INTO crawl_runs ({columns}) VALUES ({marks})", tuple(row.values())
    )
    return int(cursor.lastrowid or 0)


def history(conn: sqlite3.Connection, source: str, runs: int = 3, **kwargs: Any) -> None:
    for day in range(runs, 0, -1):
        add_run(conn, source, started=NOW - timedelta(days=day), **kwargs)


def alarms_of(conn: sqlite3.Connection, row_id: int, source: str = "demo_trs") -> list[str]:
    row = conn.execute(
        "SELECT items_scraped, field_failures FROM crawl_runs WHERE id = ?", (row_id,)
    ).fetchone()
    stored = {"items_scraped": row[0], "field_failures": row[1]}
    return health.coverage_alarms(
        conn, source, row_id, health.coverage(stored), int(row[0] or 0), None
    )


# -- coverage -----------------------------------------------------------------------------
def test_coverage_from_scrapy_stats_and_from_a_stored_row() -> None:
    stats = {"tjcrawl/items_seen": 10, "tjcrawl/present/title": 10, "tjcrawl/present/body": 4}
    assert health.coverage(stats) == {
        "title": 1.0,
        "body": 0.4,
        "date": 0.0,
        "origin": 0.0,
        "author": 0.0,
    }
    row = {
        "items_scraped": 20,
        "field_failures": json.dumps({"missing": {}, "present": {"title": 20, "date": 5}}),
    }
    assert health.coverage(row) == {"title": 1.0, "date": 0.25}
    assert health.coverage({"tjcrawl/items_seen": 0}) == {}
    assert health.coverage({"items_scraped": 0, "field_failures": None}) == {}


# -- alarms -------------------------------------------------------------------------------
def test_body_coverage_drop_from_100_to_40_percent_names_source_and_field(
    conn: sqlite3.Connection,
) -> None:
    history(conn, "demo_trs", runs=4)
    current = add_run(conn, "demo_trs", items=15, body=6)
    alarms = alarms_of(conn, current)
    assert alarms == ["demo_trs: body coverage fell to 40% (6 of 15 items; earlier runs: 100%)"]


def test_a_small_drop_below_the_floor_alarms_too(conn: sqlite3.Connection) -> None:
    history(conn, "demo_trs", runs=3, items=100)
    current = add_run(conn, "demo_trs", items=100, date=85)
    (alarm,) = alarms_of(conn, current)
    assert alarm.startswith("demo_trs: date coverage fell to 85%")


def test_no_alarm_without_history(conn: sqlite3.Connection) -> None:
    current = add_run(conn, "demo_trs", items=15, body=6)
    assert alarms_of(conn, current) == []


def test_no_alarm_when_the_run_scraped_nothing(conn: sqlite3.Connection) -> None:
    history(conn, "demo_trs")
    current = add_run(conn, "demo_trs", items=0)
    assert health.coverage({"items_scraped": 0, "field_failures": "{}"}) == {}
    assert alarms_of(conn, current) == []
    assert health.coverage_alarms(conn, "demo_trs", current, {}, 0, None) == []


def test_no_alarm_when_coverage_holds(conn: sqlite3.Connection) -> None:
    history(conn, "demo_trs", runs=5, items=30)
    steady = add_run(conn, "demo_trs", items=30)
    assert alarms_of(conn, steady) == []
    slightly_lower = add_run(conn, "demo_trs", items=30, date=28)  # 93%: above the floor
    assert alarms_of(conn, slightly_lower) == []


def test_history_is_earlier_finished_runs_of_the_same_source_with_enough_items(
    conn: sqlite3.Connection,
) -> None:
    add_run(conn, "demo_trs", items=15, finished=False, started=NOW - timedelta(days=3))
    add_run(conn, "demo_trs", items=4, started=NOW - timedelta(days=2))  # too few items
    history(conn, "demo_enorth", runs=3)  # another source
    current = add_run(conn, "demo_trs", items=15, body=6)
    add_run(conn, "demo_trs", items=15, started=NOW)  # a later run is not history
    assert alarms_of(conn, current) == []


def test_the_baseline_is_a_median_so_one_odd_run_does_not_move_it(
    conn: sqlite3.Connection,
) -> None:
    history(conn, "demo_trs", runs=4)
    add_run(conn, "demo_trs", items=15, body=3, started=NOW - timedelta(hours=12))
    current = add_run(conn, "demo_trs", items=15, body=6)
    assert alarms_of(conn, current) == [
        "demo_trs: body coverage fell to 40% (6 of 15 items; earlier runs: 100%)"
    ]


def test_listing_yield_drop_alarms_even_without_items(nightly: sqlite3.Connection) -> None:
    history(nightly, "demo_trs", listing_pages=2, listing_entries=40)
    current = add_run(
        nightly, "demo_trs", items=0, mode="incremental", listing_pages=2, listing_entries=6
    )
    assert health.coverage_alarms(nightly, "demo_trs", current, {}, 0, 3.0) == [
        "demo_trs: field listing.entries yield fell to 3.0 per listing page (earlier runs: 20.0)"
    ]
    assert health.alarms_for_run(nightly, _run_id(nightly, current), "demo_trs") == [
        "demo_trs: field listing.entries yield fell to 3.0 per listing page (earlier runs: 20.0)"
    ]
    assert health.coverage_alarms(nightly, "demo_trs", current, {}, 0, 19.0) == []


def _run_id(conn: sqlite3.Connection, row_id: int) -> str:
    return str(conn.execute("SELECT run_id FROM crawl_runs WHERE id = ?", (row_id,)).fetchone()[0])


def test_alarms_for_a_stored_run(conn: sqlite3.Connection) -> None:
    history(conn, "demo_trs")
    current = add_run(conn, "demo_trs", items=15, date=3)
    (alarm,) = health.alarms_for_run(conn, _run_id(conn, current), "demo_trs")
    assert alarm.startswith("demo_trs: date coverage fell to 20%")
    assert health.alarms_for_run(conn, "no-such-run", "demo_trs") == []


# -- states -------------------------------------------------------------------------------
def _states(conn: sqlite3.Connection, **kwargs: Any) -> dict[str, health.SourceState]:
    return {s.slug: s for s in health.source_states(conn, now=NOW, **kwargs)}


def test_states_classify_ok_failing_interrupted_never_run_and_stale(
    conn: sqlite3.Connection,
) -> None:
    for slug in ("good", "broken", "stopped", "new", "old", "killed"):
        add_source(conn, slug)
    history(conn, "good")
    add_run(conn, "good", items=15)
    history(conn, "broken")
    add_run(conn, "broken", items=15, body=6)
    history(conn, "stopped")
    add_run(conn, "stopped", finished=False, started=NOW - timedelta(hours=2))
    history(conn, "killed")
    add_run(conn, "killed", reason="shutdown")
    add_run(conn, "old", started=NOW - timedelta(days=5))

    states = _states(conn, known_sources=["profile_only"])
    assert {slug: s.state for slug, s in states.items()} == {
        "good": "ok",
        "broken": "failing",
        "stopped": "interrupted",
        "new": "never-run",
        "old": "stale",
        "killed": "interrupted",
        "profile_only": "never-run",
    }
    assert "body coverage fell to 40%" in states["broken"].reason
    assert states["broken"].problems == (
        "broken: body coverage fell to 40% (6 of 15 items; earlier runs: 100%)",
        # The items without a body were refused: articles lost, named by their count.
        "broken: 9 of 15 articles lost (refused 9)",
    )
    assert "did not finish (or is still running)" in states["stopped"].reason
    assert "shutdown" in states["killed"].reason
    assert "5 days" in states["old"].reason
    assert not states["broken"].healthy and states["new"].healthy


def test_state_details(conn: sqlite3.Connection) -> None:
    add_source(conn, "demo_trs")
    add_run(conn, "demo_trs", items=15, date=12)
    conn.execute(
        "INSERT INTO articles (url, source, title, body, content_hash, published_at,"
        " first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)",
        (
            "https://a/1",
            "demo_trs",
            "天津",
            "正文",
            "h1",
            "2026-03-01T10:00:00+08:00",
            "2026-03-02T02:31:00+08:00",
            "https://a/2",
            "demo_trs",
            "招商",
            "正文",
            "h2",
            "2026-03-05T00:00:00+08:00",
            "2026-03-06T02:31:00+08:00",
        ),
    )
    state = _states(conn)["demo_trs"]
    assert state.state == "ok"
    assert (state.articles, state.newest_published_at) == (2, "2026-03-05T00:00:00+08:00")
    assert state.last_new_article_at == "2026-03-06T02:31:00+08:00"
    assert state.coverage["date"] == pytest.approx(0.8)
    assert (state.last_new, state.last_failed) == (15, 0)
    has_withdrawals = "withdrawn_at" in health.columns(conn, "articles")
    assert state.withdrawn == (0 if has_withdrawals else None)


def test_a_full_run_that_extracted_nothing_is_failing_an_incremental_one_is_not(
    nightly: sqlite3.Connection,
) -> None:
    history(nightly, "full")
    add_run(nightly, "full", items=0, mode="full", listing_pages=3, listing_entries=45)
    history(nightly, "incr")
    add_run(nightly, "incr", items=0, mode="incremental", listing_pages=0, listing_entries=0)
    states = _states(nightly)
    assert states["full"].state == "failing"
    assert states["incr"].state == "ok"


def test_a_run_whose_writes_failed_is_failing_and_names_the_cause(
    nightly: sqlite3.Connection,
) -> None:
    history(nightly, "demo_trs", runs=3)
    row = add_run(nightly, "demo_trs", reason="write_failed", faults='{"write_failed": 187}')
    run_id = nightly.execute("SELECT run_id FROM crawl_runs WHERE id = ?", (row,)).fetchone()[0]
    nightly.execute(
        "INSERT INTO faults (run_id, source, url, kind, detail, at) VALUES (?,?,?,?,?,?)",
        (run_id, "demo_trs", "archive.db", "write_failed",
         "187 writes failed: the disk holding archive.db is full", NOW.isoformat()),
    )  # fmt: skip
    state = _states(nightly)["demo_trs"]
    assert state.state == "failing" and not state.healthy
    assert "the disk holding archive.db is full" in state.reason
    assert "the next run fetches again what was not stored" in state.reason
    listed = health.format_runs(health.runs(nightly, limit=1))
    assert "write_failed " in listed  # the status column is wide enough for it


def test_runs_listing_newest_first(conn: sqlite3.Connection) -> None:
    history(conn, "demo_trs", runs=3)
    add_run(conn, "demo_trs", finished=False, started=NOW - timedelta(hours=1))
    rows = health.runs(conn, limit=2)
    assert [r.status for r in rows] == ["interrupted", "finished"]
    assert rows[1].duration_s == 300
    assert rows[1].coverage["body"] == 1.0
    text = health.format_runs(rows)
    assert "demo_trs" in text and "100/100/100" in text
    assert health.runs(conn, source="other") == []


# -- the HTML report ----------------------------------------------------------------------
class _Page(HTMLParser):
    """Collects what the report tests look at: ids holding an svg, links, text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.svg_in: set[str] = set()
        self.svgs = 0
        self.links: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]
        if tag == "svg":
            self.svgs += 1
            self.svg_in.update(i for _, i in self.stack if i)
        if tag not in ("meta", "br", "line", "rect", "circle", "path", "polyline"):
            self.stack.append((tag, found.get("id")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> tuple[str, _Page]:
    raw = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(raw)
    page.close()
    return raw, page


def test_html_report_is_self_contained_with_both_charts(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    add_source(conn, "demo_trs", "演示：天津政务网 · 天津要闻")
    add_source(conn, "demo_enorth", "演示：北方网 · 天津新闻")
    history(conn, "demo_trs")
    add_run(conn, "demo_trs", items=15, body=6)
    history(conn, "demo_enorth")
    for day in range(5):
        conn.execute(
            "INSERT INTO articles (url, source, title, body, content_hash, published_at,"
            " first_seen_at) VALUES (?, ?, '天津', '正文', ?, ?, ?)",
            (
                f"https://www.tj.gov.cn/{day}",
                "demo_trs" if day % 2 else "demo_enorth",
                f"h{day}",
                (NOW - timedelta(days=day)).isoformat(),
                NOW.isoformat(),
            ),
        )

    out = report.write_html_report(conn, tmp_path / "report.html", now=NOW)
    raw, page = _parse(out)
    assert raw.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in raw
    assert {"articles-per-day", "coverage"} <= page.svg_in
    assert page.svgs >= 2
    text = "".join(page.text)
    for name in (
        "demo_trs",
        "demo_enorth",
        "演示：天津政务网 · 天津要闻",
        "演示：北方网 · 天津新闻",
    ):
        assert name in text
    assert "demo_trs: body coverage fell to 40%" in text
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert not [link for link in page.links if "//" in link or link.startswith("data:")]
    assert "http://" not in raw and "https://" not in raw
    assert "@import" not in raw and "url(" not in raw
    assert not list(tmp_path.glob("*.partial"))


def test_html_report_escapes_archive_text(conn: sqlite3.Connection, tmp_path: Path) -> None:
    add_source(conn, "evil", '<script>alert("x")</script> & 天津')
    add_run(conn, "evil")
    out = report.write_html_report(conn, tmp_path / "report.html", now=NOW)
    raw, page = _parse(out)
    assert "script" not in page.tags
    assert '<script>alert("x")</script> & 天津' in "".join(page.text)
    assert "&lt;script&gt;" in raw


def test_html_report_of_an_empty_archive(conn: sqlite3.Connection, tmp_path: Path) -> None:
    out = report.write_html_report(conn, tmp_path / "report.html", now=NOW)
    _, page = _parse(out)
    assert {"articles-per-day", "coverage"} <= page.svg_in


def test_html_report_stays_readable_with_many_sources(
    nightly: sqlite3.Connection, tmp_path: Path
) -> None:
    slugs = [f"tj_district_{i:02d}" for i in range(16)]
    for i, slug in enumerate(slugs):
        add_source(nightly, slug, f"天津市第{i}区人民政府")
        history(nightly, slug, runs=4, mode="incremental", faults=json.dumps({"http_404": i}))
        nightly.execute(
            "INSERT INTO articles (url, source, title, body, content_hash, published_at,"
            " first_seen_at) VALUES (?, ?, '天津', '正文', ?, ?, ?)",
            (f"u{i}", slug, f"h{i}", (NOW - timedelta(days=i)).isoformat(), NOW.isoformat()),
        )
    _, page = _parse(report.write_html_report(nightly, tmp_path / "r.html", now=NOW))
    colours = {report.colour(i) for i in range(len(slugs))}
    assert len(colours) == len(slugs)  # every source its own colour
    for slug in slugs:
        assert f"{slug} (1)" in "".join(page.text)  # legend entry with its count


def test_the_demo_archive_is_healthy_and_reports(demo_archive: Any, tmp_path: Path) -> None:
    """Against a real archive written by `tjcrawl demo` (twice)."""
    with sqlite3.connect(demo_archive.path) as connection:
        states = health.source_states(connection)
        assert {s.state for s in states} == {"ok"}, health.format_states(states)
        assert all(s.articles > 0 for s in states)
        assert health.format_states(states).count("ok") >= len(states)
        out = report.write_html_report(connection, tmp_path / "demo.html")
    raw, page = _parse(out)
    assert {"articles-per-day", "coverage"} <= page.svg_in
    for state in states:
        assert state.slug in raw


def test_a_breakage_stands_through_quiet_incremental_runs(nightly: sqlite3.Connection) -> None:
    history(nightly, "demo_trs")
    add_run(nightly, "demo_trs", items=15, body=6, started=NOW - timedelta(hours=20))
    add_run(nightly, "demo_trs", items=0, mode="incremental", listing_pages=0, listing_entries=0)
    state = _states(nightly)["demo_trs"]
    assert state.state == "failing"
    assert state.reason.startswith("body coverage fell to 40%")
    assert state.reason.endswith("(in the run of 2026-03-09)")
    add_run(nightly, "demo_trs", items=15, started=NOW - timedelta(hours=1))  # fixed
    assert _states(nightly)["demo_trs"].state == "ok"


def test_losses_degrade_a_source_or_fail_it_when_most_were_lost(
    nightly: sqlite3.Connection,
) -> None:
    for slug in ("some", "most", "listing", "files"):
        add_source(nightly, slug)
        history(nightly, slug)
    lost = {"article": {"truncated": 2, "too_large": 2, "http_503": 1}}
    add_run(nightly, "some", items=5, items_failed=5, losses=json.dumps(lost))
    add_run(nightly, "most", items=4, items_new=4, items_failed=5, losses=json.dumps(lost))
    add_run(nightly, "listing", losses=json.dumps({"listing": {"timeout": 1}}))
    add_run(nightly, "files", losses=json.dumps({"attachment": {"http_404": 2}}))
    states = _states(nightly)
    assert states["some"].state == "degraded"
    assert states["some"].reason == "5 of 10 articles lost (too_large 2, truncated 2, http_503 1)"
    assert states["most"].state == "failing", states["most"].reason
    assert states["listing"].state == "degraded"
    assert "1 listing page lost (timeout 1)" in states["listing"].reason
    # Attachments are not articles: named, but the source is ok.
    assert states["files"].state == "ok" and "2 attachments failed (http_404 2)" in (
        states["files"].reason
    )
    assert not states["some"].healthy and "degraded" in health.UNHEALTHY_STATES


def test_the_newest_run_is_the_last_started_whatever_its_clock_said(
    nightly: sqlite3.Connection,
) -> None:
    add_source(nightly, "demo_trs")
    history(nightly, "demo_trs")
    add_run(nightly, "demo_trs", started=NOW + timedelta(days=9))  # a clock set ahead
    broken = add_run(nightly, "demo_trs", items=15, body=0, started=NOW - timedelta(hours=1))
    skew = health.clock_went_back(nightly, "demo_trs", broken)
    assert skew is not None and round(skew.seconds) == (9 * 24 + 1) * 3600
    assert health.runs(nightly, "demo_trs")[0].id == broken
    assert _states(nightly)["demo_trs"].state == "failing"
