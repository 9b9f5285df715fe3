"""`tjcrawl source new` on real sites, as a new user runs it: over HTTP, then a crawl.

    .venv/bin/python bench/source_new_real.py DATASET_DIR [DATASET_DIR …] [--jobs 2]
        [--group host|domain] [--only TEXT] [--keep DIR] [--quiet]

A benchmark, not a test. A dataset folder is laid out as ../shared/extraction-dev/'s sets are
(``ground_truth.jsonl``: ``id``, ``file``, ``url``, ``body``, ``lang``; the raw pages beside it).
Its pages are grouped into sites by host (``--group domain``: by registrable domain, so that
sister hosts such as news.sina.com.cn and finance.sina.com.cn make one site), and each site is
built in a temporary folder as a fixture site: every page saved at its own URL (its original
bytes, query strings and all) with ``headers.json`` recording ``Content-Type: text/html`` and
no charset (these sets keep no response headers; the page's own meta tag decides, as on most
old CMSes), and a listing page written here, linking each page under its headline as the
generic extractor reads it, with no dates on it, so that every date must come from the page or
its URL. A site with one page lists it twice (as a headline and a picture link would), since a
listing of one entry is no listing; the crawl keeps one item.

All sites of a set are served by one tjcrawl.fixture_server on 127.0.0.1, which answers by the
absolute URL or the Host header. Then, per site, as subprocesses (``--jobs`` sites at a time):

  tjcrawl source new LISTING_URL --slug SLUG -o SOURCES/SLUG.toml --proxy HOST=SERVER …
  TJCRAWL_SOURCES_DIR=SOURCES tjcrawl crawl SLUG --full --db ARCHIVE --proxy HOST=SERVER …

the proposal crawled unchanged. ``--proxy`` maps each host of the site to the server (https
pages too, fetched from it over plain HTTP); every other request goes to the same server
through ``http_proxy``/``https_proxy`` (``no_proxy`` empty), so nothing can reach the real
network. The crawl gets tjcrawl.runner.LOOPBACK_FAST_SETTINGS through ``TJCRAWL_SETTINGS`` (the
site behind the proxy is ours: no delays), and both run at a frozen ``TJCRAWL_NOW``. Scores,
read from the archive's ``current_articles``:

  archived   pages archived as an article
  body F1    bench/extraction.py's metric (4-token shingles, AEB averaging) against the
             labelled body; a page not archived scores an empty body
  date       share of date-labelled pages archived with the labelled day (labels from
             bench/labels/<set>-*dates.jsonl: the 57 Chinese pages of magic-article; pages of
             other sets have no date labels and are left out of this figure)
  verdict    `source new`'s verdict, ok or unsure (crash: it wrote no proposal)
  exits      the exit codes of both commands; any non-zero one is counted and its site shown,
             and makes the benchmark exit 1
  faults     rows in the crawl's faults table (a selector that missed, a page that failed)

Nothing is copied into the repository; the temporary folders are removed (``--keep DIR``
keeps them, with each command's output, for a look).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extraction import body_prf, default_date_files, load_rows, page_tp_fp_fn, to_day
from w3lib.url import safe_url_string

from tjcrawl.extract.generic import decode_page, extract_article, parse_html
from tjcrawl.fixture_paths import SiteWriter
from tjcrawl.fixture_server import HEADERS_FILE, FixtureServer, serving
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS
from tjcrawl.source_new.sampling import registrable_domain
from tjcrawl.urls import canonical_url

FETCHED_AT = datetime.fromisoformat("2025-06-01T12:00:00+08:00")
LISTING_PATH = "/tjcrawl-bench/list/index.html"


COMMAND_TIMEOUT = 600  # seconds for one command on one site: a hang is counted, not waited on


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
    exits: dict[str, int | None] = field(default_factory=dict)  # command -> exit code
    faults: int = 0  # rows in the crawl's faults table
    seconds: float = 0.0
    lang_zh: bool = False


@dataclass
class Site:
    name: str
    slug: str
    rows: list[dict[str, Any]]
    hosts: list[str]
    listing_url: str
    titles: dict[str, str]


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


def build_site(
    name: str, slug: str, rows: list[dict[str, Any]], dataset: Path, sites_dir: Path
) -> tuple[Site, dict[str, Path]]:
    """The site's pages as fixture folders (one per host, each with its headers.json)."""
    writers: dict[str, SiteWriter] = {}
    recorded: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(dict)
    titles = {}
    for row in rows:
        raw = (dataset / row["file"]).read_bytes()
        host = (urlsplit(row["url"]).hostname or "").lower()
        if host not in writers:
            writers[host] = SiteWriter(sites_dir / host / "site")
        writers[host].add(row["url"], raw)
        recorded[host][row["url"]] = {"Content-Type": ["text/html"]}
        titles[row["id"]] = _headline(row, raw)
    listing_host = (urlsplit(rows[0]["url"]).hostname or "").lower()
    listing_url = f"{urlsplit(rows[0]['url']).scheme}://{listing_host}{LISTING_PATH}"
    writers[listing_host].add(listing_url, _listing(rows, titles))
    recorded[listing_host][listing_url] = {"Content-Type": ["text/html; charset=utf-8"]}
    for host, headers in recorded.items():
        (sites_dir / host / HEADERS_FILE).write_text(
            json.dumps(headers, ensure_ascii=False, indent=1), "utf-8"
        )
    folders = {host: sites_dir / host / "site" for host in writers}
    return Site(name, slug, rows, sorted(writers), listing_url, titles), folders


