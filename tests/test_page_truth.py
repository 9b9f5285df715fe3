"""Pages that are wrong without any error saying so: each is stored for what it is, or recorded.

tests/truth_server.py serves the site on 127.0.0.1 for three hosts. Two crawls through the CLI,
an hour apart on a frozen clock: in the first, two detail pages arrive cut short (a
Content-Length shorter than the page, and a connection that closes before its Content-Length);
before the second the server serves every page whole.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, run_cli
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from truth_server import (
    BAD_REFERENCE,
    CUT,
    ELSEWHERE_HOST,
    FFFD,
    GOOD,
    INLINE_ENTRIES,
    MOVED,
    SHORT,
    WEEKLY,
    TruthServer,
)

from tjcrawl.completeness import ClosingHabit, why_incomplete
from tjcrawl.entry_keys import entry_key, title_only_key
from tjcrawl.profiles import parse_profile
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS
from tjcrawl.spiders import spider_class
from tjcrawl.storage.archive import CUT_AGAIN, Archive
from tjcrawl.storage.migrations import _entry_keys_by_title_and_date

SOURCES_DIR = REPO / "tests" / "truth_site"
RETRY_TIMES = 1
FIRST_RUN = "2025-09-02T10:00:00+08:00"
SECOND_RUN = "2025-09-02T11:00:00+08:00"


@dataclass
class Crawl:
    result: subprocess.CompletedProcess[str]
    hits: Counter[str]
    validators: dict[str, list[str | None]]

    def context(self) -> str:
        return f"exit {self.result.returncode}; stderr:\n{self.result.stderr[-3000:]}"


@dataclass
class TwoRuns:
    db: Path
    first: Crawl
    second: Crawl
    after_first: dict[str, dict[str, object]]  # the articles as the first run left them

    def query(self, sql: str, *params: object) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def article(self, url: str) -> sqlite3.Row:
        rows = self.query("SELECT * FROM articles WHERE url = ?", url)
        assert rows, f"{url} not archived; {self.first.context()}"
        return rows[0]

    def faults(self, run: int) -> dict[str, list[tuple[str, str]]]:
        run_ids = [r["run_id"] for r in self.query("SELECT DISTINCT run_id FROM crawl_runs")]
        rows = self.query(
            "SELECT url, kind, detail FROM faults WHERE run_id = ? ORDER BY id",
            sorted(run_ids)[run],
        )
        by_url: dict[str, list[tuple[str, str]]] = {}
        for row in rows:
            by_url.setdefault(row["url"], []).append((row["kind"], row["detail"]))
        return by_url


def _crawl(server: TruthServer, db: Path, now: str) -> Crawl:
    env = {
        "TJCRAWL_SOURCES_DIR": str(SOURCES_DIR),
        "TJCRAWL_NOW": now,
        "TJCRAWL_SETTINGS": json.dumps({**LOOPBACK_FAST_SETTINGS, "RETRY_TIMES": RETRY_TIMES}),
    }
    server.reset_counts()
    result = run_cli(
        "crawl", "truth_site", "truth_inline", "--db", str(db), *server.proxies(), env=env
    )
    return Crawl(result, server.snapshot(), dict(server.validators))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> TwoRuns:
    db = tmp_path_factory.mktemp("truth") / "truth.db"
    with TruthServer() as server:
        first = _crawl(server, db, FIRST_RUN)
        with sqlite3.connect(db) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM current_articles")
            after_first = {r["url"]: dict(r) for r in rows}
            for row in conn.execute("SELECT url, next_revisit_at FROM articles"):
                after_first[row["url"]]["next_revisit_at"] = row["next_revisit_at"]
        server.heal()
        second = _crawl(server, db, SECOND_RUN)
    return TwoRuns(db, first, second, after_first)


# -- pages cut short ----------------------------------------------------------------------------


def test_a_page_cut_by_a_short_content_length_is_flagged_not_stored_as_good(runs: TwoRuns) -> None:
    # The client reads the declared bytes and sees a 200 ending mid-paragraph, no </html>.
    assert runs.first.hits[CUT.path] == 1
    faults = runs.faults(0)[CUT.url]
    assert [kind for kind, _ in faults] == ["incomplete"], faults
    assert "without </body> or </html>" in faults[0][1]
    # What came is kept (nothing lost), flagged, and due again at once.
    stored = runs.after_first[CUT.url]
    assert (stored["incomplete"], stored["next_revisit_at"]) == (1, FIRST_RUN)
    assert stored["body"] == CUT.paragraphs[0] + "\n" + CUT.paragraphs[1][:4]


def test_a_page_cut_before_its_content_length_is_retried_then_kept_flagged(runs: TwoRuns) -> None:
    assert runs.first.hits[SHORT.path] == 1 + RETRY_TIMES, "a cut transfer is retried first"
    faults = runs.faults(0)[SHORT.url]
    assert [kind for kind, _ in faults] == ["incomplete"], faults
    assert "the connection closed early" in faults[0][1]
    stored = runs.after_first[SHORT.url]
    assert (stored["incomplete"], stored["next_revisit_at"]) == (1, FIRST_RUN)


def test_a_cut_page_is_fetched_whole_on_the_next_run(runs: TwoRuns) -> None:
    # Due at once, and asked for without the cut page's validators: the server's ETag names
    # the whole page, and a 304 would keep the cut text for ever.
    assert runs.second.hits[CUT.path] == 1, runs.second.hits
    assert runs.second.validators[CUT.path] == [None]
    assert runs.second.hits[SHORT.path] == 1, runs.second.hits
    for article in (CUT, SHORT):
        row = runs.article(article.url)
        assert row["incomplete"] == 0, article.url
        assert row["body"].splitlines() == list(article.paragraphs), article.url
    assert not {CUT.url, SHORT.url} & set(runs.faults(1)), runs.faults(1)
    assert "Traceback" not in runs.first.result.stderr + runs.second.result.stderr
    # Whole pages are not fetched again within their revisit interval.
    assert all(runs.second.hits[a.path] == 0 for a in GOOD)


def test_the_cut_text_of_a_whole_article_never_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TJCRAWL_NOW", SECOND_RUN)
    archive = Archive(tmp_path / "a.db")
    whole = {
        "url": "http://t.test/a.html",
        "source": "t",
        "title": "标题",
        "body": "第一段。\n第二段。",
        "content_hash": "whole",
    }
    assert archive.store_article(whole, None, "run1") == "new"
    cut = {**whole, "body": "第一段。", "content_hash": "cut", "incomplete": True}
    assert archive.store_article(cut, None, "run2") == CUT_AGAIN
    archive.commit()
    row = archive.conn.execute(
        "SELECT body, incomplete, next_revisit_at, (SELECT count(*) FROM revisions) FROM articles"
    ).fetchone()
    # The whole text stays, with no revision; the page is due again now.
    assert tuple(row) == ("第一段。\n第二段。", 0, SECOND_RUN, 0)
    archive.close()


def test_a_source_whose_pages_never_close_is_not_flagged() -> None:
    habit = ClosingHabit()
    unclosed = b"<html><body><p>" + "正文".encode() * 50
    reasons = [
        why_incomplete(unclosed, data_lost=False, content_length=None, habit=habit)
        for _ in range(4)
    ]
    # The first page is judged by the default (HTML pages close); the source's habit then wins.
    assert reasons[1:] == [None, None, None]
    closed = b"<html><body><p>x</p></body></html>"
    assert why_incomplete(closed, data_lost=False, content_length=None, habit=habit) is None
    assert why_incomplete(b'{"a": 1', data_lost=False, content_length=None, habit=habit) is None


# -- U+FFFD written by the site ------------------------------------------------------------------


@pytest.mark.parametrize("article", [FFFD, BAD_REFERENCE], ids=["literal", "char-ref"])
def test_a_replacement_character_in_clean_text_is_content(runs: TwoRuns, article: object) -> None:
    row = runs.article(article.url)  # type: ignore[attr-defined]
    assert "\ufffd" in row["body"]
    assert row["incomplete"] == 0
    assert article.url not in runs.faults(0)  # type: ignore[attr-defined]


# -- redirects -------------------------------------------------------------------------------------


def test_a_redirect_to_a_declared_host_is_followed(runs: TwoRuns) -> None:
    assert runs.first.hits[f"//{MOVED.host}{MOVED.path}"] == 1
    assert runs.article(MOVED.url)["body"] == MOVED.paragraphs[0]


def test_an_offsite_redirect_is_a_fault_naming_its_target(runs: TwoRuns) -> None:
    target = f"http://{ELSEWHERE_HOST}/news/away.html"
    faults = runs.faults(0)[target]
    assert [kind for kind, _ in faults] == ["offsite"]
    assert "redirected from http://truth.tjcrawl.test/news/away.html" in faults[0][1]
    assert not any(ELSEWHERE_HOST in key for key in runs.first.hits)


# -- articles-mode identity ------------------------------------------------------------------------


def test_articles_mode_entries_with_the_same_title_are_separate_articles(runs: TwoRuns) -> None:
    rows = runs.query("SELECT title, body FROM articles WHERE source = 'truth_inline'")
    assert sorted((r["title"], r["body"]) for r in rows) == sorted(
        (title, body) for title, _, body in INLINE_ENTRIES
    ), runs.first.context()
    assert sum(r["title"] == WEEKLY for r in rows) == 3
    second = runs.query(
        "SELECT items_new, items_changed FROM crawl_runs WHERE source = ? ORDER BY id DESC",
        "truth_inline",
    )[0]
    assert tuple(second) == (0, 0), "the same entries are the same articles on the next run"


INLINE_PROFILE = """
name = "测试：列表即全文"
allowed_domains = ["inline.test"]
start_urls = ["http://inline.test/list/index.html"]

