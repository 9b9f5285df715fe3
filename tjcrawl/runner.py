"""Run crawls in this process and judge each source's health afterwards."""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from tjcrawl import verification
from tjcrawl.blocking import blocked_pages, blocked_problem
from tjcrawl.faults import losses
from tjcrawl.health import alarms_for_run, attachments_note, generic_fill_problems, loss_problems
from tjcrawl.pipelines.archive import new_run_id
from tjcrawl.pipelines.validate import REQUIRED_FIELDS, generic_fills
from tjcrawl.profiles import Profile
from tjcrawl.progress import StepProgress
from tjcrawl.reposts import update_groups
from tjcrawl.storage.archive import open_database, write_error_text
from tjcrawl.storage.search import keep_counts_fresh


@dataclass
class SourceReport:
    slug: str
    stats: Mapping[str, Any]
    problems: list[str] = field(default_factory=list)
    # What the run says of the profile against the live site (tjcrawl.verification).
    verdict: verification.Verdict | None = None

    def count(self, key: str) -> int:
        return int(self.stats.get(f"tjcrawl/{key}", 0))

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """The run's figures in a line; counts of articles are of committed writes only, and
        `failed` counts every article lost or refused (see tjcrawl.faults)."""
        writes = self.count("write_failed")
        lost = losses(self.stats)
        notes = [f"{writes} archive writes failed"] if writes else []
        if pages := sum(lost.get("listing", {}).values()):
            notes.append(f"{pages} listing page{'s' if pages > 1 else ''} lost")
        if attachments := attachments_note(lost):
            notes.append(attachments)
        if scans := self.count("faults/attachment_needs_ocr"):
            plural = "s need" if scans > 1 else " needs"
            notes.append(f"{scans} attachment{plural} OCR: crawl --ocr reads scans")
        return (
            f"{self.slug}: {self.stats.get('downloader/request_count', 0)} requests, "
            f"{self.count('items_new')} new, {self.count('items_changed')} changed, "
            f"{self.count('items_unchanged')} unchanged, {self.count('items_failed')} failed"
            + (f" ({'; '.join(notes)})" if notes else "")
        )


# No delays, many requests at once: only for sites tjcrawl serves on 127.0.0.1 itself (`demo`,
# `crawl --serve-fixtures`). A proxy on 127.0.0.1 is no such site: it may forward to the real
# portal. Tests and benchmarks that crawl their own loopback server through --proxy pass these
# explicitly (TJCRAWL_SETTINGS) to say the site behind the proxy is theirs.
LOOPBACK_FAST_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_BACKOFF_BASE": 0.05,
    "RETRY_BACKOFF_MAX": 0.5,
}


