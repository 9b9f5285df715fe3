"""Raw pages and attachment files: the bytes as fetched, compressed and addressed by SHA-256,
with the validators a conditional GET sends.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

import zstandard

from tjcrawl import clock
from tjcrawl.storage import compression
from tjcrawl.storage.compression import Dictionary, PackedBody, Packer

__all__ = ["PackedBody", "PageStore", "attachment_body", "pack_attachment"]


class PageStore:
    """The raw pages and attachment files an `Archive` keeps (one part of that class)."""

    # -- how a source's pages are compressed ---------------------------------------------
    _packers: dict[str, Packer]
    _packers_lock = threading.Lock()

    def packer(self, source: str, conn: sqlite3.Connection | None = None) -> Packer:
        """The packer for a source's new pages: zstd with its newest dictionary, if any.
        `conn`: where to read it, when not on the crawl's side (the writer's own)."""
        packers = self.__dict__.setdefault("_packers", {})
        with self._packers_lock:
            found = packers.get(source)
        if found is not None:
            return found
        try:
            row = (
                (conn or self.pages_reader())
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

    def stored_page_count(self, source: str, conn: sqlite3.Connection | None = None) -> int:
        """How many pages the source's runs stored, by their counts (crawl_runs is indexed by
        source; pages is not, and a count there would read a large archive whole)."""
        row = (
            (conn or self.pages_reader())
            .execute(
                "SELECT coalesce(sum(pages_stored), 0) FROM crawl_runs WHERE source = ?",
                (source,),
            )
            .fetchone()
        )
        return int(row[0])

    def recompress_run_pages(self, source: str, after_id: int, expected: int) -> Any:
        """`recompress.recompress_run_pages` (imported when needed: that module imports
        this one's `Archive`); a crawl's page packing runs it on the writer."""
        from tjcrawl.storage.recompress import recompress_run_pages

        return recompress_run_pages(self, source, after_id, expected)  # type: ignore[arg-type]

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
        (a crawl's session does, on the writer: tjcrawl.pipelines.page_packing).
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

    def attachment_stored(self, url: str) -> bool:
        """Whether the archive has the attachment at `url`: its bytes, or its state when it
        was over a cap. TRS names a file per upload, so a known URL is a known file, and a
        nightly run does not fetch it again (a file over the cap would only be cut off at the
        cap again; after raising a cap, `crawl --full` fetches every file again)."""
        row = (
            self.pages_reader()
            .execute("SELECT 1 FROM attachment_files WHERE url = ?", (url,))
            .fetchone()
        )
        return row is not None

    def store_attachment_file(
        self,
        *,
        url: str,
        status: int,
        content_type: str | None,
        body: bytes,
        run_id: str,
        packed: PackedBody | None = None,
        fetched_at: str | None = None,
    ) -> None:
        """Keep an attachment's bytes, compressed like pages (zstd: Office files are zip
        archives already, but a PDF's text streams and a CSV or DOC are not); a different
        file than the one kept at `url` is a revision of the articles linking it."""
        from tjcrawl.storage.attachments import record_attachment_change

        packed = packed or pack_attachment(body)
        self._begin()
        record_attachment_change(self, url=url, sha256=packed.sha256)  # type: ignore[arg-type]
        self.conn.execute(
            "INSERT OR REPLACE INTO attachment_files (url, status, content_type, size, sha256,"
            " body, fetched_at, run_id, compression) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                url,
                status,
                content_type,
                len(body),
                packed.sha256,
                packed.compressed,
                fetched_at or clock.now_iso(),
                run_id,
                packed.compression,
            ),
        )
        self._written()

    def store_attachment_unkept(
        self, *, url: str, status: int | None, content_type: str | None, run_id: str
    ) -> bool:
        """A row without bytes for an attachment that was not kept (over a cap), so that its
        state has a file to belong to; never over a file whose bytes are kept (False then)."""
        self._begin()
        self.conn.execute(
            "INSERT INTO attachment_files (url, status, content_type, fetched_at, run_id)"
            " VALUES (?,?,?,?,?) ON CONFLICT (url) DO UPDATE SET status = excluded.status,"
            " content_type = excluded.content_type, fetched_at = excluded.fetched_at,"
            " run_id = excluded.run_id WHERE attachment_files.body IS NULL",
            (url, status, content_type, clock.now_iso(), run_id),
        )
        self._written()
        row = self.conn.execute(
            "SELECT body IS NULL FROM attachment_files WHERE url = ?", (url,)
        ).fetchone()
        return bool(row and row[0])


def pack_attachment(body: bytes) -> PackedBody:
    """A file's bytes as `attachment_files` keeps them: zstd, or as served when zstd would not
    make them smaller (a JPEG, a tiny placeholder)."""
    packed = PackedBody.of(body)
    if len(packed.compressed) >= len(body):
        return PackedBody(packed.sha256, body, "none")
    return packed


def attachment_body(conn: sqlite3.Connection, url: str) -> bytes | None:
    """A stored attachment's bytes as they were served (older rows stored them raw); None
    when the archive keeps none for `url`. One reader for every caller:
    tjcrawl.storage.attachments.attachment_bytes."""
    from tjcrawl.storage.attachments import attachment_bytes

    return attachment_bytes(conn, url)