[listing]
mode = "articles"
entries = "div.item"
title = "./h3"
date = "./span"
body = "div.body"
"""


def _entry_keys(entries: list[tuple[str, str, str]], listing_url: str) -> list[str]:
    profile = parse_profile(Path("inline.toml"), INLINE_PROFILE)
    html = "".join(
        f'<div class="item"><h3>{t}</h3><span>{d}</span><div class="body">{b}</div></div>'
        for t, d, b in entries
    )
    response = HtmlResponse(
        url=listing_url,
        body=f"<html><body>{html}</body></html>".encode(),
        encoding="utf-8",
        request=Request(listing_url, meta={"page_kind": "listing"}),
    )
    spider = spider_class(profile)()
    spider.crawler = SimpleNamespace(  # type: ignore[assignment]
        stats=None, signals=None, settings=Settings({"TJCRAWL_ATTACHMENTS": False})
    )
    items = list(spider.parse_listing(response, page=1, first_url=response.url))
    return [f"{item['url']}#{item['entry_key']}" for item in items]


def test_an_entry_keeps_its_identity_on_a_later_listing_page_and_when_edited() -> None:
    first = _entry_keys([(WEEKLY, "2025-09-01", "正文甲")], "http://inline.test/list/index.html")
    moved = _entry_keys(
        [("新条目", "2025-09-08", "正文乙"), (WEEKLY, "2025-09-01", "正文甲")],
        "http://inline.test/list/index_1.html",
    )
    edited = _entry_keys([(WEEKLY, "2025-09-01", "正文甲（修订）")], "http://inline.test/x.html")
    assert moved[1] == first[0]
    assert edited[0] == first[0], "an edited entry is a revision of its article, not a new one"
    assert first[0].startswith("http://inline.test/list/index.html#entry-")


def test_stored_entries_keyed_by_title_alone_are_keyed_again_by_title_and_date(
    tmp_path: Path,
) -> None:
    archive = Archive(tmp_path / "a.db")
    listing = "http://inline.test/list/index.html"
    old_url = f"{listing}#{title_only_key(WEEKLY)}"
    other = f"{listing}#entry-made-by-hand"
    for url in (old_url, other):
        archive.store_article(
            {
                "url": url,
                "source": "s",
                "title": WEEKLY,
                "listing_title": WEEKLY,
                "listing_date": "2025-09-01",
                "body": url,
                "content_hash": url,
            },
            None,
            "run1",
        )
    archive.commit()
    _entry_keys_by_title_and_date(archive.db)
    urls = sorted(r[0] for r in archive.conn.execute("SELECT url FROM articles"))
    archive.close()
    # The crawl now computes this key for the entry: it finds the stored article under it.
    rekeyed = f"{listing}#{entry_key(WEEKLY, '2025-09-01')}"
    assert urls == sorted([rekeyed, other])
    assert _entry_keys([(WEEKLY, "2025-09-01", "正文")], listing) == [rekeyed]
