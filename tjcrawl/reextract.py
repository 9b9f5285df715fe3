"""Re-extraction: rebuild articles from the stored pages with the current profiles, offline.

`tjcrawl reextract [SOURCE]...` takes each source's newest stored 200 copy of every page
(listing pages always, detail pages for ``mode = "links"`` profiles), rebuilds the response a
crawl would have handed the spider (stored URL, headers and bytes, decoded by the same encoding
decision as the EncodingMiddleware, the page's stored fetch time in ``meta["fetched_at"]`` so
that relative dates resolve as they did), runs the profile's spider callbacks and the
validate → normalise → deduplicate pipelines, and stores each item through
`Archive.store_article`: an article whose content hash changed gets a revision (and its
search-index entry replaced), a page that extracts for the first time becomes an article, and
an item that no longer extracts is counted (and recorded as an ``extraction_failed`` fault),
never stored and never deleted. Requests the callbacks yield are dropped: no network, ever.

On purpose, it differs from a crawl in what it claims to have *seen*:

* an unchanged article is not touched (a crawl would move ``last_seen_at``, double the revisit
  interval and clear ``withdrawn_at``): re-reading stored bytes saw nothing on the site;
* a changed article gets its revision, new text, ``last_changed_at`` and ``change_seq`` from
  `store_article`, but keeps its ``last_seen_at``, ``last_checked_at``, revisit schedule and
  ``withdrawn_at``;
* an article extracted for the first time is dated first and last seen when its page was
  first and last fetched.

Detail pages get their listing data (``listing_title``, ``listing_date``) from the stored
article, else from the source's stored listing pages as the current profile reads them.

The archive's run lock is held throughout (a crawl started meanwhile exits 4), and each source
gets a ``crawl_runs`` row with ``mode = 'reextract'`` (no requests, no bytes), so `tjcrawl runs`
and `tjcrawl health` show the re-extraction and its coverage.

Extraction can run in forked worker processes (``workers``); results are still stored by this
process alone, in page order, so what is stored does not depend on the number of workers.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings

from tjcrawl.faults import fault_recorded
from tjcrawl.frontier import article_url
from tjcrawl.health import generic_fill_problems
from tjcrawl.middlewares import apply_encoding
from tjcrawl.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline
from tjcrawl.pipelines.archive import new_run_id
from tjcrawl.pipelines.archive_writes import ARTICLE_COLUMNS
from tjcrawl.pipelines.validate import COVERED_FIELDS, REQUIRED_FIELDS, generic_fills
from tjcrawl.profiles import GENERIC_FIELDS, DetailSpec, Profile, load_profiles
from tjcrawl.storage.archive import CHANGED, NEW, UNCHANGED, Archive, ArchiveError
from tjcrawl.warc import page_body

MODE = "reextract"
#: Pages whose bytes are read from the archive per query (bounds memory on a large archive).
BATCH = 500
#: Pages per task handed to a worker process.
TASK_PAGES = 100
#: Faults that say nothing about a re-extraction (stored listing pages have no page number).
IGNORED_FAULTS = frozenset({"pagination_cap"})


class ReextractError(ValueError):
    """A request that cannot be carried out (an unknown source); the message is one line."""


@dataclass
class SourceReport:
    source: str
    profile_sha256: str
    pages: int = 0
    listing_pages: int = 0
    detail_pages: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0  # items refused (missing title or body, undecodable)
    duplicate: int = 0
    pages_without_item: int = 0  # detail pages that gave no item (empty, undecodable)
    errors: int = 0  # callbacks that raised
    lost: int = 0  # stored articles whose page no longer extracts
    dates_differ: int = 0  # unchanged text, but the date would now be read differently
    # {field: items} whose detail selector matched nothing and the generic extractor filled
    generic_fills: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        line = (
            f"{self.source}: {self.pages} pages, {self.items} items, {self.new} new, "
            f"{self.changed} changed, {self.unchanged} unchanged, {self.failed} failed"
        )
        extras = [
            f"{n} {label}"
            for n, label in (
                (self.duplicate, "duplicate"),
                (self.pages_without_item, "pages without an item"),
                (self.errors, "pages whose extraction raised"),
                (self.lost, "stored articles no longer extract"),
                (self.dates_differ, "unchanged articles whose date now reads differently"),
            )
            if n
        ]
        return line + (f" ({', '.join(extras)})" if extras else "")


@dataclass
class Report:
    run_id: str
    sources: list[SourceReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "slug: why"
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(int(getattr(s, name)) for s in self.sources)

    @property
    def pages(self) -> int:
        return self.total("pages")

    @property
    def changed(self) -> int:
        return self.total("changed")

    @property
    def problems(self) -> list[str]:
        """One line per source whose re-extraction lost stored articles or raised."""
        problems = []
        for s in self.sources:
            problems += generic_fill_problems(s.source, s.generic_fills, s.items)
            if s.lost:
                problems.append(f"{s.source}: {s.lost} stored articles no longer extract")
            if s.errors:
                problems.append(f"{s.source}: extraction raised on {s.errors} pages")
        return problems

    def lines(self) -> list[str]:
        rate = self.pages / self.seconds if self.seconds else 0.0
        return [
            *(s.summary() for s in self.sources),
            *(f"skipped {reason}" for reason in self.skipped),
            f"run {self.run_id}: {self.pages} pages in {self.seconds:.1f} s ({rate:,.0f} pages/s),"
            f" {self.total('changed')} changed, {self.total('new')} new",
        ]


@dataclass(frozen=True)
class StoredPage:
    id: int
    url: str
    kind: str
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: str
    last_fetched_at: str


@dataclass(frozen=True)
class _Known:
    id: int
    content_hash: str
    field_sources: str | None
    published_at: str | None
    listing_title: str | None
    listing_date: str | None
    last_seen_at: str | None
    last_checked_at: str | None
    revisit_interval_days: int | None
    next_revisit_at: str | None
    withdrawn_at: str | None


_KNOWN_SQL = (
    "SELECT url, id, content_hash, field_sources, published_at, listing_title, listing_date,"
    " last_seen_at, last_checked_at, revisit_interval_days, next_revisit_at, withdrawn_at"
    " FROM articles WHERE source = ?"
)
_NEWEST_SQL = (
    "SELECT id, url FROM (SELECT id, url, last_fetched_at, row_number() OVER"
    " (PARTITION BY url ORDER BY last_fetched_at DESC, id DESC) AS n"
    " FROM pages WHERE source = ? AND kind = ? AND status = 200)"
    " WHERE n = 1 ORDER BY last_fetched_at DESC, id DESC"
)


def newest_pages(conn: sqlite3.Connection, source: str, kind: str) -> list[tuple[int, str]]:
    """(id, url) of the newest stored 200 copy of each of a source's pages of one kind, newest
    first."""
    return [(row[0], row[1]) for row in conn.execute(_NEWEST_SQL, (source, kind))]


def load_pages(conn: sqlite3.Connection, ids: Sequence[int]) -> list[StoredPage]:
    """The stored pages with these ids, in that order, bytes decompressed."""
    rows = conn.execute(
        "SELECT id, url, kind, headers, body, compression, fetched_at, last_fetched_at"
        f" FROM pages WHERE id IN ({','.join('?' * len(ids))})",
        list(ids),
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    pages = []
    for page_id in ids:
        row = by_id[page_id]
        pages.append(
            StoredPage(
                id=row[0],
                url=row[1],
                kind=row[2],
                headers=json.loads(row[3]) if row[3] else {},
                body=page_body(row[4], row[5]),
                fetched_at=row[6],
                last_fetched_at=row[7] or row[6],
            )
        )
    return pages


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


@lru_cache(maxsize=256)
def _response_class(content_type: str | None, url_suffix: str) -> type[Response]:
    headers = Headers({"Content-Type": content_type} if content_type else {})
    return responsetypes.from_args(headers=headers, url=f"http://x/{url_suffix}")


class _Undecoded:
    """A response not built yet: what `apply_encoding` reads of it, built once by `replace`.

    Building the response only when its encoding is known saves a second Response (and a copy
    of its headers) per page; `apply_encoding` itself still makes the decision.
    """

    def __init__(self, cls: type[Response], **kwargs: Any) -> None:
        self.cls, self.kwargs = cls, kwargs
        self.headers: Headers = kwargs["headers"]
        self.body: bytes = kwargs["body"]

    def replace(self, **changes: Any) -> Response:
        return self.cls(**{**self.kwargs, **changes})


def page_response(page: StoredPage, request: Request, profile: Profile) -> Response:
    """The response the crawl's downloader middlewares would have handed the spider."""
    content_type = next(
        (v[0] for k, v in page.headers.items() if k.lower() == "content-type" and v), None
    )
    # Scrapy's choice of class: from Content-Type, else the URL's extension, else the bytes.
    suffix = page.url.rsplit("/", 1)[-1].split("?", 1)[0].rpartition(".")[2]
    cls = _response_class(content_type, f"x.{suffix}" if suffix else "")
    if cls is Response and page.body:
        cls = responsetypes.from_body(page.body)
    if page.body and not issubclass(cls, TextResponse) and _looks_like_html(page.body):
        cls = HtmlResponse  # HTML served with a wrong Content-Type: the middleware rescues it
    kwargs = {"url": page.url, "status": 200, "body": page.body, "request": request}
    if not page.body or not issubclass(cls, TextResponse):
        return cls(headers=page.headers, **kwargs)  # empty (no decoding) or not text at all
    undecoded = _Undecoded(cls, headers=Headers(page.headers), **kwargs)
    return apply_encoding(request, undecoded, profile)  # type: ignore[arg-type]


