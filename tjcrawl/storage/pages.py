"""Raw pages and attachment files: the bytes as fetched, compressed and addressed by SHA-256,
with the validators a conditional GET sends.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

import zstandard

from tjcrawl import clock
from tjcrawl.storage import compression
from tjcrawl.storage.compression import Dictionary, PackedBody, Packer

__all__ = ["PackedBody", "PageStore"]


class PageStore:
    """The raw pages and attachment files an `Archive` keeps (one part of that class)."""

    # -- how a source's pages are compressed ---------------------------------------------
    _packers: dict[str, Packer]
    _packers_lock = threading.Lock()

    def packer(self, source: str) -> Packer:
        """The packer for a source's new pages: zstd with its newest dictionary, if any."""
        packers = self.__dict__.setdefault("_packers", {})
        with self._packers_lock:
            found = packers.get(source)
        if found is not None:
            return found
        try:
            row = (
                self.pages_reader()
                .execute(
                    "SELECT id, dictionary, sample_ratio FROM compression_dicts WHERE source = ?"
                    " ORDER BY id DESC LIMIT 1",
                    (source,),
                )
                .fetchone()
            )
        except sqlite3.OperationalError:  # the table is created by the writer's migration
            row = None
        found = compression.PLAIN
        if row:
            found = Packer(Dictionary(int(row[0]), bytes(row[1]), row[2] or 0.0))
        with self._packers_lock:
            packers[source] = found
        return found

    def stored_page_count(self, source: str) -> int:
        """How many pages the source's runs stored, by their counts (crawl_runs is indexed by
        source; pages is not, and a count there would read a large archive whole)."""
        row = (
            self.pages_reader()
            .execute(
                "SELECT coalesce(sum(pages_stored), 0) FROM crawl_runs WHERE source = ?",
                (source,),
            )
            .fetchone()
        )
        return int(row[0])

    def store_dictionary(
        self, source: str, data: bytes, samples: int, sample_bytes: int, sample_ratio: float
    ) -> Packer:
        """Keep a dictionary trained on a source's pages; the packer that uses it (from now on
        the source's packer). Runs on the writer thread, before any page compressed with it."""
        self._begin()
        cursor = self.conn.execute(
            "INSERT INTO compression_dicts (source, created_at, size, samples, sample_bytes,"
            " sample_ratio, zstd_dict_id, dictionary) VALUES (?,?,?,?,?,?,?,?)",
            (
                source,
                clock.now_iso(),
                len(data),
                samples,
                sample_bytes,
                round(sample_ratio, 4),
                zstandard.ZstdCompressionDict(data).dict_id(),
                data,
            ),
        )
        self._written()
        self.commit()  # pages compressed with it may land in any later transaction
        packer = Packer(Dictionary(int(cursor.lastrowid or 0), data, sample_ratio))
        with self._packers_lock:
            self.__dict__.setdefault("_packers", {})[source] = packer
        return packer

    # -- what the crawler already knows of a page ---------------------------------------
    def pages_reader(self) -> sqlite3.Connection:
        return self.reader() if self._writer is not None else self.conn

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the newest stored copy of a page, for a conditional GET."""
        conn = self.pages_reader()
        row = conn.execute(
            "SELECT etag, last_modified FROM pages WHERE url = ? AND status = 200"
            " ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
            (url,),
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def newest_copy(self, url: str) -> tuple[int, str] | None:
        """Id and body SHA-256 of the newest stored 200 copy of a page: the copy a 304 for
        the validators above confirms."""
        conn = self.pages_reader()
        row = conn.execute(
            "SELECT id, body_sha256 FROM pages WHERE url = ? AND status = 200"
            " ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
            (url,),
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

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
        packed: PackedBody | None = None,
    ) -> int:
        """Keep the raw page; a page fetched again with the same bytes is only touched.

        `packed` is the body's digest and compressed bytes when the caller made them already
        (the crawl does, on its own thread, to spare the archive's writer thread).
        """
        self._begin()
        packed = packed or PackedBody.of(body, self.packer(source))
        digest = packed.sha256
        row = self.conn.execute(
            "SELECT id FROM pages WHERE url = ? AND body_sha256 = ?", (url, digest)
        ).fetchone()
        lowered = {k.lower(): v for k, v in headers.items()}
        etag = (lowered.get("etag") or [None])[0]
        last_modified = (lowered.get("last-modified") or [None])[0]
        if row:
            # Same bytes, maybe new validators (a server's ETag often changes with a restart
            # or a re-publish): the next conditional GET must send what the server sent last.
            self.conn.execute(
                "UPDATE pages SET last_fetched_at = ?, fetch_count = fetch_count + 1, run_id = ?,"
                " etag = ?, last_modified = ? WHERE id = ?",
                (fetched_at, run_id, etag, last_modified, row[0]),
            )
            self._written()
            return int(row[0])
        encoding = encoding or {}
        cursor = self.conn.execute(
            "INSERT INTO pages (url, source, kind, status, headers, body, body_size, body_sha256,"
            " compression, declared_encoding, used_encoding, encoding_how, fetched_at,"
            " last_fetched_at, fetch_count, run_id, etag, last_modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?)",
            (
                url,
                source,
                kind,
                status,
                json.dumps(headers, ensure_ascii=False),
                packed.compressed,
                len(body),
                digest,
                packed.compression,
                encoding.get("declared"),
                encoding.get("used"),
                encoding.get("how"),
                fetched_at,
                fetched_at,
                run_id,
                etag,
                last_modified,
            ),
        )
        self._written()
        return int(cursor.lastrowid or 0)

    def touch_page(self, url: str, fetched_at: str, run_id: str) -> None:
        """A 304: the newest stored copy of the page is still current."""
        self._begin()
        self.conn.execute(
            "UPDATE pages SET last_fetched_at = ?, fetch_count = fetch_count + 1, run_id = ?"
            " WHERE id = (SELECT id FROM pages WHERE url = ? AND status = 200"
            " ORDER BY last_fetched_at DESC LIMIT 1)",
            (fetched_at, run_id, url),
        )
        self._written()

    def store_attachment_links(self, article_url: str, links: list[Mapping[str, str]]) -> None:
        if not links:
            return
        row = self.conn.execute("SELECT id FROM articles WHERE url = ?", (article_url,)).fetchone()
        if row is None:
            return
        known = {
            r[0] for r in self.conn.execute("SELECT url FROM attachments WHERE article_id = ?", row)
        }
        if known:  # a changed link list is a revision of the article (storage.attachments)
            from tjcrawl.storage.attachments import record_attachment_links_added

            added = list(dict.fromkeys(link["url"] for link in links if link["url"] not in known))
            record_attachment_links_added(self, row[0], added)  # type: ignore[arg-type]
        self._begin()
        now = clock.now_iso()
        self.conn.executemany(
            "INSERT OR IGNORE INTO attachments (article_id, url, text, first_seen_at)"
            " VALUES (?,?,?,?)",
            [(row[0], link["url"], link.get("text"), now) for link in links],
        )
        self._written()

    def store_attachment_file(
        self, *, url: str, status: int, content_type: str | None, body: bytes, run_id: str
    ) -> None:
        """Keep an attachment's bytes (uncompressed: they are mostly compressed formats); a
        different file than the one kept at `url` is a revision of the articles linking it."""
        from tjcrawl.storage.attachments import record_attachment_change

        digest = hashlib.sha256(body).hexdigest()
        self._begin()
        record_attachment_change(self, url=url, sha256=digest)  # type: ignore[arg-type]
        self.conn.execute(
            "INSERT OR REPLACE INTO attachment_files (url, status, content_type, size, sha256,"
            " body, fetched_at, run_id) VALUES (?,?,?,?,?,?,?,?)",
            (
                url,
                status,
                content_type,
                len(body),
                digest,
                body,
                clock.now_iso(),
                run_id,
            ),
        )
        self._written()
