"""A source's re-extraction run: its `crawl_runs` row, its pages in order, what it stores, and
`reextract`, which runs every source asked for.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem

from tjcrawl.frontier import article_url
from tjcrawl.gc_tuning import young_threshold
from tjcrawl.pipelines import DeduplicatePipeline
from tjcrawl.pipelines.archive import new_run_id
from tjcrawl.pipelines.archive_writes import ARTICLE_COLUMNS
from tjcrawl.pipelines.validate import COVERED_FIELDS, REQUIRED_FIELDS, generic_fills
from tjcrawl.profiles import GENERIC_FIELDS, DetailSpec, Profile, load_profiles
from tjcrawl.reextract.extractor import (
    Extractor,
    PageResult,
    Task,
    _Stats,
    _worker_extract,
    _worker_start,
)
from tjcrawl.reextract.reports import ReextractError, Report, SourceReport
from tjcrawl.reextract.stored import _KNOWN_SQL, _Known, load_pages, newest_pages
from tjcrawl.storage.archive import CHANGED, NEW, UNCHANGED, Archive, ArchiveError
from tjcrawl.storage.facts import FAULT_KIND as FACTS_FAILED
from tjcrawl.storage.facts import recompute_articles, recompute_source

MODE = "reextract"
#: Pages whose bytes are read from the archive per query (bounds memory on a large archive).
BATCH = 500
#: Pages per task handed to a worker process.
TASK_PAGES = 100


class _SourceRun:
    """One source's re-extraction inside an Archive that this process holds."""

    def __init__(self, archive: Archive, profile: Profile, run_id: str, workers: int) -> None:
        self.archive = archive
        self.conn = archive.conn
        self.profile = profile
        self.run_id = run_id
        self.workers = max(1, workers)
        self.report = SourceReport(profile.slug, profile.sha256)
        self.stats = _Stats()
        self.faults: Counter[str] = Counter()
        self.dedup = DeduplicatePipeline(self.stats)  # type: ignore[arg-type]
        self.known = {
            row[0]: _Known(*row[1:]) for row in self.conn.execute(_KNOWN_SQL, (profile.slug,))
        }
        self.listed: dict[str, dict[str, Any]] = {}  # detail URL -> listing data, from listings
        self.extractor: Extractor | None = None
        self.pool: Any = None

    # -- the walk -------------------------------------------------------------------------
    def run(self) -> SourceReport:
        started = time.monotonic()
        slug = self.profile.slug
        listings = newest_pages(self.conn, slug, "listing")
        details = [] if self.profile.carries_articles else newest_pages(self.conn, slug, "detail")
        if self.workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
            self.workers = 1  # workers are forked: they inherit the profile and the spider code
        if self.workers > 1:
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(
                self.workers, _worker_start, (str(self.archive.path), self.profile)
            )
        else:
            self.extractor = Extractor(self.profile)
        try:
            for result in self._results([(page_id, None) for page_id, _ in listings]):
                self._consume(result)
            # Listing data can come from the listings read just now, so details go second.
            tasks = [(page_id, self._listing_data(url)) for page_id, url in details]
            for result in self._results(tasks):
                self._consume(result)
            if self.pool is not None:
                self.pool.close()
                self.pool.join()
        finally:
            if self.pool is not None:
                self.pool.terminate()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _results(self, tasks: list[Task]) -> Iterator[PageResult]:
        """Each task's result, in task order, from this process or from the workers."""
        if self.pool is None:
            assert self.extractor is not None
            for start in range(0, len(tasks), BATCH):
                chunk = tasks[start : start + BATCH]
                pages = load_pages(self.conn, [page_id for page_id, _ in chunk])
                for page, (_, listed) in zip(pages, chunk, strict=True):
                    yield self.extractor.extract(page, listed)
                self.stats.values.update(self.extractor.take_stats())
            return
        chunks = (tasks[i : i + TASK_PAGES] for i in range(0, len(tasks), TASK_PAGES))
        pending: deque[Any] = deque()
        for chunk in chunks:  # a bounded window of work in flight: memory stays flat
            pending.append(self.pool.apply_async(_worker_extract, (chunk,)))
            if len(pending) >= 2 * self.workers:
                yield from self._collect(pending.popleft())
        while pending:
            yield from self._collect(pending.popleft())

    def _collect(self, job: Any) -> list[PageResult]:
        results, stats = job.get()
        self.stats.values.update(stats)
        return results

    def _key(self, url: str) -> str:
        """The article key of a page URL; most stored URLs are already canonical."""
        return url if url in self.known else article_url(url)

    def _listing_data(self, url: str) -> dict[str, Any]:
        known, listed = self.known.get(self._key(url)), self.listed.get(url, {})
        title = known.listing_title if known else None
        date = known.listing_date if known else None
        return {
            "listing_url": listed.get("listing_url"),
            "listing_title": title if title is not None else listed.get("listing_title"),
            "listing_date": date if date is not None else listed.get("listing_date"),
        }

    # -- results into the archive ---------------------------------------------------------
    def _consume(self, result: PageResult) -> None:
        report = self.report
        report.pages += 1
        if result.kind == "listing":
            report.listing_pages += 1
        else:
            report.detail_pages += 1
        for url, kind, status, detail in result.faults:
            self.faults[kind] += 1
            self.archive.record_fault(
                run_id=self.run_id,
                source=self.profile.slug,
                url=url,
                kind=kind,
                status=status,
                detail=f"reextract: {detail}",
            )
        report.errors += result.error
        if result.no_item:
            report.pages_without_item += 1
            report.lost += self._key(result.url) in self.known
        report.items += result.items_seen
        report.failed += len(result.refused)
        report.lost += sum(key in self.known for key in result.refused)
        for key, listed in result.listed:
            self.listed.setdefault(key, listed)
        for item in result.items:
            self._store(item, result)

    def _store(self, item: dict[str, Any], page: PageResult) -> None:
        try:
            item = self.dedup.process_item(item)
        except DropItem:
            self.report.duplicate += 1
            return
        article = {column: item.get(column) for column in ARTICLE_COLUMNS}
        article["listing_title"] = item.get("listing_title")
        known = self.known.get(article["url"])
        if known is not None and known.content_hash == article["content_hash"]:
            self.report.unchanged += 1
            sources = json.dumps(article["field_sources"], ensure_ascii=False)
            if article["field_sources"] and sources != known.field_sources:
                # The same text from elsewhere (the generic extractor, a fixed selector): where
                # it came from is what changed, which is no revision of the article.
                self.conn.execute(
                    "UPDATE articles SET field_sources = ? WHERE id = ?", (sources, known.id)
                )
            if known.published_at != article["published_at"]:
                self.report.dates_differ += 1
            return
        outcome = self.archive.store_article(article, page.page_id, self.run_id)
        if outcome == CHANGED and known is not None:
            self.report.changed += 1
            self.conn.execute(
                "UPDATE articles SET last_seen_at = ?, last_checked_at = ?,"
                " revisit_interval_days = ?, next_revisit_at = ?, withdrawn_at = ? WHERE id = ?",
                (
                    known.last_seen_at,
                    known.last_checked_at,
                    known.revisit_interval_days,
                    known.next_revisit_at,
                    known.withdrawn_at,
                    known.id,
                ),
            )
        elif outcome == NEW:
            self.report.new += 1
            self.conn.execute(
                "UPDATE articles SET first_seen_at = ?, last_seen_at = ? WHERE url = ?",
                (_seconds(page.fetched_at), _seconds(page.last_fetched_at), article["url"]),
            )
        elif outcome == UNCHANGED:  # same text under this URL in another source's article
            self.report.unchanged += 1
        else:
            self.report.changed += 1

    # -- the run's row --------------------------------------------------------------------
    def finish_values(self) -> dict[str, Any]:
        count = self.stats.count
        missing = {f: count(f"missing/{f}") for f in REQUIRED_FIELDS if count(f"missing/{f}")}
        missing.update(
            {
                f"undecodable {f}": count(f"garbled/{f}")
                for f in ("title", "body", "encoding")
                if count(f"garbled/{f}")
            }
        )
        present = {f: count(f"present/{f}") for f in COVERED_FIELDS}
        self.report.generic_fills = generic_fills(self.stats.values)
        return {
            "requests": 0,
            "responses": 0,
            "bytes": 0,
            "pages_stored": 0,
            "items_scraped": count("items_seen"),
            "items_new": self.report.new,
            "items_changed": self.report.changed,
            "items_unchanged": self.report.unchanged,
            "items_failed": count("items_failed"),
            "items_duplicate": count("items_duplicate"),
            "field_failures": json.dumps(
                {"missing": missing, "present": present, "generic": self.report.generic_fills},
                ensure_ascii=False,
            ),
            "mode": MODE,
            "duration_s": round(self.report.seconds, 3),
            "listing_pages": count("listing_pages"),
            "listing_entries": count("listing_entries"),
            "faults": json.dumps(dict(self.faults), ensure_ascii=False),
            "retries": 0,
            "finish_reason": "finished",
        }