class _Stats:
    """The part of Scrapy's StatsCollector the callbacks and pipelines use."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def count(self, key: str) -> int:
        return int(self.values.get(f"tjcrawl/{key}", 0))


class _Signals:
    def __init__(self, on_fault: Any) -> None:
        self.on_fault = on_fault

    def send_catch_log(self, signal: Any = None, **kwargs: Any) -> list[Any]:
        if signal is fault_recorded:
            self.on_fault(**kwargs)
        return []

    def connect(self, *args: Any, **kwargs: Any) -> None:
        pass


class _OfflineCrawler:
    """What the spider callbacks and the validate pipeline use of a crawler, and no engine."""

    def __init__(self, stats: _Stats, on_fault: Any) -> None:
        self.stats = stats
        self.signals = _Signals(on_fault)
        self.settings = Settings()
        self.settings.setmodule("tjcrawl.settings", priority="project")
        # Whatever a callback would fetch (attachments …) is never fetched here.
        self.settings.set("TJCRAWL_ATTACHMENTS", False, priority="cmdline")
        self.spider: Any = None


Fault = tuple[str, str, "int | None", str]  # url, kind, status, detail


@dataclass
class PageResult:
    """What one stored page gave: items validated and normalised, or why not."""

    page_id: int
    url: str
    kind: str
    fetched_at: str
    last_fetched_at: str
    items_seen: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # article keys of refused items
    listed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # link URL, data
    faults: list[Fault] = field(default_factory=list)
    no_item: bool = False  # a detail page (or a page that is not text) that gave no item
    error: bool = False  # the callback raised


class Extractor:
    """A profile's spider callbacks, validation and normalisation over stored pages.

    No archive and no network: the same object runs in this process or in a worker process.
    """

    def __init__(self, profile: Profile) -> None:
        from tjcrawl.spiders import spider_class

        self.profile = profile
        self.stats = _Stats()
        self.current: PageResult | None = None
        crawler = _OfflineCrawler(self.stats, self._fault)
        self.spider = spider_class(profile)()
        self.spider.crawler = crawler  # type: ignore[assignment]
        self.spider.settings = crawler.settings  # type: ignore[assignment]
        crawler.spider = self.spider
        self.validate = ValidatePipeline(self.stats, crawler)  # type: ignore[arg-type]
        # A fixture site's relative dates mean its capture time, as when it was crawled.
        self.normalise = NormalisePipeline({profile.slug: profile}, _date_bases(profile))
        self.listing_kwargs = {"page": 1, "first_url": profile.start_urls[0]}

    def _fault(self, url: str, kind: str, status: int | None = None, detail: str = "") -> None:
        if kind not in IGNORED_FAULTS and self.current is not None:
            self.current.faults.append((url, kind, status, detail))

    def take_stats(self) -> Counter[str]:
        """The stats counted since the last call."""
        taken, self.stats.values = self.stats.values, Counter()
        return taken

    def extract(self, page: StoredPage, listed: dict[str, Any] | None) -> PageResult:
        result = self.current = PageResult(
            page.id, page.url, page.kind, page.fetched_at, page.last_fetched_at
        )
        try:
            self._extract(page, listed or {}, result)
        finally:
            self.current = None
        return result

    def _extract(self, page: StoredPage, listed: dict[str, Any], result: PageResult) -> None:
        is_listing = page.kind == "listing"
        kwargs = self.listing_kwargs if is_listing else listed
        request = Request(
            page.url,
            meta={"page_kind": page.kind, "fetched_at": page.fetched_at},
            cb_kwargs=kwargs,
            dont_filter=True,
        )
        response = page_response(page, request, self.profile)
        if not isinstance(response, TextResponse):
            result.no_item = True
            self._fault(page.url, "extraction_failed", 200, "not a text page")
            return
        if not is_listing and not page.body:
            result.no_item = True
            self._fault(page.url, "empty_body", 200, "200 with no body")
            return
        callback = self.spider.parse_listing if is_listing else self.spider.parse_detail
        try:
            outputs = list(callback(response, **kwargs) or ())
        except Exception as exc:  # a crawl logs a callback's exception and goes on; so do we
            result.error = True
            self._fault(page.url, "extraction_failed", 200, f"{type(exc).__name__}: {exc}")
            return
        for output in outputs:
            if isinstance(output, Request):
                if output.callback == self.spider.parse_detail:
                    result.listed.append((output.url, dict(output.cb_kwargs)))
                continue  # never fetched
            result.items_seen += 1
            try:
                item = self.validate.process_item(output)
            except DropItem:
                result.refused.append(article_url(output["url"], output.get("entry_key")))
                continue
            result.items.append(dict(self.normalise.process_item(item)))
        if not is_listing and not result.items_seen:
            result.no_item = True
            if (request.meta.get("encoding") or {}).get("undecodable"):
                self._fault(page.url, "undecodable", 200, "no encoding decodes it cleanly")
            else:
                self._fault(page.url, "extraction_failed", 200, "the page gave no item")


# -- worker processes ----------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _worker_start(db_path: str, profile: Profile) -> None:
    # A connection of its own, read-only; the parent's (inherited by fork) is never touched.
    _WORKER["conn"] = sqlite3.connect(f"{Path(db_path).as_uri()}?mode=ro", uri=True)
    _WORKER["extractor"] = Extractor(profile)


def _worker_extract(
    tasks: list[tuple[int, dict[str, Any] | None]],
) -> tuple[list[PageResult], Counter[str]]:
    extractor: Extractor = _WORKER["extractor"]
    pages = load_pages(_WORKER["conn"], [page_id for page_id, _ in tasks])
    results = [extractor.extract(p, kw) for p, (_, kw) in zip(pages, tasks, strict=True)]
    return results, extractor.take_stats()


Task = tuple[int, "dict[str, Any] | None"]


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


def reextract(
    db_path: str | Path,
    sources: Sequence[str] | None = None,
    *,
    profiles: Mapping[str, Profile] | None = None,
    run_id: str | None = None,
    workers: int = 1,
    generic: bool = False,
) -> Report:
    """Re-extract the named sources (every source with stored pages when none is named).

    ``workers`` > 1 extracts in that many forked processes per source (each reading the pages
    through its own read-only connection); storing is always done here, in page order, so the
    result is the same. On the 2-core benchmark machine one process was faster (see
    docs/benchmarks.md), hence the default.
    ``generic`` reads every detail field (title, date, body, origin, author) with the generic
    extractor instead of the profiles' selectors; sources whose articles are in their
    listings have no detail pages and are skipped.
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
    try:
        stored = {row[0] for row in archive.conn.execute("SELECT DISTINCT source FROM pages")}
        if sources:
            chosen = [profiles[s] for s in dict.fromkeys(sources)]
        else:
            chosen = [p for slug, p in profiles.items() if slug in stored]
            report.skipped += [f"{s}: no profile for it" for s in sorted(stored - set(profiles))]
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
            report.sources.append(source_run.run())
            archive.finish_run(row, source_run.finish_values())
    finally:
        archive.release()
    report.seconds = time.monotonic() - started
    return report


def _date_bases(profile: Profile) -> dict[str, datetime]:
    from tjcrawl.fixture_server import default_fixtures_dir
    from tjcrawl.fixtures import fixture_date_bases

    try:
        return fixture_date_bases([profile], default_fixtures_dir())
    except ValueError:
        return {}  # no usable capture time: the pages' own fetch times, as for a web source
