"""What the archive pipeline does with a fetched page and an extracted article, as public
functions: the crawl's pipeline (tjcrawl.pipelines.archive) runs them on its writer thread, and
the distributed archive writer (tjcrawl.distributed.writer) runs them for what workers send
through Redis. Both keep the same rules: a 304 only touches the stored copy, a 404/410 of an
article marks it withdrawn, and the same bytes fetched again are one page row, not two."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from itemadapter import ItemAdapter

from tjcrawl.frontier import article_url
from tjcrawl.pipelines.validate import COVERED_FIELDS, REQUIRED_FIELDS, generic_fills
from tjcrawl.storage.archive import (
    CHANGED,
    NEW,
    UNCHANGED,
    Archive,
    PackedBody,
    WriteLedger,
)
from tjcrawl.storage.facts import store_facts

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
    "field_sources",
)


def article_from_item(item: Any) -> tuple[dict[str, Any], str | None, list[dict[str, str]]]:
    """An item as the archive stores it: the article's columns, the URL of the page it came
    from and its attachment links."""
    adapter = ItemAdapter(item)
    article = {column: adapter.get(column) for column in ARTICLE_COLUMNS}
    article["listing_title"] = adapter.get("listing_title")
    article["date_text"] = adapter.get("date_text")  # to tell a stated date from "3天前"
    article["incomplete"] = bool(adapter.get("incomplete"))
    return article, adapter.get("page_url"), list(adapter.get("attachments") or [])


def store_response(
    archive: Archive,
    ledger: WriteLedger,
    run_id: str,
    *,
    kind: str,
    url: str,
    status: int,
    headers: dict[str, list[str]],
    body: bytes,
    packed: PackedBody | None,
    encoding: dict[str, Any] | None,
    fetched_at: str,
    source: str,
) -> int | None:
    """Store a fetched page (or touch its stored copy); the page row's id when one was
    written."""
    if kind == "attachment":
        if status == 200:
            content_type = (headers.get("Content-Type") or [""])[0]
            archive.tally(ledger, "attachments")
            archive.store_attachment_file(
                url=url,
                status=status,
                content_type=content_type or None,
                body=body,
                run_id=run_id,
            )
        return None
    if kind == "detail" and status in (200, 304):
        archive.page_present(article_url(url), run_id)
    if status == 304:
        archive.tally(ledger, "page_touches")
        archive.touch_page(url, fetched_at, run_id)
        if kind == "detail" and archive.touch_unchanged(article_url(url), run_id):
            archive.tally(ledger, UNCHANGED)
        return None
    # Counted before the write: a write that raises is one of the transaction's failures.
    archive.tally(ledger, "pages")
    gone = kind == "detail" and status in (404, 410)
    if gone and archive.mark_withdrawn(article_url(url), run_id):
        archive.tally(ledger, "withdrawn")
    return archive.store_page(
        url=url,
        source=source,
        kind=kind,
        status=status,
        headers=headers,
        body=body,
        encoding=encoding,
        fetched_at=fetched_at,
        run_id=run_id,
        packed=packed,
    )


def store_item(
    archive: Archive,
    ledger: WriteLedger,
    run_id: str,
    article: dict[str, Any],
    page_id: int | None,
    attachments: list[dict[str, str]],
    *,
    facts: bool = True,
) -> str:
    """Store an article and its attachment links; what became of it (new, changed, …).

    A new or changed article gets its 招商引资 facts here, on the writer thread and in the
    article's transaction: an unchanged one keeps those it has, so a nightly run, whose
    articles are mostly unchanged, pays for facts only where there is news."""
    archive.tally(ledger, "items")
    outcome = archive.store_article(article, page_id, run_id)
    archive.store_attachment_links(article["url"], attachments)
    archive.tally(ledger, outcome)
    if facts and outcome in (NEW, CHANGED):
        store_facts(
            archive,
            ledger,
            run_id,
            archive.last_article_id,
            article["source"],
            article["url"],
            article=article,
            # A new article's only links are those just stored; a changed one keeps its old.
            linked=outcome == CHANGED or bool(attachments),
            replace=outcome == CHANGED,
        )
    return outcome


def run_values(
    stats: Mapping[str, Any],
    committed: Mapping[str, int],
    *,
    items_failed: int,
    losses: Mapping[str, Mapping[str, int]],
    faults: Mapping[str, int],
    mode: str,
    duration_s: float,
    clock_skew_s: float | None,
    reason: str,
) -> dict[str, Any]:
    """A run's row in crawl_runs from its crawl stats and the writes committed for it: by the
    crawl's pipeline at the end of a run, and by the distributed writer at the end of a
    distributed run (tjcrawl.distributed.runs) from the stats its workers sent."""
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
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
        "pages_stored": committed.get("pages", 0),
        "items_scraped": stats.get("tjcrawl/items_seen", 0),
        "mode": mode,
        "duration_s": round(duration_s, 3),
        "listing_pages": stats.get("tjcrawl/listing_pages", 0),
        "listing_entries": stats.get("tjcrawl/listing_entries", 0),
        "faults": json.dumps(dict(faults), ensure_ascii=False),
        "retries": stats.get("retry/count", 0),
        "items_new": committed.get("new", 0),
        "items_changed": committed.get("changed", 0),
        "items_unchanged": committed.get("unchanged", 0),
        # Every article that should have been archived this run and was not: lost to a
        # fault or refused (counted where reported, see tjcrawl.faults), or not written.
        "items_failed": items_failed,
        "losses": json.dumps(dict(losses), ensure_ascii=False),
        "clock_skew_s": clock_skew_s,
        "items_duplicate": stats.get("tjcrawl/items_duplicate", 0),
        "field_failures": json.dumps(
            {"missing": failures, "present": coverage, "generic": generic_fills(stats)},
            ensure_ascii=False,
        ),
        "finish_reason": reason,
    }
