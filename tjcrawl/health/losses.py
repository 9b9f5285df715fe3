"""Losses and the clock: what a run lost by page and fault kind, and runs whose clock went back."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tjcrawl.health.common import CLOCK_SKEW, MOST_LOST, _age, _rows, kinds_text, parse_time

if TYPE_CHECKING:
    from tjcrawl.health.stored_runs import RunRow


# -- losses and the clock -----------------------------------------------------------------
def loss_problems(
    slug: str,
    losses: Mapping[str, Mapping[str, int]],
    arrived: int,
    listings_read: int | None = None,
) -> tuple[list[str], bool]:
    """A run's losses as problem lines, and whether they make the source failing: it lost most
    of its articles, or every listing page it asked for (`listings_read` is 0).

    `losses` maps what was lost (article, listing, attachment) to counts by fault kind;
    `arrived` is how many articles the run did archive (new, changed or unchanged). Attachments
    are not articles: the caller reports them apart.
    """
    lines, most = [], False
    articles = losses.get("article") or {}
    lost = sum(articles.values())
    if lost:
        total = lost + arrived
        most = lost > total * MOST_LOST
        lines.append(f"{slug}: {lost} of {total} articles lost ({kinds_text(articles)})")
    if cut := sum((losses.get("cut_article") or {}).values()):
        lines.append(
            f"{slug}: {cut} article page{'s' if cut > 1 else ''} arrived cut short, kept"
            " flagged incomplete; fetched whole again next run"
        )
    listings = losses.get("listing") or {}
    if pages := sum(listings.values()):
        most = most or listings_read == 0
        them = "them" if pages > 1 else "it"
        lines.append(
            f"{slug}: {pages} listing page{'s' if pages > 1 else ''} lost"
            f" ({kinds_text(listings)}); the entries on {them} are unknown this run"
        )
    return lines, most


def attachments_note(losses: Mapping[str, Mapping[str, int]]) -> str:
    """`3 attachments failed (http_404 2, too_large 1)`, or "" when none did."""
    kinds = losses.get("attachment") or {}
    failed = sum(kinds.values())
    if not failed:
        return ""
    return f"{failed} attachment{'s' if failed > 1 else ''} failed ({kinds_text(kinds)})"


@dataclass(frozen=True)
class ClockSkew:
    """A run that started before the run before it: the machine's clock went back."""

    started_at: str
    previous_run_id: str
    previous_started_at: str
    seconds: float

    def describe(self) -> str:
        return (
            f"the clock went back: this run started at {self.started_at}, "
            f"{_age(timedelta(seconds=self.seconds))} before the previous run "
            f"{self.previous_run_id} (started {self.previous_started_at}); runs are ordered by "
            "their sequence, so this one is the newest all the same"
        )


def clock_went_back(conn: sqlite3.Connection, source: str, row_id: int) -> ClockSkew | None:
    """Whether the run in `crawl_runs` row `row_id` started before the source's previous run."""
    this = _rows(conn, "SELECT run_id, started_at FROM crawl_runs WHERE id = ?", (row_id,))
    if not this:
        return None
    previous = _rows(
        conn,
        "SELECT run_id, started_at FROM crawl_runs WHERE source = ? AND id < ? AND run_id != ?"
        " ORDER BY id DESC LIMIT 1",
        (source, row_id, this[0]["run_id"]),
    )
    if not previous:
        return None
    started = parse_time(this[0]["started_at"])
    before = parse_time(previous[0]["started_at"])
    if started is None or before is None or started >= before:
        return None
    return ClockSkew(
        this[0]["started_at"],
        previous[0]["run_id"],
        previous[0]["started_at"],
        (before - started).total_seconds(),
    )


def skew_problem(run: RunRow) -> list[str]:
    """The line for a stored run whose clock went back, if it did."""
    if not run.clock_skew_s:
        return []
    return [
        f"{run.source}: the clock went back: run {run.run_id} started "
        f"{_age(timedelta(seconds=run.clock_skew_s))} before the run before it (fault "
        f"{CLOCK_SKEW}); it is judged as the newest all the same"
    ]


def run_losses(run: RunRow) -> tuple[list[str], bool]:
    """`loss_problems` of a stored run; runs from before losses were recorded by kind show
    their items_failed."""
    articles = dict(run.losses.get("article") or {})
    unnamed = run.items_failed - sum(articles.values())
    if unnamed > 0:
        articles["refused"] = unnamed  # before losses were named, refusals alone counted
    arrived = run.items_new + run.items_changed + run.items_unchanged
    losses = {**run.losses, "article": articles}
    return loss_problems(run.source, losses, arrived, run.listing_pages)
