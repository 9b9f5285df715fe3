"""`tjcrawl source check | capture | new`: profiles against fixtures and a loopback "live" site."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

from tjcrawl.fixture_server import serving
from tjcrawl.fixtures import (
    fixture_fetched_at,
    golden_items,
    offline_crawl,
    profiles_with_fixtures,
    read_goldens,
)
from tjcrawl.profiles import load_profiles, parse_profile
from tjcrawl.source_capture import capture
from tjcrawl.source_check import (
    FixtureFetcher,
    LiveFetcher,
    check_fixtures,
    check_live,
    check_source,
    spread,
    walk,
)
from tjcrawl.source_new import evaluate, file_source, fixture_source, propose

PROFILES = load_profiles()
WITH_FIXTURES = sorted(p.slug for p in profiles_with_fixtures())
DEMO = sorted(s for s in WITH_FIXTURES if PROFILES[s].fixture)
REAL = sorted(s for s in WITH_FIXTURES if not PROFILES[s].fixture)
# `source new` proposes HTML listings only (docs/source-new.md): JSON APIs are written by hand
REAL_HTML = [s for s in REAL if PROFILES[s].listing.format == "html"]


def _site_of(slug: str) -> Path:
    return FIXTURES / slug / "site"


# -- check on fixtures ----------------------------------------------------------------------------
@pytest.mark.parametrize("slug", WITH_FIXTURES)
def test_check_passes_on_the_fixtures_of_every_source(slug: str) -> None:
    report = check_fixtures(PROFILES[slug])
    assert report.ok, "\n".join(report.problems)
    assert report.walk.listings and report.walk.items
    lines = report.text()
    assert "listing.entries" in lines and "items" in lines


def test_check_names_the_field_that_broke(tmp_path: Path) -> None:
    original = PROFILES["demo_trs"].path.read_text(encoding="utf-8")
    broken = original.replace('body = "div.article-content"', 'body = "div.no-such-body"')
    assert broken != original
    profile = parse_profile(tmp_path / "demo_trs.toml", broken)
    report = check_fixtures(profile)
    assert not report.ok
    body = [p for p in report.problems if ": detail.body: " in p]
    details = len(report.walk.details)
    assert details >= 12
    assert body == [
        f"demo_trs: detail.body: matched 0 of {details} detail pages; first on "
        + report.walk.details[0].url
        + f" (the generic extractor filled it on {details})"
    ]
    # the generic extractor kept every article as the goldens have it; every other field matched
    assert not any(p.startswith("demo_trs: goldens: ") for p in report.problems)
    statuses = {f.name: f.status for f in report.fields}
    assert statuses["listing.entries"] == statuses["detail.title"] == "ok"


# -- check --live against a loopback copy ---------------------------------------------------------
def _profile_copy(slug: str, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{slug}.toml"
    shutil.copyfile(PROFILES[slug].path, target)
    return parse_profile(target)


def test_live_check_on_a_loopback_copy_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TJCRAWL_NOW", "2025-09-01T12:00:00+08:00")
    profile = _profile_copy("demo_trs", tmp_path / "sources")
    before = profile.path.read_bytes()
    with serving({h: _site_of("demo_trs") for h in profile.hosts}) as server:
        report = check_source(profile, live=True, proxies=server.proxy_map())
        requests = [path for _, path in server.requests]
    assert report.ok, "\n".join(report.problems)
    assert profile.path.read_bytes() == before, "a live check edits no profile"
    # polite and bounded: robots.txt first, then 2 listing pages and 3 detail pages
    assert requests[0].endswith("/robots.txt")
    assert len(requests) == 6
    assert len(report.walk.listings) == 2 and len(report.walk.details) == 3
    assert PROFILES["demo_trs"].path.read_text(encoding="utf-8") == _repo_text("demo_trs")


def _repo_text(slug: str) -> str:
    return (Path(__file__).resolve().parents[1] / "tjcrawl" / "sources" / f"{slug}.toml").read_text(
        encoding="utf-8"
    )


def test_live_check_over_https_urls_through_a_loopback_mirror(tmp_path: Path) -> None:
    slug = next((s for s in REAL if PROFILES[s].start_urls[0].startswith("https://")), None)
    assert slug is not None, "the real sources include https sites with fixtures"
    profile = PROFILES[slug]
    with serving({h: _site_of(slug) for h in profile.hosts}) as server:
        report = check_live(profile, proxies=server.proxy_map())
    assert report.ok, "\n".join(report.problems)
    assert report.walk.items


def test_live_check_honours_robots_txt(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(_site_of("demo_trs"), site)
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /sy/tjxw/2024\n", encoding="utf-8")
    profile = _profile_copy("demo_trs", tmp_path / "sources")
    before = profile.path.read_bytes()
    with serving({h: site for h in profile.hosts}) as server:
        report = check_source(profile, live=True, proxies=server.proxy_map())
        fetched = [path for _, path in server.requests]
    assert not report.ok
    assert any("robots_disallowed" in p for p in report.problems)
    assert not any("/sy/tjxw/2024" in path for path in fetched)
    assert profile.path.read_bytes() == before  # a failing check records nothing


def test_a_fixture_host_is_not_fetched_without_a_proxy() -> None:
    fetcher = LiveFetcher(allowed_domains=["gov.tjcrawl.test"], timeout=2)
    report = check_live(PROFILES["demo_trs"], fetcher=fetcher)
    assert not report.ok
    assert report.problems[0] == "demo_trs: no listing page could be fetched"


def test_cli_live_check_records_its_verdict_in_the_archive_not_the_profile(
    tmp_path: Path,
) -> None:
    profile = _profile_copy("demo_trs", tmp_path / "sources")
    before = profile.path.read_bytes()
    db = tmp_path / "archive.db"
    with serving({h: _site_of("demo_trs") for h in profile.hosts}) as server:
        proxy = f"gov.tjcrawl.test={server.proxy_url}"
        env = {
            "TJCRAWL_SOURCES_DIR": str(profile.path.parent),
            "TJCRAWL_NOW": "2025-09-01T12:00:00+08:00",
        }
        unrecorded = run_cli("source", "check", "demo_trs", "--live", "--proxy", proxy, env=env)
        result = run_cli(
            "source", "check", "demo_trs", "--live", "--proxy", proxy, "--db", str(db), env=env
        )
    assert unrecorded.returncode == 0, unrecorded.stderr
    assert "demo_trs: verified (not recorded: add --db ARCHIVE)" in unrecorded.stdout
    assert result.returncode == 0, result.stderr
    assert f"demo_trs: verified, recorded in {db}" in result.stdout
    assert profile.path.read_bytes() == before, "no command edits a profile"
    with sqlite3.connect(db) as conn:
        state, verified, checked, good_run = conn.execute(
            "SELECT state, verified, last_check_at, last_good_run_at FROM sources"
            " WHERE slug = 'demo_trs'"
        ).fetchone()
    assert (state, verified) == ("verified", "2025-09-01")
    assert checked.startswith("2025-09-01T12:00") and good_run is None


def test_cli_check_passes_on_every_fixture_and_fails_loudly(tmp_path: Path) -> None:
    result = run_cli("source", "check")
    assert result.returncode == 0, result.stderr
    for slug in WITH_FIXTURES:
        assert f"{slug}: fixtures:" in result.stdout
    folder = tmp_path / "sources"
    folder.mkdir()
    text = _repo_text("demo_enorth").replace('body = "div#zoom"', 'body = "div#gone"')
    (folder / "demo_enorth.toml").write_text(text, encoding="utf-8")
    result = run_cli("source", "check", "demo_enorth", env={"TJCRAWL_SOURCES_DIR": str(folder)})
    assert result.returncode == 3
    assert re.search(
        r"^error: demo_enorth: detail\.body: matched 0 of \d+ detail pages", result.stderr, re.M
    )


# -- capture --------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", ["demo_trs", "demo_enorth", *REAL[:1]])
def test_capture_into_a_temporary_fixture_folder_reproduces_the_items(
    slug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative listing dates (昨天 10:30) resolve against the capture time: freeze it at the
    # original fixture's, so that the captured pages give the original golden items.
    fetched_at = fixture_fetched_at(slug)
    monkeypatch.setenv("TJCRAWL_NOW", fetched_at.isoformat())
    profile = PROFILES[slug]
    out = tmp_path / "fixtures"
    with serving({h: _site_of(slug) for h in profile.hosts}) as server:
        fetcher = LiveFetcher(allowed_domains=profile.allowed_domains, proxies=server.proxy_map())
        result = capture(slug, fetcher, profile=profile, fixtures_dir=out)
        again = capture(
            slug,
            LiveFetcher(allowed_domains=profile.allowed_domains, proxies=server.proxy_map()),
            profile=profile,
            fixtures_dir=out,
        )
    folder = out / slug
    assert len(result.saved) == 5  # 2 listing pages, 3 detail pages
    for url, path in result.saved:
        assert (
            path.is_file()
            and path.read_bytes()
            == (_site_of(slug) / path.relative_to(folder / "site")).read_bytes()
        ), url
    headers = json.loads((folder / "headers.json").read_text(encoding="utf-8"))
    assert {url for url, _ in result.saved} <= set(headers)
    assert all(h.get("Content-Type") for h in headers.values())
    meta = tomllib.loads((folder / "fixture.toml").read_text(encoding="utf-8"))
    assert datetime.fromisoformat(meta["fetched_at"]) == fetched_at
    assert meta["articles"] == result.items == 3
    assert (folder / "site" / "robots.txt").is_file() and (folder / "README.md").is_file()
    # the goldens written from the captured pages are the original goldens of those pages
    items, dropped = offline_crawl(profile, out)
    assert dropped == []
    original = {row["url"]: row for row in read_goldens(slug)}
    captured = golden_items(items)
    assert len(captured) == 3 and all(original[row["url"]] == row for row in captured)
    assert read_goldens(slug, out) == captured
    assert result.diff.startswith(f"--- {slug}/expected.json (before)")
    assert again.diff == "" and not again.goldens_changed


def test_capture_of_a_site_without_a_profile_then_new_works_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TJCRAWL_FIXTURES_DIR", str(tmp_path / "fixtures"))
    profile = PROFILES["demo_enorth"]
    with serving({h: _site_of("demo_enorth") for h in profile.hosts}) as server:
        fetcher = LiveFetcher(allowed_domains=profile.allowed_domains, proxies=server.proxy_map())
        result = capture(
            "enorth_copy",
            fetcher,
            start_url=profile.start_urls[0],
            fixtures_dir=tmp_path / "fixtures",
        )
    assert result.items is None  # no profile, no goldens
    assert len(result.saved) >= 4  # the listing, its next page, detail pages
    meta = tomllib.loads(
        (tmp_path / "fixtures" / "enorth_copy" / "fixture.toml").read_text(encoding="utf-8")
    )
    # three spread over the first listing page, one from the second (another period, maybe
    # another template)
    assert meta["start_url"] == profile.start_urls[0] and meta["articles"] == 4
    start_url, fetch = fixture_source("enorth_copy")
    proposal = propose(start_url, fetch, slug="enorth_copy")
    assert proposal.listing["entries"].select == "table.newslist > tr"
    assert proposal.pagination == {"next": "//a[normalize-space()='下一页']/@href"}
    assert all(row.status != "FAIL" for row in proposal.trial)


# -- new ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", DEMO)
def test_new_matches_the_hand_written_profile_on_each_demo_site(slug: str) -> None:
    proposal, comparison = evaluate(slug)
    assert comparison.share >= 0.9, (comparison.share, proposal.toml())
    assert comparison.proposed_items == comparison.reference_items
    text = proposal.toml()
    assert 'verified = "never"' in text
    assert tomllib.loads(text)["start_urls"] == list(PROFILES[slug].start_urls)


@pytest.mark.parametrize("slug", REAL_HTML)
def test_new_matches_the_hand_written_profile_on_real_source_fixtures(slug: str) -> None:
    proposal, comparison = evaluate(slug)
    assert comparison.share >= 0.9, (comparison.share, proposal.toml())


def test_new_proposes_articles_mode_for_a_portal_whose_entries_carry_the_text() -> None:
    proposal, _ = evaluate("demo_portal")
    assert proposal.mode == "articles" and 'mode = "articles"' in proposal.toml()
    assert "[detail]" not in proposal.toml()
    assert proposal.listing_boilerplate == ["div.share-bar"]


def test_new_from_a_saved_file_and_its_base_url() -> None:
    profile = PROFILES["demo_enorth"]
    url = profile.start_urls[0]
    saved = _site_of("demo_enorth") / "system/more/11000000/0000/11000000_00000001.shtml"
    from_file = propose(url, file_source(saved, url), slug="demo_enorth")
    start, fetch = fixture_source("demo_enorth")
    from_fixtures = propose(start, fetch, slug="demo_enorth")
    strip = lambda text: text.split("\n", 2)[2]  # noqa: E731 (the date line differs)
    assert strip(from_file.toml()) == strip(from_fixtures.toml())


def _harder_site(root: Path) -> None:
    """A listing beside a sidebar of long links and a nav of long labels; detail pages with a
    dated related-articles list, 作者 on some pages and furniture inside the body."""

    def listing(n: int) -> str:
        rows = "".join(
            f'<li><a href="/news/{n}{i}/{n}{i}.html" title="第{n}页第{i}条 '
            f'天津市召开会议部署招商引资重点任务">第{n}页第{i}条 天津市召开会议部署…</a>'
            f'<span class="time">2024-11-{10 + i}'
            "</span></li>"
            for i in range(1, 7)
        )
        side = "".join(
            f'<li><a href="/hot/{i}.html">热点第{i}条 天津港集装箱吞吐量再创新高</a></li>'
            for i in range(5)
        )
        nav = "".join(
            f'<li><a href="/c{i}/">天津市人民政府门户网站栏目{i}</a></li>' for i in range(6)
        )
        more = f'<a href="list_{n + 1}.html">下一页</a>' if n < 2 else ""
        return (
            '<html><head><meta charset="utf-8"><title>要闻_某某网</title></head><body>'
            f'<ul class="nav">{nav}</ul><div class="left"><ul class="list">{rows}</ul>'
            f'<div class="pg">{more}</div></div><div class="right"><ul>{side}</ul></div>'
            '<div class="foot"><p>版权所有 某某网 津ICP备05000000号</p></div></body></html>'
        )

    def detail(n: int, i: int) -> str:
        related = "".join(
            f'<li><a href="/x/{j}.html">相关报道第{j}条 天津推进重点项目建设</a>'
            f"<span>2023-0{j + 1}-0{j + 1}</span></li>"
            for j in range(4)
        )
        body = "".join(
            f"<p>第{n}页第{i}条第{k}段，天津市持续优化营商环境，推动重点产业链招商引资取得新进展。</p>"
            for k in range(4)
        )
        author = f" 作者：张{i}" if i % 2 else ""
        return (
            '<html><head><meta charset="utf-8"><title>x</title></head><body>'
            '<h1 class="logo">某某网</h1><div class="art">'
            f'<h2 class="art-title">第{n}页第{i}条 天津市召开会议部署招商引资重点任务</h2>'
            f'<div class="art-meta">发布时间：2024-11-{10 + i} 09:3{i} 来源：天津日报{author} '
            '【字号：大 中 小】</div><div class="art-body"><div class="share">分享到：<a href='
            f'"javascript:;">微信</a></div>{body}<p>【责任编辑：李{i}】</p></div></div>'
            f'<div class="right"><h3>相关文章</h3><ul>{related}</ul></div></body></html>'
        )

    for n in (1, 2):
        name = "index.html" if n == 1 else f"list_{n}.html"
        (root / "news").mkdir(parents=True, exist_ok=True)
        (root / "news" / name).write_text(listing(n), encoding="utf-8")
        for i in range(1, 7):
            (root / "news" / f"{n}{i}").mkdir(parents=True, exist_ok=True)
            (root / "news" / f"{n}{i}" / f"{n}{i}.html").write_text(detail(n, i), encoding="utf-8")


def test_new_is_not_fooled_by_sidebars_navigation_or_furniture(tmp_path: Path) -> None:
    _harder_site(tmp_path / "site")
    fetched_at = datetime.fromisoformat("2024-12-01T10:00:00+08:00")
    fetch = FixtureFetcher(tmp_path / "site", {"hard.test"}, fetched_at).fetch
    proposal = propose("http://hard.test/news/index.html", fetch, slug="hard")
    assert proposal.listing["entries"].select == "ul.list > li"
    assert proposal.pagination == {"next": "//a[normalize-space()='下一页']/@href"}
    result = walk(proposal.profile(tmp_path), fetch)
    assert len(result.items) == 12 and not result.dropped
    for item in result.items:
        n, i = item["url"].split("/")[-2]
        assert item["title"] == f"第{n}页第{i}条 天津市召开会议部署招商引资重点任务"
        assert item["published_at"] == f"2024-11-{10 + int(i)}T09:3{i}:00+08:00"
        assert item["date_source"] == "detail" and not item["date_conflict"]
        assert item["origin"] == "天津日报"
        assert item["author"] == (f"张{i}" if int(i) % 2 else None)
        assert item["body"].count("\n") == 3
        assert "责任编辑" not in item["body"] and "分享" not in item["body"]


# -- small parts ----------------------------------------------------------------------------------
def test_spread_picks_first_middle_last() -> None:
    assert spread(list(range(10)), 3) == [0, 4, 9] or spread(list(range(10)), 3) == [0, 5, 9]
    assert spread([1, 2], 3) == [1, 2]
    assert spread([], 3) == [] and spread([1, 2, 3], 0) == []
