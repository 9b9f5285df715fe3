"""The progress display: the crawl's shared line and the long steps after a crawl."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from test_reposts import all_fixture_articles, store
from twisted.internet import task

from tjcrawl import reposts
from tjcrawl.progress import ProgressLine, StepProgress
from tjcrawl.storage.archive import Archive


class FakeStats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def get_stats(self) -> dict[str, int]:
        return dict(self.values)


class FakeSignals:
    def connect(self, receiver: Any, signal: Any) -> None:
        pass


class FakeCrawler:
    def __init__(self) -> None:
        self.stats = FakeStats()
        self.signals = FakeSignals()

    def fetched(self, pages: int, new: int, faults: int = 0) -> None:
        values = self.stats.values
        values["response_received_count"] = values.get("response_received_count", 0) + pages
        values["tjcrawl/items_new"] = values.get("tjcrawl/items_new", 0) + new
        if faults:
            values["tjcrawl/faults/http_404"] = faults


LINE_RE = re.compile(r"(\d+) running \| (\d+) pages \| (\d+) new \| (\d+) changed \| (\d+) errors")


def totals(line: str) -> tuple[int, int, int, int]:
    match = LINE_RE.search(line)
    assert match, line
    return tuple(int(match[n]) for n in range(2, 6))  # type: ignore[return-value]


def never_decrease(rows: list[tuple[int, ...]]) -> bool:
    return all(
        b >= a
        for earlier, later in itertools.pairwise(rows)
        for a, b in zip(earlier, later, strict=True)
    )


@pytest.fixture
def shared_line(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(ProgressLine, "crawlers", [])
    monkeypatch.setattr(ProgressLine, "loop", None)
    monkeypatch.setattr(ProgressLine, "clock", task.Clock())
    monkeypatch.setattr(ProgressLine, "stream", out)
    return out


def test_the_totals_never_go_back_when_a_source_finishes(shared_line: io.StringIO) -> None:
    first, second, third = FakeCrawler(), FakeCrawler(), FakeCrawler()
    lines = [ProgressLine(c) for c in (first, second, third)]
    for line in lines:
        line.opened()
    seen = []
    first.fetched(30, 10, faults=2)
    second.fetched(5, 1)
    seen.append(totals(ProgressLine.line()))
    lines[0].closed()  # the first source is done; its figures stay in the sums
    seen.append(totals(ProgressLine.line()))
    third.fetched(7, 3)
    lines[1].closed()
    seen.append(totals(ProgressLine.line()))
    assert ProgressLine.line().startswith("1 running")
    lines[2].closed()
    assert never_decrease(seen), seen
    assert seen[-1] == (42, 14, 0, 2)
    # Each redraw on the terminal shows the same growing totals, ending with a newline.
    drawn = [totals(x) for x in shared_line.getvalue().split("\r\033[K") if x.strip()]
    assert drawn[-1] == (42, 14, 0, 2)
    assert never_decrease(drawn), drawn
    assert shared_line.getvalue().endswith("\n") and ProgressLine.loop is None


def test_a_new_crawl_starts_its_totals_at_zero(shared_line: io.StringIO) -> None:
    crawler = FakeCrawler()
    line = ProgressLine(crawler)
    line.opened()
    crawler.fetched(9, 9)
    line.closed()
    again = ProgressLine(FakeCrawler())
    again.opened()
    assert totals(ProgressLine.line()) == (0, 0, 0, 0)
    again.closed()


class Ticks:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


def test_a_step_off_the_terminal_logs_its_start_now_and_then_and_its_end() -> None:
    logged: list[str] = []
    ticks = Ticks()
    progress = StepProgress(io.StringIO(), log=logged.append, every=10, now=ticks)
    for done in range(0, 1000, 10):
        ticks.at = done / 10  # 100 s in all
        progress("signing", done, 1000)
    progress("signing", 1000, 1000)
    progress("counting", 0, 5)
    assert logged[0] == "signing: 0 of 1,000 (0%)"
    assert logged[-2:] == ["signing: 1,000 of 1,000 (100%)", "counting: 0 of 5 (0%)"]
    assert 9 <= len(logged) <= 13  # every 10 s, not every call


def test_a_step_at_a_terminal_redraws_one_line() -> None:
    out = io.StringIO()
    ticks = Ticks()
    progress = StepProgress(out, interactive=True, now=ticks)
    for done in range(101):
        ticks.at = done * 0.1
        progress("comparing", done, 100)
    progress.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("comparing: 100 of 100 (100%)\n")
    assert 40 <= text.count("\r\033[K") <= 60  # five redraws a second, not one per call


def test_regrouping_reports_its_progress(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive.db")
    try:
        articles = all_fixture_articles()
        store(archive, articles)
        calls: list[tuple[str, int, int]] = []
        reposts.update_groups(archive.conn, lambda *call: calls.append(call))
    finally:
        archive.conn.close()
        archive.run_lock.release()
    steps = list(dict.fromkeys(what for what, _, _ in calls))
    assert [s.split(":")[0] for s in steps] == ["re-posts", "re-posts"]
    for step in steps:
        figures = [(done, total) for what, done, total in calls if what == step]
        assert figures[-1][0] == figures[-1][1] > 0, step
        assert [d for d, _ in figures] == sorted(d for d, _ in figures), step
    signing = [total for what, _, total in calls if "signing" in what]
    assert signing[0] == len(articles)
