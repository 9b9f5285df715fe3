"""Meta-tests: every source has a fixture site and golden items; the fixture sites meet the bar."""

import hashlib
import json
import re
import sqlite3
import tomllib
from pathlib import Path

import pytest
from conftest import run_cli

from tjcrawl.fixtures import (
    fact_differences,
    fixture_dir,
    golden_items,
    offline_crawl,
    read_goldens,
)
from tjcrawl.profiles import load_profiles

PROFILES = load_profiles()
ALL = sorted(PROFILES)
WEB = sorted(slug for slug, p in PROFILES.items() if not p.fixture)
BOILERPLATE = re.compile(
    "点我投稿|有想补充的信息|字号[:：]|打印本页|关闭窗口|责任编辑|版权所有|相关链接|分享到"
)
# Footer links that are words of ordinary prose too (…贸易企业入驻交易): banned as whole paragraphs.
FOOTER_PARAGRAPHS = ("联系我们", "企业入驻", "- 联系我们", "- 企业入驻")


@pytest.mark.parametrize("slug", ALL)
def test_every_source_has_a_fixture_site_and_goldens(slug: str) -> None:
    folder = fixture_dir(slug)
    assert (folder / "site").is_dir(), f"{slug}: no fixtures/{slug}/site"
    assert (folder / "fixture.toml").is_file()
    assert (folder / "expected.json").is_file(), f"{slug}: run `tjcrawl goldens {slug}`"
    assert (folder / "README.md").is_file()
    assert (folder / "site" / "robots.txt").is_file()


@pytest.mark.parametrize("slug", ALL)
def test_golden_items_match_field_by_field(slug: str) -> None:
    items, dropped = offline_crawl(PROFILES[slug])
    assert dropped == []
    actual = {row["url"]: row for row in golden_items(items)}
    expected = {row["url"]: row for row in read_goldens(slug)}
    assert sorted(actual) == sorted(expected)
    for url, row in expected.items():
        assert "facts" in row, f"{slug}: golden items without facts: run `tjcrawl goldens`"
        for field, value in row.items():
            if field == "facts":  # fact by fact, saying which
                assert fact_differences(value, actual[url]["facts"]) == [], f"{slug} {url}"
            else:
                assert actual[url][field] == value, f"{slug} {url} {field}"


@pytest.mark.parametrize("slug", ALL)
def test_fixture_sites_are_big_enough_and_clean(slug: str) -> None:
    profile = PROFILES[slug]
    meta = tomllib.loads((fixture_dir(slug) / "fixture.toml").read_text("utf-8"))
    goldens = read_goldens(slug)
    # Demo sites: 3 listing pages and 12 articles; real-site samples: 2 listings, 3 articles.
    least_articles, least_listings = (12, 3) if profile.fixture else (3, 2)
    assert len(goldens) == meta["articles"] >= least_articles
    items, _ = offline_crawl(profile)
    assert len({item["listing_url"] for item in items}) >= least_listings
    for item in items:
        text = item["title"] + "\n" + item["body"]
        assert "\ufffd" not in text, item["url"]
        assert not any("\u00c0" <= c <= "\u00ff" for c in text), f"mojibake in {item['url']}"
        assert "。" in item["body"], f"no Chinese full stop: mojibake? {item['url']}"
        assert not BOILERPLATE.search(item["body"]), item["url"]
        assert not set(FOOTER_PARAGRAPHS) & set(item["body"].split("\n")), item["url"]
        if item.get("listing_title") and not profile.carries_articles:
            assert item["title"] == item["listing_title"], f"title differs: {item['url']}"
        assert item["published_at"], item["url"]


