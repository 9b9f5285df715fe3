"""What one crawl's writes need where they run: the archive's writer process during a crawl
(tjcrawl.storage.writer_process), or its writer thread.

The crawl's pipeline (tjcrawl.pipelines.archive) and its attachment reader only submit this
session's methods by name; the session keeps the run's write ledger, its run id, the ids of
its recent pages and the pages of the open transaction, and hands each settled transaction's
counts (and the stats it counts) back to the crawl through `on_settle` and `stats`.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable
from typing import Any

from tjcrawl.attachments.states import OK, Extracted
from tjcrawl.health import WRITE_FAILED
from tjcrawl.pipelines.archive_writes import store_item, store_response
from tjcrawl.pipelines.page_packing import PagePacking
from tjcrawl.pipelines.recent import RecentMap
from tjcrawl.storage.archive import Archive, PackedBody, WriteLedger
from tjcrawl.storage.attachments import store_attachment_text
from tjcrawl.storage.facts import articles_linking, store_facts

#: Pages whose archive id a run keeps at a time (see ArchiveSession.page_ids).
PAGE_IDS_KEPT = 10_000
logger = logging.getLogger("tjcrawl.pipelines.archive")


class ProfileText:
    """A profile file's text, read where it is (a zipped egg's files do not pickle)."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.text


def portable_profile(profile: Any) -> Any:
    """The profile, with its file as text: fit to be sent to the writer process."""
    found = copy.copy(profile)
    text = ProfileText(profile.path.read_text(encoding="utf-8"), profile.path.name)
    object.__setattr__(found, "path", text)
    return found


