"""Whether a source's profile works against its live site, decided by every crawl and every
live check and kept in the archive (`sources.state`), never in the git-tracked profile.

A source starts `unchecked`. Its first crawl is its live check: a run that extracts well makes it
`verified`; one whose extraction broke, or that lost most of its pages, makes it `failing`; one
whose pages were block or challenge pages makes it `blocked` (tjcrawl.blocking). Every later crawl
and `tjcrawl source check --live --db` judges it again. A quiet incremental night (nothing new
to extract) and a run stopped early prove nothing either way: the state stays as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tjcrawl.blocking import blocked_pages, blocked_problem
from tjcrawl.faults import losses
from tjcrawl.health import loss_problems
from tjcrawl.storage.archive import BLOCKED, FAILING, UNCHECKED, VERIFIED, record_verdict

__all__ = ["BLOCKED", "FAILING", "UNCHECKED", "VERIFIED", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    state: str | None  # None: this run proves nothing either way
    reason: str
    good_run: bool = False
    live_check: bool = False  # the source's first crawl, or `source check --live`
    previous: str | None = None  # the state before

    def line(self, slug: str) -> str:
        """What the verdict changed, for the crawl's summary ("" when nothing worth saying)."""
        if self.state is None or (self.state == self.previous and self.state == VERIFIED):
            return ""
        how = "by its first crawl (its live check)" if self.live_check else "now"
        return f"{slug}: {self.state} {how}: {self.reason}"


def _without_slug(slug: str, line: str) -> str:
    return line.removeprefix(f"{slug}: ")


def crawl_verdict(
    slug: str, stats: Mapping[str, Any], problems: list[str], previous: str | None
) -> Verdict:
    """What a crawl says of the source, from its stats and its problem lines (runner.judge)."""
    live_check = previous in (None, UNCHECKED)

    def count(key: str) -> int:
        return int(stats.get(f"tjcrawl/{key}", 0))

    arrived = count("items_new") + count("items_changed") + count("items_unchanged")
    read = count("listing_pages") + count("listing_pages_not_modified")
    lost = losses(stats)
    loss_lines, most_lost = loss_problems(slug, lost, arrived, read)
    blocked = blocked_problem(slug, stats)
    if blocked and (read == 0 or arrived == 0 or most_lost):
        return Verdict(BLOCKED, _without_slug(slug, blocked), False, live_check, previous)
    if stats.get("finish_reason") not in (None, "finished"):
        # Stopped, timed out, or the archive could not be written: not the site's doing.
        return Verdict(None, "", False, False, previous)
    skew = stats.get("tjcrawl/clock_skew")
    broke = [p for p in problems if p not in loss_lines and p != blocked and p != f"{slug}: {skew}"]
    if broke or most_lost:
        first = (broke or loss_lines)[0]
        return Verdict(FAILING, _without_slug(slug, first), False, live_check, previous)
    seen = count("items_seen")
    if not seen:
        return Verdict(None, "", not problems, False, previous)
    reason = f"{seen} item{'s' if seen > 1 else ''} extracted"
    if blocked_count := sum(blocked_pages(stats).values()):
        reason += f"; {blocked_count} blocked page{'s' if blocked_count > 1 else ''}"
    return Verdict(VERIFIED, reason, not problems, live_check, previous)


def check_verdict(ok: bool, problems: list[str], slug: str) -> Verdict:
    """What `source check --live` says of the source."""
    if ok:
        return Verdict(VERIFIED, "live check passed", False, True)
    first = _without_slug(slug, problems[0]) if problems else "live check failed"
    state = BLOCKED if first.startswith("blocked") else FAILING
    return Verdict(state, first, False, True)


def previous_state(conn: sqlite3.Connection, slug: str) -> str | None:
    row = conn.execute("SELECT state FROM sources WHERE slug = ?", (slug,)).fetchone()
    return row[0] if row else None


def record(conn: sqlite3.Connection, slug: str, verdict: Verdict) -> None:
    record_verdict(
        conn,
        slug,
        verdict.state,
        verdict.reason,
        live_check=verdict.live_check,
        good_run=verdict.good_run,
    )


def record_crawl(
    conn: sqlite3.Connection, slug: str, stats: Mapping[str, Any], problems: list[str]
) -> Verdict:
    """Judge a finished crawl of a source and keep the verdict in its sources row."""
    verdict = crawl_verdict(slug, stats, problems, previous_state(conn, slug))
    record(conn, slug, verdict)
    return verdict
