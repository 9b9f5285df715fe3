"""`tjcrawl source new` on small hand-written sites shaped like real ones: sister hosts, dates
inside the body or only in the URL, two templates, a page that is all body, CMS tags with a
colon; and the newcomer friction met on the way (fixture folder, boilerplate, non-CSS)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from tjcrawl.fixture_server import serving
from tjcrawl.profiles import parse_profile
from tjcrawl.source_check import FixtureFetcher, walk
from tjcrawl.source_new import fixture_source, propose
from tjcrawl.spiders import spider_class

FETCHED_AT = datetime.fromisoformat("2005-06-01T10:00:00+08:00")
TEXT = "天津市持续优化营商环境，推动重点产业链招商引资取得新进展，全年新增市场主体超过十万户。"


def _write(root: Path, pages: dict[str, str]) -> None:
    for path, html in pages.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")


def _title(n: int) -> str:
    return f"第{n}条 滨海新区召开推进会部署重点项目建设"


def _listing(links: list[str], *, dated: bool = False, first: int = 0) -> str:
    """Entries titled as their pages: entry `first + i` links to page `first + i`."""
    rows = "".join(
        f'<li><a href="{url}">{_title(n)}</a>'
        + (f"<span>2005-03-{10 + n:02d}</span>" if dated else "")
        + "</li>"
        for n, url in enumerate(links, start=first)
    )
    nav = "".join(f'<a href="/c{i}/">栏目{i}</a>' for i in range(5))
    return (
        '<html><head><meta charset="utf-8"><title>要闻_某某网</title></head><body>'
        f'<div class="nav">{nav}</div><ul class="newslist">{rows}</ul>'
        '<div class="foot">版权所有 某某网</div></body></html>'
    )


def _paragraphs(n: int, count: int = 4) -> str:
    return "".join(f"<p>第{n}条第{k}段。{TEXT}</p>" for k in range(count))


def _page_a(n: int, date_line: str = "发布时间：2005-03-11 09:30 来源：天津日报") -> str:
    """The news host's template: ids and classes everywhere."""
    return (
        f'<html><head><meta charset="utf-8"><title>{_title(n)}_某某网</title></head><body>'
        '<div class="nav"><a href="/">首页</a><a href="/news/">新闻</a></div>'
        f'<div id="main"><h1 id="artTitle">{_title(n)}</h1><div class="info">{date_line}</div>'
        f'<div id="artibody">{_paragraphs(n)}</div></div>'
        '<div class="foot">版权所有 某某网 津ICP备05000000号</div></body></html>'
    )


def _page_b(n: int) -> str:
    """The old CMS's template: tables without classes under one id, the title in a cell."""
    return (
        '<html><head><meta charset="utf-8"><title>某某网</title></head><body>'
        '<table width="100%"><tr><td><a href="/">首页</a> <a href="/ent/">娱乐</a></td></tr>'
        '</table><table id="wrap"><tr><td>'
        f"<table><tr><td><b>{_title(n)}</b></td></tr><tr><td>2005年03月11日 10:20</td></tr>"
        f"<tr><td>{_paragraphs(n)}</td></tr></table>"
        "</td></tr></table><p>版权所有 某某网</p></body></html>"
    )


def _crawl(proposal: Any, tmp_path: Path, fetch: Any) -> list[dict[str, Any]]:
    result = walk(proposal.profile(tmp_path), fetch)
    assert not result.dropped, result.dropped
    return result.items


def _selectors(proposal: Any) -> list[str]:
    return [c.select for c in proposal.detail.values()] + proposal.detail_boilerplate


# -- the Why items --------------------------------------------------------------------------------
def _sister_site(root: Path) -> list[str]:
    # spread(8, 3) alone samples entries 0, 4 and 7: the sister host's are elsewhere.
    urls = [f"http://{'ent' if n in (1, 2, 5) else 'news'}.site.test/a/{n}.html" for n in range(8)]
    _write(root, {"/news/index.html": _listing(urls)})
    _write(root, {f"/a/{n}.html": _page_a(n) for n in range(8)})
    return urls


def test_articles_on_a_sister_host_are_sampled_allowed_and_crawled(tmp_path: Path) -> None:
    urls = _sister_site(tmp_path / "site")
    fetch = FixtureFetcher(tmp_path / "site", {"news.site.test", "ent.site.test"}, FETCHED_AT).fetch
    proposal = propose("http://news.site.test/news/index.html", fetch, slug="sister")
    assert proposal.allowed_domains == ["news.site.test", "ent.site.test"]
    assert any("ent.site.test" in url for url in proposal.sample_urls)
    items = _crawl(proposal, tmp_path, fetch)
    assert sorted(item["url"] for item in items) == sorted(urls)


