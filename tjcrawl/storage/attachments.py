"""Attachment files as archive content: their text (table `attachment_texts`, read by
tjcrawl.attachments) kept in step with the search index, their bytes as received whatever
way they are stored, and a changed file as a revision of the articles that link it."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from tjcrawl import clock
from tjcrawl.storage import compression
from tjcrawl.storage.search import attachments as attachment_search

if TYPE_CHECKING:
    from tjcrawl.attachments.states import Extracted
    from tjcrawl.storage.archive import Archive


def store_attachment_text(
    archive: Archive, *, url: str, sha256: str | None, got: Extracted
) -> None:
    """Keep what reading the file `url` (bytes hashed `sha256`) came to, replacing an earlier
    reading of it; the search index follows in the same transaction."""
    archive._begin()
    conn = archive.conn
    old = conn.execute("SELECT text FROM attachment_texts WHERE url = ?", (url,)).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO attachment_texts"
        " (url, sha256, state, pages, method, detail, text, extracted_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (url, sha256, got.state, got.pages, got.method, got.detail, got.text, clock.now_iso()),
    )
    attachment_search.store_text(conn, url, None if old is None else (old[0] or ""), got.text)
    archive._written()


def attachment_bytes(conn: sqlite3.Connection, url: str) -> bytes | None:
    """The attachment file's bytes exactly as received (None: none kept), whether its row is
    stored raw or compressed like pages (a `compression` column, as pages.compression says)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(attachment_files)")}
    if "compression" in columns:
        row = conn.execute(
            "SELECT body, compression FROM attachment_files WHERE url = ?", (url,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT body, NULL FROM attachment_files WHERE url = ?", (url,)
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return compression.page_body(row[0], row[1], conn)


def record_attachment_change(archive: Archive, *, url: str, sha256: str) -> int:
    """Before the file at `url` is stored with bytes hashed `sha256`: when a different file was
    kept there, each article that links it gains a revision (its version until now, with
    `attachment_change` = {"url", "old_sha256", "new_sha256"}) and counts as changed for
    exports. Returns how many revisions were written. The first file at a URL is no change."""
    conn = archive.conn
    row = conn.execute("SELECT sha256 FROM attachment_files WHERE url = ?", (url,)).fetchone()
    if row is None or row[0] is None or row[0] == sha256:
        return 0
    archive._begin()
    change = json.dumps(
        {"url": url, "old_sha256": row[0], "new_sha256": sha256}, ensure_ascii=False
    )
    now = clock.now_iso()
    articles = conn.execute(
        "SELECT a.id, a.url, a.title, a.published_at, a.body, a.origin, a.author,"
        " a.content_hash, a.page_id, coalesce(a.last_changed_at, a.first_seen_at)"
        " FROM attachments l JOIN articles a ON a.id = l.article_id WHERE l.url = ?"
        " ORDER BY a.id",
        (url,),
    ).fetchall()
    for article in articles:
        conn.execute(
            "INSERT INTO revisions (article_id, url, title, published_at, body, origin, author,"
            " content_hash, page_id, seen_from, replaced_at, attachment_change)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (*article, now, change),
        )
        conn.execute(
            "UPDATE articles SET last_changed_at = ?, change_seq = ? WHERE id = ?",
            (now, archive._next_change(), article[0]),
        )
    archive._written()
    return len(articles)


def article_attachments(
    conn: sqlite3.Connection, article_url: str, with_text: bool = False
) -> list[dict[str, object]]:
    """The attachments an article links, in the order first seen: url, name (link text, else
    the URL's file name), type (Content-Type as served), size, sha256, state, pages and method
    (None where the file was not kept or not read), and with `with_text` the text read."""
    rows = conn.execute(
        "SELECT l.url, l.text, f.content_type, f.size, f.sha256, t.state, t.pages, t.method,"
        " t.text FROM attachments l JOIN articles a ON a.id = l.article_id"
        " LEFT JOIN attachment_files f ON f.url = l.url"
        " LEFT JOIN attachment_texts t ON t.url = l.url"
        " WHERE a.url = ? ORDER BY l.first_seen_at, l.rowid",
        (article_url,),
    )
    found = []
    for url, link_text, kind, size, sha256, state, pages, method, text in rows:
        entry: dict[str, object] = {
            "url": url,
            "name": attachment_search.attachment_name(url, link_text),
            "type": kind,
            "size": size,
            "sha256": sha256,
            "state": state,
            "pages": pages,
            "method": method,
        }
        if with_text:
            entry["text"] = text
        found.append(entry)
    return found


def record_attachment_links_added(archive: Archive, article_id: int, added: list[str]) -> bool:
    """Before links new to an article that already had attachment links are stored: the
    article gains a revision (its version until now, `attachment_change` = {"added": [urls]})
    unless it was revised just before in this same store (its text changed too: that revision
    stands for both). Returns whether one was written. An article's first links are none."""
    if not added:
        return False
    conn = archive.conn
    row = conn.execute(
        "SELECT a.url, a.title, a.published_at, a.body, a.origin, a.author, a.content_hash,"
        " a.page_id, coalesce(a.last_changed_at, a.first_seen_at), a.change_seq"
        " FROM articles a WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return False
    # The writer stores an item's article and then its links, in one call: an article whose
    # text just changed holds the newest change number handed out in this transaction.
    if archive._change_seq is not None and row[9] == archive._change_seq:
        return False
    archive._begin()
    now = clock.now_iso()
    conn.execute(
        "INSERT INTO revisions (article_id, url, title, published_at, body, origin, author,"
        " content_hash, page_id, seen_from, replaced_at, attachment_change)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (article_id, *row[:9], now, json.dumps({"added": added}, ensure_ascii=False)),
    )
    conn.execute(
        "UPDATE articles SET last_changed_at = ?, change_seq = ? WHERE id = ?",
        (now, archive._next_change(), article_id),
    )
    archive._written()
    return True
