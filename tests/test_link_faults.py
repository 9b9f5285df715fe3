"""Links that lead nowhere, pages that break the extraction, entries on other hosts: each is a
recorded, counted fault, and the walk goes on.

tests/link_server.py serves the site on 127.0.0.1 as a proxy for links.tjcrawl.test. Two crawls
through the CLI: `link_site`, whose page faults are single pages (exit 0, every good article
archived), and four sources that are failing as a whole (exit 3, each named): a detail selector
and a listing selector that fail at run time, a source whose entries mostly lie on other hosts,
and a source whose items meet an error in an item pipeline.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, run_cli
from link_server import (
    ARTICLES,
    BAD_ATTACHMENT,
    BAD_ENTRY_LINKS,
    BAD_NEXT_LINK,
    BASE_URL,
    HOST,
    OFFSITE_ENTRY,
    OFFSITE_HOST,
    REDIRECT_TARGET,
    REDIRECTED_ENTRY,
    LinkServer,
)
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from tjcrawl.profiles import parse_profile
from tjcrawl.runner import judge
from tjcrawl.spiders import spider_class

SOURCES_DIR = REPO / "tests" / "link_site"
# Loopback, but say so explicitly: the crawl must not wait out polite delays whatever --proxy
# implies about them.
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0}
PIPELINES = {
    "tjcrawl.pipelines.ValidatePipeline": 100,
    "tjcrawl.pipelines.NormalisePipeline": 200,
    "link_server.ExplodingPipeline": 250,
    "tjcrawl.pipelines.DeduplicatePipeline": 300,
    "tjcrawl.pipelines.ArchivePipeline": 400,
}
FAILING = (
    "link_site_detail_xpath",
    "link_site_listing_xpath",
    "link_site_offsite",
    "link_site_pipeline_breaks",
)


@dataclass
class LinkCrawl:
    db: Path
    result: subprocess.CompletedProcess[str]
    hits: Counter[str]

    def context(self) -> str:
        return f"exit {self.result.returncode}; stderr:\n{self.result.stderr[-3000:]}"

    def query(self, sql: str, *params: object) -> list[sqlite3.Row]:
        assert self.db.exists(), f"no archive was written; {self.context()}"
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def faults(self, source: str, kind: str) -> list[sqlite3.Row]:
        return self.query(
            "SELECT url, kind, detail FROM faults WHERE source = ? AND kind = ?", source, kind
        )

    def run(self, source: str) -> sqlite3.Row:
        runs = self.query("SELECT * FROM crawl_runs WHERE source = ?", source)
        assert len(runs) == 1, f"{len(runs)} crawl_runs rows for {source}; {self.context()}"
        return runs[0]

    def articles(self, source: str) -> dict[str, sqlite3.Row]:
        rows = self.query("SELECT url, title, body FROM articles WHERE source = ?", source)
        return {row["url"]: row for row in rows}


def _crawl(tmp: Path, slugs: tuple[str, ...], settings: dict[str, object]) -> LinkCrawl:
    db = tmp / "links.db"
    env = {
        "TJCRAWL_SOURCES_DIR": str(SOURCES_DIR),
        "TJCRAWL_SETTINGS": json.dumps(settings),
        # The exploding pipeline lives in tests/link_server.py.
        "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    with LinkServer() as server:
        result = run_cli(
            "crawl", *slugs, "--db", str(db), "--proxy", f"{HOST}={server.proxy_url}", env=env
        )
        hits = server.snapshot()
    return LinkCrawl(db, result, hits)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> LinkCrawl:
    return _crawl(tmp_path_factory.mktemp("links"), ("link_site",), FAST)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> LinkCrawl:
    return _crawl(
        tmp_path_factory.mktemp("failing"), FAILING, {**FAST, "ITEM_PIPELINES": PIPELINES}
    )


# -- one bad link never ends a crawl ---------------------------------------------------------


def test_bad_links_cost_only_their_own_entry(good: LinkCrawl) -> None:
    # Bad links cost nothing but their entries; the one page that moved to another host is an
    # article lost, and the only thing the verdict names.
    assert good.result.returncode == 3, good.context()
    errors = [line for line in good.result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: link_site: 1 of 8 articles lost (offsite 1)"], good.context()
    assert "Traceback" not in good.result.stderr, good.context()
    assert good.run("link_site")["finish_reason"] == "finished"
    # Every good article, before and after each bad link and on the page after them, archived.
    archived = good.articles("link_site")
    assert set(archived) == {a.url for a in ARTICLES}, good.context()
    assert good.hits["/news/index_1.html"] == 1, "the walk went on to the second listing page"


def test_each_bad_link_is_one_fault_with_its_raw_href(good: LinkCrawl) -> None:
    rows = good.faults("link_site", "bad_link")
    expected = {
        *((BASE_URL + "/news/index.html", "listing.link", href) for href in BAD_ENTRY_LINKS),
        (BASE_URL + "/news/index_1.html", "pagination.next", BAD_NEXT_LINK),
        (ARTICLES[4].url, "attachments", BAD_ATTACHMENT),
    }
    found = []
    for row in rows:
        matches = [e for e in expected if row["detail"].startswith(f"{e[1]} {e[2]!r}: ")]
        assert len(matches) == 1, f"unexpected bad_link row {dict(row)}"
        assert row["url"] == matches[0][0], dict(row)
        found.append(matches[0])
    assert sorted(found) == sorted(expected), [dict(r) for r in rows]
    counted = json.loads(good.run("link_site")["faults"])
    assert counted.get("bad_link") == len(expected), counted


def test_a_broken_next_link_ends_the_walk_with_a_fault_not_a_crash(good: LinkCrawl) -> None:
    assert "/news/index_2.html" not in good.hits
    assert good.run("link_site")["listing_pages"] == 2


# -- deeply nested pages ----------------------------------------------------------------------


def test_a_page_nested_1000_deep_is_archived_whole(good: LinkCrawl) -> None:
    deep = ARTICLES[3]
    assert deep.depth == 1000
    row = good.articles("link_site").get(deep.url)
    assert row is not None, f"not archived; {good.context()}"
    assert row["body"].splitlines() == list(deep.paragraphs)
    assert not good.faults("link_site", "extraction_failed")


def test_a_page_nested_past_the_parsers_limit_is_archived_and_flagged(good: LinkCrawl) -> None:
    deep = ARTICLES[5]
    assert deep.depth == 5000
    row = good.articles("link_site").get(deep.url)
    assert row is not None, f"not archived; {good.context()}"
    # The parser reads what lies above its depth limit; the rest is lost, and a fault says so.
    assert row["body"].splitlines()[0] == deep.paragraphs[0]
    flagged = [r["url"] for r in good.faults("link_site", "too_deep")]
    assert flagged == [deep.url], flagged


# -- offsite ----------------------------------------------------------------------------------


def test_offsite_entries_and_redirects_are_recorded(good: LinkCrawl) -> None:
    rows = {row["url"]: row["detail"] for row in good.faults("link_site", "offsite")}
    assert set(rows) == {OFFSITE_ENTRY, REDIRECT_TARGET}, rows
    assert f"redirected from {BASE_URL}{REDIRECTED_ENTRY}" in rows[REDIRECT_TARGET]
    counted = json.loads(good.run("link_site")["faults"])
    assert counted.get("offsite") == 2, counted
    assert not any(OFFSITE_HOST in path for path in good.hits), "offsite hosts are not fetched"


def test_a_source_whose_entries_are_mostly_offsite_is_failing(failing: LinkCrawl) -> None:
    assert failing.result.returncode == 3, failing.context()
    rows = failing.faults("link_site_offsite", "offsite")
    assert len(rows) == 3, [dict(r) for r in rows]
    assert "error: link_site_offsite: 3 of 4 entries lead outside" in failing.result.stderr


# -- every exception in a callback or pipeline is a recorded failure -------------------------


def test_a_detail_selector_failing_at_run_time_fails_each_page(failing: LinkCrawl) -> None:
    slug = "link_site_detail_xpath"
    assert failing.result.returncode == 3, failing.context()
    rows = failing.faults(slug, "extraction_failed")
    assert {r["url"] for r in rows} == {a.url for a in ARTICLES}, [dict(r) for r in rows]
    assert all("XPathEvalError" in r["detail"] for r in rows), [dict(r) for r in rows]
    # Every article, and the page that redirects to another host.
    assert failing.run(slug)["items_failed"] == len(ARTICLES) + 1
    assert f"error: {slug}: extraction raised an error on {len(ARTICLES)}" in (
        failing.result.stderr
    )
    # The raw pages are kept, for a re-extraction once the profile is mended (one row a URL,
    # whichever of this run's sources on the host fetched it first).
    stored = failing.query("SELECT url FROM pages WHERE kind = 'detail'")
    assert {r["url"] for r in stored} >= {a.url for a in ARTICLES}


def test_a_listing_selector_failing_at_run_time_is_a_failure(failing: LinkCrawl) -> None:
    slug = "link_site_listing_xpath"
    rows = failing.faults(slug, "extraction_failed")
    assert [r["url"] for r in rows] == [BASE_URL + "/news/index.html"], [dict(r) for r in rows]
    # A listing page lost: its entries are unknown, so no article is counted, but the run's
    # losses name it.
    assert failing.run(slug)["items_failed"] == 0
    assert json.loads(failing.run(slug)["losses"]) == {"listing": {"extraction_failed": 1}}
    assert f"error: {slug}: extraction raised an error on 1 " in failing.result.stderr
    # Named as what it is, not as a listing that matched nothing or could not be fetched.
    assert f"error: {slug}: no listing page" not in failing.result.stderr
    assert f"error: {slug}: field listing" not in failing.result.stderr


def test_an_error_in_an_item_pipeline_is_a_recorded_failure(failing: LinkCrawl) -> None:
    slug = "link_site_pipeline_breaks"
    rows = failing.faults(slug, "extraction_failed")
    expected = {a.url for a in ARTICLES[4:]}
    assert {r["url"] for r in rows} == expected, [dict(r) for r in rows]
    assert all("KeyError" in r["detail"] for r in rows), [dict(r) for r in rows]
    assert failing.run(slug)["items_failed"] == len(expected)
    assert not failing.articles(slug)
    assert f"error: {slug}: extraction raised an error on {len(expected)}" in (
        failing.result.stderr
    )


# -- articles-mode listings: the entry carries its article, so a bad link costs only the link --

ARTICLES_PROFILE = """
name = "测试：列表即全文"
allowed_domains = ["links.tjcrawl.test"]
start_urls = ["http://links.tjcrawl.test/inline/index.html"]

