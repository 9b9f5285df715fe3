"""Every template shared/real-markup.md documents for the 11 real sources has a fixture page, and
the source's profile reads title, date and body from it, through the documented selectors (not
through the generic extractor's rescue), or through the generic extractor where nothing of the
site's detail markup is documented ("auto")."""

import re
from functools import cache
from typing import Any

import pytest
from parsel import Selector

from tjcrawl.extract.fields import field_text, field_values, select
from tjcrawl.fixtures import fixture_dir, fixture_response, offline_crawl
from tjcrawl.profiles import load_profiles

PROFILES = load_profiles()
REAL = ("tj_gov_tjxw", "tj_fzgg", "tj_kxjs", "enorth", "tj_swj", "tjdl", "tjftz", "teda", "tht")
REAL += ("bhxq", "eco_city")
TJ, FZ, KX, EN = (
    "https://www.tj.gov.cn",
    "https://fzgg.tj.gov.cn",
    "https://kxjs.tj.gov.cn",
    "http://news.enorth.com.cn",
)
PROFILE, GENERIC = "profile", "generic"

# (slug, URL, template as the fixture README names it, a documented selector that marks the
# template on the page, title, published_at, body start, where title, date and body come from)
DETAIL_TEMPLATES = [
    (
        "tj_gov_tjxw",
        TJ + "/sy/tjxw/202508/t20250829_7013562.html",
        "news-2020",
        "div.qt-title",
        "全市招商引资工作推进会召开 部署下半年重点产业链招商任务",
        "2025-08-29T08:12:00+08:00",
        "8月28日，全市招商引资工作推进会召开",
        PROFILE,
    ),
    (
        "tj_gov_tjxw",
        TJ + "/sy/tjxw/202508/t20250827_7012417.html",
        "zoom-2022",
        "#zoom",
        "天津港新开通两条东南亚集装箱航线",
        "2025-08-27T09:05:00+08:00",
        "8月26日，一艘满载汽车零部件",
        PROFILE,
    ),
    (
        "tj_gov_tjxw",
        TJ + "/sy/tjxw/202508/t20250826_7011836.html",
        "common-content-2022",
        "div.common-content",
        "京津冀协同创新共同体建设推进会在津举行",
        "2025-08-26T18:22:00+08:00",
        "8月26日，京津冀协同创新共同体",
        PROFILE,
    ),
    (
        "tj_gov_tjxw",
        TJ + "/sy/tjxw/202508/t20250825_7011209.html",
        "article_content-2022",
        "div.article_content",
        "海河国际消费季启动 百余项促消费活动贯穿秋冬",
        "2025-08-25T20:30:00+08:00",
        "8月25日晚，海河国际消费季",
        PROFILE,
    ),
    (
        # the 2024 policy template, once on tj_gov_tjxw's policy list, which is tj_gov_szfwj's
        "tj_gov_szfwj",
        TJ + "/zwgk/szfwj/tjsrmzf/202508/t20250822_7010233.html",
        "policy-2024",
        "#xlrllt > div > div p",
        "天津市人民政府关于印发天津市推进新型工业化实施方案的通知",
        "2025-08-22T15:30:00+08:00",
        "各区人民政府，市政府各委、办、局：现将《天津市推进",
        PROFILE,
    ),
    (
        "tj_fzgg",
        FZ + "/xxfb/tzggx/202508/t20250821_7007512.html",
        "details-2025",
        "div.details-main-content#zoom",
        "关于征集2026年天津市重点建设项目储备清单的通知",
        "2025-08-21T16:30:00+08:00",
        "各区发展改革委，市有关部门，有关单位：为做好",
        PROFILE,
    ),
    (
        "tj_fzgg",
        FZ + "/xxfb/tzggx/202508/t20250815_7005790.html",
        "trs-editor",
        "#zoom > .TRS_Editor",
        "关于开展2025年民营企业重点项目推介活动的通知",
        "2025-08-15T09:30:00+08:00",
        "为进一步激发民间投资活力",
        PROFILE,
    ),
    (
        "tj_fzgg",
        FZ + "/zwgk_47325/zcfg_47338/zcwjx/fgwj/202202/t20220223_5811773.html",
        "xlrllt-2023",
        "#xlrllt > div > div:first-child p",
        "市发展改革委关于印发天津市扩大有效投资三年行动方案的通知",
        "2022-02-23T09:00:00+08:00",
        "各区发展改革委，市有关部门：为深入贯彻落实",
        PROFILE,
    ),
    (
        "tj_kxjs",
        KX + "/ZWGK4143/TZGG2079/202508/t20250818_7006598.html",
        "common-content",
        ".common-content-mainTitle",
        "关于组织申报2026年度天津市重点研发计划科技支撑重点项目的通知",
        "2025-08-18T00:00:00+08:00",
        "为落实创新驱动发展战略",
        PROFILE,
    ),
    (
        "tj_kxjs",
        KX + "/ZWGK4143/ZFXXGK2908_1/ZFXXGKNB/202501/t20250120_6834512.html",
        "xxgk-annual-report",
        ".view.TRS_UEDITOR.trs_paper_default.trs_external",
        "天津市科学技术局2024年政府信息公开工作年度报告",
        "2025-01-20T09:00:00+08:00",
        "本报告依据《中华人民共和国政府信息公开条例》编制",
        PROFILE,
    ),
    (
        "tj_kxjs",
        KX + "/managecol/ZCWJ0923/202508/t20250807_7003120.html",
        "managecol",
        ".sx-con",
        "市科技局关于印发《天津市科技企业孵化器管理办法》的通知",
        "2025-08-07T00:00:00+08:00",
        "各区科技主管部门，各有关单位：为规范科技企业孵化器",
        PROFILE,
    ),
    (
        "enorth",
        EN + "/system/2025/08/22/057128406.shtml",
        "bootstrap-2021",
        "h2.col-sm-12",
        "海河夜游新增两条航线 运营时间延长至22时",
        "2025-08-22T09:30:00+08:00",
        "北方网讯：记者从海河游船运营单位获悉",
        PROFILE,
    ),
    (
        "enorth",
        EN + "/system/2025/08/21/057125933.shtml",
        "table-hei201",
        "td.hei201",
        "天津秋季大型人才招聘会9月举行 提供岗位八千余个",
        "2025-08-21T16:12:00+08:00",
        "记者从市人社局获悉",
        PROFILE,
    ),
    (
        "enorth",
        EN + "/system/2025/08/20/057123377.shtml",
        "table-p14",
        "td.p14",
        "和平区五大道街区招商推介 十四家品牌首店签约入驻",
        "2025-08-20T19:45:00+08:00",
        "8月20日，和平区五大道街区招商引资推介会举行",
        PROFILE,
    ),
    (
        "enorth",
        EN + "/system/2025/08/19/057120815.shtml",
        "title-article",
        "#title > div:nth-child(2) > p > span:nth-child(4)",
        "静海区子牙经济技术开发区签约再生资源项目",
        "2025-08-19T11:20:00+08:00",
        "北方网讯：近日，静海区子牙经济技术开发区",
        PROFILE,
    ),
    (
        "enorth",
        EN + "/system/2025/08/18/057118240.shtml",
        "info-2019",
        "div.col-sm-8.info",
        "天津图书馆暑期少儿阅读季活动服务读者三万人次",
        "2025-08-18T08:50:00+08:00",
        "北方网讯：今年暑期，天津图书馆",
        PROFILE,
    ),
    # Nothing of these sites' detail markup is documented: their pages exercise "auto".
    (
        "tj_swj",
        "https://shangwuju.tj.gov.cn/tjsswjzz/zwdt/gsgg/202508/t20250822_7008811.html",
        "detail",
        "body",
        "关于2025年度天津市外经贸发展专项资金（招商引资方向）拟支持项目的公示",
        "2025-08-22T00:00:00+08:00",
        "根据《天津市外经贸发展专项资金",
        GENERIC,
    ),
    (
        "tjdl",
        "https://www.tjdl.gov.cn/zwgk/gsgg/gsgg/202508/t20250819_7006931.shtml",
        "detail",
        "body",
        "东丽区关于2025年第二批招商引资项目落地奖励资金拟拨付名单的公示",
        "2025-08-19T15:32:00+08:00",
        "根据《东丽区促进招商引资项目",
        GENERIC,
    ),
    (
        "tjftz",
        "https://www.tjftz.gov.cn/contents/6302/418527.html",
        "detail",
        "body",
        "天津港保税区举办生物医药产业招商推介会 现场签约项目14个",
        "2025-08-21T10:20:33+08:00",
        "8月20日，天津港保税区生物",
        GENERIC,
    ),
    (
        "teda",
        "https://www.teda.gov.cn/contents/21/106087.html",
        "detail",
        "body",
        "天津经开区发布支持合成生物产业创新发展若干措施",
        "2025-08-18T00:00:00+08:00",
        "近日，天津经开区发布支持合成",
        GENERIC,
    ),
    (
        "tht",
        "https://www.tht.gov.cn/contents/3909/452318.html",
        "detail",
        "body",
        "滨海高新区召开信创产业招商引资工作会议",
        "2025-08-21T00:00:00+08:00",
        "8月20日，滨海高新区召开信",
        GENERIC,
    ),
    (
        "bhxq",
        "http://www.tjbh.gov.cn/contents/6346/507713.html",
        "detail",
        "body",
        "天津市滨海新区人民政府办公室关于印发滨海新区进一步加强招商引资工作若干措施的通知",
        "2025-08-20T00:00:00+08:00",
        "各开发区管委会，各街镇人民政",
        GENERIC,
    ),
    (
        "eco_city",
        "https://www.eco-city.gov.cn/html/zwgg/20250821/57306.html",
        "detail",
        "body",
        "中新天津生态城管委会关于2025年度绿色建筑专项资金拟支持项目的公示",
        "2025-08-21T00:00:00+08:00",
        "根据《中新天津生态城绿色建筑",
        GENERIC,
    ),
]

