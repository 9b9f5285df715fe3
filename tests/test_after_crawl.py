"""The archive's work after a crawl (re-post grouping): a bug there keeps the crawl's report
and ends the run non-zero, with the cause in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tjcrawl import runner
from tjcrawl.cli.crawling import _report
from tjcrawl.profiles import get_profile
from tjcrawl.storage.archive import open_database

# A quiet night: the listings were read, nothing new was in them. Nothing to complain about.
QUIET_NIGHT = {
    "finish_reason": "finished",
    "tjcrawl/listing_pages": 2,
    "tjcrawl/listing_entries": 20,
}


def broken_grouping(conn: Any, progress: Any = None) -> Any:
    raise RuntimeError("grouping went\nwrong")


def settings_for(tmp_path: Path) -> Any:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    return runner.build_settings(str(db), overrides={"TJCRAWL_PROGRESS": False})


def test_a_quiet_night_is_a_clean_run(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    reports = runner.after_crawl(
        [(get_profile("demo_trs"), QUIET_NIGHT)], settings, settings["TJCRAWL_RUN_ID"]
    )
    assert [r.problems for r in reports] == [[]]


def test_a_bug_in_grouping_ends_the_run_non_zero_with_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "update_groups", broken_grouping)
    settings = settings_for(tmp_path)
    finished = [(get_profile("demo_trs"), QUIET_NIGHT), (get_profile("demo_enorth"), QUIET_NIGHT)]
    reports = runner.after_crawl(finished, settings, settings["TJCRAWL_RUN_ID"])
    assert [r.slug for r in reports] == ["demo_trs", "demo_enorth"]
    assert _report(reports) == 3
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "error: re-post grouping failed (RuntimeError: grouping went wrong); this is a bug in"
        " tjcrawl, please report it; the next crawl retries"
    ]


def test_a_bug_in_grouping_with_no_report_to_carry_it_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "update_groups", broken_grouping)
    settings = settings_for(tmp_path)
    with pytest.raises(RuntimeError, match="grouping went"):
        runner.after_crawl([], settings, settings["TJCRAWL_RUN_ID"])