[listing]
mode = "articles"
entries = "div.item"
link = "./a/@href"
title = "./a"
body = "div.body"
"""


def test_an_articles_mode_entry_with_a_bad_link_keeps_its_article() -> None:
    profile = parse_profile(Path("link_inline.toml"), ARTICLES_PROFILE)
    hrefs = ["/inline/1.html", "javascript:void(0)", "http://[::1/inline/3.html"]
    entries = "".join(
        f'<div class="item"><a href="{href}">标题{n}</a><div class="body">正文{n}</div></div>'
        for n, href in enumerate(hrefs)
    )
    response = HtmlResponse(
        url=profile.start_urls[0],
        body=f"<html><body>{entries}</body></html>".encode(),
        encoding="utf-8",
        request=Request(profile.start_urls[0], meta={"page_kind": "listing"}),
    )
    faults: list[dict[str, object]] = []

    class Signals:
        def send_catch_log(self, signal: object, **kwargs: object) -> list[object]:
            faults.append(kwargs)
            return []

    spider = spider_class(profile)()
    spider.crawler = SimpleNamespace(  # type: ignore[assignment]
        stats=None, signals=Signals(), settings=Settings({"TJCRAWL_ATTACHMENTS": False})
    )
    items = list(spider.parse_listing(response, page=1, first_url=response.url))
    assert [item["body"] for item in items] == ["正文0", "正文1", "正文2"]
    assert items[0]["url"] == BASE_URL + hrefs[0] and items[0]["entry_key"] is None
    # The two others are kept under the identity of an entry without a link.
    assert all(item["url"] == response.url and item["entry_key"] for item in items[1:])
    assert [(f["kind"], f["detail"]) for f in faults] == [
        ("bad_link", "listing.link 'javascript:void(0)': not a web page link (javascript)"),
        ("bad_link", "listing.link 'http://[::1/inline/3.html': not a URL (Invalid IPv6 URL)"),
    ]


# -- how a run is judged -------------------------------------------------------------------


def _judge(**counts: int) -> list[str]:
    profile = parse_profile(SOURCES_DIR / "link_site.toml")
    stats = {"finish_reason": "finished", **{f"tjcrawl/{k}": v for k, v in counts.items()}}
    return judge(profile, stats, 0.9)


def test_a_listing_whose_extraction_raised_is_named_once_for_what_it_is() -> None:
    problems = _judge(listing_pages=1, listing_entries=0, extraction_errors=1, items_failed=1)
    assert problems == [
        "link_site: extraction raised an error on 1 pages or items"
        " (faults of kind extraction_failed name each)"
    ]


@pytest.mark.parametrize(("offsite", "failing"), [(0, False), (5, False), (6, True), (10, True)])
def test_a_source_is_failing_when_most_entries_are_offsite(offsite: int, failing: bool) -> None:
    problems = _judge(
        listing_pages=1, listing_entries=10, items_seen=10 - offsite, **{"offsite/detail": offsite}
    )
    assert any("lead outside allowed_domains" in p for p in problems) == failing, problems