# (slug, listing URL, template as the fixture README names it, a documented selector that marks
# the template on the page, URLs of the articles it lists)
LISTING_TEMPLATES = [
    (
        "tj_gov_tjxw",
        TJ + "/sy/tjxw/index_1.html",  # the row whose onclick holds ../tjxw/…
        "news list (2019 redesign)",
        'div.list-item.clear div span a[onclick^="jumpToDetail(\'../"]',
        [
            TJ + "/sy/tjxw/202508/t20250827_7012417.html",
            TJ + "/sy/tjxw/202508/t20250826_7011836.html",
        ],
    ),
    (
        "tj_fzgg",
        FZ + "/zwgk_47325/zcfg_47338/",
        "list (2025–26)",
        'ul.list-main-group li a[onclick^="isDownLoad(this,\'https://"][title] span.list-main-date',
        [
            FZ + "/zwgk_47325/zcfg_47338/zcwjx/fgwj/202202/t20220223_5811773.html",
            FZ + "/zwgk_47325/zcfg_47338/zcwjx/fgwj/202506/t20250610_6961204.html",
        ],
    ),
    (
        "tj_kxjs",
        KX + "/ZWGK4143/TZGG2079/index_2.html",
        "list (current)",
        "ul.news_list.news_list2 li a span.time",
        [KX + "/ZWGK4143/ZFXXGK2908_1/ZFXXGKNB/202501/t20250120_6834512.html"],
    ),
    (
        "enorth",
        EN + "/system/more/17001009000000000/0028/17001009000000000_00002844.shtml",
        "list pages",
        "table[width='100%'] a.zi14",
        [EN + "/system/2025/08/20/057123377.shtml", EN + "/system/2025/08/19/057120815.shtml"],
    ),
    (
        "tj_swj",
        "https://shangwuju.tj.gov.cn/tjsswjzz/zwdt/gsgg/",
        "list (2021)",
        "body",
        [
            "https://shangwuju.tj.gov.cn/tjsswjzz/zwdt/gsgg/202508/t20250822_7008811.html",
            "https://shangwuju.tj.gov.cn/tjsswjzz/zwdt/gsgg/202508/t20250820_7007935.html",
        ],
    ),
    (
        "tjdl",
        "https://www.tjdl.gov.cn/zwgk/gsgg/gsgg/index.shtml",
        "list (2021)",
        "body",
        [
            "https://www.tjdl.gov.cn/zwgk/gsgg/gsgg/202508/t20250819_7006931.shtml",
            "https://www.tjdl.gov.cn/zwgk/gsgg/gsgg/202508/t20250815_7005827.shtml",
        ],
    ),
    (
        "tjftz",
        "https://www.tjftz.gov.cn/channels/6302.html",
        "list (2025)",
        "#sec_right > ul li > .layui-row a[href][title]",
        [
            "https://www.tjftz.gov.cn/contents/6302/418527.html",
            "https://www.tjftz.gov.cn/contents/6302/418406.html",
        ],
    ),
    (
        "teda",
        "https://www.teda.gov.cn/channels/3961.html",
        "list (2021)",
        "body",
        [
            "https://www.teda.gov.cn/contents/21/106214.html",
            "https://www.teda.gov.cn/contents/21/106150.html",
        ],
    ),
    (
        "tht",
        "https://www.tht.gov.cn/channels/3909.html",
        "list (2021)",
        "body",
        [
            "https://www.tht.gov.cn/contents/3909/452318.html",
            "https://www.tht.gov.cn/contents/3909/452207.html",
        ],
    ),
    (
        "bhxq",
        "http://www.tjbh.gov.cn/channels/6346.html",
        "list (2021)",
        "body",
        [
            "http://www.tjbh.gov.cn/contents/6346/507713.html",
            "http://www.tjbh.gov.cn/contents/6346/507650.html",
        ],
    ),
    (
        "eco_city",
        "https://www.eco-city.gov.cn/html/zwgg/",
        "list (2021)",
        "body",
        [
            "https://www.eco-city.gov.cn/html/zwgg/20250821/57306.html",
            "https://www.eco-city.gov.cn/html/zwgg/20250818/57241.html",
        ],
    ),
]