def build_settings(
    db: str,
    *,
    proxy_map: Mapping[str, str] | None = None,
    loopback_fast: bool = False,
    run_id: str | None = None,
    log_level: str = "INFO",
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    settings = Settings()
    settings.setmodule("tjcrawl.settings", priority="project")
    settings.set("TJCRAWL_DB", db, priority="cmdline")
    settings.set("TJCRAWL_RUN_ID", run_id or new_run_id(), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("TJCRAWL_AFTER_CRAWL", False, priority="cmdline")  # run_crawl does it
    if proxy_map:
        settings.set("TJCRAWL_PROXY_MAP", dict(proxy_map), priority="cmdline")
    if loopback_fast:
        settings.setdict(LOOPBACK_FAST_SETTINGS, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def judge(profile: Profile, stats: Mapping[str, Any], min_coverage: float) -> list[str]:
    """What went wrong with a source's crawl, each as a line naming source and field: what
    broke first (it says what to mend), then every article and listing page lost, by kind,
    then a clock that went back."""
    slug = profile.slug

    def count(key: str) -> int:
        return int(stats.get(f"tjcrawl/{key}", 0))

    problems = _broken(profile, stats, min_coverage)
    if blocked := blocked_problem(slug, stats):
        # First: a site that refuses this machine is what to act on, not the profile.
        problems.insert(0, blocked)
    # Articles that failed to be written have their line already, among what broke.
    arrived = count("items_new") + count("items_changed") + count("items_unchanged")
    read = count("listing_pages") + count("listing_pages_not_modified")
    problems += loss_problems(slug, losses(stats), arrived, read)[0]
    if skew := stats.get("tjcrawl/clock_skew"):
        problems.append(f"{slug}: {skew}")
    return problems


def _broken(profile: Profile, stats: Mapping[str, Any], min_coverage: float) -> list[str]:
    """What broke in a source's crawl: its writes, its end, its listings, its fields."""
    slug, problems = profile.slug, []

    def count(key: str) -> int:
        return int(stats.get(f"tjcrawl/{key}", 0))

    reason = stats.get("finish_reason")
    lost = count("write_failed")
    if lost:
        # One line with the cause: what was lost is fetched again by the next run, since
        # this one is not recorded as finished.
        cause = stats.get("tjcrawl/write_error") or "see the log"
        articles = count("items_write_failed")
        problems.append(
            f"{slug}: {lost} archive writes failed: {cause}; "
            + (
                f"{articles} articles were not stored, and the next run fetches them again"
                if articles
                else "the next run tries again"
            )
        )
        if reason == "write_failed":
            return problems  # the crawl stopped there: what it did not fetch says nothing
    elif count("archive_errors"):
        problems.append(f"{slug}: {count('archive_errors')} archive writes failed (see the log)")
    if reason not in (None, "finished") and not (lost and reason == "write_failed"):
        problems.append(f"{slug}: crawl ended early ({reason})")
    # Page failures that tjcrawl.recorders caught: judged before the early returns below, which
    # a listing page whose extraction raised would otherwise explain as "matched nothing".
    if count("extraction_errors"):
        problems.append(
            f"{slug}: extraction raised an error on {count('extraction_errors')} pages or items"
            " (faults of kind extraction_failed name each)"
        )
        if count("listing_entries") == 0:
            return problems  # the listings raised before any entry: "matched nothing" would mislead
    offsite_entries = count("offsite/detail")
    if offsite_entries and offsite_entries * 2 > count("listing_entries"):
        problems.append(
            f"{slug}: {offsite_entries} of {count('listing_entries')} entries lead outside"
            f" allowed_domains {list(profile.allowed_domains)} (faults of kind offsite)"
        )
    if count("listing_pages") + count("listing_pages_not_modified") == 0:
        if not blocked_pages(stats).get("listing"):  # else the blocked line says why
            problems.append(f"{slug}: no listing page could be fetched (start_urls, robots.txt?)")
        return problems
    if count("listing_pages") and count("listing_entries") == 0:
        problems.append(f"{slug}: field listing.entries matched nothing on any listing page")
        return problems
    if count("listing_entries") and count("missing/listing.link") >= count("listing_entries"):
        problems.append(f"{slug}: field listing.link matched nothing in any entry")
        return problems
    seen = count("items_seen")
    if seen == 0:
        # A quiet night: nothing new to fetch is normal for an incremental run.
        return problems
    table = "listing" if profile.carries_articles else "detail"
    for name in REQUIRED_FIELDS:
        present = count(f"present/{name}")
        if present / seen < min_coverage:
            problems.append(
                f"{slug}: field {table}.{name} found in {present} of {seen} items "
                f"(below {min_coverage:.0%}); those items were not stored"
            )
    problems += generic_fill_problems(slug, generic_fills(stats), seen, min_coverage)
    garbled = count("garbled/body") + count("garbled/title") + count("garbled/encoding")
    if garbled:
        problems.append(f"{slug}: {garbled} items could not be decoded cleanly; not stored")
    return problems


def run_crawl(profiles: Iterable[Profile], settings: Settings) -> list[SourceReport]:
    """Crawl the sources together in one reactor; one report per source."""
    from tjcrawl.spiders import spider_class

    process = CrawlerProcess(settings)
    crawlers: list[tuple[Profile, Crawler]] = []
    for profile in profiles:
        crawler = process.create_crawler(spider_class(profile))
        process.crawl(crawler)
        crawlers.append((profile, crawler))
    process.start()
    logging.getLogger("scrapy").handlers.clear()
    finished = [
        (profile, crawler.stats.get_stats() if crawler.stats else {})
        for profile, crawler in crawlers
    ]
    return after_crawl(finished, settings, settings["TJCRAWL_RUN_ID"])


def after_crawl(
    finished: Iterable[tuple[Profile, Mapping[str, Any]]], settings: Settings, run_id: str
) -> list[SourceReport]:
    """Judge each source's run, then the archive's work after a crawl: re-post grouping and
    the search counts. Shared by `tjcrawl crawl` and by runs that `scrapy crawl` or Scrapyd
    start (tjcrawl.extensions.AfterCrawl); the caller holds the archive's run lock."""
    db, min_coverage = settings["TJCRAWL_DB"], settings.getfloat("TJCRAWL_MIN_FIELD_COVERAGE", 0.9)
    reports = []
    with closing(open_database(db).conn) as conn:
        for profile, stats in finished:
            problems = judge(profile, stats, min_coverage)
            # Compared with the source's earlier runs only when nothing is plainly broken,
            # so that one failure is not reported twice.
            problems = problems or alarms_for_run(conn, run_id, profile.slug)
            report = SourceReport(profile.slug, stats, problems)
            try:
                report.verdict = verification.record_crawl(conn, profile.slug, stats, problems)
            except sqlite3.Error as exc:  # the report still goes out; the next run records
                logging.getLogger(__name__).error(
                    "%s: verification state not recorded: %s",
                    profile.slug,
                    write_error_text(exc, settings["TJCRAWL_DB"]),
                )
            reports.append(report)
        # Re-posts (转载) are grouped over the whole archive, this run's articles included. A
        # failure here must not cost the crawl its report: the next crawl groups again.
        log = logging.getLogger(__name__)
        progress = StepProgress(
            log=log.info,
            interactive=sys.stderr.isatty()
            and not settings.get("LOG_FILE")
            and settings.getbool("TJCRAWL_PROGRESS", True),
        )
        try:
            grouped = update_groups(conn, progress)
        except sqlite3.Error as exc:  # a full disk, say: the archive's situation, one line
            log.error(
                "re-post grouping failed: %s; the next crawl retries", write_error_text(exc, db)
            )
        except Exception as exc:
            # A bug in tjcrawl: the crawl keeps its report but ends non-zero, or a nightly
            # would go on for weeks with groups that no longer grow. Said once, not per
            # source: the grouping is the archive's.
            log.exception("re-post grouping failed; the next crawl retries")
            if not reports:
                raise
            summary = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            reports[0].problems.append(
                f"re-post grouping failed ({summary}); this is a bug in tjcrawl, please report"
                " it; the next crawl retries"
            )
        else:
            log.info(grouped.summary())
        # Large archives keep exact counts of common search tokens and phrases for instant
        # totals; a crawl can make new words common.
        try:
            with conn:
                keep_counts_fresh(conn, progress=progress)
        except sqlite3.Error as exc:
            log.error(
                "search counts not refreshed: %s; the next crawl retries", write_error_text(exc, db)
            )
        progress.close()
    return reports
