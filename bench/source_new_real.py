"""`tjcrawl source new` on real sites: propose a profile for each, crawl it unchanged, score it.

    .venv/bin/python bench/source_new_real.py DATASET_DIR [DATASET_DIR …] [--group host|domain]

A benchmark, not a test. A dataset folder is laid out as ../shared/extraction-dev/'s sets are
(``ground_truth.jsonl``: ``id``, ``file``, ``url``, ``body``, ``lang``; the raw pages beside it).
Its pages are grouped into sites by host (``--group domain``: by registrable domain, so that
sister hosts such as news.sina.com.cn and finance.sina.com.cn make one site), and each site is
built in a temporary folder: every page saved at its own URL (its original bytes, query strings
and all) and a listing page written here, linking each page under its headline as the
generic extractor reads it, with no dates on it, so that every date must come from the page or
its URL. A site with one page lists it twice (as a headline and a picture link would), since a
listing of one entry is no listing; the crawl keeps one item.

Then, per site: ``tjcrawl.source_new.propose`` on the listing (offline, the pages served from
the folder as a loopback server would, Content-Type text/html), and the proposal crawled
unchanged (``tjcrawl.source_check.walk``: the profile spider and the normalise, validate and
deduplicate pipelines, every detail page). Scores over all pages:

  archived   pages that came out as a valid item
  body F1    bench/extraction.py's metric (4-token shingles, AEB averaging) against the
             labelled body; a page not archived scores an empty body
  date       share of date-labelled pages archived with the labelled day (labels from
             bench/labels/<set>-*dates.jsonl: the 57 Chinese pages of magic-article; pages of
             other sets have no date labels and are left out of this figure)
  verdict    how many proposals said `ok` and `unsure`; crashes (no proposal) are counted

Nothing is copied into the repository; the temporary folders are removed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extraction import body_prf, default_date_files, load_rows, page_tp_fp_fn, to_day

from tjcrawl.extract.generic import decode_page, extract_article, parse_html
from tjcrawl.fixture_paths import SiteWriter
from tjcrawl.source_check import FetchError, FixtureFetcher, Page, walk
from tjcrawl.source_new import propose
from tjcrawl.source_new.sampling import registrable_domain
from tjcrawl.urls import canonical_url

FETCHED_AT = datetime.fromisoformat("2025-06-01T12:00:00+08:00")
LISTING_PATH = "/tjcrawl-bench/list/index.html"


@dataclass
class SiteResult:
    name: str
    pages: int
    archived: int = 0
    body: list[tuple[float, float, float]] = field(default_factory=list)
    dated: int = 0  # date-labelled pages
    dated_right: int = 0
    verdict: str = "crash"
    note: str = ""
    seconds: float = 0.0
    lang_zh: bool = False


def _headline(row: dict[str, Any], raw: bytes) -> str:
    """The headline as a listing would show it: the generic extractor's; the page's <title>
    when that is too short to read as a headline (a poem's name, 静夜思)."""
    article = extract_article(raw, row["url"], fetched_at=FETCHED_AT)
    headline = (article.title or "").strip()
    if len(headline) < 8 and len(re.findall(r"[\u3400-\u9fff]", headline)) < 4:
        root = parse_html(decode_page(raw))
        page_title = " ".join(root.xpath("string(//title)").split()) if root is not None else ""
        headline = page_title if len(page_title) > len(headline) else headline
    return headline or f"article {row['id'][:8]}"


def _listing(rows: list[dict[str, Any]], titles: dict[str, str]) -> bytes:
    entries = [(row["url"], titles[row["id"]]) for row in rows]
    if len(entries) == 1:
        entries.append(entries[0])
    items = "".join(
        f'<li><a href="{url.replace("&", "&amp;")}">{title.replace("<", "&lt;")}</a></li>'
        for url, title in entries
    )
    return (
        '<html><head><meta charset="utf-8"><title>新闻列表</title></head><body>'
        '<div class="nav"><a href="/">首页</a></div>'
        f'<ul class="news-list">{items}</ul></body></html>'
    ).encode()


def _site_fetch(folders: dict[str, Path]) -> Any:
    fetchers = {
        host: FixtureFetcher(folder, {host}, FETCHED_AT) for host, folder in folders.items()
    }

    def fetch(url: str) -> Page:
        host = (urlsplit(url).hostname or "").lower()
        if host not in fetchers:
            raise FetchError(url, "offsite", "not a host of this site")
        page = fetchers[host].fetch(url)
        # A web server says text/html for these pages, whatever their path ends in.
        page.headers["Content-Type"] = ["text/html"]
        return page

    return fetch


def run_site(name: str, rows: list[dict[str, Any]], dataset: Path, tmp: Path) -> SiteResult:
    result = SiteResult(name, len(rows), lang_zh=all(r.get("lang") == "zh" for r in rows))
    folders: dict[str, Path] = {}
    writers: dict[str, SiteWriter] = {}
    titles = {}
    for row in rows:
        raw = (dataset / row["file"]).read_bytes()
        host = (urlsplit(row["url"]).hostname or "").lower()
        if host not in writers:
            folders[host] = tmp / host
            folders[host].mkdir(parents=True)
            writers[host] = SiteWriter(folders[host])
        writers[host].add(row["url"], raw)
        titles[row["id"]] = _headline(row, raw)
    listing_host = (urlsplit(rows[0]["url"]).hostname or "").lower()
    listing_url = f"{urlsplit(rows[0]['url']).scheme}://{listing_host}{LISTING_PATH}"
    writers[listing_host].add(listing_url, _listing(rows, titles))
    fetch = _site_fetch(folders)
    started = time.perf_counter()
    items: dict[str, dict[str, Any]] = {}
    try:
        proposal = propose(listing_url, fetch, slug="bench_site", detail_pages=3)
        result.verdict = proposal.verdict
        result.note = "; ".join(proposal.verdict_reasons)[:160]
        crawl = walk(proposal.profile(tmp), fetch)
        items = {item["url"]: item for item in crawl.items}
    except Exception as exc:  # a benchmark counts a crash and goes on
        result.note = f"{type(exc).__name__}: {exc}"[:160]
        traceback.print_exc(file=sys.stderr)
    result.seconds = time.perf_counter() - started
    for row in rows:
        item = items.get(canonical_url(row["url"]))
        result.archived += item is not None
        result.body.append(page_tp_fp_fn(row["body"], (item or {}).get("body") or ""))
        if "no_date" in row:
            result.dated += 1
            day = to_day((item or {}).get("published_at"))
            result.dated_right += day == (None if row["no_date"] else row["date"])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("datasets", nargs="+", type=Path, help="folders with ground_truth.jsonl")
    parser.add_argument("--group", choices=("host", "domain"), default="host")
    parser.add_argument("--only", help="sites whose name contains this text")
    parser.add_argument("--quiet", action="store_true", help="totals only")
    args = parser.parse_args(argv)
    totals: list[SiteResult] = []
    for dataset in args.datasets:
        rows = load_rows(dataset, default_date_files(dataset))
        sites: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            host = (urlsplit(row["url"]).hostname or "").lower()
            sites[registrable_domain(host) if args.group == "domain" else host].append(row)
        results = []
        for name, site_rows in sorted(sites.items()):
            if args.only and args.only not in name:
                continue
            with tempfile.TemporaryDirectory(prefix="tjcrawl-bench-") as tmp:
                result = run_site(name, site_rows, dataset, Path(tmp))
            results.append(result)
            if not args.quiet:
                _, _, f1 = body_prf(result.body)
                dates = f"{result.dated_right}/{result.dated}" if result.dated else "-"
                print(
                    f"{dataset.name:14} {name[:32]:32} {result.archived}/{result.pages} "
                    f"F1 {f1:.2f} dates {dates:5} {result.verdict:6} {result.seconds:5.1f}s "
                    f"{result.note}",
                    flush=True,
                )
        _summary(dataset.name, results)
        zh = [r for r in results if r.lang_zh]
        if zh and len(zh) < len(results):
            _summary(f"{dataset.name} (sites of lang = zh pages)", zh)
        totals += results
    if len(args.datasets) > 1:
        _summary("all", totals)
    return 0


def _summary(label: str, results: list[SiteResult]) -> None:
    pages = sum(r.pages for r in results)
    archived = sum(r.archived for r in results)
    _, _, f1 = body_prf([x for r in results for x in r.body])
    dated = sum(r.dated for r in results)
    right = sum(r.dated_right for r in results)
    verdicts = defaultdict(int)
    for r in results:
        verdicts[r.verdict] += 1
    shown = ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
    date_text = f"{right}/{dated} = {right / dated:.3f}" if dated else "no labels"
    print(
        f"== {label}: {len(results)} sites, {pages} pages: archived {archived}/{pages} = "
        f"{archived / pages if pages else 0:.3f}; body F1 {f1:.3f}; dates {date_text}; "
        f"verdicts {shown}; {sum(r.seconds for r in results):.0f}s",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