def page(slug: str, url: str) -> Selector:
    """The fixture page at `url`, decoded as a crawl decodes it."""
    response = fixture_response(PROFILES[slug], url)
    assert response is not None, f"{slug}: no fixture page at {url}"
    return response.selector


@cache
def crawled(slug: str) -> dict[str, dict[str, Any]]:
    items, dropped = offline_crawl(PROFILES[slug])
    assert dropped == [], dropped
    return {item["url"]: item for item in items}


@pytest.mark.parametrize(
    ("slug", "url", "template", "marker", "title", "published_at", "body_start", "read_by"),
    DETAIL_TEMPLATES,
    ids=[f"{case[0]}-{case[2]}" for case in DETAIL_TEMPLATES],
)
def test_each_documented_detail_template_is_read(
    slug: str,
    url: str,
    template: str,
    marker: str,
    title: str,
    published_at: str,
    body_start: str,
    read_by: str,
) -> None:
    assert page(slug, url).css(marker), f"{slug}: {url} is not of template {template}"
    item = crawled(slug).get(url)
    assert item is not None, f"{slug}: {url} was not crawled"
    assert item["title"] == title
    assert item["published_at"] == published_at
    assert item["date_source"] == "detail"
    assert item["body"].startswith(body_start), item["body"][:80]
    assert "。" in item["body"]
    sources = item["field_sources"]
    # kxjs: titles and bodies are documented, its dates are not ("auto")
    date_by = GENERIC if slug == "tj_kxjs" else read_by
    expected = {"title": read_by, "date": date_by, "body": read_by}
    assert {field: sources.get(field) for field in expected} == expected, f"{template}: {sources}"