@pytest.mark.parametrize("slug", WEB)
def test_real_sources_are_unverified_until_a_live_check(slug: str) -> None:
    assert PROFILES[slug].verified == "never" or re.fullmatch(
        r"\d{4}-\d{2}-\d{2}", PROFILES[slug].verified
    )
    assert PROFILES[slug].verified == "never", "no live check can pass on these machines"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture site crawled once through Scrapy, robots.txt, attachments and all (the
    https ones through the plain-HTTP mirror): the archive the tests below read."""
    db = tmp_path_factory.mktemp("all-sites") / "a.db"
    result = run_cli("crawl", *ALL, "--serve-fixtures", "--db", str(db), "--log-level", "ERROR")
    assert result.returncode == 0, result.stderr[-3000:]
    return db


def test_every_source_crawls_its_fixture_over_loopback(crawled: Path) -> None:
    with sqlite3.connect(crawled) as conn:
        stored = {r[0] for r in conn.execute("SELECT url FROM articles")}
    expected = {row["url"] for slug in ALL for row in read_goldens(slug)}
    assert stored == expected
    assert len(WEB) >= 25


def test_no_fixture_site_links_a_file_it_does_not_serve(crawled: Path) -> None:
    """Attachments are fetched by default: a link to a file missing from the fixture folder is
    an http_404 fault in every crawl of it (12 were, in 10 real-source sites)."""
    with sqlite3.connect(crawled) as conn:
        missing = conn.execute(
            "SELECT source, url, kind FROM faults WHERE url IN (SELECT url FROM attachments)"
            " AND kind LIKE 'http_%'"
        ).fetchall()
        linked = conn.execute("SELECT count(DISTINCT url) FROM attachments").fetchone()[0]
    assert missing == []
    assert linked >= 30


def test_the_crawl_stores_every_golden_attachment_of_tj_fzgg(crawled: Path) -> None:
    """The files of every format that t20250815_7005790 links, as the crawl itself stores
    them: the TRS-named W0….html among them (an .html file in the article's YYYYMM/ folder)."""
    goldens = json.loads((fixture_dir("tj_fzgg") / "expected_attachments.json").read_text("utf-8"))
    with sqlite3.connect(crawled) as conn:
        rows = {
            row[0]: dict(zip(("state", "pages", "method", "detail", "text"), row[1:], strict=True))
            for row in conn.execute(
                "SELECT url, state, pages, method, detail, text FROM attachment_texts"
            )
        }
        linked = {r[0]: r[1] for r in conn.execute("SELECT url, text FROM attachments")}
    assert len(goldens) == 13
    for golden in goldens:
        url = golden["url"]
        assert url in rows, f"not stored: {url}"
        assert linked[url] == golden["link_text"]
        for field, value in rows[url].items():
            assert value == golden[field], f"{url} {field}"
        assert hashlib.sha256(rows[url]["text"].encode()).hexdigest() == golden["text_sha256"]


def test_one_url_is_one_page_across_the_fixture_sites() -> None:
    """A host serves one page per URL. Two fixture sites of one host that disagree on a path
    hide a page from whichever source the fixture server answers second: tj_gov_tjxw and
    tj_gov_szfwj once both held /zwgk/szfwj/tjsrmzf/index_10960.html, and a crawl of both lost
    two articles."""
    served: dict[tuple[str, str], tuple[str, bytes]] = {}
    clashes = []
    for slug, profile in sorted(PROFILES.items()):
        site = fixture_dir(slug) / "site"
        if not site.is_dir():
            continue
        for path in sorted(p for p in site.rglob("*") if p.is_file() and p.name != "robots.txt"):
            for host in profile.hosts:
                key = (host, path.relative_to(site).as_posix())
                body = path.read_bytes()
                first = served.setdefault(key, (slug, body))
                if first[0] != slug and first[1] != body:
                    clashes.append(f"{host}/{key[1]}: {first[0]} and {slug}")
    assert not clashes


def test_no_two_sources_walk_the_same_listing() -> None:
    starts: dict[str, str] = {}
    shared = []
    for slug, profile in sorted(PROFILES.items()):
        for url in profile.start_urls:
            if (other := starts.setdefault(url, slug)) != slug:
                shared.append(f"{url}: {other} and {slug}")
    assert not shared