def generic_profile(profile: Profile) -> Profile:
    """The profile with every detail field left to the generic extractor (listings as before:
    they give the pages and their listing titles and dates)."""
    assert profile.detail is not None
    detail = DetailSpec(attachments=profile.detail.attachments, generic=frozenset(GENERIC_FIELDS))
    return replace(profile, detail=detail)


def _seconds(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).isoformat(timespec="seconds")


@young_threshold()  # as a crawl (tjcrawl/gc_tuning.py): pages are freed by refcount
def reextract(
    db_path: str | Path,
    sources: Sequence[str] | None = None,
    *,
    profiles: Mapping[str, Profile] | None = None,
    run_id: str | None = None,
    workers: int = 1,
    generic: bool = False,
    attachments: bool = True,
) -> Report:
    """Re-extract the named sources (every source with stored pages when none is named).

    ``workers`` > 1 extracts in that many forked processes per source (each reading the pages
    through its own read-only connection); storing is always done here, in page order, so the
    result is the same. On the 2-core benchmark machine one process was faster (see
    docs/benchmarks.md), hence the default.
    ``generic`` reads every detail field (title, date, body, origin, author) with the generic
    extractor instead of the profiles' selectors; sources whose articles are in their
    listings have no detail pages and are skipped.
    ``attachments`` also reads the stored attachment files again (those the named sources'
    articles link, else all) with the current readers (tjcrawl.reextract.attachments).
    Raises ReextractError for an unknown source, ArchiveError when db_path is not an archive,
    and tjcrawl.storage.lock.ArchiveLocked when another run holds it.
    """
    path = Path(db_path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no archive here; run `tjcrawl demo` or `tjcrawl crawl` first")
    profiles = dict(load_profiles() if profiles is None else profiles)
    unknown = [s for s in sources or () if s not in profiles]
    if unknown:
        raise ReextractError(f"unknown source {', '.join(unknown)} (see `tjcrawl sources`)")
    report = Report(run_id or new_run_id())
    started = time.monotonic()
    archive = Archive.acquire(path)
    reader = None
    if attachments:
        from tjcrawl.attachments.worker import Worker
        from tjcrawl.reextract.attachments import AttachmentReport

        reader, report.attachments = Worker(), AttachmentReport()
    try:
        stored = {row[0] for row in archive.conn.execute("SELECT DISTINCT source FROM pages")}
        if sources:
            chosen = [profiles[s] for s in dict.fromkeys(sources)]
        else:
            chosen = [p for slug, p in profiles.items() if slug in stored]
            report.skipped += [f"{s}: no profile for it" for s in sorted(stored - set(profiles))]
        recomputed: list[str] = []
        for profile in chosen:
            if profile.slug not in stored:
                report.skipped.append(f"{profile.slug}: no stored pages")
                continue
            if generic:
                if profile.detail is None:
                    report.skipped.append(
                        f"{profile.slug}: its articles are in its listings; no detail pages"
                        " for the generic extractor"
                    )
                    continue
                profile = generic_profile(profile)
            archive.record_source(profile)
            row = archive.start_run(report.run_id, profile.slug, profile.sha256, MODE)
            source_run = _SourceRun(archive, profile, report.run_id, workers)
            source_report = source_run.run()
            if reader is not None:
                # Before the facts, so that they read the attachments' text as it now is.
                _reread(archive, [profile.slug], reader, report)
            _, source_report.facts, source_report.facts_failed = recompute_source(
                archive, report.run_id, profile.slug
            )
            recomputed.append(profile.slug)
            if source_report.facts_failed:
                source_run.faults[FACTS_FAILED] += source_report.facts_failed
            report.sources.append(source_report)
            archive.finish_run(row, source_run.finish_values())
        if reader is not None:
            # The files left: those of named sources skipped here, or (none named) every kept
            # file, also those no re-extracted source's article links.
            _reread(archive, list(sources or ()) or None, reader, report)
            _recompute_others(archive, report, recomputed)
    finally:
        if reader is not None:
            reader.close()
        archive.release()
    report.seconds = time.monotonic() - started
    return report


def _reread(archive: Archive, sources: list[str] | None, reader: Any, report: Report) -> None:
    from tjcrawl.reextract.attachments import reread_attachments

    reread_attachments(archive, sources, reader, report.attachments)


def _recompute_others(archive: Archive, report: Report, recomputed: list[str]) -> None:
    """The facts of articles of sources not re-extracted in this run (no profile, no stored
    pages, not named) that link a file whose reading changed: they have no run row here, so
    their failures are counted with the attachments."""
    assert report.attachments is not None
    changed = sorted(set(report.attachments.stored))
    if not changed:
        return
    ids: set[int] = set()
    for start in range(0, len(changed), 500):
        chunk = changed[start : start + 500]
        rows = archive.conn.execute(
            "SELECT DISTINCT l.article_id, a.source FROM attachments l"
            " JOIN articles a ON a.id = l.article_id"
            f" WHERE l.url IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        ids.update(article_id for article_id, source in rows if source not in recomputed)
    _, failed = recompute_articles(archive, report.run_id, sorted(ids))
    report.attachments.facts_failed += failed
