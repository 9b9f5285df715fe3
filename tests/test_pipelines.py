from datetime import datetime

import pytest
from scrapy.exceptions import DropItem

from tjcrawl.dates import SHANGHAI, ParsedDate
from tjcrawl.items import ArticleItem
from tjcrawl.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline
from tjcrawl.pipelines.normalise import choose_date, clean_title
from tjcrawl.text import clean_paragraphs


def raw(**fields) -> ArticleItem:
    base = {
        "source": "nowhere",
        "url": "HTTP://Gov.Test:80/sy/202411/t20241114_1.html?utm_source=x#top",
        "title": "天津召开招商引资大会_天津政务网",
        "listing_title": "天津召开招商引资大会",
        "date_text": "发布时间：2024-11-14 10:30",
        "listing_date": "2024-11-14",
        "body": "　　第一段。\n字号：大 中 小\n第二段。\n【打印本页】【关闭窗口】",
        "origin": "来源：天津日报",
        "author": "作者：张三",
        "fetched_at": "2024-11-15T10:00:00+08:00",
    }
    return ArticleItem(**(base | fields))


def test_normalise_cleans_every_field() -> None:
    item = NormalisePipeline({}).process_item(raw())
    assert item["url"] == "http://gov.test/sy/202411/t20241114_1.html"
    assert item["title"] == "天津召开招商引资大会"
    assert item["body"] == "第一段。\n第二段。"
    assert (item["origin"], item["author"]) == ("天津日报", "张三")
    assert item["published_at"] == "2024-11-14T10:30:00+08:00"
    assert (item["date_source"], item["date_precision"], item["date_conflict"]) == (
        "detail",
        "minute",
        False,
    )
    assert len(item["content_hash"]) == 64


def test_dates_fall_back_to_listing_then_url_and_flag_disagreement() -> None:
    item = NormalisePipeline({}).process_item(raw(date_text=None, listing_date="昨天 10:30"))
    assert (item["published_at"], item["date_source"]) == ("2024-11-14T10:30:00+08:00", "listing")
    item = NormalisePipeline({}).process_item(raw(date_text=None, listing_date=None))
    assert (item["published_at"], item["date_source"]) == ("2024-11-14T00:00:00+08:00", "url")
    item = NormalisePipeline({}).process_item(raw(date_text="2024-11-16"))
    assert item["date_source"] == "detail" and item["date_conflict"] is True


def test_choose_date_without_any_date() -> None:
    assert choose_date(None, None, None) == (None, None, False)
    day = ParsedDate(datetime(2024, 1, 1, tzinfo=SHANGHAI), "day")
    assert choose_date(None, day, day) == (day, "listing", False)


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("标题_天津政务网", "标题"),
        ("标题 | 天津市商务局", "标题"),
        ("坚持创新驱动——访天津市科学技术局", "坚持创新驱动——访天津市科学技术局"),
        ("标题_天津政务网", "标题"),
    ],
)
def test_clean_title(title: str, clean: str) -> None:
    assert clean_title(title) == clean


def test_furniture_paragraphs_go_but_sentences_mentioning_them_stay() -> None:
    paragraphs = [
        "点我投稿",
        "联系我们",
        "[责任编辑：李四]",
        "市民可通过联系我们栏目反映问题。",
        "分享到：微信 微博",
    ]
    assert clean_paragraphs(paragraphs) == ["市民可通过联系我们栏目反映问题。"]


def test_validate_drops_items_without_body_and_keeps_replacement_characters() -> None:
    validate = ValidatePipeline()
    with pytest.raises(DropItem, match="missing body"):
        validate.process_item(raw(body=""))
    # The site's own U+FFFD (or &#xD800;, which parses into one) is content, not garbling.
    assert validate.process_item(raw(body="天津\ufffd"))["body"] == "天津\ufffd"
    with pytest.raises(DropItem, match="missing title"):
        validate.process_item(raw(title=None, listing_title=None))
    assert validate.process_item(raw(title=None))["listing_title"]


def test_dedup_drops_a_url_seen_twice_and_links_same_content() -> None:
    normalise, dedup = NormalisePipeline({}), DeduplicatePipeline()
    first = dedup.process_item(normalise.process_item(raw()))
    assert first.get("duplicate_of") is None
    with pytest.raises(DropItem, match="already scraped"):
        dedup.process_item(
            normalise.process_item(raw(url="http://gov.test/sy/202411/t20241114_1.html#x"))
        )
    other = dedup.process_item(
        normalise.process_item(raw(url="http://gov.test/zwgk/t20241114_9.html"))
    )
    assert other["duplicate_of"] == first["url"]


def test_normalise_uses_the_crawled_profile_even_outside_the_profile_folders(tmp_path) -> None:
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from tjcrawl.profiles import parse_profile

    path = tmp_path / "elsewhere.toml"
    path.write_text(
        'name = "x"\nallowed_domains = ["gov.test"]\nstart_urls = ["http://gov.test/"]\n'
        'title_suffixes = ["--某某网站"]\n[listing]\nentries = "li"\nlink = "a/@href"\n'
        '[detail]\nbody = "div"\n',
        encoding="utf-8",
    )
    crawler = SimpleNamespace(
        spidercls=SimpleNamespace(profile=parse_profile(path)), settings=Settings()
    )
    item = NormalisePipeline.from_crawler(crawler).process_item(
        raw(source="elsewhere", title="天津新闻--某某网站")
    )
    assert item["title"] == "天津新闻"


def test_relative_dates_of_a_frozen_site_resolve_against_its_capture_time() -> None:
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from tjcrawl.pipelines.normalise import DATE_BASES_SETTING

    settings = Settings({DATE_BASES_SETTING: {"frozen": "2025-08-23T10:00:00+08:00"}})
    crawler = SimpleNamespace(spidercls=SimpleNamespace(), settings=settings)
    pipeline = NormalisePipeline.from_crawler(crawler)
    fields = {
        "url": "http://gov.test/a.html",
        "date_text": "",
        "listing_date": "昨天 10:30",
        "fetched_at": "2026-12-06T12:00:00+08:00",  # served years later
    }
    frozen = pipeline.process_item(raw(source="frozen", **fields))
    assert frozen["published_at"] == "2025-08-22T10:30:00+08:00"
    live = pipeline.process_item(raw(source="live", **fields))
    assert live["published_at"] == "2026-12-05T10:30:00+08:00"
