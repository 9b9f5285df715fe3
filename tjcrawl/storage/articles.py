"""Articles and their revisions: new, unchanged, changed or cut; revisits, misses and
withdrawals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tjcrawl import clock, dates

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
# A cut page of an article archived whole: the whole version is kept, the page fetched again.
CUT_AGAIN = "cut_again"
#: Runs in a row whose fetch of an article's page must answer 404/410 before it is withdrawn:
#: one miss is as often a server's bad minute (or an article being re-edited) as a withdrawal.
MISSES_TO_WITHDRAW = 2


def _field_sources_json(sources: Any) -> str | None:
    """`articles.field_sources`: where each field came from, as JSON (None: not recorded)."""
    if not sources:
        return None
    return sources if isinstance(sources, str) else json.dumps(sources, ensure_ascii=False)


def _stated_date(article: Mapping[str, Any]) -> str | None:
    """The item's publication time when the page states it as a calendar date.

    A date resolved from "3天前" or "昨天 10:30" depends on when the page was fetched, so a
    later fetch of an unchanged article gives another one: only a stated date (the detail
    page's, the listing's, the URL's) may replace the archived date, and a changed stated
    date is a change of the article (a corrected 发布时间) even when its text is the same.
    """
    published = article.get("published_at")
    source = article.get("date_source")
    if not published:
        return None
    if source == "url":
        return str(published)
    text = article.get("date_text") if source == "detail" else article.get("listing_date")
    return str(published) if dates.is_absolute(text) else None


@dataclass(frozen=True)
class RevisitPolicy:
    """Recent articles are re-checked after 1, 2, 4 … days, up to a cap, while they are young.

    Young is by publish date (else first sighting): a backfill of a site's old articles adds
    no revisits, while this week's news, which is what portals correct, is re-checked.
    """

    first_days: int = 1
    max_interval_days: int = 32
    window_days: int = 90

    def first_interval(self, at: datetime, born: datetime) -> int:
        """Days to the first revisit: as old as the article already is, within the bounds.

        Corrections come early in an article's life, so a re-check is worth about as much
        as the article is young: yesterday's news is re-checked tomorrow, a month-old article
        found by a backfill in a month, which keeps a backfill from costing a night of 304s.
        """
        age_days = max(0, (at - born).days)
        return min(max(self.first_days, age_days), self.max_interval_days)

    def next_after(self, at: datetime, interval_days: int, born: datetime) -> str | None:
        if at - born > timedelta(days=self.window_days):
            return None
        return (at + timedelta(days=interval_days)).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)  # one per archived article of the source, for a whole crawl
class KnownEntry:
    listing_title: str | None
    listing_date: str | None
    withdrawn: bool
    incomplete: bool = False  # stored from a cut page: fetch it whole, never conditionally


class ArticleStore:
    """The articles, revisions and revisits an `Archive` keeps (one part of that class)."""

    #: The id of the article `store_article` stored or found last (not for a cut page).
    last_article_id = 0

    # -- what the crawler already knows -------------------------------------------------
    def known_entries(self, source: str) -> dict[str, KnownEntry]:
        rows = self.conn.execute(
            "SELECT url, listing_title, listing_date, withdrawn_at, incomplete FROM articles"
            " WHERE source = ?",
            (source,),
        )
        dates: dict[str, str] = {}  # many articles share a listing date: one string each
        return {
            r[0]: KnownEntry(r[1], dates.setdefault(r[2], r[2]), r[3] is not None, bool(r[4]))
            if r[2] is not None
            else KnownEntry(r[1], None, r[3] is not None, bool(r[4]))
            for r in rows
        }

    def due_for_revisit(self, source: str, limit: int = 1000) -> list[str]:
        """Articles whose re-check is due, withdrawn ones too: a withdrawn page is re-checked
        on a widening schedule, so that one that comes back is archived again."""
        rows = self.conn.execute(
            "SELECT url FROM articles WHERE source = ?"
            " AND next_revisit_at IS NOT NULL AND next_revisit_at <= ?"
            " ORDER BY next_revisit_at LIMIT ?",
            (source, clock.now_iso(), limit),
        )
        return [r[0] for r in rows]

    # -- articles -----------------------------------------------------------------------
    def _next_change(self) -> int:
        """A number that grows with every change downstream tools should see.

        Counted in memory and written back at commit, in the same transaction: the run lock
        makes this the only writer, and one statement fewer per article matters to the
        writer thread, which waits for the GIL after every statement.
        """
        if self._change_seq is None:
            row = self.conn.execute(
                "SELECT value FROM tjcrawl_meta WHERE key = 'change_seq'"
            ).fetchone()
            self._change_seq = int(row[0])
        self._change_seq += 1
        return self._change_seq

    def _schedule(self, interval: int, born: str) -> tuple[int, str | None]:
        """Interval and next revisit; `born` is the publish date, else the first sighting."""
        at = clock.now()
        return interval, self.revisit.next_after(at, interval, datetime.fromisoformat(born))

    def store_article(self, article: Mapping[str, Any], page_id: int | None, run_id: str) -> str:
        """Insert a new article, touch an unchanged one, or revise a changed one.

        An article from a cut page (`incomplete`) is stored flagged and due again at once, so
        the next run fetches it whole; it never replaces a version that was archived whole.
        """
        self._begin()
        now = clock.now_iso()
        incomplete = int(bool(article.get("incomplete")))
        sources = _field_sources_json(article.get("field_sources"))
        existing = self.conn.execute(
            "SELECT id, title, body, published_at, origin, author, content_hash, page_id,"
            " last_changed_at, first_seen_at, revisit_interval_days, incomplete"
            " FROM articles WHERE url = ?",
            (article["url"],),
        ).fetchone()
        if existing is not None and incomplete and not existing[11]:
            self.conn.execute(
                "UPDATE articles SET last_seen_at = ?, next_revisit_at = ?, run_id = ?"
                " WHERE id = ?",
                (now, now, run_id, existing[0]),
            )
            self._written()
            return CUT_AGAIN
        if existing is None:
            duplicate_of = article.get("duplicate_of") or self._same_content_elsewhere(article)
            born = article.get("published_at") or now
            interval, next_revisit = self._schedule(
                self.revisit.first_interval(clock.now(), datetime.fromisoformat(born)), born
            )
            next_revisit = now if incomplete else next_revisit
            cursor = self.conn.execute(
                "INSERT INTO articles (url, source, title, published_at, date_source,"
                " date_precision, date_conflict, listing_title, listing_date, body, body_html,"
                " origin, author, content_hash, duplicate_of, page_id, first_seen_at,"
                " last_seen_at, last_changed_at, last_checked_at, revisit_interval_days,"
                " next_revisit_at, run_id, change_seq, incomplete, field_sources)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article["url"],
                    article["source"],
                    article["title"],
                    article.get("published_at"),
                    article.get("date_source"),
                    article.get("date_precision"),
                    int(bool(article.get("date_conflict"))),
                    article.get("listing_title"),
                    article.get("listing_date"),
                    article["body"],
                    article.get("body_html"),
                    article.get("origin"),
                    article.get("author"),
                    article["content_hash"],
                    duplicate_of,
                    page_id,
                    now,
                    now,
                    now,
                    now,
                    interval,
                    next_revisit,
                    run_id,
                    self._next_change(),
                    incomplete,
                    sources,
                ),
            )
            article_id = int(cursor.lastrowid or 0)
            self.last_article_id = article_id  # for the article's facts, without a lookup
            self._index_later(article_id, article["title"], article["body"])
            self._written()
            return NEW
        (article_id, old_title, old_body, old_published, old_origin, old_author, old_hash,
         old_page, old_changed, first_seen, old_interval, was_incomplete) = existing  # fmt: skip
        self.last_article_id = article_id
        new_date = _stated_date(article)
        date_corrected = new_date is not None and new_date != old_published
        if old_hash == article["content_hash"] and not date_corrected:
            interval, next_revisit = self._schedule(
                min((old_interval or 1) * 2, self.revisit.max_interval_days),
                old_published or first_seen,
            )
            self.conn.execute(
                "UPDATE articles SET last_seen_at = ?, last_checked_at = ?,"
                " revisit_interval_days = ?, next_revisit_at = ?, listing_title = ?,"
                " listing_date = ?, withdrawn_at = NULL, run_id = ?, incomplete = ?,"
                " field_sources = coalesce(?, field_sources),"
                " change_seq = coalesce(?, change_seq) WHERE id = ?",
                (
                    now,
                    now,
                    interval,
                    now if incomplete else next_revisit,
                    article.get("listing_title"),
                    article.get("listing_date"),
                    run_id,
                    incomplete,
                    sources,
                    # A cut article now known whole is news to whoever exported it flagged.
                    self._next_change() if incomplete != was_incomplete else None,
                    article_id,
                ),
            )
            self._written()
            return UNCHANGED
        self.conn.execute(
            "INSERT INTO revisions (article_id, url, title, published_at, body, origin, author,"
            " content_hash, page_id, seen_from, replaced_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                article_id,
                article["url"],
                old_title,
                old_published,
                old_body,
                old_origin,
                old_author,
                old_hash,
                old_page,
                old_changed or first_seen,
                now,
            ),
        )
        self._unindex(article_id, old_title, old_body)
        interval, next_revisit = self._schedule(
            self.revisit.first_days, article.get("published_at") or first_seen
        )
        changed = {
            "title": article["title"],
            "body": article["body"],
            "body_html": article.get("body_html"),
            "origin": article.get("origin"),
            "author": article.get("author"),
            "content_hash": article["content_hash"],
            "page_id": page_id,
            "listing_title": article.get("listing_title"),
            "listing_date": article.get("listing_date"),
            "last_seen_at": now,
            "last_changed_at": now,
            "last_checked_at": now,
            "revisit_interval_days": interval,
            "next_revisit_at": now if incomplete else next_revisit,
            "withdrawn_at": None,
            "incomplete": incomplete,
            "run_id": run_id,
            "change_seq": self._next_change(),
        }
        if sources is not None:
            changed["field_sources"] = sources
        if new_date is not None or old_published is None:
            changed |= {
                "published_at": article.get("published_at"),
                "date_source": article.get("date_source"),
                "date_precision": article.get("date_precision"),
                "date_conflict": int(bool(article.get("date_conflict"))),
            }
        assignments = ", ".join(f"{column} = ?" for column in changed)
        self.conn.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", (*changed.values(), article_id)
        )
        self._index_later(article_id, article["title"], article["body"])
        self._written()
        return CHANGED

    def touch_unchanged(self, url: str, run_id: str) -> bool:
        """A detail page answered 304: the article was checked and is as stored."""
        row = self.conn.execute(
            "SELECT id, coalesce(published_at, first_seen_at), revisit_interval_days"
            " FROM articles WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return False
        self._begin()
        interval, next_revisit = self._schedule(
            min((row[2] or 1) * 2, self.revisit.max_interval_days), row[1]
        )
        now = clock.now_iso()
        self.conn.execute(
            "UPDATE articles SET last_seen_at = ?, last_checked_at = ?, revisit_interval_days = ?,"
            " next_revisit_at = ?, run_id = ? WHERE id = ?",
            (now, now, interval, next_revisit, run_id, row[0]),
        )
        self._written()
        return True

    def mark_withdrawn(self, url: str, run_id: str) -> bool:
        """The page answered 404/410: keep the article; whether it is withdrawn now.

        One miss is only recorded, with a re-check the next day; the MISSES_TO_WITHDRAW-th
        miss in a row (on as many runs) withdraws it. A withdrawn page is re-checked after 1,
        2, 4 … days up to the revisit cap, so that a page that comes back is archived again.
        """
        self._begin()
        at = clock.now()
        now = at.isoformat(timespec="seconds")
        known = self.conn.execute(
            "SELECT withdrawn_at, missed_count, revisit_interval_days, run_id FROM articles"
            " WHERE url = ?",
            (url,),
        ).fetchone()
        if known is None:
            return False
        withdrawn_at, missed, interval, last_run = known
        missed = missed or 0
        if withdrawn_at is None and missed and last_run == run_id:
            return False  # this run's miss is counted already
        cap = self.revisit.max_interval_days
        if withdrawn_at is not None:
            interval = min(max(interval or 1, 1) * 2, cap)  # still gone: wait twice as long
        else:
            missed += 1
            interval = self.revisit.first_days if missed >= MISSES_TO_WITHDRAW else interval
        withdrawn_now = withdrawn_at is None and missed >= MISSES_TO_WITHDRAW
        # Missed but not withdrawn: checked again the next day, however old the article.
        wait = interval if withdrawn_at is not None or withdrawn_now else self.revisit.first_days
        self.conn.execute(
            "UPDATE articles SET withdrawn_at = ?, missed_count = ?, last_checked_at = ?,"
            " revisit_interval_days = ?, next_revisit_at = ?, run_id = ?,"
            " change_seq = coalesce(?, change_seq) WHERE url = ?",
            (
                now if withdrawn_now else withdrawn_at,
                missed,
                now,
                interval,
                (at + timedelta(days=wait)).isoformat(timespec="seconds"),
                run_id,
                self._next_change() if withdrawn_now else None,  # news only the first time
                url,
            ),
        )
        self._written()
        return withdrawn_at is not None or withdrawn_now

    def page_present(self, url: str, run_id: str) -> None:
        """The article's page answered (200 or 304): a run of misses ends, and a withdrawal
        is cleared (as news: downstream tools hear that the article is back)."""
        row = self.conn.execute(
            "SELECT withdrawn_at, missed_count FROM articles WHERE url = ?", (url,)
        ).fetchone()
        if row is None or (row[0] is None and not row[1]):
            return
        self._begin()
        self.conn.execute(
            "UPDATE articles SET withdrawn_at = NULL, missed_count = 0, run_id = ?,"
            " change_seq = coalesce(?, change_seq) WHERE url = ?",
            (run_id, self._next_change() if row[0] is not None else None, url),
        )
        self._written()

    def _same_content_elsewhere(self, article: Mapping[str, Any]) -> str | None:
        row = self.conn.execute(
            "SELECT url FROM articles WHERE content_hash = ? AND url != ? ORDER BY id LIMIT 1",
            (article["content_hash"], article["url"]),
        ).fetchone()
        return row[0] if row else None
