"""Store raw pages and articles in the SQLite archive, and one crawl_runs row per source."""

from __future__ import annotations

import gc
import json
import sys
import time
import uuid
from collections import Counter
from functools import partial
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.internet import task

from tjcrawl import clock
from tjcrawl.faults import fault_recorded, summarise
from tjcrawl.frontier import (
    DEFAULT_OVERLAP,
    DEFAULT_SWEEP_DAYS,
    DEFAULT_VERIFY_304,
    INCREMENTAL,
    Frontier,
    article_url,
    choose_mode,
)
from tjcrawl.pipelines.validate import COVERED_FIELDS, REQUIRED_FIELDS
from tjcrawl.storage.archive import UNCHANGED, Archive, PackedBody, RevisitPolicy

ARTICLE_COLUMNS = (
    "url",
    "source",
    "title",
    "published_at",
    "date_source",
    "date_precision",
    "date_conflict",
    "listing_date",
    "body",
    "body_html",
    "origin",
    "author",
    "content_hash",
    "duplicate_of",
)


def new_run_id() -> str:
    return clock.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("TJCRAWL_DB", "archive.db")
        self.commit_every = settings.getint("TJCRAWL_COMMIT_EVERY", 200)
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
        self.page_ids: dict[str, int] = {}
        self.outcomes: Counter[str] = Counter()
        self._flusher: task.LoopingCall | None = None
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.fault_recorded, signal=fault_recorded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        archive = self.archive = Archive.acquire(self.db_path, self.commit_every, self.revisit)
        archive.start_writer()
        self._start_flushing(archive)
        profile = spider.profile  # type: ignore[union-attr]
        archive.call(archive.record_source, profile)
        self.mode = archive.call(choose_mode, archive, profile.slug, self.mode, self.sweep_days)
        self.run_row = archive.call(
            archive.start_run, self.run_id, profile.slug, profile.sha256, self.mode
        )
        spider.frontier = archive.call(  # type: ignore[union-attr]
            Frontier, archive, profile.slug, self.mode, self.overlap, self.verify_304
        )
        # What is alive now lives as long as the crawl: Scrapy's machinery, the profiles and
        # the frontier's map of every archived article (100,000 objects and more for a big
        # archive). Left to the collector, every full collection would walk it all again.
        gc.freeze()

    # Signal handlers and process_item run on the reactor thread and only hand work to the
    # archive's writer thread; the _store_* methods run there, in order.
    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        kind = request.meta.get("page_kind")
        if kind is None or self.archive is None:
            return
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }
        self.archive.submit(
            self._store_response,
            kind,
            response.url,
            response.status,
            headers,
            response.body,
            # A page is hashed and compressed here: the writer thread, not this one, limits a
            # crawl. Attachments (up to 20 MB) stay with the writer, off the reactor.
            PackedBody.of(response.body)
            if response.status == 200 and kind != "attachment"
            else None,
            request.meta.get("encoding"),
            request.meta.get("fetched_at") or clock.now().isoformat(),
            spider.name,
        )

    def _store_response(
        self,
        kind: str,
        url: str,
        status: int,
        headers: dict[str, list[str]],
        body: bytes,
        packed: PackedBody | None,
        encoding: dict[str, Any] | None,
        fetched_at: str,
        source: str,
    ) -> None:
        archive = self.archive
        assert archive is not None
        if kind == "attachment":
            if status == 200:
                content_type = (headers.get("Content-Type") or [""])[0]
                archive.store_attachment_file(
                    url=url,
                    status=status,
                    content_type=content_type or None,
                    body=body,
                    run_id=self.run_id,
                )
                self.outcomes["attachments"] += 1
            return
        if kind == "detail" and status in (200, 304):
            archive.page_present(article_url(url), self.run_id)
        if status == 304:
            archive.touch_page(url, fetched_at, self.run_id)
            if kind == "detail" and archive.touch_unchanged(article_url(url), self.run_id):
                self.outcomes[UNCHANGED] += 1
            return
        gone = kind == "detail" and status in (404, 410)
        if gone and archive.mark_withdrawn(article_url(url), self.run_id):
            self.outcomes["withdrawn"] += 1
        self.page_ids[url] = archive.store_page(
            url=url,
            source=source,
            kind=kind,
            status=status,
            headers=headers,
            body=body,
            encoding=encoding,
            fetched_at=fetched_at,
            run_id=self.run_id,
            packed=packed,
        )
        self.outcomes["pages"] += 1

    def fault_recorded(
        self, url: str, kind: str, status: int | None = None, detail: str = ""
    ) -> None:
        if self.archive is not None:
            self.archive.submit(
                partial(
                    self.archive.record_fault,
                    run_id=self.run_id,
                    source=self.crawler.spider.name,  # type: ignore[union-attr]
                    url=url,
                    kind=kind,
                    status=status,
                    detail=detail,
                )
            )

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.archive is not None
        adapter = ItemAdapter(item)
        article = {column: adapter.get(column) for column in ARTICLE_COLUMNS}
        article["listing_title"] = adapter.get("listing_title")
        article["date_text"] = adapter.get("date_text")  # to tell a stated date from "3天前"
        self.archive.submit(
            self._store_item, article, adapter.get("page_url"), adapter.get("attachments") or []
        )
        return item

    def _store_item(
        self, article: dict[str, Any], page_url: str | None, attachments: list[dict[str, str]]
    ) -> None:
        archive = self.archive
        assert archive is not None
        outcome = archive.store_article(article, self.page_ids.get(page_url or ""), self.run_id)
        archive.store_attachment_links(article["url"], attachments)
        self.outcomes[outcome] += 1
        # Only this thread writes these keys, and each dict operation holds the GIL.
        self.crawler.stats.inc_value(f"tjcrawl/items_{outcome}")

    def _start_flushing(self, archive: Archive) -> None:
        # Only inside a running crawl: importing the reactor elsewhere would install one.
        if "twisted.internet.reactor" not in sys.modules:
            return
        self._flusher = task.LoopingCall(archive.flush)
        self._flusher.start(0.5, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        gc.unfreeze()  # collectable again once this crawl's structures are dropped
        if self.archive is None:
            return
        # Every write handed over before this point is done once this call returns.
        self.archive.call(self._finish, reason)
        if self.archive.writer_errors:
            self.crawler.stats.set_value("tjcrawl/archive_errors", len(self.archive.writer_errors))
        self.archive.release()
        self.archive = None

    def _finish(self, reason: str) -> None:
        assert self.archive is not None
        stats = self.crawler.stats.get_stats()
        failures = {
            f: stats.get(f"tjcrawl/missing/{f}", 0)
            for f in REQUIRED_FIELDS
            if stats.get(f"tjcrawl/missing/{f}")
        }
        failures.update(
            {
                f"undecodable {f}": stats[f"tjcrawl/garbled/{f}"]
                for f in ("title", "body", "encoding")
                if stats.get(f"tjcrawl/garbled/{f}")
            }
        )
        coverage = {f: stats.get(f"tjcrawl/present/{f}", 0) for f in COVERED_FIELDS}
        self.archive.finish_run(
            self.run_row,
            {
                "requests": stats.get("downloader/request_count", 0),
                "responses": stats.get("downloader/response_count", 0),
                "bytes": stats.get("downloader/response_bytes", 0),
                "pages_stored": self.outcomes["pages"],
                "items_scraped": stats.get("tjcrawl/items_seen", 0),
                "mode": self.mode,
                "duration_s": round(time.monotonic() - self.started, 3),
                "listing_pages": stats.get("tjcrawl/listing_pages", 0),
                "listing_entries": stats.get("tjcrawl/listing_entries", 0),
                "faults": json.dumps(summarise(stats), ensure_ascii=False),
                "retries": stats.get("retry/count", 0),
                "items_new": self.outcomes["new"],
                "items_changed": self.outcomes["changed"],
                "items_unchanged": self.outcomes["unchanged"],
                "items_failed": stats.get("tjcrawl/items_failed", 0),
                "items_duplicate": stats.get("tjcrawl/items_duplicate", 0),
                "field_failures": json.dumps(
                    {"missing": failures, "present": coverage}, ensure_ascii=False
                ),
                "finish_reason": reason,
            },
        )
