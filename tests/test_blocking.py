"""Blocked is not an article: a WAF challenge, a 403 or a JavaScript cookie challenge is a fault
`blocked` with advice, never an article and never "a selector broke".

tests/block_server.py serves a small site whose pages are answered, as chosen per test, by the
block pages of tests/block_site/pages/ (reconstructed from what real-markup.md records of
Tianjin's sites). Each crawl goes through the CLI as a user's would.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from block_server import BEHAVIOURS, HOST, LISTING_PATH, PAGES, BlockServer, detail_path
from conftest import FIXTURES, REPO, run_cli

from tjcrawl.blocking import recognise
from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

SLUG = "block_site"
ENV = {
    "TJCRAWL_SOURCES_DIR": str(REPO / "tests" / "block_site"),
    # The site behind the proxy is ours: no delays.
    "TJCRAWL_SETTINGS": json.dumps(LOOPBACK_FAST_SETTINGS),
}
ADVICE_END = "tjcrawl does not defeat it: crawl from an allowed network or ask the site"


def crawl(server: BlockServer, db: Path) -> subprocess.CompletedProcess[str]:
    proxy = f"{HOST}={server.proxy_url}"
    return run_cli("crawl", SLUG, "--db", str(db), "--proxy", proxy, env=ENV, timeout=60)


def rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


# -- recognising a block page ---------------------------------------------------------------------
def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.mark.parametrize(
    ("status", "cookies", "page", "named"),
    [
        (200, [b"wzws_cid=01; path=/"], "wzws_challenge.html", "网站卫士"),
        (200, [], "wzws_challenge.html", "网站卫士"),  # the script alone gives it away
        (412, [b"wzws_cid=01"], "wzws_challenge.html", "网站卫士, HTTP 412"),
        (403, [], "forbidden_403.html", "HTTP 403"),
        (521, [], "js_cookie_challenge.html", "HTTP 521"),
        (200, [], "js_cookie_challenge.html", "JavaScript cookie challenge"),
    ],
)
def test_block_and_challenge_pages_are_recognised(
    status: int, cookies: list[bytes], page: str, named: str
) -> None:
    block = recognise(status, cookies, _page(page))
    assert block is not None and named in block.what
    assert block.advice.endswith(ADVICE_END)


def test_pages_with_content_are_no_block_whatever_their_cookies_and_scripts() -> None:
    article = _page("article_with_waf_cookie.html")
    assert recognise(200, [b"wzws_sid=feedface; path=/"], article) is None
    assert recognise(200, [], b"") is None  # an empty page is empty_body's business
    assert recognise(404, [], b"<html><body>404</body></html>") is None
    assert recognise(503, [], b"<html><body>Service Unavailable</body></html>") is None


def test_no_fixture_page_of_any_source_is_taken_for_a_block() -> None:
    pages = [
        path
        for path in FIXTURES.glob("*/site/**/*")
        if path.is_file() and path.suffix in (".html", ".htm", ".shtml", ".json", "")
    ]
    assert len(pages) > 100
    taken = [str(p) for p in pages if recognise(200, [], p.read_bytes()) is not None]
    assert not taken


# -- in a crawl -----------------------------------------------------------------------------------
def test_blocked_article_pages_are_faults_with_advice_not_articles(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    entries = ["page", "page", "waf", "forbidden", "js_challenge", "waf_cookie_article"]
    with BlockServer(entries) as server:
        result = crawl(server, db)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = errors(result)
    assert lines[0].startswith("error: block_site: blocked (3 article pages): the site answers")
    assert lines[0].endswith(ADVICE_END)
    assert "error: block_site: 3 of 6 articles lost (blocked 3)" in lines
    # never a layout break: no field, selector or coverage line
    assert not any("field" in line or "matched nothing" in line for line in lines), lines
    blocked = {n: b for n, b in enumerate(entries, 1) if b in ("waf", "forbidden", "js_challenge")}
    urls = {f"http://{HOST}{detail_path(n, b)}": b for n, b in blocked.items()}
    articles = {r["url"] for r in rows(db, "SELECT url FROM articles")}
    assert len(articles) == 3 and not articles & set(urls)
    assert not {r["url"] for r in rows(db, "SELECT url FROM pages")} & set(urls)
    faults = {r["url"]: r for r in rows(db, "SELECT * FROM faults WHERE kind = 'blocked'")}
    assert set(faults) == set(urls)
    assert faults[next(u for u, b in urls.items() if b == "forbidden")]["status"] == 403
    details = {b: faults[u]["detail"] for u, b in urls.items()}
    assert "网站卫士" in details["waf"]
    assert "HTTP 403" in details["forbidden"]
    assert "JavaScript cookie challenge" in details["js_challenge"]
    assert all(d.startswith("detail page: ") and d.endswith(ADVICE_END) for d in details.values())
    (run,) = rows(db, "SELECT losses, items_failed FROM crawl_runs")
    assert json.loads(run["losses"]) == {"article": {"blocked": 3}} and run["items_failed"] == 3
    # asked once each: a challenge is not retried, nor its script run
    assert all(server.counts[detail_path(n, b)] == 1 for n, b in blocked.items())
    assert not any("WZWSRE" in path for path in server.counts)


@pytest.mark.parametrize(
    ("listing", "named"), [("waf", "a WAF challenge (网站卫士)"), ("forbidden", "HTTP 403")]
)
def test_a_source_whose_listing_is_blocked_is_blocked_not_broken(
    tmp_path: Path, listing: str, named: str
) -> None:
    db = tmp_path / "a.db"
    with BlockServer(["page", "page"], listing=listing) as server:
        result = crawl(server, db)
        listing_requests = server.counts[LISTING_PATH]
    assert result.returncode == 3, result.stderr[-2000:]
    lines = errors(result)
    line = (
        f"error: block_site: blocked (1 listing page): the site answers this machine with {named}"
    )
    assert lines[0].startswith(line) and lines[0].endswith(ADVICE_END), lines
    assert not any("no listing page could be fetched" in x or "field" in x for x in lines), lines
    assert "block_site: blocked by its first crawl (its live check): blocked (1 listing page)" in (
        result.stdout
    )
    assert listing_requests == 1
    assert not rows(db, "SELECT 1 FROM articles")
    (source,) = rows(db, "SELECT * FROM sources WHERE slug = ?", SLUG)
    assert source["state"] == "blocked" and source["state_reason"].endswith(ADVICE_END)
    assert named in source["state_reason"] and source["verified"] == "never"
    assert source["last_check_at"] and source["last_good_run_at"] is None
    shown = run_cli("sources", "--db", str(db), env=ENV)
    assert shown.returncode == 0, shown.stderr
    row = next(x for x in shown.stdout.splitlines() if x.startswith(SLUG))
    assert " blocked " in row and row.endswith(ADVICE_END)
    health = run_cli("health", "--db", str(db), env=ENV)
    row = next(x for x in health.stdout.splitlines() if x.startswith(f"{SLUG} "))
    assert " failing " in row and "blocked (1 listing page): the site answers" in row, row
    assert f"problem: {SLUG}: blocked (1 listing page): " in health.stdout


def test_a_live_check_names_a_block_and_records_it(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with BlockServer(["page"], listing="waf") as server:
        result = run_cli(
            "source",
            "check",
            SLUG,
            "--live",
            "--db",
            str(db),
            "--proxy",
            f"{HOST}={server.proxy_url}",
            env=ENV,
        )
    assert result.returncode == 3, result.stderr
    lines = errors(result)
    assert lines[0].startswith("error: block_site: blocked (1 page, first http://block")
    assert lines[0].endswith(ADVICE_END)
    (source,) = rows(db, "SELECT state, state_reason FROM sources")
    assert source["state"] == "blocked" and "网站卫士" in source["state_reason"]


def test_the_behaviours_served_are_the_pages_described() -> None:
    described = (PAGES / "README.md").read_text(encoding="utf-8")
    for _status, _headers, page in BEHAVIOURS.values():
        assert page is None or f"`{page}`" in described