def test_cli_fetches_sister_hosts_of_a_live_site_and_offers_other_sites(tmp_path: Path) -> None:
    root = tmp_path / "site"
    urls = _sister_site(root)
    listing = _listing([*urls, "http://other.example.com/a/9.html"])
    _write(root, {"/news/index.html": listing, "/a/9.html": _page_a(9)})
    hosts = ("news.site.test", "ent.site.test", "other.example.com")
    with serving({h: root for h in hosts}) as server:
        proxies = [f"--proxy={h}={server.proxy_url}" for h in hosts]
        result = run_cli(
            "source", "new", "http://news.site.test/news/index.html", "-o", "-", *proxies
        )
        fetched = {host for host, _ in server.requests}
    assert result.returncode == 0, result.stderr
    assert 'allowed_domains = ["news.site.test", "ent.site.test"]' in result.stdout
    assert "other.example.com" not in fetched
    assert "1 entry lead to other.example.com, another site" in result.stderr
    assert "verdict: ok" in result.stderr


def test_a_date_inside_the_body_is_found(tmp_path: Path) -> None:
    def page(n: int) -> str:
        # No info line: the day stands in the article's first paragraph, in its container.
        return (
            f'<html><head><meta charset="utf-8"><title>{_title(n)}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a></div><h1>{_title(n)}</h1>'
            f'<div class="content"><p class="stamp">2005年03月{10 + n}日</p>{_paragraphs(n)}'
            "</div></body></html>"
        )

    root = tmp_path / "site"
    links = [f"/a/{n}.html" for n in range(1, 6)]
    _write(root, {"/news/index.html": _listing(links, first=1)})
    _write(root, {f"/a/{n}.html": page(n) for n in range(1, 6)})
    fetch = FixtureFetcher(root, {"site.test"}, FETCHED_AT).fetch
    proposal = propose("http://site.test/news/index.html", fetch, slug="inbody")
    assert proposal.detail["date"].select != "auto"
    items = _crawl(proposal, tmp_path, fetch)
    assert len(items) == 5
    for item in items:
        n = int(item["url"].rsplit("/", 1)[1].split(".")[0])
        assert item["published_at"] == f"2005-03-{10 + n}T00:00:00+08:00"
        assert item["date_source"] == "detail"


def test_a_date_only_in_the_url_as_yyyymmdd_is_found(tmp_path: Path) -> None:
    def page(n: int) -> str:
        return (
            f'<html><head><meta charset="utf-8"><title>{_title(n)}</title></head><body>'
            f'<h1>{_title(n)}</h1><div id="text">{_paragraphs(n)}</div></body></html>'
        )

    root = tmp_path / "site"
    links = [f"/news/200503{10 + n}/{n}.html" for n in range(1, 5)]
    _write(root, {"/news/index.html": _listing(links, first=1)})
    _write(root, {link: page(n) for n, link in enumerate(links, start=1)})
    fetch = FixtureFetcher(root, {"site.test"}, FETCHED_AT).fetch
    proposal = propose("http://site.test/news/index.html", fetch, slug="urldate")
    assert proposal.verdict == "ok", proposal.verdict_reasons
    items = _crawl(proposal, tmp_path, fetch)
    days = sorted(item["published_at"][:10] for item in items)
    assert days == [f"2005-03-{10 + n}" for n in range(1, 5)]


def test_two_templates_on_one_site_get_a_union_reported_per_template(tmp_path: Path) -> None:
    root = tmp_path / "site"
    links = [f"/{'ent' if n % 2 else 'news'}/{n}.html" for n in range(8)]
    _write(root, {"/news/index.html": _listing(links)})
    _write(root, {link: (_page_b if n % 2 else _page_a)(n) for n, link in enumerate(links)})
    fetch = FixtureFetcher(root, {"site.test"}, FETCHED_AT).fetch
    proposal = propose("http://site.test/news/index.html", fetch, slug="twotemplates")
    assert not any(s.startswith("/html") or "/html/" in s for s in _selectors(proposal))
    body = proposal.detail["body"]
    assert "artibody" in body.select and "wrap" in body.select, body.select
    assert "template A" in body.note and "template B" in body.note
    assert set(proposal.templates.values()) == {"A", "B"}
    assert proposal.verdict == "ok", proposal.verdict_reasons
    items = _crawl(proposal, tmp_path, fetch)
    assert len(items) == 8
    for item in items:
        n = int(item["url"].rsplit("/", 1)[1].split(".")[0])
        assert item["title"] == _title(n)
        assert item["body"].count("\n") == 3 and f"第{n}条第0段" in item["body"]
        assert item["field_sources"]["body"] == "profile"


def test_a_body_that_is_the_whole_page_is_flagged_unsure(tmp_path: Path) -> None:
    def page(n: int) -> str:
        lines = "<br>".join(f"第{n}条第{k}段。{TEXT}" for k in range(4))
        return (
            f'<html><head><meta charset="utf-8"></head><body>{_title(n)}<br>{lines}</body></html>'
        )

    root = tmp_path / "site"
    links = [f"/a/{n}.html" for n in range(1, 5)]
    _write(root, {"/news/index.html": _listing(links, dated=True, first=1)})
    _write(root, {f"/a/{n}.html": page(n) for n in range(1, 5)})
    fetch = FixtureFetcher(root, {"site.test"}, FETCHED_AT).fetch
    proposal = propose("http://site.test/news/index.html", fetch, slug="wholepage")
    assert proposal.verdict == "unsure"
    assert any("the whole page, not the article" in r for r in proposal.verdict_reasons)
    assert "# Trial on 3 sample pages: unsure" in proposal.toml()