@pytest.mark.parametrize(
    ("slug", "listing_url", "template", "marker", "listed"),
    LISTING_TEMPLATES,
    ids=[f"{case[0]}-{case[2]}" for case in LISTING_TEMPLATES],
)
def test_each_documented_listing_template_is_read(
    slug: str, listing_url: str, template: str, marker: str, listed: list[str]
) -> None:
    assert page(slug, listing_url).css(marker), (
        f"{slug}: {listing_url} is not of template {template}"
    )
    items = [item for item in crawled(slug).values() if item["listing_url"] == listing_url]
    assert sorted(item["url"] for item in items) == sorted(listed)
    for item in items:
        assert item["listing_title"] == item["title"]


def _readme_templates(slug: str) -> list[str]:
    text = (fixture_dir(slug) / "README.md").read_text("utf-8")
    rows = re.findall(r"^\| (?!template \||---)([^|]+?) \|", text, re.MULTILINE)
    return [name for row in rows for name in row.split(", ") if name != "URLs"]


@pytest.mark.parametrize("slug", REAL)
def test_every_template_a_fixture_readme_names_has_a_case_here(slug: str) -> None:
    named = _readme_templates(slug)
    assert named, f"fixtures/{slug}/README.md names no template"
    tested = {case[2] for case in DETAIL_TEMPLATES + LISTING_TEMPLATES if case[0] == slug}
    assert set(named) <= tested, set(named) - tested
    assert "reconstructed from documented markup" in (fixture_dir(slug) / "README.md").read_text(
        "utf-8"
    )


OLD_LISTS = [
    (
        "tj_fzgg",
        "https://fzgg.tj.gov.cn/dtzx/tzgg/index.shtml",
        '<div class="gg_list"><ul><li><a href="./202101/t20210115_5300001.shtml">关于2021年春节'
        "期间安全生产工作的通知</a><span>2021-01-15</span></li></ul></div>",
        "https://fzgg.tj.gov.cn/dtzx/tzgg/202101/t20210115_5300001.shtml",
        "关于2021年春节期间安全生产工作的通知",
    ),
    (
        "tj_kxjs",
        "https://kxjs.tj.gov.cn/xinwen/tzgg/index.html",
        '<div class="sub_sameconrcc"><ul><li><a href="./202102/t20210203_5310002.html" '
        'title="关于组织申报2021年度科技计划项目的通知">关于组织申报2021年度科技...</a>'
        "<span>2021-02-03</span></li></ul></div>",
        "https://kxjs.tj.gov.cn/xinwen/tzgg/202102/t20210203_5310002.html",
        "关于组织申报2021年度科技计划项目的通知",
    ),
]


@pytest.mark.parametrize(("slug", "page_url", "html", "link", "title"), OLD_LISTS)
def test_the_2021_lists_before_the_redesigns_are_still_read(
    slug: str, page_url: str, html: str, link: str, title: str
) -> None:
    from tjcrawl.urls import resolve_link

    listing = PROFILES[slug].listing
    (entry,) = select(Selector(text=f"<html><body>{html}</body></html>"), listing.entries)
    assert resolve_link(page_url, field_values(entry, listing.link)[0]) == link
    assert field_text(entry, listing.title) == title
    assert field_text(entry, listing.date) == html.split("<span>")[1][:10]
