"""A site that misbehaves in every way a portal does: the crawl copes, records, keeps the good.

tests/fault_server.py serves 500s, 503s with Retry-After, a timeout, a connection reset, a
truncated body, a 10 MB page, a redirect loop, a page robots.txt forbids, a wrong Content-Type,
binary junk, a lying charset, an empty 200 and an endless calendar of listing pages. One crawl
through the CLI (the server as proxy for faults.tjcrawl.test); then each test checks one promise:
a normal exit, every good page archived, nothing bad archived, each fault recorded once per page
with its kind, the run's counts matching, and, from the server's side, retries and caps.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from fault_server import (
    ARCHIVABLE_URLS,
    ARTICLES_BY_PATH,
    BASE_URL,
    FAULT_PATHS,
    GOOD_ARTICLES,
    HOST,
    LISTING_PATHS,
    LOOP_B,
    FaultServer,
    calendar_path,
)

from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

SOURCES_DIR = REPO / "tests" / "fault_site"
SLUG = "fault_site"
MAX_PAGES = tomllib.loads((SOURCES_DIR / f"{SLUG}.toml").read_text("utf-8"))["pagination"][
    "max_pages"
]
DOWNLOAD_TIMEOUT = 2
RETRY_TIMES = 2
CRAWL_TIMEOUT = 120  # seconds; the crawl itself takes well under 60

# Every faulty page, with the kinds acceptable for its one row in `faults`.
LOST_PAGES: dict[str, set[str]] = {
    "/news/fault/500.html": {"http_500"},
    "/news/fault/503-always.html": {"http_503"},
    "/news/fault/timeout.html": {"timeout"},
    "/news/fault/reset.html": {"connection_lost", "truncated"},
    "/news/fault/huge.html": {"too_large"},
    "/news/fault/loop.html": {"redirect_loop"},
    "/news/fault/private.html": {"robots_disallowed"},
    "/news/fault/junk.html": {"undecodable"},
    "/news/fault/empty.html": {"empty_body"},
}
# Faulty pages that are good articles all the same: recorded and archived.
SAVED_PAGES: dict[str, set[str]] = {
    "/news/fault/wrong-type.html": {"wrong_content_type"},
    # What arrived before the connection closed is kept, flagged incomplete, due again.
    "/news/fault/truncated.html": {"incomplete"},
}
CUT_URL = BASE_URL + "/news/fault/truncated.html"
# Pages that may carry a row or not: the 503 that a retry cured, the charset that lied.
MAY_RECORD: dict[str, set[str] | None] = {
    "/news/fault/503.html": {"http_503"},
    "/news/fault/lying.html": None,  # any kind
}
KINDS = {
    "http_500",
    "http_503",
    "timeout",
    "connection_lost",
    "truncated",
    "too_large",
    "redirect_loop",
    "robots_disallowed",
    "wrong_content_type",
    "undecodable",
    "empty_body",
    "pagination_cap",
    "incomplete",
}

# The trap: 2 real listing pages, then calendar months for ever; the cap stops it at MAX_PAGES.
FETCHED_LISTINGS = [*LISTING_PATHS, *(calendar_path(n) for n in range(MAX_PAGES - 2))]
FIRST_UNFETCHED_LISTING = calendar_path(MAX_PAGES - 2)
# Where a pagination_cap row may point: the start URL, the last page read, the page not read.
CAP_URLS = {
    BASE_URL + LISTING_PATHS[0],
    BASE_URL + FETCHED_LISTINGS[-1],
    BASE_URL + FIRST_UNFETCHED_LISTING,
}


def url(path: str) -> str:
    return BASE_URL + path


@dataclass
class FaultCrawl:
    db: Path
    result: subprocess.CompletedProcess[str]
    hits: Counter[str]
    seconds: float

    def context(self) -> str:
        """What to show when an assertion fails: the exit and the end of the log."""
        return f"exit {self.result.returncode}; stderr:\n{self.result.stderr[-3000:]}"

    def query(self, sql: str, *params: object) -> list[sqlite3.Row]:
        assert self.db.exists(), f"no archive was written; {self.context()}"
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def run(self) -> sqlite3.Row:
        runs = self.query("SELECT * FROM crawl_runs WHERE source = ?", SLUG)
        assert len(runs) == 1, f"{len(runs)} crawl_runs rows; {self.context()}"
        return runs[0]

    def faults(self) -> list[sqlite3.Row]:
        return self.query(
            "SELECT url, kind, detail FROM faults WHERE run_id = ? AND source = ?",
            self.run()["run_id"],
            SLUG,
        )


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> FaultCrawl:
    db = tmp_path_factory.mktemp("faults") / "a.db"
    env = {
        "TJCRAWL_SOURCES_DIR": str(SOURCES_DIR),
        # The site behind the proxy is ours: no delays, said explicitly (a --proxy alone on
        # 127.0.0.1 keeps the polite defaults).
        "TJCRAWL_SETTINGS": json.dumps(
            {
                **LOOPBACK_FAST_SETTINGS,
                "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
                "RETRY_TIMES": RETRY_TIMES,
            }
        ),
    }
    # The timeout page answers only after the client has given up; stopping the server ends
    # that wait (and the 10 MB stream) at once.
    with FaultServer(timeout_sleep=DOWNLOAD_TIMEOUT + 3) as server:
        started = time.monotonic()
        result = run_cli(
            "crawl",
            SLUG,
            "--db",
            str(db),
            "--proxy",
            f"{HOST}={server.proxy_url}",
            env=env,
            timeout=CRAWL_TIMEOUT,
        )
        seconds = time.monotonic() - started
        hits = server.snapshot()
    return FaultCrawl(db, result, hits, seconds)


def test_the_crawl_finishes_and_counts_every_lost_article(crawl: FaultCrawl) -> None:
    # Faults on single pages do not stop the crawl: it finishes, with no traceback anywhere.
    # But every article it could not archive is lost, counted and named: exit 3.
    assert crawl.result.returncode == 3, crawl.context()
    assert "Traceback" not in crawl.result.stderr, crawl.context()
    run = crawl.run()
    assert run["finish_reason"] == "finished", crawl.context()
    assert run["finished_at"], "the run is marked finished"
    lost = json.loads(run["losses"])["article"]
    assert sum(lost.values()) == len(LOST_PAGES) == run["items_failed"], lost
    assert set(lost) <= set().union(*LOST_PAGES.values()), lost
    # The page cut short arrived (kept flagged incomplete): not lost, and said apart.
    total = len(LOST_PAGES) + len(ARCHIVABLE_URLS) + 1
    assert f"{len(LOST_PAGES)} failed" in crawl.result.stdout, crawl.context()
    assert f"error: {SLUG}: {len(LOST_PAGES)} of {total} articles lost (" in crawl.result.stderr
    assert f"error: {SLUG}: 1 article page arrived cut short" in crawl.result.stderr


def test_the_crawl_drops_its_delays_when_told_the_site_is_ours(crawl: FaultCrawl) -> None:
    # 3 timeouts of 2 s and a few short back-offs; the polite 1 s delay would take far longer.
    assert crawl.seconds < 60, f"{crawl.seconds:.0f} s; {crawl.context()}"


def test_every_fault_happened_on_the_server(crawl: FaultCrawl) -> None:
    asked = {path for path in FAULT_PATHS if crawl.hits[path]}
    never = set(FAULT_PATHS) - asked
    assert never == {"/news/fault/private.html"}, f"never requested: {sorted(never)}"
    assert crawl.hits[LOOP_B] >= 1, "the redirect was followed to the loop's second page"


def test_every_good_page_is_archived_cleanly(crawl: FaultCrawl) -> None:
    rows = {
        row["url"]: row
        for row in crawl.query(
            "SELECT url, title, body, published_at FROM articles WHERE source = ?", SLUG
        )
    }
    missing = sorted(set(ARCHIVABLE_URLS) - set(rows))
    assert not missing, f"not archived: {missing}; {crawl.context()}"
    for path, article in ARTICLES_BY_PATH.items():
        row = rows[url(path)]
        assert row["title"] == article.title, path
        assert row["body"].splitlines() == list(article.paragraphs), path
        assert (row["published_at"] or "").startswith(article.date), path
        assert "\ufffd" not in row["title"] + row["body"], f"{path}: U+FFFD in the archive"


def test_no_bad_page_is_archived(crawl: FaultCrawl) -> None:
    # Junk, an empty page, error pages, the late answer to the timeout, a forbidden page: none
    # becomes an article. The archive holds the good articles and nothing else.
    rows = crawl.query("SELECT url, incomplete FROM articles WHERE source = ?", SLUG)
    urls = {row["url"] for row in rows if not row["incomplete"]}
    assert urls == set(ARCHIVABLE_URLS), f"unexpected: {sorted(urls - set(ARCHIVABLE_URLS))}"
    # The truncated page's first 1000 bytes, flagged: kept, never taken for a whole article.
    assert [row["url"] for row in rows if row["incomplete"]] == [CUT_URL]


def test_each_faulty_page_is_recorded_once_with_its_kind(crawl: FaultCrawl) -> None:
    rows = crawl.faults()
    by_url: dict[str, list[str]] = {}
    for row in rows:
        # The loop may be recorded on either of its two pages.
        key = url("/news/fault/loop.html") if row["url"] == url(LOOP_B) else row["url"]
        by_url.setdefault(key, []).append(row["kind"])

    problems = [f"unknown kind {k!r}" for k in sorted({r["kind"] for r in rows} - KINDS)]
    for path, kinds in {**LOST_PAGES, **SAVED_PAGES}.items():
        recorded = by_url.pop(url(path), [])
        if len(recorded) != 1 or recorded[0] not in kinds:
            problems.append(f"{path}: expected one row of {sorted(kinds)}, got {recorded}")
    caps = [u for u, kinds in by_url.items() if "pagination_cap" in kinds]
    if len(caps) != 1 or caps[0] not in CAP_URLS or by_url.pop(caps[0]) != ["pagination_cap"]:
        problems.append(f"expected one pagination_cap row at one of {sorted(CAP_URLS)}: {caps}")
    for path, kinds in MAY_RECORD.items():
        recorded = by_url.pop(url(path), [])
        if len(recorded) > 1 or (kinds is not None and not set(recorded) <= kinds):
            problems.append(f"{path}: at most one row of {kinds or 'any kind'}, got {recorded}")
    problems += [f"{u}: rows for a page without a fault: {kinds}" for u, kinds in by_url.items()]

    table = "\n".join(f"  {r['kind']:20} {r['url']}  {r['detail']}"[:200] for r in rows)
    assert not problems, "\n".join([*problems, "faults table:", table])


def test_the_run_counts_each_fault_kind(crawl: FaultCrawl) -> None:
    run = crawl.run()
    counted = json.loads(run["faults"] or "{}")
    in_table = Counter(row["kind"] for row in crawl.faults())
    assert counted == dict(in_table), f"crawl_runs.faults {counted} != faults table {in_table}"
    for kind in ("http_500", "http_503", "timeout", "too_large", "redirect_loop"):
        assert counted.get(kind, 0) >= 1, f"{kind} not counted in {counted}"
    assert counted.get("connection_lost", 0) + counted.get("truncated", 0) == 1, counted
    assert counted.get("incomplete") == 1, counted
    for kind in ("robots_disallowed", "wrong_content_type", "undecodable", "empty_body"):
        assert counted.get(kind) == 1, f"{kind}: {counted}"
    assert counted.get("pagination_cap") == 1, counted


def test_the_server_saw_a_well_behaved_crawler(crawl: FaultCrawl) -> None:
    hits = crawl.hits
    # A 5xx is retried RETRY_TIMES times, no more; a 503 that clears up is fetched once more.
    assert hits["/news/fault/500.html"] == 1 + RETRY_TIMES, hits
    assert hits["/news/fault/503-always.html"] == 1 + RETRY_TIMES, hits
    assert hits["/news/fault/503.html"] == 2, hits
    # Network failures are retried within the same budget (Twisted may re-send a request once
    # on a kept-alive connection that was reset, hence the doubled bound for the reset).
    assert 1 <= hits["/news/fault/timeout.html"] <= 1 + RETRY_TIMES, hits
    assert 1 <= hits["/news/fault/truncated.html"] <= 1 + RETRY_TIMES, hits
    assert 1 <= hits["/news/fault/reset.html"] <= 2 * (1 + RETRY_TIMES), hits
    # A page known to be too large is not asked for again; a loop is left, not followed round.
    assert hits["/news/fault/huge.html"] == 1, hits
    assert hits["/news/fault/loop.html"] + hits[LOOP_B] <= 2 * (1 + RETRY_TIMES), hits
    # robots.txt: read once, obeyed.
    assert hits["/robots.txt"] == 1, hits
    assert hits["/news/fault/private.html"] == 0, hits
    # The calendar trap: exactly MAX_PAGES listing pages, each once, and not one more.
    listings = {p: n for p, n in hits.items() if p.startswith(("/news/index", "/news/cal/"))}
    assert listings == dict.fromkeys(FETCHED_LISTINGS, 1), listings
    assert hits[FIRST_UNFETCHED_LISTING] == 0
    # Good pages: each fetched once.
    for article in GOOD_ARTICLES:
        assert hits[article.path] == 1, (article.path, hits[article.path])