def test_colon_tag_names_give_selectors_that_load_and_run(tmp_path: Path) -> None:
    def page(n: int) -> str:
        return (
            f'<html><head><meta charset="utf-8"><title>{_title(n)}</title></head><body>'
            f"<cms_include:title>{_title(n)}</cms_include:title>"
            "<cms_include:info>发布时间：2005-03-11 来源：本网</cms_include:info>"
            f"<cms_include:article>{_paragraphs(n)}"
            "<cms:tools>【打印本页】【关闭窗口】</cms:tools></cms_include:article>"
            "</body></html>"
        )

    root = tmp_path / "site"
    links = [f"/a/{n}.html" for n in range(1, 5)]
    _write(root, {"/news/index.html": _listing(links, first=1)})
    _write(root, {f"/a/{n}.html": page(n) for n in range(1, 5)})
    fetch = FixtureFetcher(root, {"site.test"}, FETCHED_AT).fetch
    proposal = propose("http://site.test/news/index.html", fetch, slug="colon")
    profile = proposal.profile(tmp_path)  # loads: no undefined namespace prefix
    assert profile.detail is not None
    assert any("name()=" in s for s in _selectors(proposal)), _selectors(proposal)
    items = _crawl(proposal, tmp_path, fetch)
    assert len(items) == 4
    for item in items:
        assert item["published_at"].startswith("2005-03-11")
        assert "第0段" in item["body"] and "打印" not in item["body"]


# -- newcomer friction ----------------------------------------------------------------------------
def test_no_fixture_site_names_the_variable_that_says_where_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TJCRAWL_FIXTURES_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"no fixture site at .*\$TJCRAWL_FIXTURES_DIR"):
        fixture_source("nosuch")


def test_a_query_string_detail_page_is_read_from_a_fixture_folder(tmp_path: Path) -> None:
    root = tmp_path / "site"
    links = [f"/bbs/ShowAnnounce.asp?boardID=2&RootID={60 + n}" for n in range(1, 5)]
    _write(root, {"/bbs/index.html": _listing(links, first=1)})
    for n in range(1, 5):
        _write(root, {f"/bbs/ShowAnnounce.asp%3FboardID=2&RootID={60 + n}": _page_a(n)})
    fetch = FixtureFetcher(root, {"site.test"}, FETCHED_AT).fetch
    proposal = propose("http://site.test/bbs/index.html", fetch, slug="asp")
    assert proposal.verdict == "ok", proposal.verdict_reasons
    assert len(_crawl(proposal, tmp_path, fetch)) == 4


def _profile_with_boilerplate(tmp_path: Path) -> Any:
    text = """
name = "x"
allowed_domains = ["site.test"]
start_urls = ["http://site.test/news/index.html"]

[listing]
entries = "ul.newslist > li"
link = "./a/@href"

[detail]
title = "h1"
date = "div.info"
body = "div#artibody"
boilerplate = ["p"]
"""
    path = tmp_path / "bp_site.toml"
    path.write_text(text, encoding="utf-8")
    return parse_profile(path)


class _Crawler:
    def __init__(self) -> None:
        self.faults: list[dict[str, Any]] = []
        self.stats = None
        self.settings = Settings({"TJCRAWL_ATTACHMENTS": False})
        self.signals = self

    def send_catch_log(self, signal: object, **kwargs: Any) -> list[Any]:
        self.faults.append(kwargs)
        return []


def test_a_boilerplate_rule_that_would_empty_the_body_is_skipped_and_reported(
    tmp_path: Path,
) -> None:
    profile = _profile_with_boilerplate(tmp_path)
    spider = spider_class(profile)()
    spider.crawler = _Crawler()
    url = "http://site.test/a/1.html"
    request = Request(url, meta={"page_kind": "detail", "fetched_at": FETCHED_AT.isoformat()})
    response = HtmlResponse(url, body=_page_a(1).encode(), encoding="utf-8", request=request)
    items = [o for o in spider.parse_detail(response) if not isinstance(o, Request)]
    assert len(items) == 1
    assert "第1条第0段" in items[0]["body"] and items[0]["field_sources"]["body"] == "profile"
    faults = spider.crawler.faults
    assert [f["kind"] for f in faults] == ["boilerplate_emptied_body"]
    assert faults[0]["url"] == url and "boilerplate rule p " in faults[0]["detail"]


def test_a_selector_that_is_not_css_warns_at_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = _profile_with_boilerplate(tmp_path).path.read_text(encoding="utf-8")
    text = text.replace('title = "h1"', 'title = "h1 | title[not(//h1)]"')
    with caplog.at_level(logging.WARNING, logger="tjcrawl.profiles"):
        parse_profile(tmp_path / "warn_site.toml", text)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1
    assert "detail.title: selector 'h1 | title[not(//h1)]' is not CSS" in warned[0]
    assert "xpath:h1 | title[not(//h1)]" in warned[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tjcrawl.profiles"):
        parse_profile(
            tmp_path / "quiet_site.toml", text.replace("h1 | title", "xpath://h1 | //title")
        )
    assert not caplog.records
