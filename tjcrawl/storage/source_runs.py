"""Sources, runs and faults: the `sources` table (what each profile is and whether it works),
`crawl_runs` and `faults` rows, and what earlier runs tell the next one.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from tjcrawl import clock
from tjcrawl.profiles import Profile

# -- the sources table: what each profile is and whether it works ------------------------------
#: Verification states (sources.state); see tjcrawl.verification for how each is decided.
UNCHECKED, VERIFIED, FAILING, BLOCKED = "unchecked", "verified", "failing", "blocked"
_DAY_RE = r"^\d{4}-\d{2}-\d{2}$"


def record_source_row(conn: sqlite3.Connection, profile: Profile) -> None:
    """The source's row, with the profile as used now; its verification state is left alone.

    A profile's `verified` key (deprecated) is read once, as the state of a source the archive
    knows nothing about yet: a date there means a live check passed before the archive kept
    such things. Nothing writes it back.
    """
    now = clock.now_iso()
    conn.execute(
        "INSERT OR IGNORE INTO source_profiles (sha256, slug, toml, first_used_at)"
        " VALUES (?,?,?,?)",
        (profile.sha256, profile.slug, profile.path.read_text(encoding="utf-8"), now),
    )
    seeded = profile.verified if _is_day(profile.verified) else "never"
    conn.execute(
        "INSERT INTO sources (slug, name, base_url, allowed_domains, profile_sha256, verified,"
        " state, updated_at) VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT (slug) DO UPDATE SET name = excluded.name, base_url = excluded.base_url,"
        " allowed_domains = excluded.allowed_domains,"
        " profile_sha256 = excluded.profile_sha256, updated_at = excluded.updated_at,"
        " verified = CASE WHEN coalesce(sources.verified, 'never') = 'never'"
        "   THEN excluded.verified ELSE sources.verified END,"
        " state = CASE WHEN coalesce(sources.state, ?) = ? THEN excluded.state"
        "   ELSE sources.state END",
        (
            profile.slug,
            profile.name,
            profile.start_urls[0],
            json.dumps(list(profile.allowed_domains)),
            profile.sha256,
            seeded,
            VERIFIED if seeded != "never" else UNCHECKED,
            now,
            UNCHECKED,
            UNCHECKED,
        ),
    )


def _is_day(value: str | None) -> bool:
    return bool(value and re.match(_DAY_RE, value))


def record_verdict(
    conn: sqlite3.Connection,
    slug: str,
    state: str | None,
    reason: str,
    *,
    live_check: bool = False,
    good_run: bool = False,
) -> None:
    """A live check's or a crawl's verdict on a source: its state and why (None: as it was,
    for a quiet night that proves nothing), and the check or good run it was."""
    now = clock.now_iso()
    day = now[:10]
    conn.execute(
        "UPDATE sources SET"
        " state = coalesce(?, state),"
        " state_reason = CASE WHEN ? IS NULL THEN state_reason ELSE ? END,"
        " state_at = CASE WHEN ? IS NULL THEN state_at ELSE ? END,"
        " verified = CASE WHEN ? = ? THEN ? ELSE verified END,"
        " last_check_at = CASE WHEN ? THEN ? ELSE last_check_at END,"
        " last_good_run_at = CASE WHEN ? THEN ? ELSE last_good_run_at END,"
        " updated_at = ?"
        " WHERE slug = ?",
        (
            state,
            state,
            reason,
            state,
            now,
            state,
            VERIFIED,
            day,
            live_check,
            now,
            good_run,
            now,
            now,
            slug,
        ),
    )


class SourceRunStore:
    """The sources, runs and faults an `Archive` records (one part of that class)."""

    # -- sources and runs ---------------------------------------------------------------
    def record_source(self, profile: Profile) -> None:
        self.commit()
        with self.db.atomic():
            record_source_row(self.conn, profile)

    def start_run(self, run_id: str, source: str, profile_sha256: str, mode: str) -> int:
        self.commit()
        cursor = self.conn.execute(
            "INSERT INTO crawl_runs (run_id, source, profile_sha256, started_at, mode)"
            " VALUES (?,?,?,?,?)",
            (run_id, source, profile_sha256, clock.now_iso(), mode),
        )
        return int(cursor.lastrowid or 0)

    def finish_run(self, row_id: int, values: Mapping[str, Any]) -> None:
        """Record a run's figures, committed with every write still open (a fault row)."""
        self._begin()
        try:
            self.db["crawl_runs"].update(row_id, {**values, "finished_at": clock.now_iso()})
        except BaseException as exc:
            self._roll_back(exc)
            raise
        self.commit()

    def previous_run_unfinished(self, source: str) -> bool:
        """Whether the source has a last crawl and it stopped before walking its listings to the
        end (re-extractions, which fetch nothing, do not count). A first crawl has none."""
        row = self.conn.execute(
            "SELECT finish_reason FROM crawl_runs WHERE source = ?"
            " AND coalesce(mode, '') != 'reextract' ORDER BY id DESC LIMIT 1",
            (source,),
        ).fetchone()
        return row is not None and row[0] != "finished"

    def record_fault(
        self, *, run_id: str, source: str, url: str, kind: str, status: int | None, detail: str
    ) -> None:
        self._begin()
        self.conn.execute(
            "INSERT INTO faults (run_id, source, url, kind, status, detail, at)"
            " VALUES (?,?,?,?,?,?,?)",
            (run_id, source, url, kind, status, detail[:500], clock.now_iso()),
        )
        self._written()

    # -- sources whose 304s lie ----------------------------------------------------------
    def trusts_304(self, source: str) -> bool:
        row = self.conn.execute(
            "SELECT stale_304_at FROM sources WHERE slug = ?", (source,)
        ).fetchone()
        return row is None or row[0] is None

    def distrust_304(self, source: str) -> None:
        """The source answered 304 for a page that had changed: fetch it unconditionally."""
        self._begin()
        self.conn.execute(
            "UPDATE sources SET stale_304_at = coalesce(stale_304_at, ?) WHERE slug = ?",
            (clock.now_iso(), source),
        )
        self._written()

    # -- the listing sweep ---------------------------------------------------------------
    def crawled_before(self, source: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM crawl_runs WHERE source = ? AND coalesce(mode, '') != 'reextract'"
            " LIMIT 1",
            (source,),
        ).fetchone()
        return row is not None

    def last_complete_walk(self, source: str) -> str | None:
        """When the source's listings were last walked to the end by a run that finished
        (a sweep, a resume, a full run, or its first run, to which nothing was known), or None."""
        row = self.conn.execute(
            "SELECT max(started_at) FROM crawl_runs WHERE source = ?"
            " AND finish_reason = 'finished' AND (mode IN ('sweep', 'resume', 'full')"
            " OR id = (SELECT min(id) FROM crawl_runs WHERE source = ?"
            " AND coalesce(mode, '') != 'reextract'))",
            (source, source),
        ).fetchone()
        return row[0] if row else None
