"""Meta-tests: every source has a fixture site and golden items; the fixture sites meet the bar."""

import tomllib

import pytest

from tjcrawl.fixtures import fixture_dir, golden_items, offline_crawl, read_goldens
from tjcrawl.profiles import load_profiles

PROFILES = load_profiles()
BOILERPLATE = (
    "点我投稿",
    "有想补充的信息",
    "字号",
    "打印本页",
    "关闭窗口",
    "责任编辑",
    "版权所有",
    "相关链接",
    "分享到",
)
# Footer links that are words of ordinary prose too (…贸易企业入驻交易): banned as whole paragraphs.
FOOTER_PARAGRAPHS = ("联系我们", "企业入驻", "- 联系我们", "- 企业入驻")


@pytest.mark.parametrize("slug", sorted(PROFILES))
def test_every_source_has_a_fixture_site_and_goldens(slug: str) -> None:
    folder = fixture_dir(slug)
    assert (folder / "site").is_dir(), f"{slug}: no fixtures/{slug}/site"
    assert (folder / "fixture.toml").is_file()
    assert (folder / "expected.json").is_file(), f"{slug}: run `tjcrawl goldens {slug}`"
    assert (folder / "README.md").is_file()
    assert (folder / "site" / "robots.txt").is_file()


@pytest.mark.parametrize("slug", sorted(p.slug for p in PROFILES.values() if p.fixture))
def test_golden_items_match_field_by_field(slug: str) -> None:
    items, dropped = offline_crawl(PROFILES[slug])
    assert dropped == []
    actual = {row["url"]: row for row in golden_items(items)}
    expected = {row["url"]: row for row in read_goldens(slug)}
    assert sorted(actual) == sorted(expected)
    for url, row in expected.items():
        for field, value in row.items():
            assert actual[url][field] == value, f"{slug} {url} {field}"


@pytest.mark.parametrize("slug", sorted(p.slug for p in PROFILES.values() if p.fixture))
def test_fixture_sites_are_big_enough_and_clean(slug: str) -> None:
    meta = tomllib.loads((fixture_dir(slug) / "fixture.toml").read_text("utf-8"))
    goldens = read_goldens(slug)
    assert len(goldens) == meta["articles"] >= 12
    items, _ = offline_crawl(PROFILES[slug])
    assert len({item["listing_url"] for item in items}) >= 3
    for item in items:
        text = item["title"] + "\n" + item["body"]
        assert "\ufffd" not in text, item["url"]
        assert not any("\u00c0" <= c <= "\u00ff" for c in text), f"mojibake in {item['url']}"
        assert "。" in item["body"], f"no Chinese full stop: mojibake? {item['url']}"
        assert not [w for w in BOILERPLATE if w in item["body"]], item["url"]
        assert not set(FOOTER_PARAGRAPHS) & set(item["body"].split("\n")), item["url"]
        if item.get("listing_title") and not PROFILES[slug].carries_articles:
            assert item["title"] == item["listing_title"], f"title differs: {item['url']}"
        assert item["published_at"], item["url"]