class ArchiveSession:
    """One crawl's state on the writer; its public methods are the crawl's write ops."""

    def __init__(
        self,
        archive: Archive,
        *,
        run_id: str,
        source: str,
        facts: bool,
        stats: Any,
        on_settle: Callable[[Counter[str], bool, BaseException | None], None],
    ) -> None:
        self.archive = archive
        self.run_id = run_id
        self.source = source
        self.facts = facts  # 招商引资 facts of new and changed articles (off to measure them)
        self.stats = stats
        self.on_settle = on_settle
        self.ledger = WriteLedger(on_settle=self._settled)
        # A page's id, for the article stored from it. That item comes a few jobs after the
        # page (a listing's carried articles read it again, and keep it recent): the last
        # PAGE_IDS_KEPT pages are plenty, and a crawl does not keep one entry per page.
        self.page_ids: RecentMap[str, int] = RecentMap(PAGE_IDS_KEPT)
        self._uncommitted_pages: list[str] = []
        # The run's pages are hashed and compressed here, on the writer, not on the crawl's
        # reactor thread; the source's dictionary is trained here too.
        self.packing = PagePacking(archive, source, stats)

    def _settled(self, settled: Counter[str], committed: bool) -> None:
        pages, self._uncommitted_pages = self._uncommitted_pages, []
        if not committed:
            # The pages stored in the lost transaction are gone: no article may point at them.
            for url in pages:
                self.page_ids.pop(url, None)
        cause = None if committed or not self.ledger.errors else self.ledger.errors[-1]
        self.on_settle(settled, committed, cause)

    # -- pages and articles ---------------------------------------------------------------
    def start_pages(self) -> None:
        """Before the run's first page: see `PagePacking.start`."""
        self.packing.start()

    def store_response(
        self,
        kind: str,
        url: str,
        status: int,
        headers: dict[str, list[str]],
        body: bytes,
        encoding: dict[str, Any] | None,
        fetched_at: str,
        source: str,
    ) -> None:
        packed = None
        if status == 200 and kind != "attachment" and source == self.source:
            # First: storing a new dictionary may end the open transaction (see _settled).
            try:
                packed = self.packing.pack(body)
            except Exception as exc:  # store_page packs it itself; the page is still kept
                logger.warning("%s: packing %s failed: %s", source, url, exc, exc_info=exc)
                if self.stats is not None:
                    self.stats.inc_value("tjcrawl/page_packing_failed")
        if kind not in ("attachment",) and status not in (304,):
            self._uncommitted_pages.append(url)
        page_id = store_response(
            self.archive,
            self.ledger,
            self.run_id,
            kind=kind,
            url=url,
            status=status,
            headers=headers,
            body=body,
            packed=packed,
            encoding=encoding,
            fetched_at=fetched_at,
            source=source,
        )
        if page_id is not None:
            self.page_ids[url] = page_id

    def store_item(
        self, article: dict[str, Any], page_url: str | None, attachments: list[dict[str, str]]
    ) -> None:
        store_item(
            self.archive,
            self.ledger,
            self.run_id,
            article,
            self.page_ids.get(page_url or ""),
            attachments,
            facts=self.facts,
        )

    def store_fault(
        self, source: str, url: str, kind: str, status: int | None, detail: str
    ) -> None:
        self.archive.tally(self.ledger, "faults")
        self.archive.record_fault(
            run_id=self.run_id, source=source, url=url, kind=kind, status=status, detail=detail
        )

    # -- attachments (from tjcrawl.pipelines.attachment_reading) ------------------------
    def store_file(
        self, url: str, body: bytes, packed: PackedBody, content_type: str | None, at: str
    ) -> None:
        self.archive.tally(self.ledger, "attachments")
        self.archive.store_attachment_file(
            url=url,
            status=200,
            content_type=content_type,
            body=body,
            run_id=self.run_id,
            packed=packed,
            fetched_at=at,
        )

    def store_text(self, url: str, sha256: str | None, got: Extracted) -> None:
        """Its text in `attachment_texts`; a state other than ok is also a fault row
        (`attachment_encrypted`, `attachment_damaged`, …) with its one line."""
        self.archive.tally(self.ledger, "attachments")
        store_attachment_text(self.archive, url=url, sha256=sha256, got=got)
        if got.state == OK and got.text and self.facts:
            # The text came after its article: the articles linking it get their facts
            # again, with those of the attachment.
            for article_id in articles_linking(self.archive.conn, url):
                store_facts(self.archive, self.ledger, self.run_id, article_id, self.source, url)
        if got.state != OK:
            # Counted with the run's faults (`tjcrawl runs`, the health report) like every
            # other fault row; the run summary names the scans left for --ocr.
            if self.stats is not None:
                self.stats.inc_value(f"tjcrawl/faults/attachment_{got.state}")
            self.archive.record_fault(
                run_id=self.run_id,
                source=self.source,
                url=url,
                kind=f"attachment_{got.state}",
                status=200,
                detail=got.detail or got.state,
            )

    def store_unkept(self, url: str, status: int | None, got: Extracted) -> None:
        self.archive.tally(self.ledger, "attachments")
        if self.archive.store_attachment_unkept(
            url=url, status=status, content_type=None, run_id=self.run_id
        ):
            store_attachment_text(self.archive, url=url, sha256=None, got=got)

    # -- the end of the run -------------------------------------------------------------
    def finish_pages(self) -> None:
        """The run fetches no more pages: its dictionary, if one is still being trained, is
        stored and the pages packed before it recompressed (before the run's last commit)."""
        self.packing.finish()

    def commit(self) -> None:
        """The run's last batch: stored, or counted among the failures (settled first)."""
        self.archive.try_commit()

    def finish_run(
        self, run_row: int, values: dict[str, Any], lost: int, cause: str, db_path: str
    ) -> BaseException | None:
        """The run's figures, with a fault row naming the cause when writes were lost (one
        transaction); the error, handed back, when even they could not be stored."""
        try:
            if lost:
                self.archive.record_fault(
                    run_id=self.run_id,
                    source=self.source,
                    url=db_path,
                    kind=WRITE_FAILED,
                    status=None,
                    detail=f"{lost} writes failed: {cause}",
                )
            self.archive.finish_run(run_row, values)
        except sqlite3.Error as exc:
            # On a full disk the run's own row may not be writable either. It then stays
            # unfinished, the next opening of the archive marks it interrupted, and the next
            # run resumes all the same.
            return exc
        return None
