"""The archive writer: a thin layer over sqlite-utils, one connection per database per process.

Writes go into explicit transactions committed in batches (a commit per item costs more than
the item itself in WAL mode); readers (Datasette, sqlite3) see whole batches.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import zlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from tjcrawl.dates import SHANGHAI
from tjcrawl.profiles import Profile
from tjcrawl.storage import search
from tjcrawl.storage.migrations import migrate

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


class ArchiveError(RuntimeError):
    """The archive cannot be opened or used; the message is meant for the user."""


def now_iso() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="seconds")


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating and migrating as needed) an archive, or explain in one line why not."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise ArchiveError(f"{path}: is a folder, not an archive file")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        db = sqlite_utils.Database(conn)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path}: not a usable SQLite archive ({exc})") from None
    return db


class Archive:
    """Shared by every crawler of one process that writes to the same file."""

    _open: dict[Path, Archive] = {}  # noqa: RUF012 - process-wide registry, by design
    _lock = threading.Lock()

    def __init__(self, path: Path, commit_every: int = 200) -> None:
        self.path = path
        self.db = open_database(path)
        self.conn = self.db.conn
        self.commit_every = commit_every
        self.pending = 0
        self.users = 0

    @classmethod
    def acquire(cls, path: str | Path, commit_every: int = 200) -> Archive:
        key = Path(path).resolve()
        with cls._lock:
            archive = cls._open.get(key)
            if archive is None:
                archive = cls._open[key] = cls(key, commit_every)
            archive.users += 1
            return archive

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            if self.users <= 0:
                self.commit()
                self.conn.execute("PRAGMA optimize")
                self.conn.close()
                self._open.pop(self.path, None)

    # -- transactions -------------------------------------------------------------------
    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")

    def _written(self) -> None:
        self.pending += 1
        if self.pending >= self.commit_every:
            self.commit()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.pending = 0

    # -- sources and runs ---------------------------------------------------------------
    def record_source(self, profile: Profile) -> None:
        self._begin()
        now = now_iso()
        self.db["source_profiles"].insert(
            {
                "sha256": profile.sha256,
                "slug": profile.slug,
                "toml": profile.path.read_text(encoding="utf-8"),
                "first_used_at": now,
            },
            pk="sha256",
            ignore=True,
        )
        self.db["sources"].upsert(
            {
                "slug": profile.slug,
                "name": profile.name,
                "base_url": profile.start_urls[0],
                "allowed_domains": json.dumps(list(profile.allowed_domains)),
                "profile_sha256": profile.sha256,
                "verified": profile.verified,
                "updated_at": now,
            },
            pk="slug",
        )
        self.commit()

    def start_run(self, run_id: str, source: str, profile_sha256: str) -> int:
        self._begin()
        cursor = self.conn.execute(
            "INSERT INTO crawl_runs (run_id, source, profile_sha256, started_at) VALUES (?,?,?,?)",
            (run_id, source, profile_sha256, now_iso()),
        )
        self.commit()
        return int(cursor.lastrowid or 0)

    def finish_run(self, row_id: int, values: Mapping[str, Any]) -> None:
        self._begin()
        self.db["crawl_runs"].update(row_id, {**values, "finished_at": now_iso()})
        self.commit()

    # -- pages --------------------------------------------------------------------------
    def store_page(
        self,
        *,
        url: str,
        source: str,
        kind: str,
        status: int,
        headers: Mapping[str, list[str]],
        body: bytes,
        encoding: Mapping[str, Any] | None,
        fetched_at: str,
        run_id: str,
    ) -> int:
        """Keep the raw page; a page fetched again with the same bytes is only touched."""
        self._begin()
        digest = hashlib.sha256(body).hexdigest()
        row = self.conn.execute(
            "SELECT id FROM pages WHERE url = ? AND body_sha256 = ?", (url, digest)
        ).fetchone()
        if row:
            self.conn.execute(
                "UPDATE pages SET last_fetched_at = ?, fetch_count = fetch_count + 1, run_id = ? "
                "WHERE id = ?",
                (fetched_at, run_id, row[0]),
            )
            self._written()
            return int(row[0])
        encoding = encoding or {}
        cursor = self.conn.execute(
            "INSERT INTO pages (url, source, kind, status, headers, body, body_size, body_sha256,"
            " compression, declared_encoding, used_encoding, encoding_how, fetched_at,"
            " last_fetched_at, fetch_count, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)",
            (
                url,
                source,
                kind,
                status,
                json.dumps(headers, ensure_ascii=False),
                zlib.compress(body, 6),
                len(body),
                digest,
                "zlib",
                encoding.get("declared"),
                encoding.get("used"),
                encoding.get("how"),
                fetched_at,
                fetched_at,
                run_id,
            ),
        )
        self._written()
        return int(cursor.lastrowid or 0)

    # -- articles -----------------------------------------------------------------------
    def store_article(self, article: Mapping[str, Any], page_id: int | None, run_id: str) -> str:
        """Insert a new article, touch an unchanged one, or revise a changed one."""
        self._begin()
        now = now_iso()
        existing = self.conn.execute(
            "SELECT id, title, body, published_at, origin, author, content_hash, page_id,"
            " last_changed_at, first_seen_at FROM articles WHERE url = ?",
            (article["url"],),
        ).fetchone()
        if existing is None:
            duplicate_of = article.get("duplicate_of") or self._same_content_elsewhere(article)
            cursor = self.conn.execute(
                "INSERT INTO articles (url, source, title, published_at, date_source,"
                " date_precision, date_conflict, listing_date, body, body_html, origin, author,"
                " content_hash, duplicate_of, page_id, first_seen_at, last_seen_at,"
                " last_changed_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article["url"],
                    article["source"],
                    article["title"],
                    article.get("published_at"),
                    article.get("date_source"),
                    article.get("date_precision"),
                    int(bool(article.get("date_conflict"))),
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
                    run_id,
                ),
            )
            search.index_article(
                self.conn, int(cursor.lastrowid or 0), article["title"], article["body"]
            )
            self._written()
            return NEW
        (article_id, old_title, old_body, old_published, old_origin, old_author, old_hash,
         old_page, old_changed, first_seen) = existing  # fmt: skip
        if old_hash == article["content_hash"]:
            self.conn.execute(
                "UPDATE articles SET last_seen_at = ?, run_id = ? WHERE id = ?",
                (now, run_id, article_id),
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
        search.unindex_article(self.conn, article_id, old_title, old_body)
        self.conn.execute(
            "UPDATE articles SET title = ?, body = ?, body_html = ?, origin = ?, author = ?,"
            " content_hash = ?, page_id = ?, last_seen_at = ?, last_changed_at = ?, run_id = ?"
            " WHERE id = ?",
            (
                article["title"],
                article["body"],
                article.get("body_html"),
                article.get("origin"),
                article.get("author"),
                article["content_hash"],
                page_id,
                now,
                now,
                run_id,
                article_id,
            ),
        )
        search.index_article(self.conn, article_id, article["title"], article["body"])
        self._written()
        return CHANGED

    def _same_content_elsewhere(self, article: Mapping[str, Any]) -> str | None:
        row = self.conn.execute(
            "SELECT url FROM articles WHERE content_hash = ? AND url != ? ORDER BY id LIMIT 1",
            (article["content_hash"], article["url"]),
        ).fetchone()
        return row[0] if row else None