def _tjcrawl() -> list[str]:
    script = Path(sys.executable).with_name("tjcrawl")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tjcrawl.cli"]


def _environment(server: FixtureServer, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        # Anything not mapped by --proxy still goes to the fixture server, never out.
        env[name] = env[name.upper()] = server.proxy_url
    env["no_proxy"] = env["NO_PROXY"] = ""
    env["TJCRAWL_NOW"] = FETCHED_AT.isoformat()
    env["TJCRAWL_CONFIG"] = str(work / "no-config.toml")  # not the user's disabled list
    for name in ("TJCRAWL_SOURCES_DIR", "TJCRAWL_SETTINGS", "TJCRAWL_FIXTURES_DIR"):
        env.pop(name, None)
    return env


def _run(command: list[str], env: dict[str, str], log: Path) -> tuple[int | None, str]:
    try:
        done = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        log.write_text(f"$ {' '.join(command)}\ntimed out\n{out}", "utf-8")
        return None, out
    log.write_text(
        f"$ {' '.join(command)}\nexit {done.returncode}\n{done.stdout}\n--- stderr\n{done.stderr}",
        "utf-8",
    )
    return done.returncode, done.stdout + done.stderr


def _archived(db: Path) -> tuple[dict[str, dict[str, Any]], int]:
    """The crawl's articles by URL, and its fault count."""
    if not db.is_file():
        return {}, 0
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT url, body, published_at FROM current_articles")
        items = {_key(row["url"]): dict(row) for row in rows}
        faults = connection.execute("SELECT count(*) FROM faults").fetchone()[0]
    return items, faults


def _key(url: str) -> str:
    return canonical_url(safe_url_string(url))


def run_site(site: Site, server: FixtureServer, work: Path) -> SiteResult:
    result = SiteResult(site.name, len(site.rows))
    result.lang_zh = all(r.get("lang") == "zh" for r in site.rows)
    folder = work / site.slug
    folder.mkdir(parents=True)
    proposal = folder / "sources" / f"{site.slug}.toml"
    proxies = [arg for host in site.hosts for arg in ("--proxy", f"{host}={server.proxy_url}")]
    env = _environment(server, folder)
    started = time.perf_counter()
    new = [*_tjcrawl(), "source", "new", site.listing_url, "--slug", site.slug]
    code, output = _run([*new, "-o", str(proposal), *proxies], env, folder / "source-new.log")
    result.exits["new"] = code
    if verdict := re.search(r"^verdict: (\w+)", output, re.M):
        result.verdict = verdict.group(1)
        reasons = re.findall(r"^  (\S.*)$", output[verdict.end() :], re.M)
        result.note = "; ".join(reasons)[:160]
    if code != 0 or not proposal.is_file():
        result.verdict = "crash"
        result.note = (output.strip().splitlines() or ["(no output)"])[-1][:160]
    else:
        env["TJCRAWL_SOURCES_DIR"] = str(proposal.parent)
        env["TJCRAWL_SETTINGS"] = json.dumps(LOOPBACK_FAST_SETTINGS)
        db = folder / "archive.db"
        crawl = [*_tjcrawl(), "crawl", site.slug, "--full", "--db", str(db), *proxies]
        crawl += ["--log-level", "WARNING"]
        code, output = _run(crawl, env, folder / "crawl.log")
        result.exits["crawl"] = code
        if code != 0:
            errors = [ln for ln in output.splitlines() if ln.startswith("error")]
            result.note = (result.note + " | crawl: " + "; ".join(errors or ["?"]))[:200]
        items, result.faults = _archived(db)
        for row in site.rows:
            item = items.get(_key(row["url"]))
            result.archived += item is not None
            result.body.append(page_tp_fp_fn(row["body"], (item or {}).get("body") or ""))
            if "no_date" in row:
                result.dated += 1
                day = to_day((item or {}).get("published_at"))
                result.dated_right += day == (None if row["no_date"] else row["date"])
    if result.verdict == "crash":
        for row in site.rows:
            result.body.append(page_tp_fp_fn(row["body"], ""))
            result.dated += "no_date" in row
    result.seconds = time.perf_counter() - started
    return result


def _slug(index: int, name: str) -> str:
    return f"s{index:03d}_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]


def run_set(dataset: Path, args: argparse.Namespace, work: Path) -> list[SiteResult]:
    rows = load_rows(dataset, default_date_files(dataset))
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        host = (urlsplit(row["url"]).hostname or "").lower()
        grouped[registrable_domain(host) if args.group == "domain" else host].append(row)
    sites, roots = [], {}
    set_dir = work / dataset.name
    for index, (name, site_rows) in enumerate(sorted(grouped.items())):
        if args.only and args.only not in name:
            continue
        site, folders = build_site(name, _slug(index, name), site_rows, dataset, set_dir / "sites")
        sites.append(site)
        roots.update(folders)
    results = []
    with serving(roots) as server, ThreadPoolExecutor(args.jobs) as pool:
        for result in pool.map(lambda site: run_site(site, server, set_dir / "runs"), sites):
            results.append(result)
            if not args.quiet:
                _, _, f1 = body_prf(result.body)
                dates = f"{result.dated_right}/{result.dated}" if result.dated else "-"
                exits = ",".join(f"{k}={v}" for k, v in result.exits.items())
                print(
                    f"{dataset.name:14} {result.name[:32]:32} {result.archived}/{result.pages} "
                    f"F1 {f1:.2f} dates {dates:5} {result.verdict:6} {exits:14} "
                    f"faults {result.faults} {result.seconds:5.1f}s {result.note}",
                    flush=True,
                )
        stray = sorted({host for host, _ in server.requests if host not in roots})
    if stray:  # caught by http(s)_proxy: links off the sites, answered 404 here, never fetched
        print(f"{dataset.name}: {len(stray)} hosts asked for but not served: {', '.join(stray)}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("datasets", nargs="+", type=Path, help="folders with ground_truth.jsonl")
    parser.add_argument("--group", choices=("host", "domain"), default="host")
    parser.add_argument("--only", help="sites whose name contains this text")
    parser.add_argument("--jobs", type=int, default=2, help="sites run at a time (default 2)")
    parser.add_argument("--keep", type=Path, help="keep the sites, proposals and logs here")
    parser.add_argument("--quiet", action="store_true", help="totals only")
    args = parser.parse_args(argv)
    if args.keep and args.keep.exists():
        parser.error(f"{args.keep} exists; --keep wants a new folder")
    work = args.keep or Path(tempfile.mkdtemp(prefix="tjcrawl-bench-"))
    started = time.perf_counter()
    totals: list[SiteResult] = []
    try:
        for dataset in args.datasets:
            results = run_set(dataset, args, work)
            _summary(dataset.name, results)
            zh = [r for r in results if r.lang_zh]
            if zh and len(zh) < len(results):
                _summary(f"{dataset.name} (sites of lang = zh pages)", zh)
            totals += results
        if len(args.datasets) > 1:
            _summary("all", totals)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"wall time {time.perf_counter() - started:.0f}s with --jobs {args.jobs}")
    # As bench/README.md says: non-zero when a command went wrong (crashed, timed out, exit 3).
    return 1 if any(code != 0 for r in totals for code in r.exits.values()) else 0


def _summary(label: str, results: list[SiteResult]) -> None:
    pages = sum(r.pages for r in results)
    archived = sum(r.archived for r in results)
    _, _, f1 = body_prf([x for r in results for x in r.body])
    dated = sum(r.dated for r in results)
    right = sum(r.dated_right for r in results)
    verdicts: dict[str, int] = defaultdict(int)
    for r in results:
        verdicts[r.verdict] += 1
    shown = ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
    date_text = f"{right}/{dated} = {right / dated:.3f}" if dated else "no labels"
    failed = [f"{r.name} ({k}={v})" for r in results for k, v in r.exits.items() if v != 0]
    print(
        f"== {label}: {len(results)} sites, {pages} pages: archived {archived}/{pages} = "
        f"{archived / pages if pages else 0:.3f}; body F1 {f1:.3f}; dates {date_text}; "
        f"verdicts {shown}; faults {sum(r.faults for r in results)}; "
        f"non-zero exits {len(failed)}"
        + (f" [{', '.join(failed)}]" if failed else "")
        + f"; {sum(r.seconds for r in results):.0f}s",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
