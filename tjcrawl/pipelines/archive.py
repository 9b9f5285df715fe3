"""Store raw pages and articles in the SQLite archive, and one crawl_runs row per source.

The run's counts are of committed writes only (see `WriteLedger`). A run in which a write
failed is not `finished` but `write_failed`, so that the next run walks every listing page
again (resume mode) and fetches what did not land; on a full or read-only disk the crawl stops
at the first failure, since nothing it fetched after could be kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import time
import uuid
from collections import Counter
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from tjcrawl import clock
from tjcrawl.extensions import ARCHIVE_LOCKED, RUN_ID_STAT
from tjcrawl.faults import attachment_unkept, fault_recorded, losses, report_fault, summarise
from tjcrawl.frontier import (
    DEFAULT_OVERLAP,
    DEFAULT_SWEEP_DAYS,
    DEFAULT_VERIFY_304,
    INCREMENTAL,
    Frontier,
    choose_mode,
)
from tjcrawl.health import CLOCK_SKEW, WRITE_FAILED, ClockSkew, clock_went_back
from tjcrawl.pipelines.archive_session import PAGE_IDS_KEPT, ArchiveSession, portable_profile
from tjcrawl.pipelines.archive_writes import article_from_item, run_values
from tjcrawl.pipelines.attachment_reading import AttachmentReader
from tjcrawl.storage.archive import (
    Archive,
    ArchiveError,
    RevisitPolicy,
    WriteLedger,
    write_error_text,
)
from tjcrawl.storage.facts import FAULT_KIND as FACTS_FAILED
from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable, RunLock
from tjcrawl.storage.writer_process import WRITER_DIED

#: What the ledger counts as one write each (outcomes such as "new" are counted beside them).
WRITE_KINDS = (
    "pages",
    "page_touches",
    "items",
    "faults",
    "attachments",
    "run_figures",
    # counts or stats the writer process sent back that could not be applied: what they
    # said is unknown here, so they are lost writes too
    "writer_events",
)
#: Errors after which no later write can succeed either: the crawl stops instead of fetching
#: pages it cannot keep. (A busy or locked archive may free up, so it does not stop a crawl.)
FATAL_WRITE_ERRORS = (
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    WRITER_DIED,
)
__all__ = ["PAGE_IDS_KEPT", "ArchivePipeline"]
#: How often a run waiting for the archive's lock tries again, in seconds.
LOCK_POLL_S = 0.5
logger = logging.getLogger(__name__)


def new_run_id() -> str:
    return clock.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("TJCRAWL_DB", "archive.db")
        self.commit_every = settings.getint("TJCRAWL_COMMIT_EVERY", 200)
        self.commit_seconds = settings.getfloat("TJCRAWL_COMMIT_SECONDS", 2.0)
        self.run_id = settings.get("TJCRAWL_RUN_ID") or new_run_id()
        self.mode = settings.get("TJCRAWL_MODE", INCREMENTAL)
        self.overlap = settings.getint("TJCRAWL_INCREMENTAL_OVERLAP", DEFAULT_OVERLAP)
        self.sweep_days = settings.getint("TJCRAWL_SWEEP_DAYS", DEFAULT_SWEEP_DAYS)
        self.verify_304 = settings.getint("TJCRAWL_VERIFY_304", DEFAULT_VERIFY_304)
        self.revisit = RevisitPolicy(
            first_days=settings.getint("TJCRAWL_REVISIT_FIRST_DAYS", 1),
            max_interval_days=settings.getint("TJCRAWL_REVISIT_MAX_INTERVAL_DAYS", 32),
            window_days=settings.getint("TJCRAWL_REVISIT_WINDOW_DAYS", 90),
        )
        self.archive: Archive | None = None
        self.run_row = 0
        self.started = time.monotonic()
        # What the run's writes came to, as the writer reports each transaction's end.
        self.ledger = WriteLedger(on_settle=self._settled)
        # The run's state where its writes run (tjcrawl.pipelines.archive_session): in the
        # archive's writer process, whose work then shares no GIL with the crawl; or, with
        # TJCRAWL_WRITER_PROCESS off (or no fork), on a writer thread.
        self.session: Any = None
        self.writer_process = settings.getbool("TJCRAWL_WRITER_PROCESS", True) and hasattr(
            os, "fork"
        )
        self.attachments: AttachmentReader | None = None
        self.max_pages = settings.getint("TJCRAWL_MAX_PAGE_COUNT", 0)
        # 招商引资 facts of new and changed articles (tjcrawl.storage.facts); off only to
        # measure what they cost (bench/crawl_throughput.py).
        self.facts = settings.getbool("TJCRAWL_FACTS", True)
        self._stopping = False
        self._closed = False
        self._flusher: task.LoopingCall | None = None
        self.clock_skew_s: float | None = None
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.fault_recorded, signal=fault_recorded)
        crawler.signals.connect(self.attachment_unkept, signal=attachment_unkept)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        profile = getattr(spider, "profile", None)
        if profile is None:
            # Not one of tjcrawl's sources (Scrapy's DefaultSpider in `scrapy shell URL`, a
            # spider of the user's own): no run of a source to record.
            logger.info("%s is not a tjcrawl source: nothing is archived", spider)
            return
        held = self._wait_for_lock()
        try:
            archive = self.archive = Archive.acquire(
                self.db_path, self.commit_every, self.revisit, self.commit_seconds
            )
        except (ArchiveError, sqlite3.Error) as exc:
            # Not writable at all (a disk still full): nothing fetched could be kept.
            cause = write_error_text(exc, self.db_path) if isinstance(exc, sqlite3.Error) else exc
            logger.error("the archive cannot be written: %s", cause)
            self.crawler.stats.set_value("tjcrawl/write_failed", 1)
            self.crawler.stats.set_value("tjcrawl/write_error", str(cause))
            raise CloseSpider(WRITE_FAILED) from None
        finally:
            held.release()  # the archive holds the lock now, or nobody does
        archive.start_writer(process=self.writer_process)
        self.session = archive.open_session(
            ArchiveSession,
            {"run_id": self.run_id, "source": spider.name, "facts": self.facts},
            self._on_settle,
            self.crawler.stats,
        )
        archive.submit(self.session.start_pages)
        self._start_flushing(archive)
        self.attachments = AttachmentReader(
            archive,
            self.session,
            ocr=self.crawler.settings.getbool("TJCRAWL_OCR"),
        )
        if self.max_pages:
            archive.call(archive.limit_size, self.max_pages)
        # Reads: here when the writes run in a process (once committed: they are read on
        # this process's own connection), else on the writer thread, which owns the one.
        read = archive.call if not archive.writes_elsewhere else _here
        try:
            archive.call(
                archive.record_source, portable_profile(profile) if read is _here else profile
            )
            archive.call(archive.commit)
            self.mode = read(choose_mode, archive, profile.slug, self.mode, self.sweep_days)
            self.run_row = archive.call(
                archive.start_run, self.run_id, profile.slug, profile.sha256, self.mode
            )
            archive.call(archive.commit)
            skew = read(clock_went_back, archive.conn, profile.slug, self.run_row)
            spider.frontier = read(  # type: ignore[union-attr]
                Frontier, archive, profile.slug, self.mode, self.overlap, self.verify_304
            )
            self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)
        except sqlite3.Error as exc:
            # Not even the run could be recorded (a full disk): fetch nothing that could not
            # be kept. The writer has logged the cause.
            self.ledger.errors.append(exc)
            self.ledger.failed["run_figures"] += 1
            self._stopping = True
            raise CloseSpider(WRITE_FAILED) from None
        if skew is not None:
            self._record_clock_skew(skew)

    def _wait_for_lock(self) -> RunLock:
        """The archive's run lock, waited for up to TJCRAWL_LOCK_WAIT seconds: Scrapyd starts
        jobs side by side, and jobs on one archive take turns. The wait blocks the reactor,
        which has nothing else to do before this crawl's spider is open. (`tjcrawl crawl`
        holds the lock already, so this returns at once.)"""
        wait = self.crawler.settings.getfloat("TJCRAWL_LOCK_WAIT", 0)
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                return RunLock.acquire(self.db_path)
            except ArchiveLocked as exc:
                if time.monotonic() >= deadline:
                    logger.error("gave up after %.0f s (TJCRAWL_LOCK_WAIT): %s", wait, exc)
                    self.crawler.stats.set_value("tjcrawl/archive_locked", 1)
                    raise CloseSpider(ARCHIVE_LOCKED) from None
                if not told:
                    logger.info("%s; waiting up to %.0f s", exc, wait)
                    told = True
                time.sleep(min(LOCK_POLL_S, max(deadline - time.monotonic(), 0)))
            except LockUnavailable as exc:
                logger.error("the archive cannot be written: %s", exc)
                self.crawler.stats.set_value("tjcrawl/write_failed", 1)
                self.crawler.stats.set_value("tjcrawl/write_error", str(exc))
                raise CloseSpider(WRITE_FAILED) from None

    def _record_clock_skew(self, skew: ClockSkew) -> None:
        """This run started before the previous one: the machine's clock went back (or was
        ahead then). Runs are ordered by their sequence, so this one is still the newest; the
        times in the archive are what is wrong, and someone should know."""
        self.clock_skew_s = skew.seconds
        text = skew.describe()
        self.crawler.stats.set_value("tjcrawl/clock_skew", text)
        logger.warning("%s", text)
        report_fault(self.crawler, str(self.db_path), CLOCK_SKEW, None, text)

    # Signal handlers and process_item run on the reactor thread and only hand work to the
    # archive's writer (the session's methods run there, in order).
    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        kind = request.meta.get("page_kind")
        if kind is None or self.archive is None:
            return
        fetched_at = request.meta.get("fetched_at") or clock.now().isoformat()
        if kind == "attachment" and response.status == 200 and self.attachments is not None:
            content_type = response.headers.get("Content-Type")
            self.attachments.add(
                response.url,
                response.body,
                content_type.decode("latin-1") if content_type else None,
                fetched_at,
            )
            return
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }
        self.archive.submit(
            self.session.store_response,
            kind,
            response.url,
            response.status,
            headers,
            # As fetched: the writer hashes and compresses it (tjcrawl.pipelines.page_packing),
            # since this thread limits a crawl and the writer has a core of its own.
            # Attachments (up to 20 MB) are packed on the attachment reader's thread.
            response.body,
            request.meta.get("encoding"),
            fetched_at,
            spider.name,
        )

    def attachment_unkept(
        self, url: str, state: str, status: int | None = None, detail: str = ""
    ) -> None:
        if self.attachments is not None:
            self.attachments.unkept(url, state, status, detail)

    def fault_recorded(
        self, url: str, kind: str, status: int | None = None, detail: str = ""
    ) -> None:
        if self.archive is not None:
            self.archive.submit(
                self.session.store_fault,
                self.crawler.spider.name,  # type: ignore[union-attr]
                url,
                kind,
                status,
                detail,
            )

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.archive is not None
        article, page_url, attachments = article_from_item(item)
        self.archive.submit(self.session.store_item, article, page_url, attachments)
        return item

    def _on_settle(
        self, settled: Counter[str], committed: bool, cause: BaseException | None
    ) -> None:
        """What the session's ledger settled, into this run's (on the writer thread, or the
        receiver thread of the writer process)."""
        self.ledger.pending.update(settled)
        self.ledger.settle(committed, cause)
        if not settled and not committed:  # the writer died with nothing counted: still fatal
            self._settled(settled, committed)

    def _settled(self, settled: Counter[str], committed: bool) -> None:
        """A transaction holding writes of this run ended."""
        if committed:
            # Only this thread writes these keys, and each dict operation holds the GIL.
            for outcome in ("new", "changed", "unchanged"):
                if settled[outcome]:
                    self.crawler.stats.inc_value(f"tjcrawl/items_{outcome}", settled[outcome])
            failed = settled[FACTS_FAILED]
            if failed:  # in the run's fault counts, beside its fault rows
                self.crawler.stats.inc_value(f"tjcrawl/faults/{FACTS_FAILED}", failed)
            return
        cause = self.ledger.errors[-1] if self.ledger.errors else None
        fatal = str(getattr(cause, "sqlite_errorname", "")).startswith(FATAL_WRITE_ERRORS)
        if fatal and not self._stopping:
            self._stopping = True
            self._stop_crawl()

    def _stop_crawl(self) -> None:
        # Imported here: importing the reactor outside a crawl would install one.
        from twisted.internet import reactor

        engine = self.crawler.engine
        if engine is None or "twisted.internet.reactor" not in sys.modules:
            return

        def close() -> None:  # on the reactor thread, where spider_closed runs too
            if self._closed or engine.spider is None:
                return  # the crawl ended meanwhile
            deferred_from_coro(engine.close_spider_async(reason=WRITE_FAILED)).addErrback(
                lambda failure: logger.debug("stopping the crawl: %s", failure.value)
            )

        reactor.callFromThread(close)  # type: ignore[attr-defined]

    def _start_flushing(self, archive: Archive) -> None:
        # Only inside a running crawl: importing the reactor elsewhere would install one.
        if "twisted.internet.reactor" not in sys.modules:
            return
        self._flusher = task.LoopingCall(archive.flush)
        self._flusher.start(0.5, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._closed = True
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        if self.archive is None:
            return
        # Handed over, not waited for: a dictionary still being trained is waited for on the
        # writer, before the run's last commit (`_finish`).
        if self.session is not None:
            self.archive.submit(self.session.finish_pages)
        unsent = 0
        if self.attachments is not None:
            # Files still being read are stored first: every write is handed over before
            # the run's last commit.
            unsent = self.attachments.finish()
            self.attachments = None
        self._finish(reason, unsent)
        self.archive.close_session(self.session)
        self.archive.release()
        self.archive = None

    def _count_failures(self) -> int:
        """Put this run's failed writes in its stats; how many there were."""
        stats, failed = self.crawler.stats, self.ledger.failed
        lost = sum(failed[kind] for kind in WRITE_KINDS)
        if lost:
            stats.set_value("tjcrawl/write_failed", lost)
            stats.set_value("tjcrawl/items_write_failed", failed["items"])
            stats.set_value("tjcrawl/archive_errors", len(self.ledger.errors))
        if self.ledger.errors:
            stats.set_value(
                "tjcrawl/write_error", write_error_text(self.ledger.errors[0], self.db_path)
            )
        return lost

    def _finish(self, reason: str, unsent_files: int = 0) -> None:
        archive = self.archive
        assert archive is not None
        # Every write handed over before this point is done, and its transaction settled in
        # the ledger, once this call returns: stored, or counted among the failures.
        with contextlib.suppress(sqlite3.Error):  # a writer process died: its receiver counts
            archive.call(self.session.commit)
        # Files the attachment reader could not hand over are lost writes.
        self.ledger.failed["attachments"] += unsent_files
        self.ledger.failed["writer_events"] += archive.unapplied_events(self.session)
        lost = self._count_failures()
        if not self.run_row:
            return  # the run could not be recorded at all: open_spider said why
        if lost:
            reason = WRITE_FAILED
        stats = self.crawler.stats.get_stats()
        faults = summarise(stats)
        if lost:
            faults[WRITE_FAILED] = lost
        values = run_values(
            stats,
            self.ledger.committed,
            items_failed=stats.get("tjcrawl/items_failed", 0) + self.ledger.failed["items"],
            losses=self._losses(stats),
            faults=faults,
            mode=self.mode,
            duration_s=time.monotonic() - self.started,
            clock_skew_s=self.clock_skew_s,
            reason=reason,
        )
        self.crawler.stats.set_value("tjcrawl/items_failed", values["items_failed"])
        # With a fault row naming the cause, for `tjcrawl health`, in one transaction.
        cause = write_error_text(self.ledger.errors[0], self.db_path) if self.ledger.errors else ""
        try:
            error = archive.call(
                self.session.finish_run, self.run_row, values, lost, cause, str(self.db_path)
            )
        except sqlite3.Error as exc:  # the writer process died
            error = exc
        if error is not None:
            logger.error(
                "the run's figures could not be stored: %s", write_error_text(error, self.db_path)
            )
            self.ledger.errors.append(error)
            self.ledger.failed["run_figures"] += 1
            self._count_failures()

    def _losses(self, stats: dict[str, Any]) -> dict[str, dict[str, int]]:
        """What the run lost by page kind and fault kind, articles not written included, so that
        its articles add up to items_failed."""
        found = losses(stats)
        if self.ledger.failed["items"]:
            found.setdefault("article", {})[WRITE_FAILED] = self.ledger.failed["items"]
        return found


def _here(fn: Any, *args: Any) -> Any:
    return fn(*args)
