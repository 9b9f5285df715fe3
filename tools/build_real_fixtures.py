# ruff: noqa: E501  (HTML templates are kept on one line each, as written out)
"""(Re)write the fixture sites of the real (web) sources.

    .venv/bin/python tools/build_real_fixtures.py [SLUG]...

Deterministic: the same input gives byte-identical output; run it with the project's venv (the
machinery it shares with the other generators, ``tools/fixture_kit.py``, names files as
``tjcrawl.fixture_paths`` does). For each slug it
replaces ``fixtures/<slug>/site/`` (a tree that mirrors URL paths on the real host; a path
ending in ``/`` maps to ``index.html``), ``fixtures/<slug>/fixture.toml`` and
``fixtures/<slug>/README.md``. Anything else under ``fixtures/<slug>/`` (such as
``expected.json``) is left alone, and so are the profiles: ``tjcrawl/sources/<slug>.toml`` is
written by hand, against the live site, and this script only checks that its start URL and
hosts match the fixture.

The pages follow the markup documented in ``shared/real-markup.md`` (it outranks
``shared/sources.md``): one page or more per documented template (an article's ``template``
key picks it), at the documented URL paths and encodings; ``evidence_readme`` writes, per
template, which documented facts the pages follow. What is documented nowhere (for most sites
the whole detail page) is assumed, in the style of the site's CMS (TRS WCM, the ``/channels/``
CMS of the Binhai sites, enorth's own), and said so in each fixture's README. Article texts live
in ``tools/real_fixture_articles.py``.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable

import attachment_fixtures
import fixture_kit as kit
import link_attachment_fixtures
import real_fixture_articles as A
from fixture_kit import (
    PDF,
    TRS_PAGER_FN,
    attachment_target,
    attr,
    chunks,
    document,
    gb,
    paras_html,
    rel,
    short,
    t,
    trs_listing_names,
    trs_pager,
)

#: slug: the URL paths of the real linked files tools/build_link_attachments.py made
LINKED: dict[str, set[str]] = {}
for _linked in link_attachment_fixtures.FILES:
    LINKED.setdefault(_linked["slug"], set()).add(_linked["path"])

PER_PAGE = 2  # five articles: listing pages of 2, 2 and 1 rows


class Site(kit.Site):
    def add_attachments(self, article: dict) -> None:
        for href, _label in article.get("attachments", []):
            target = attachment_target(article["path"], href)
            made = kit.FIXTURES / self.slug / "site" / target.lstrip("/")
            if article["path"] == attachment_fixtures.ARTICLE and self.slug == "tj_fzgg":
                # real files, made once by tools/build_attachment_fixtures.py: kept as they are
                self.add(target, made.read_bytes())
            elif target in LINKED.get(self.slug, ()):
                # real files, made once by tools/build_link_attachments.py: kept as they are
                self.add(target, made.read_bytes())
            elif href.endswith(".pdf"):  # a placeholder PDF, as in demo_trs
                self.add(target, PDF)

    def write(
        self,
        start_url: str | list[str],
        listing: list[str],
        articles: list[dict],
        description: str,
        readme: str,
    ) -> None:
        self.check_profile([start_url] if isinstance(start_url, str) else start_url)
        assert len(listing) >= 2 and len(articles) >= 3
        assert any(a.get("attachments") for a in articles), f"{self.slug}: no page with attachments"
        for a in articles:
            assert a["path"] in self.files, a["path"]
            assert "。" in "".join(a["paras"]), a["path"]
        readme += link_attachment_fixtures.readme_section(self.slug)
        self.write_fixture(description, len(articles), readme)
        size = sum(len(b) for b in self.files.values())
        print(
            f"{self.slug}: {len(listing)} listing pages, {len(articles)} articles, {len(self.files)} files, {size:,} bytes"
        )


def evidence_readme(
    slug: str,
    name: str,
    start_urls: list[str],
    encoding: str,
    sections: str,
    templates: list[tuple[str, str, str]],
    assumed: str,
    quirks: str,
) -> str:
    """A fixture README that names, per template, the documented facts its pages follow.

    templates: (template name, fixture pages, the facts of shared/real-markup.md it follows)."""
    starts = ", ".join(f"`{u}`" for u in start_urls)
    rows = "\n".join(f"| {name_} | {pages} | {facts} |" for name_, pages, facts in templates)
    return f"""# {slug}

Imitates **{name}** ({starts}), a web source (`fixture = false`, `verified = "never"` in
`tjcrawl/sources/{slug}.toml`). The pages are **reconstructed from documented markup**, not
captured: no saved real page of this site exists (`shared/real-markup.md`, "Saved real pages
found"). They follow what `shared/real-markup.md` {sections} records of the site's markup, one
page or more per documented template, at the documented URL paths and in the documented
encoding; whatever that file does not document is assumed and listed below. Written by
`tools/build_real_fixtures.py`; the article texts (`tools/real_fixture_articles.py`) are
invented. Encoding: {encoding}.

| template | fixture pages | documented facts followed (source, date) |
| --- | --- | --- |
{rows}

Assumed (documented nowhere, not checked against the live site): {assumed}

Quirks in the fixture: {quirks}
"""


# --------------------------------------------------------------------------------------------
# TRS WCM attachments
# --------------------------------------------------------------------------------------------


def trs_attachment_html(article: dict, base: str = "") -> list[str]:
    """TRS attachment links: relative P0/W0 file names with the OLDSRC attribute TRS writes."""
    out = []
    for href, label in article.get("attachments", []):
        name = posixpath.basename(href)
        oldsrc = f"/protect/{name[:7]}/{name[:11]}/{name}"
        out.append(
            f'<p><a href="{base}{href}" appendix="true" OLDSRC="{oldsrc}">{t(label)}</a></p>'
        )
    return out


# --------------------------------------------------------------------------------------------
# 天津市人民政府 · 天津要闻 and 市政府文件 (www.tj.gov.cn): real-markup.md §1a
# --------------------------------------------------------------------------------------------

TJ_SITE_ID = "1200000052"  # the site ID code of the 2018 page (real-markup.md §1c)
TJ_HEADER = """<div class="header">
<div class="logo"><a href="/"><img src="/images/logo.png" alt="天津市人民政府"></a></div>
<div class="nav-box"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/zjtj/">走进天津</a></li></ul></div>
</div>"""
TJ_FOOTER = f"""<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/wzsm/">网站声明</a></p>
<p>主办：天津市人民政府办公厅 承办：天津市人民政府办公厅政务信息中心</p>
<p>版权所有：天津市人民政府办公厅 网站标识码：{TJ_SITE_ID} 津ICP备05010518号 津公网安备 12010302000991号</p>
</div>"""
TJ_ZH = '<span class="p-title p-zh">字号：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></span>'
TJ_BOTTOM = """<div class="xl-bottom">
<div class="bdsharebuttonbox">分享到：<a href="#" class="bds_weixin" data-cmd="weixin" title="分享到微信"></a><a href="#" class="bds_tsina" data-cmd="tsina" title="分享到新浪微博"></a></div>
<div class="xl-edit">责任编辑：{editor}</div>
<div class="xl-btns"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>"""
# The 2022 containers of spider-gov's four parsers; the class of each wrapper is assumed.
TJ_2022_BODY = {
    "zoom-2022": ('<div class="xl-zw" id="zoom">', "</div>"),
    "common-content-2022": ('<div class="common-content">', "</div>"),
    "article_content-2022": ('<div class="article_content">', "</div>"),
}


def tj_column_meta(column: str) -> str:
    return f"""<meta name="SiteName" content="天津市人民政府">
<meta name="SiteDomain" content="www.tj.gov.cn">
<meta name="SiteIDCode" content="{TJ_SITE_ID}">
<meta name="ColumnName" content="{column}">
<meta name="ColumnType" content="{column}">"""


def tj_article_meta(a: dict) -> str:
    return f"""<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
<meta name="ContentSource" content="{attr(a["origin"])}">"""


def tj_detail(a: dict, column: str) -> str:
    body = "\n".join([paras_html(a["paras"], indent=True), *trs_attachment_html(a)])
    crumb = f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="../">{column}</a></div>'
    template = a["template"]
    if template == "news-2020":
        # mefly521/master-ms 2020-05 and the 2021 config: no meta tags named, so none here:
        # the page exercises the visible-markup path of the profile.
        meta = tj_column_meta(column)
        main = f"""<div class="xw-box">
<div class="qt-title">{t(a["title"])}</div>
<div class="xw-xtitle clear"><span class="p-title">来源：{t(a["origin"])}</span><span class="p-title p-fbsj">发布时间：{a["date"]}</span>{TJ_ZH}</div>
<div class="xw-txt">
{body}
</div>
{TJ_BOTTOM.format(editor=t(a["editor"]))}
</div>"""
    elif template in TJ_2022_BODY:
        meta = tj_column_meta(column) + "\n" + tj_article_meta(a)
        open_, close = TJ_2022_BODY[template]
        main = f"""<div class="xl-box">
<h1 class="xl-title">{t(a["title"])}</h1>
<div class="xl-info"><span>发布时间：{a["date"]}</span> <span>来源：{t(a["origin"])}</span></div>
{open_}
{body}
{close}
{TJ_BOTTOM.format(editor=t(a["editor"]))}
</div>"""
    else:
        raise ValueError(template)
    return document(
        f"""<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{t(a["title"])}_{column}_天津政务网</title>
{meta}
""",
        f"""{TJ_HEADER}
{crumb}
{main}
{TJ_FOOTER}""",
        lang="zh-CN",
    )


def tj_listing_page(column: str, rows: str, pager: str) -> str:
    return document(
        f"""<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{column}_天津政务网</title>
{tj_column_meta(column)}
<script type="text/javascript">
function jumpToDetail(url) {{ window.open(url, "_blank"); }}
{TRS_PAGER_FN}
</script>
""",
        f"""{TJ_HEADER}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="./">{column}</a></div>
<div class="main">
<div class="content-list">
{rows}
</div>
{pager}
</div>
{TJ_FOOTER}""",
        lang="zh-CN",
    )


def build_tj_gov() -> None:
    site = Site("tj_gov_tjxw", "www.tj.gov.cn")
    # The policy-file list (index_10960.html) is tj_gov_szfwj's: one URL, one page, one source.
    news = A.TJ_GOV
    col = "/sy/tjxw/"
    pages = chunks(news, PER_PAGE)
    names = trs_listing_names(len(pages), "html")
    for i, page in enumerate(pages):
        path = col + names[i]
        rows = []
        for a in page:
            href = rel(path, a["path"])
            if i == 1:  # the documented variant: ../ in the onclick, against the parent folder
                href = "../tjxw/" + href[2:]
            rows.append(
                f'<div class="list-item clear"><div class="list-item-l"><span><a href="javascript:void(0)" onclick="jumpToDetail(\'{href}\')">{t(a["title"])}</a></span></div><span class="list-item-date">{a["list_date"]}</span></div>'
            )
        pager = trs_pager(len(pages), i, id_="page_div")
        site.add(path, tj_listing_page("天津新闻", "\n".join(rows), pager))
    for a in news:
        site.add_attachments(a)
        site.add(a["path"], tj_detail(a, "天津新闻"))
    starts = ["https://www.tj.gov.cn/sy/tjxw/"]
    by_template: dict[str, list[str]] = {}
    for a in news:
        by_template.setdefault(a["template"], []).append(f"`{posixpath.basename(a['path'])}`")
    site.write(
        starts,
        names,
        news,
        "天津市人民政府（TRS，UTF-8）：天津要闻 div.list-item 行 + onclick jumpToDetail（含 ../ 变体）、index_N.html；详情页已记载模板（qt-title/xw-xtitle/xw-txt；ArticleTitle/PubDate meta；#zoom、div.common-content、div.article_content）",
        evidence_readme(
            "tj_gov_tjxw",
            "天津市人民政府 · 天津要闻",
            starts,
            'UTF-8 (`<meta charset="utf-8">`; §1a: crawlers set utf-8, the saved 2018 page declares it)',
            "§1a (and the site ID code of §1c)",
            [
                (
                    "news list (2019 redesign)",
                    "`/sy/tjxw/index.html`, `index_1.html`, `index_2.html`",
                    "rows `div[class=list-item clear]`; the link an `a` inside `div span` with no href but "
                    "`onclick=\"jumpToDetail('./YYYYMM/tYYYYMMDD_ID.html')\"`, on `index_1.html` the `../` variant; "
                    "date `span.list-item-date`; paging `index.html`, `index_1.html` … (mefly521/master-ms, 2020-05)",
                ),
                (
                    "news-2020",
                    ", ".join(by_template["news-2020"]),
                    "title `div[class=qt-title]`; 来源 the first span of `div[class=xw-xtitle clear]` (`span.p-title`, "
                    "`来源：`); date `span[class=p-title p-fbsj]` (`发布时间：`); body `div[class=xw-txt]` "
                    "(mefly521/master-ms 2020-05; the unattributed config about 2021-01)",
                ),
                (
                    "zoom-2022, common-content-2022, article_content-2022",
                    ", ".join(
                        by_template["zoom-2022"]
                        + by_template["common-content-2022"]
                        + by_template["article_content-2022"]
                    ),
                    "the body containers `#zoom`, `div.common-content`, `div.article_content` of spider-gov's "
                    "alternative parsers (Kira-yoshikage-d/spider-gov, 2022-09 / 2022-10); title and date from the "
                    "`ArticleTitle` / `PubDate` meta tags (GYSpider 2024-07; General conventions 1)",
                ),
            ],
            "the wrappers and classes around the documented elements (`div.xw-box`, `div.xl-box`, `div.xl-main`, "
            "`h1.xl-title`, the `xl-info` line of the 2022 pages); the "
            "`ContentSource` meta tag (General conventions 1 names it; no Tianjin crawler read it) on the meta-tag "
            "pages; that news pages of 2020 carry no `ArticleTitle` meta (none is documented for them, so the "
            "fixture leaves it out and exercises the visible markup); the `<title>` suffix `_<column>_天津政务网` "
            "(documented, 2025+); the rows' inner spans; share bar, 责任编辑, print and close links. The "
            "policy-file list (津政发, `index_10960.html`) and its `#xlrllt` pages are `tj_gov_szfwj`'s: "
            "one URL is one page, served and archived once.",
            f"{len(news)} news articles, {PER_PAGE} a page; the page count only in a script; "
            "t20250828_7012980 has attachment links (`./P0….pdf`, `./P0….docx`, with TRS's `OLDSRC`; "
            "the PDF a placeholder, the others real files: see below).",
        ),
    )


# --------------------------------------------------------------------------------------------
# 天津市商务局 · 公示公告 (shangwuju.tj.gov.cn)
# --------------------------------------------------------------------------------------------

SWJ_HEADER = """<div class="top"><div class="logo"><a href="/tjsswjzz/"><img src="/tjsswjzz/images/logo.png" alt="天津市商务局"></a></div>
<div class="nav"><a href="/tjsswjzz/">首页</a><a href="/tjsswjzz/zwdt/">政务动态</a><a href="/tjsswjzz/zwgk/">政务公开</a><a href="/tjsswjzz/zmhd/">政民互动</a></div></div>"""
SWJ_FOOTER = """<div class="bottom"><p>主办单位：天津市商务局 地址：天津市和平区 邮编：300000</p>
<p>版权所有 天津市商务局 网站标识码：1200000047 津ICP备05000000号</p></div>"""


def build_swj() -> None:
    site = Site("tj_swj", "shangwuju.tj.gov.cn")
    arts = A.SWJ
    col = "/tjsswjzz/zwdt/gsgg/"
    pages = chunks(arts, PER_PAGE)
    names = trs_listing_names(len(pages), "html")
    for i, page in enumerate(pages):
        path = col + names[i]
        rows = "\n".join(
            f'<li><a href="{rel(path, a["path"])}" target="_blank" title="{attr(a["title"])}">{t(a["title"])}</a><span>{a["list_date"]}</span></li>'
            for a in page
        )
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>公示公告-天津市商务局</title>
<meta name="SiteName" content="天津市商务局">
<meta name="ColumnName" content="公示公告">
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
""",
            f"""{SWJ_HEADER}
<div class="container">
<div class="left_nav"><ul><li><a href="../xwdt/">新闻动态</a></li><li class="on"><a href="./">公示公告</a></li><li><a href="../tzgg/">通知公告</a></li></ul></div>
<div class="news_1">
<div class="news_1_tit">公示公告</div>
<ul>
{rows}
</ul>
{trs_pager(len(pages), i, id_="pagebar")}
</div>
</div>
{SWJ_FOOTER}""",
        )
        site.add(path, html)
    for a in arts:
        site.add_attachments(a)
        fj = ""
        if a.get("attachments"):
            fj = '<div class="article-fj">\n' + "\n".join(trs_attachment_html(a)) + "\n</div>"
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{t(a["title"])}</title>
<meta name="SiteName" content="天津市商务局">
<meta name="ColumnName" content="公示公告">
<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
""",
            f"""{SWJ_HEADER}
<div class="container">
<div class="crumb">当前位置：<a href="../../../">首页</a> &gt; <a href="../../">政务动态</a> &gt; <a href="../">公示公告</a></div>
<div class="article">
<h2 class="article-title">{t(a["title"])}</h2>
<div class="article-info">
<span>发布日期：{a["date"]}</span>
<span>来源：{t(a["origin"])}</span>
<span class="font">【字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span>
</div>
<div class="article-con" id="zoom">
<div class="TRS_Editor">
{paras_html(a["paras"], indent=True)}
</div>
{fj}
<div class="article-tool"><a href="javascript:window.print();">【打印本页】</a> <a href="javascript:window.close();">【关闭窗口】</a></div>
</div>
</div>
</div>
{SWJ_FOOTER}""",
        )
        site.add(a["path"], html)
    start = "https://shangwuju.tj.gov.cn/tjsswjzz/zwdt/gsgg/"
    site.write(
        start,
        names,
        arts,
        "天津市商务局·公示公告（TRS，UTF-8）：div.news_1 ul li 列表（a + 日期 span）、相对链接、index_N.html 翻页；附件 P0/W0 文件在正文容器内",
        evidence_readme(
            "tj_swj",
            "天津市商务局 · 公示公告",
            [start],
            "UTF-8",
            "§2",
            [
                (
                    "list (2021)",
                    "`/tjsswjzz/zwdt/gsgg/index.html`, `index_1.html`, `index_2.html`",
                    'rows `//div[@class="news_1"]//ul/li/a` (text, href), date `li/span` (AYiXi/Crawler, 2021; documented for `/html/gongshigonggao/index.html`)',
                ),
                (
                    "URLs",
                    "every page",
                    "articles `/tjsswjzz/…/YYYYMM/tYYYYMMDD_ID.html`, attachments `P0…`/`W0…` files in the article's `YYYYMM/` folder (Policy_crawler README 2020-12; unattributed code 2023–2024)",
                ),
                (
                    "detail",
                    "`t2025…` pages",
                    'none found (§2): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it',
                ),
            ],
            "that the `/tjsswjzz/zwdt/gsgg/` column (公示公告, known from attachment URLs) still uses the `news_1` list; TRS `index_N.html` pagination (General conventions 2); the whole detail page: `ArticleTitle`/`PubDate` meta tags (General conventions 1), `h2.article-title`, a `发布日期/来源/字号` line, `#zoom` holding `div.TRS_Editor` (General conventions 6), an attachment block and 打印本页/关闭窗口.",
            f"{len(arts)} articles, {PER_PAGE} a page; relative `./YYYYMM/…` links; t20250822_7008811 and "
            "t20250820_7007935 have attachment links (`P0….pdf`, `W0….xls`, `W0….docx`; the PDF a placeholder, the "
            "others real files: see below); 打印本页/关闭窗口 inside `#zoom`.",
        ),
    )


# --------------------------------------------------------------------------------------------
# 天津市发展和改革委员会 · 通知公告 and 政策法规 (fzgg.tj.gov.cn): real-markup.md §3
# --------------------------------------------------------------------------------------------

FZGG_HEADER = """<div class="header"><div class="logo"><a href="/"><img src="/images/fzgg_logo.png" alt="天津市发展和改革委员会"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/xxfb/">信息发布</a></li><li><a href="/zwgk_47325/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>"""
FZGG_FOOTER = """<div class="footer"><p>主办：天津市发展和改革委员会</p><p>版权所有 天津市发展和改革委员会 网站标识码：1200000019 津ICP备05000000号</p></div>"""
FZGG_TOOLS = """<div class="details-main-tools"><a href="javascript:window.print()">打印本页</a><a href="javascript:window.close()">关闭窗口</a></div>"""


def fzgg_pubdate(date: str) -> str:
    """`2025-08-21 16:30` as the PubDate meta tag writes it: `2025/08/21 16:30:00` (BesFuel)."""
    day, _, clock = date.partition(" ")
    return day.replace("-", "/") + " " + (clock + ":00" if clock.count(":") == 1 else clock)


def fzgg_listing(column: str, rows: str, pager: str) -> str:
    return document(
        f"""<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{column}_天津市发展和改革委员会</title>
<script type="text/javascript">
function isDownLoad(obj, url) {{ window.open(url, "_blank"); }}
{TRS_PAGER_FN}
</script>
""",
        f"""{FZGG_HEADER}
<div class="list-main">
<div class="list-main-tit">{column}</div>
<ul class="list-main-group">
{rows}
</ul>
{pager}
</div>
{FZGG_FOOTER}""",
    )


def fzgg_row(a: dict) -> str:
    url = "https://fzgg.tj.gov.cn" + a["path"]
    return (
        f"<li><a href=\"javascript:void(0);\" onclick=\"isDownLoad(this,'{url}')\" title='{attr(a['title'])}'>"
        f'<span class="list-main-title">{t(a["title"])}</span><span class="list-main-date">{a["list_date"]}</span></a></li>'
    )


def fzgg_detail(a: dict, column: str) -> str:
    # `…：YYYY-MM-DD…` (the unattributed code): the time after the date is assumed
    shown = fzgg_pubdate(a["date"]).replace("/", "-")
    note = f'<div class="details-main-note"><span>来源：{t(a["origin"])}</span><span>发布时间：{shown}</span><span class="details-main-zh">字号：<a href="javascript:doZoom(18)">大</a><a href="javascript:doZoom(16)">中</a><a href="javascript:doZoom(14)">小</a></span></div>'
    fj = "\n".join(trs_attachment_html(a))
    meta = f"""<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{fzgg_pubdate(a["date"])}">"""
    template = a["template"]
    if template == "details-2025":
        # BesFuel 2025-26: meta tags, div.details-main-title, div.details-main-content#zoom with
        # tables in div.ue_table
        table = ""
        if a.get("attachments"):
            table = '<div class="ue_table"><table border="1"><tbody><tr><td>序号</td><td>材料</td><td>报送时间</td></tr><tr><td>1</td><td>项目申报表</td><td>9月20日前</td></tr></tbody></table></div>'
        main = f"""<div class="details-main-title">{t(a["title"])}</div>
{note}
<div class="details-main-content" id="zoom">
{paras_html(a["paras"], indent=True)}
{table}
{fj}
</div>"""
    elif template == "trs-editor":
        # the undated unattributed code: details-main-title, details-main-note span[2], the body in
        # .TRS_Editor or else #zoom; no meta tags named there, none here
        meta = ""
        main = f"""<div class="details-main-title">{t(a["title"])}</div>
{note}
<div class="xl-zw" id="zoom">
<div class="TRS_Editor">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
</div>"""
    elif template == "xlrllt-2023":
        # lokyii/scrapymbt 2023-03: the text in #xlrllt/div/div[1]//p
        main = f"""<div class="details-main-title">{t(a["title"])}</div>
{note}
<div id="xlrllt">
<div class="xlrllt-box">
<div class="xlrllt-con">
{paras_html(a["paras"], indent=True)}
</div>
<div class="xlrllt-share">分享到：<a href="javascript:;">微信</a> <a href="javascript:;">微博</a></div>
</div>
</div>"""
    else:
        raise ValueError(template)
    return document(
        f"""<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{t(a["title"])}_天津市发展和改革委员会</title>
{meta}
""",
        f"""{FZGG_HEADER}
<div class="details-main">
<div class="crumb">您现在的位置：<a href="/">首页</a> &gt; <a href="../">{column}</a></div>
{main}
{FZGG_TOOLS}
</div>
{FZGG_FOOTER}""",
    )


def build_fzgg() -> None:
    site = Site("tj_fzgg", "fzgg.tj.gov.cn")
    news, policy = A.FZGG, A.FZGG_POLICY
    col, policy_col = "/xxfb/tzggx/", "/zwgk_47325/zcfg_47338/"
    pages = chunks(news, PER_PAGE)
    names = trs_listing_names(len(pages), "html")
    for i, page in enumerate(pages):
        rows = "\n".join(fzgg_row(a) for a in page)
        site.add(
            col + names[i], fzgg_listing("通知公告", rows, trs_pager(len(pages), i, id_="page"))
        )
    rows = "\n".join(fzgg_row(a) for a in policy)
    site.add(policy_col, fzgg_listing("政策法规", rows, trs_pager(1, 0, id_="page")))
    for a in news:
        site.add_attachments(a)
        site.add(a["path"], fzgg_detail(a, "通知公告"))
    for a in policy:
        site.add_attachments(a)
        site.add(a["path"], fzgg_detail(a, "政策法规"))
    starts = ["https://fzgg.tj.gov.cn" + col, "https://fzgg.tj.gov.cn" + policy_col]
    by_template: dict[str, list[str]] = {}
    for a in news + policy:
        by_template.setdefault(a["template"], []).append(f"`{posixpath.basename(a['path'])}`")
    site.write(
        starts,
        [col + n for n in names] + [policy_col],
        news + policy,
        "天津市发展改革委（TRS，UTF-8）：通知公告 /xxfb/tzggx/ 与政策法规 /zwgk_47325/zcfg_47338/，ul.list-main-group li a 无 href、onclick=isDownLoad(this,'绝对地址')、var countPage 翻页；详情页三种已记载模板（details-main + meta + #zoom；.TRS_Editor；#xlrllt）",
        evidence_readme(
            "tj_fzgg",
            "天津市发展和改革委员会 · 通知公告、政策法规",
            starts,
            "UTF-8",
            "§3 (and General conventions 1, 2)",
            [
                (
                    "list (2025–26)",
                    f"`{col}index.html`, `index_1.html`, `index_2.html`; `{policy_col}`",
                    "rows `ul.list-main-group li a`, no usable href but `onclick=\"isDownLoad(this,'<absolute url>')\"`, "
                    "the title in `title='…'` and `span.list-main-title`, the date `span.list-main-date` "
                    "(YYYY-MM-DD); paging `var countPage = N`, `index_1.html` …; the list URLs `/xxfb/tzggx/` and "
                    "`/zwgk_47325/zcfg_47338/` (BensonLaur/BesFuel 2025–26; unattributed code)",
                ),
                (
                    "details-2025",
                    ", ".join(by_template["details-2025"]),
                    "title `div.details-main-title` and `meta[name=ArticleTitle]`; date `meta[name=PubDate]` as "
                    "`YYYY/MM/DD HH:MM:SS` and the visible `div.details-main-note span[2]` (`…：YYYY-MM-DD`); body "
                    "`div.details-main-content#zoom`, tables in `div.ue_table > table` (BesFuel 2025–26; "
                    "unattributed code)",
                ),
                (
                    "trs-editor",
                    ", ".join(by_template["trs-editor"]),
                    "title `div.details-main-title`; date `div.details-main-note span[2]`; body `.TRS_Editor`, "
                    "else `#zoom` (unattributed code, undated); no meta tags, as that code read none",
                ),
                (
                    "xlrllt-2023",
                    ", ".join(by_template["xlrllt-2023"]),
                    'policy pages with the text in `//*[@id="xlrllt"]/div/div[1]//p`, at the URL scrapymbt tested '
                    "(`/zwgk_47325/zcfg_47338/zcwjx/fgwj/202202/t20220223_5811773.html`; lokyii/scrapymbt 2023-03); "
                    "title and date from the meta tags",
                ),
            ],
            "the time after the date in `div.details-main-note span[2]` (documented as `…：YYYY-MM-DD…`); "
            "the `来源：` text of `div.details-main-note span[1]` (the profile leaves 来源 to the generic "
            "extractor); the classes around the documented elements (`div.details-main`, `div.xl-zw`, "
            "`div.xlrllt-box`, `div.xlrllt-con`, a share bar as `div[2]` of `#xlrllt/div`); that the 政策法规 list "
            "has the markup of the 通知公告 list; the table in `div.ue_table`; print and close links.",
            f"{len(news)} notices, {PER_PAGE} a page, and {len(policy)} policy files on one page; list links are "
            "absolute URLs inside `onclick` (the href is `javascript:void(0);`); t20250821_7007512 has `W0….pdf` "
            "and `W0….xls` attachment links (the PDF a placeholder, the others real files: see below) and a `div.ue_table` table; "
            "t20250815_7005790 links real attachment files of every format (below).",
        )
        + attachment_fixtures.readme_section(),
    )


# --------------------------------------------------------------------------------------------
# 天津市科学技术局 · 通知公告 (kxjs.tj.gov.cn): real-markup.md §4
# --------------------------------------------------------------------------------------------

KXJS_HEADER = """<div class="head"><div class="logo"><a href="/"><img src="/images/kxjs_logo.png" alt="天津市科学技术局"></a></div>
<div class="nav"><a href="/">首页</a><a href="/ZWGK4143/">政务公开</a><a href="/BSFW9672/">办事服务</a><a href="/HDJL1212/">互动交流</a></div></div>"""
KXJS_FOOTER = """<div class="foot"><p>主办单位：天津市科学技术局</p><p>版权所有：天津市科学技术局 网站标识码：1200000026 津ICP备05000000号</p></div>"""
KXJS_TOOLS = """<div class="xl-tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>"""


def kxjs_detail(a: dict) -> str:
    fj = "\n".join(trs_attachment_html(a))
    template = a["template"]
    # No source documents the date's markup: each template gets a different assumed shape, read by
    # the generic extractor (the profile's date is "auto").
    if template == "common-content":
        main = f"""<div class="common-content">
<div class="common-content-mainTitle">{t(a["title"])}</div>
<div class="common-content-info"><span>发布时间：{a["date"]}</span><span>来源：{t(a["origin"])}</span></div>
<div class="page_info">
<div class="TRS_Editor">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
</div>
</div>"""
        meta = ""
    elif template == "xxgk-annual-report":
        main = f"""<div class="qt-box">
<div class="qt-title">{t(a["title"])}</div>
<div class="view TRS_UEDITOR trs_paper_default trs_external">
{paras_html(a["paras"], indent=True)}
</div>
</div>"""
        meta = f'<meta name="ArticleTitle" content="{attr(a["title"])}">\n<meta name="PubDate" content="{a["date"]} 09:00">'
    elif template == "managecol":
        main = f"""<div class="sx-box">
<div class="sx-con">{t(a["title"])}</div>
<table class="sx-table"><tr><td>发文机关：</td><td>{t(a["origin"])}</td><td>发布日期：</td><td>{a["date"]}</td></tr></table>
<div class="xl-zw-cons">
{paras_html(a["paras"], indent=True)}
</div>
</div>"""
        meta = ""
    else:
        raise ValueError(template)
    return document(
        f"""<meta charset="utf-8">
<title>{t(a["title"])}-天津市科学技术局</title>
{meta}
""",
        f"""{KXJS_HEADER}
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/ZWGK4143/">政务公开</a></div>
{main}
{KXJS_TOOLS}
{KXJS_FOOTER}""",
    )


def build_kxjs() -> None:
    site = Site("tj_kxjs", "kxjs.tj.gov.cn")
    arts = A.KXJS
    col = "/ZWGK4143/TZGG2079/"
    pages = chunks(arts, PER_PAGE)
    names = trs_listing_names(len(pages), "html")
    for i, page in enumerate(pages):
        path = col + names[i]
        rows = "\n".join(
            f'<li><a href="{rel(path, a["path"]) if a["path"].startswith(col) else a["path"]}" target="_blank">{t(a["title"])}<span class="time">{a["list_date"]}</span></a></li>'
            for a in page
        )
        html = document(
            f"""<meta charset="utf-8">
<title>通知公告-天津市科学技术局</title>
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
""",
            f"""{KXJS_HEADER}
<div class="sub_main">
<div class="sub_left"><h3>政务公开</h3><ul><li class="on"><a href="./">通知公告</a></li><li><a href="../ZCJD/">政策解读</a></li></ul></div>
<div class="sub_right">
<div class="sub_sametit">通知公告</div>
<ul class="news_list news_list2">
{rows}
</ul>
{trs_pager(len(pages), i, id_="page_box")}
</div>
</div>
{KXJS_FOOTER}""",
        )
        site.add(path, html)
    for a in arts:
        site.add_attachments(a)
        site.add(a["path"], kxjs_detail(a))
    start = "https://kxjs.tj.gov.cn" + col
    by_template: dict[str, list[str]] = {}
    for a in arts:
        by_template.setdefault(a["template"], []).append(f"`{a['path']}`")
    site.write(
        start,
        names,
        arts,
        "天津市科学技术局·通知公告（TRS，UTF-8）：ul.news_list.news_list2 li，a 内含 span.time；index_N.html 翻页；详情页三种已记载模板（common-content-mainTitle + page_info；qt-title + TRS_UEDITOR 年报；managecol 的 sx-con + xl-zw-cons），日期交给通用抽取器",
        evidence_readme(
            "tj_kxjs",
            "天津市科学技术局 · 通知公告",
            [start],
            "UTF-8",
            "§4",
            [
                (
                    "list (current)",
                    f"`{col}index.html`, `index_1.html`, `index_2.html`",
                    "rows `ul.news_list.news_list2 li`: an `a` (href, text) with `span.time` inside it; "
                    "`index.html`, `index_1.html` … (unattributed code, URLs dated 2024-07 / about 2023)",
                ),
                (
                    "common-content",
                    ", ".join(by_template["common-content"]),
                    "title `.common-content-mainTitle`, body `.page_info` (most columns; the Go colly "
                    "policy-search_engine fork, URLs 2020-12 … 2024-07)",
                ),
                (
                    "xxgk-annual-report",
                    ", ".join(by_template["xxgk-annual-report"]),
                    "title `.qt-title` on `/ZWGK4143/ZFXXGK2908_1/…`; body `.view.TRS_UEDITOR.trs_paper_default."
                    "trs_external` (信息公开年报) (same code, 2024)",
                ),
                (
                    "managecol",
                    ", ".join(by_template["managecol"]),
                    "title `.sx-con`, body `.xl-zw-cons` on `/managecol/ZCWJ0923/…` (same code, 2024)",
                ),
            ],
            "the date on every detail page, which no source documents (the profile leaves it to the generic "
            "extractor): a `发布时间：` span on the common-content pages, a `PubDate` meta tag on the annual "
            "report, a `发布日期：` table cell on the managecol page; 来源 likewise; that the 通知公告 list links "
            "the annual report and the managecol file (root-relative links; it is how this one-column fixture "
            "reaches the two other templates); the wrappers around the documented elements; the pager script.",
            f"{len(arts)} articles, {PER_PAGE} a page; the list date inside the link; t20250820_7007241 has "
            "`P0….pdf` and `P0….xls` attachment links (the PDF a placeholder, the others real files: see below). The live site "
            "answered foreign addresses with a 13-byte 403 (§4, access note): the fixture does not imitate that.",
        ),
    )


# --------------------------------------------------------------------------------------------
# The /channels/<id>.html CMS of 保税区, 泰达, 滨海高新区 and 滨海新区
# --------------------------------------------------------------------------------------------


def channel_names(channel: str, n: int) -> list[str]:
    return [f"/channels/{channel}.html"] + [
        f"/channels/{channel}_{k}.html" for k in range(2, n + 1)
    ]


def laypage_script(channel: str, count: int, current: int) -> str:
    """The pager is drawn by layui's laypage from a script: no page links in the markup."""
    return f"""<div id="pager"></div>
<script type="text/javascript">
layui.use('laypage', function () {{
  layui.laypage.render({{
    elem: 'pager', count: {count}, limit: {PER_PAGE}, curr: {current + 1},
    jump: function (obj, first) {{
      if (!first) {{ location.href = obj.curr == 1 ? '{channel}.html' : '{channel}_' + obj.curr + '.html'; }}
    }}
  }});
}});
</script>"""


def build_tjftz() -> None:
    site = Site("tjftz", "www.tjftz.gov.cn")
    arts = A.TJFTZ
    ch = "6302"
    pages = chunks(arts, PER_PAGE)
    names = channel_names(ch, len(pages))
    header = """<div class="header layui-container"><div class="logo"><a href="/"><img src="/static/images/logo.png" alt="天津港保税区"></a></div>
<ul class="layui-nav"><li class="layui-nav-item"><a href="/">首页</a></li><li class="layui-nav-item"><a href="/channels/6300.html">新闻</a></li><li class="layui-nav-item"><a href="/channels/6400.html">政务公开</a></li><li class="layui-nav-item"><a href="/channels/6500.html">投资保税区</a></li></ul></div>"""
    footer = """<div class="footer"><p>天津港保税区管理委员会 主办</p><p>版权所有 天津港保税区管理委员会 网站标识码：1201160001 津ICP备05000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<li><div class="layui-row"><div class="layui-col-md10 layui-col-xs9"><a href="{a["path"]}" target="_blank" title="{attr(a["title"])}">{t(short(a["title"], 22, "…"))}</a></div><div class="layui-col-md2 layui-col-xs3"><span>{a["list_date"]}</span></div></div></li>'
            for a in page
        )
        html = document(
            """<meta charset="utf-8">
<meta name="renderer" content="webkit">
<title>区域聚焦 - 天津港保税区</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
<script src="/static/layui/layui.js"></script>
""",
            f"""{header}
<div class="layui-container sec-main">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/6300.html">新闻</a> &gt; <a href="/channels/6301.html">保税区要闻</a> &gt; 区域聚焦</div>
<div class="layui-row">
<div class="layui-col-md3" id="sec_left"><ul><li><a href="/channels/6301.html">保税区要闻</a></li><li class="on"><a href="/channels/{ch}.html">区域聚焦</a></li></ul></div>
<div class="layui-col-md9" id="sec_right">
<h3 class="sec-tit">区域聚焦</h3>
<ul>
{rows}
</ul>
{laypage_script(ch, len(arts), i)}
</div>
</div>
</div>
{footer}""",
        )
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><img src="/static/images/icon_file.gif"><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = document(
            f"""<meta charset="utf-8">
<title>{t(a["title"])} - 天津港保税区</title>
<meta name="ArticleTitle" content="{attr(a["title"])}">
<link rel="stylesheet" href="/static/layui/css/layui.css">
""",
            f"""{header}
<div class="layui-container detail">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/6301.html">保税区要闻</a> &gt; <a href="/channels/{ch}.html">区域聚焦</a></div>
<div class="detail-title"><h2>{t(a["title"])}</h2></div>
<div class="detail-info">
<span>发布时间：{a["date"]}</span>
<span>来源：{t(a["origin"])}</span>
<span>浏览次数：<em id="hits"></em></span>
</div>
<div class="detail-content" id="conN">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
<div class="detail-share">分享到：<a class="share-wx" href="javascript:;">微信</a><a class="share-wb" href="javascript:;">微博</a></div>
<div class="detail-editor">责任编辑：{t(a["editor"])}</div>
</div>
{footer}""",
        )
        site.add(a["path"], html)
    start = f"https://www.tjftz.gov.cn/channels/{ch}.html"
    site.write(
        start,
        [n for n in names],
        arts,
        "天津港保税区·区域聚焦（UTF-8，layui）：/channels/6302.html 列表，行 #sec_right > ul li > .layui-row，标题截断、全文在 a[title]；/contents/6302/ID.html 详情；翻页只在 laypage 脚本里",
        evidence_readme(
            "tjftz",
            "天津港保税区 · 区域聚焦",
            [start],
            "UTF-8 (the gb2312 of §6 is the old 2021 site's)",
            "§6",
            [
                (
                    "list (2025)",
                    "`/channels/6302.html`, `6302_2.html`, `6302_3.html`",
                    "`/channels/<channelId>.html` (6302 区域聚焦); rows `#sec_right>ul li>.layui-row`; `a[href]` site-relative, `a[title]`; the date a `span` in the row; breadcrumb `.location` (DIYgod/RSSHub, 2025-02 / 2025-03)",
                ),
                (
                    "URLs",
                    "articles",
                    "`/contents/<channel>/<docid>.html` (unattributed code, 2026); the SiteServer paging `/channels/(ch)_?(page)` (General conventions 5)",
                ),
                (
                    "detail",
                    "`/contents/6302/…`",
                    'none found (§6): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it',
                ),
            ],
            "the second and later list pages as `/channels/6302_2.html` … (the SiteServer rule; the live pager is a layui script with no links); the whole detail page (`div.detail-title h2`, a `发布时间/来源/浏览次数` line, `div.detail-content`, 分享/责任编辑 after it); attachments under `/upload/files/`.",
            f"{len(arts)} articles, {PER_PAGE} a page; root-relative links; listing text cut at 22 characters with "
            "`…`; 418213 has `.pdf` and `.docx` attachment links (the PDF a placeholder, the others real files: see below).",
        ),
    )


def build_teda() -> None:
    site = Site("teda", "www.teda.gov.cn")
    arts = A.TEDA
    ch = "3961"
    pages = chunks(arts, PER_PAGE)
    names = channel_names(ch, len(pages))
    header = """<div class="ET_header"><div class="ET_logo"><a href="/"><img src="/r/cms/www/teda/images/logo.png" alt="天津经济技术开发区"></a></div>
<ul class="ET_nav"><li><a href="/">首页</a></li><li><a href="/channels/3960.html">泰达资讯</a></li><li><a href="/channels/4000.html">政务公开</a></li><li><a href="/channels/4100.html">投资泰达</a></li></ul></div>"""
    footer = """<div class="ET_footer"><p>主办单位：天津经济技术开发区管理委员会</p><p>版权所有 天津经济技术开发区管理委员会 网站标识码：1201160002 津ICP备05000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<li><a href="{a["path"]}" target="_blank">{t(a["title"])}</a><span>{a["list_date"]}</span></li>'
            for a in page
        )
        html = document(
            """<meta charset="utf-8">
<title>泰达要闻-天津经济技术开发区</title>
<script src="/r/cms/www/teda/js/layui.js"></script>
""",
            f"""{header}
<div class="ET_main">
<div class="ET_main_tit"><span>泰达要闻</span></div>
<div class="ET_main_list">
<ul>
{rows}
</ul>
</div>
{laypage_script(ch, len(arts), i)}
</div>
{footer}""",
        )
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = document(
            f"""<meta charset="utf-8">
<title>{t(a["title"])}-天津经济技术开发区</title>
""",
            f"""{header}
<div class="ET_detail">
<div class="ET_crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/3960.html">泰达资讯</a> &gt; <a href="/channels/{ch}.html">泰达要闻</a></div>
<h3 class="ET_detail_title">{t(a["title"])}</h3>
<div class="ET_detail_info"><span>来源：{t(a["origin"])}</span> <span>发布时间：{a["date"]}</span> <span class="ET_font">字号：<a href="javascript:;">大</a><a href="javascript:;">中</a><a href="javascript:;">小</a></span></div>
<div class="ET_detail_con">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
<div class="ET_detail_bottom"><a href="javascript:window.print()">【打印】</a><a href="javascript:window.close()">【关闭】</a></div>
</div>
{footer}""",
        )
        site.add(a["path"], html)
    start = f"https://www.teda.gov.cn/channels/{ch}.html"
    site.write(
        start,
        names,
        arts,
        "天津经济技术开发区（泰达，UTF-8）：/channels/3961.html 列表 div.ET_main_list li（a + 日期 span）、根相对链接 /contents/21/ID.html；翻页只在 laypage 脚本里",
        evidence_readme(
            "teda",
            "天津经济技术开发区（泰达）",
            [start],
            "UTF-8",
            "§7",
            [
                (
                    "list (2021)",
                    "`/channels/3961.html`, `3961_2.html`, `3961_3.html`",
                    '`/channels/3961.html`; `//div[@class="ET_main_list"]//li/a` (text, site-relative href), date `//li/span` (AYiXi/Crawler, 2021)',
                ),
                (
                    "URLs",
                    "articles",
                    "`/contents/<ch>/<id>.html`, e.g. `/contents/21/68913.html` (unattributed code, 2025–2026)",
                ),
                (
                    "detail",
                    "`/contents/21/…`",
                    'none found (§7): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it',
                ),
            ],
            "the later list pages `/channels/3961_2.html` … (General conventions 5; the live pager is a script); the whole detail page (`h3.ET_detail_title`, a `来源/发布时间/字号` line, `div.ET_detail_con`, 打印/关闭 below); attachments under `/u/cms/www/`.",
            f"{len(arts)} articles, {PER_PAGE} a page; 106087 has `.pdf` and `.docx` attachment links (the PDF a "
            "placeholder, the others real files: see below).",
        ),
    )


def build_tht() -> None:
    site = Site("tht", "www.tht.gov.cn")
    arts = A.THT
    ch = "3909"
    pages = chunks(arts, PER_PAGE)
    names = channel_names(ch, len(pages))
    header = """<div class="header"><div class="layui-container"><a class="logo" href="/"><img src="/static/images/logo.png" alt="天津滨海高新技术产业开发区"></a>
<ul class="layui-nav"><li class="layui-nav-item"><a href="/">首页</a></li><li class="layui-nav-item"><a href="/channels/3900.html">政务公开</a></li><li class="layui-nav-item"><a href="/channels/3950.html">投资高新</a></li></ul></div></div>"""
    footer = """<div class="footer"><p>主办：天津滨海高新技术产业开发区管理委员会</p><p>版权所有 天津滨海高新区管委会 网站标识码：1201160003 津ICP备05000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<li><div class="layui-row"><div class="layui-col-md10 layui-col-xs12"><a href="{a["path"]}" target="_blank">• {t(a["title"])}</a></div><div class="layui-col-md2 layui-hide-xs"><span>{a["list_date"]}</span></div></div></li>'
            for a in page
        )
        html = document(
            """<meta charset="utf-8">
<title>政务信息-天津滨海高新技术产业开发区</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
<script src="/static/layui/layui.js"></script>
""",
            f"""{header}
<div class="layui-container sec-main">
<div class="sec-crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/3900.html">政务公开</a> &gt; 政务信息</div>
<ul class="sec-list gk-level4">
{rows}
</ul>
{laypage_script(ch, len(arts), i)}
</div>
{footer}""",
        )
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p>附件：<a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = document(
            f"""<meta charset="utf-8">
<title>{t(a["title"])}-天津滨海高新技术产业开发区</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
""",
            f"""{header}
<div class="layui-container article">
<div class="article-title"><h1>{t(a["title"])}</h1></div>
<div class="article-attr"><span>发布日期：{a["date"]}</span><span>信息来源：{t(a["origin"])}</span><span class="article-font">字号：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a></span></div>
<div class="article-content">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
<div class="article-tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
{footer}""",
        )
        site.add(a["path"], html)
    start = f"https://www.tht.gov.cn/channels/{ch}.html"
    site.write(
        start,
        names,
        arts,
        "滨海高新区（UTF-8，layui）：/channels/3909.html 列表 ul.sec-list li，标题前有“• ”，日期在 layui 列的 span；根相对链接；翻页只在 laypage 脚本里",
        evidence_readme(
            "tht",
            "天津滨海高新技术产业开发区",
            [start],
            "UTF-8",
            "§8",
            [
                (
                    "list (2021)",
                    "`/channels/3909.html`, `3909_2.html`, `3909_3.html`",
                    '`/channels/3909.html`; `//ul[@class="sec-list gk-level4"]//a` with text starting `•`; the date in `div[@class="layui-col-md2 layui-hide-xs"]/span` (AYiXi/Crawler, 2021)',
                ),
                ("URLs", "articles", "`/contents/<ch>/<id>.html` (unattributed code, 2026)"),
                (
                    "detail",
                    "`/contents/3909/…`",
                    'none found (§8): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it',
                ),
            ],
            "the article channel 3909 in the URLs (the documented one is 16942); the later list pages `/channels/3909_2.html` … (General conventions 5); https (the 2021 code used http); the whole detail page (`div.article-title h1`, `发布日期/信息来源/字号` spans, `div.article-content`, 打印本页/关闭窗口 below); attachments under `/upload/`.",
            f"{len(arts)} articles, {PER_PAGE} a page; listing titles start with `• ` (the profile cuts it with a "
            "regex); 452207 (`.xls`) and 451987 (`.pdf`) have attachment links (the PDF a placeholder, the others real files: see below).",
        ),
    )


def build_bhxq() -> None:
    site = Site("bhxq", "www.tjbh.gov.cn", scheme="http")
    arts = A.BHXQ
    ch = "6346"
    pages = chunks(arts, PER_PAGE)
    names = channel_names(ch, len(pages))
    header = """<div class="header"><div class="layui-container"><a class="logo" href="/"><img src="/static/images/bh_logo.png" alt="天津市滨海新区人民政府"></a>
<ul class="layui-nav"><li class="layui-nav-item"><a href="/">首页</a></li><li class="layui-nav-item"><a href="/channels/6300.html">新闻中心</a></li><li class="layui-nav-item"><a href="/channels/6340.html">政府信息公开</a></li><li class="layui-nav-item"><a href="/channels/6400.html">政务服务</a></li></ul></div></div>"""
    footer = """<div class="footer"><p>主办：天津市滨海新区人民政府办公室</p><p>版权所有 天津市滨海新区人民政府 网站标识码：1201160004 津ICP备05000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<li class="xxgk-list"><div class="layui-row"><div class="layui-col-md10 layui-col-sm10"><a href="{a["path"]}" target="_blank" title="{attr(a["title"])}">{t(short(a["title"], 30, "…"))}</a></div><div class="layui-col-md2 layui-col-sm2"><span>{a["list_date"]}</span></div></div></li>'
            for a in page
        )
        html = document(
            """<meta charset="utf-8">
<title>通知公告-天津市滨海新区人民政府</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
<script src="/static/layui/layui.js"></script>
""",
            f"""{header}
<div class="layui-container xxgk-main">
<div class="xxgk-crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/6340.html">政府信息公开</a> &gt; 通知公告</div>
<ul class="xxgk-ul">
{rows}
</ul>
{laypage_script(ch, len(arts), i)}
</div>
{footer}""",
        )
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        if fj:
            fj = "<p>附件：</p>\n" + fj
        html = document(
            f"""<meta charset="utf-8">
<title>{t(a["title"])}-天津市滨海新区人民政府</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
""",
            f"""{header}
<div class="layui-container xxgk-detail">
<table class="xxgk-info">
<tr><td class="t">索引号：</td><td>{a["index_no"]}</td><td class="t">发布机构：</td><td>{t(a["origin"])}</td></tr>
<tr><td class="t">成文日期：</td><td>{a["written"]}</td><td class="t">发布日期：</td><td>{a["date"]}</td></tr>
<tr><td class="t">标题：</td><td colspan="3">{t(a["title"])}</td></tr>
</table>
<div class="xxgk-title"><h1>{t(a["title"])}</h1></div>
<div class="xxgk-content">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
<div class="xxgk-tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
{footer}""",
        )
        site.add(a["path"], html)
    start = f"http://www.tjbh.gov.cn/channels/{ch}.html"
    site.write(
        start,
        names,
        arts,
        "滨海新区人民政府·信息公开（UTF-8，layui）：/channels/6346.html 列表 li.xxgk-list，标题截断、全文在 a[title]，日期在 layui 列的 span；详情页信息公开表格（成文日期≠发布日期）",
        evidence_readme(
            "bhxq",
            "天津市滨海新区人民政府 · 通知公告",
            [start],
            "UTF-8",
            "§9",
            [
                (
                    "list (2021)",
                    "`/channels/6346.html`, `6346_2.html`, `6346_3.html`",
                    '`http://www.tjbh.gov.cn/channels/6346.html`; `//li[@class="xxgk-list"]//a/@title` and `/@href` (site-relative); the date in `div[@class="layui-col-md2 layui-col-sm2"]//span` (AYiXi/Crawler, 2021)',
                ),
                (
                    "detail",
                    "`/contents/6346/…`",
                    'none found (§9): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it; 来源 is left unread, as these pages name only a 发布机构',
                ),
            ],
            "articles `/contents/6346/<docid>.html` and later list pages `/channels/6346_2.html` … (General conventions 5); that bhxq.tj.gov.cn (a candidate domain, §9; the profile allows it) serves the same pages; the whole detail page (a 政府信息公开 table with 索引号/发布机构/成文日期/发布日期, `div.xxgk-title h1`, `div.xxgk-content`).",
            f"{len(arts)} articles, {PER_PAGE} a page; listing text cut at 30 characters with `…`; 成文日期 earlier "
            "than 发布日期 on most pages (the profile takes 发布日期); 507713 has `.pdf` and `.docx` attachment links "
            "(the PDF a placeholder, the others real files: see below).",
        ),
    )


# --------------------------------------------------------------------------------------------
# 天津市东丽区人民政府 · 公示公告 (www.tjdl.gov.cn), .shtml, absolute links
# --------------------------------------------------------------------------------------------


def build_tjdl() -> None:
    site = Site("tjdl", "www.tjdl.gov.cn")
    arts = A.TJDL
    col = "/zwgk/gsgg/gsgg/"
    pages = chunks(arts, PER_PAGE)
    names = trs_listing_names(len(pages), "shtml")
    header = """<div class="header"><div class="logo"><a href="/"><img src="/images/dl_logo.png" alt="天津市东丽区人民政府"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/xwzx/">新闻中心</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li></ul></div>"""
    footer = """<div class="footer"><p>主办：天津市东丽区人民政府办公室</p><p>版权所有 天津市东丽区人民政府 网站标识码：1201100001 津ICP备05000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<li><a href="{site.origin}{a["path"]}" target="_blank">{t(a["title"])}</a><span>{a["list_date"]}</span></li>'
            for a in page
        )
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>公示公告_天津市东丽区人民政府</title>
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
""",
            f"""{header}
<div class="main">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 公示公告</div>
<ul class="newsList">
{rows}
</ul>
{trs_pager(len(pages), i, id_="pagenav", ext="shtml")}
</div>
{footer}""",
        )
        site.add(col + names[i], html)
    for a in arts:
        site.add_attachments(a)
        body = [paras_html(a["paras"], indent=True), *trs_attachment_html(a)]
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{t(a["title"])}_天津市东丽区人民政府</title>
<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
""",
            f"""{header}
<div class="main detail">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="../">公示公告</a></div>
<div class="detail_tit"><h1>{t(a["title"])}</h1></div>
<div class="detail_info">发布时间：{a["date"]}&nbsp;&nbsp;&nbsp;&nbsp;来源：{t(a["origin"])}&nbsp;&nbsp;&nbsp;&nbsp;字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></div>
<div class="detail_con" id="zoom">
<div class="TRS_Editor">
{chr(10).join(body)}
</div>
</div>
<div class="detail_foot"><span class="zrbj">【责任编辑：{t(a["editor"])}】</span><span class="tools"><a href="javascript:window.print()">【打印】</a><a href="javascript:window.close()">【关闭】</a></span></div>
</div>
{footer}""",
        )
        site.add(a["path"], html)
    start = "https://www.tjdl.gov.cn/zwgk/gsgg/gsgg/index.shtml"
    site.write(
        start,
        names,
        arts,
        "东丽区人民政府·公示公告（UTF-8，.shtml）：ul.newsList li（a + 日期 span，日期后带时间）、带主机名的绝对链接、index_N.shtml 翻页",
        evidence_readme(
            "tjdl",
            "天津市东丽区人民政府 · 公示公告",
            [start],
            "UTF-8",
            "§10",
            [
                (
                    "list (2021)",
                    "`/zwgk/gsgg/gsgg/index.shtml`, `index_1.shtml`, `index_2.shtml`",
                    '`www.tjdl.gov.cn/zwgk/gsgg/gsgg/index.shtml`; `//ul[@class="newsList"]//li/a`; date `li/span` as "date time" (AYiXi/Crawler, 2021)',
                ),
                (
                    "detail",
                    "`t2025….shtml`",
                    'none found (§10): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it (§10: no district detail selectors were found)',
                ),
            ],
            "`index_N.shtml` pagination and TRS-style articles `/zwgk/gsgg/gsgg/YYYYMM/tYYYYMMDD_ID.shtml` (newer district URLs follow the TRS scheme, §10, with `.html`); the whole detail page (`div.detail_tit h1`, a `发布时间/来源/字号` line, `#zoom > div.TRS_Editor`, 责任编辑 and 打印/关闭 below).",
            f"{len(arts)} articles, {PER_PAGE} a page; absolute `https://www.tjdl.gov.cn/…` links; t20250819_7006931 "
            "(`.xls`) and t20250812_7004719 (`.pdf`, `.docx`) have attachment links (the PDF a placeholder, "
            "the others real files: see below).",
        ),
    )


# --------------------------------------------------------------------------------------------
# 中新天津生态城 · 政务公告 (www.eco-city.gov.cn)
# --------------------------------------------------------------------------------------------


def build_eco() -> None:
    site = Site("eco_city", "www.eco-city.gov.cn")
    arts = A.ECO
    col = "/html/zwgg/"
    pages = chunks(arts, PER_PAGE)
    names = ["index.html"] + [f"index_{k}.html" for k in range(2, len(pages) + 1)]
    header = """<div class="header"><div class="logo"><a href="/"><img src="/images/eco_logo.png" alt="中新天津生态城"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/html/xwzx/">新闻中心</a></li><li><a href="/html/zwgk/">政务公开</a></li><li><a href="/html/tzst/">投资生态城</a></li></ul></div>"""
    footer = """<div class="footer"><p>主办：中新天津生态城管理委员会</p><p>版权所有 中新天津生态城管理委员会 网站标识码：1201160005 津ICP备05000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<li><a href="{a["path"]}" target="_blank"><div class="biaoti"><h4>{t(a["title"])}</h4><p>{t(a["summary"])}</p></div><div class="riqi"><span>{a["list_date"]}</span><span>政务公告</span></div></a></li>'
            for a in page
        )
        pager = []
        if i > 0:
            pager.append(f'<a href="{names[0]}">首页</a> <a href="{names[i - 1]}">上一页</a>')
        if i + 1 < len(pages):
            pager.append(f'<a href="{names[i + 1]}">下一页</a> <a href="{names[-1]}">尾页</a>')
        html = document(
            """<meta charset="utf-8">
<title>政务公告-中新天津生态城</title>
""",
            f"""{header}
<div class="main">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/html/zwgk/">政务公开</a> &gt; 政务公告</div>
<div class="text_lists">
<ul>
{rows}
</ul>
</div>
<div class="pages"><span>共{len(pages)}页</span> {" ".join(pager)}</div>
</div>
{footer}""",
        )
        site.add(col + names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p>附件：<a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = document(
            f"""<meta charset="utf-8">
<title>{t(a["title"])}-中新天津生态城</title>
""",
            f"""{header}
<div class="main article">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/html/zwgk/">政务公开</a> &gt; <a href="{col}">政务公告</a></div>
<div class="article_title"><h2>{t(a["title"])}</h2></div>
<div class="article_info"><span>发布时间：{a["date"]}</span><span>来源：{t(a["origin"])}</span></div>
<div class="article_content">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
<div class="article_foot"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
{footer}""",
        )
        site.add(a["path"], html)
    start = "https://www.eco-city.gov.cn/html/zwgg/"
    site.write(
        start,
        [col + n for n in names],
        arts,
        "中新天津生态城·政务公告（UTF-8）：div.text_lists li a，标题在 div.biaoti h4，日期 YYYY/MM/DD 在 div.riqi span；index_N.html 翻页从 2 起",
        evidence_readme(
            "eco_city",
            "中新天津生态城管理委员会 · 政务公告",
            [start],
            "UTF-8",
            "§11",
            [
                (
                    "list (2021)",
                    "`/html/zwgg/index.html`, `index_2.html`, `index_3.html`",
                    '`/html/zwgg/`; links `//div[@class="text_lists"]//li/a/@href` (site-relative); titles `//div[@class="biaoti"]/h4`; dates `//div[@class="riqi"]/span`, two spans per item, `YYYY/MM/DD`; paging `index_N.html` (AYiXi/Crawler 2021; unattributed code 2021-07)',
                ),
                (
                    "detail",
                    "`/html/zwgg/2025…/…`",
                    'none found (§11): the profile leaves title, date, body and 来源 to the generic extractor (`"auto"`), and these pages exercise it',
                ),
            ],
            "articles `/html/zwgg/YYYYMMDD/<id>.html`; the second `span` of `div.riqi` (the column name); the whole detail page (`div.article_title h2`, `发布时间/来源` spans with `YYYY/MM/DD`, `div.article_content`, 打印本页/关闭窗口 below). The live site set cookies by a JavaScript challenge (§11, anti-bot): the fixture does not imitate it.",
            f"{len(arts)} articles, {PER_PAGE} a page; a summary `<p>` under each listing title; 57306 has `.pdf` and "
            "`.xls` attachment links (the PDF a placeholder, the others real files: see below).",
        ),
    )


# --------------------------------------------------------------------------------------------
# 北方网 (news.enorth.com.cn), GB2312
# --------------------------------------------------------------------------------------------

ENORTH_CH = "17001009000000000"
ENORTH_COUNT = "/system/count/0017001/009000000000/count_page_list_0017001009000000000.js"
ENORTH_MAXPAGE = 2845


def enorth_more(page_no: int) -> str:
    """List page number N of the channel: pages count down from maxpage (the newest is the front page)."""
    return f"/system/more/{ENORTH_CH}/{page_no // 100:04d}/{ENORTH_CH}_{page_no:08d}.shtml"


def enorth_detail(a: dict, nav: str, footer: str) -> str:
    """One of the five detail templates third-party crawlers document for enorth (§12)."""
    paras = paras_html(a["paras"], indent=True)
    fj = "\n".join(
        f'<p><a href="{href}" target="_blank">{t(label)}</a></p>'
        for href, label in a.get("attachments", [])
    )
    title, date, origin = t(a["title"]), a["date"], t(a["origin"])
    page_title = f"{title}_新闻中心_北方网"
    template = a["template"]
    if template == "bootstrap-2021":
        # the tjtv config (about 2021-01): h2.col-sm-12; p.col-sm-6.info spans 来源：/作者：/time;
        # div.content
        main = f"""<div class="container"><div class="row">
<h2 class="col-sm-12">{title}</h2>
<p class="col-sm-6 info"><span>来源：{origin}</span> <span>作者：{t(a["author"])}</span> <span>{date}</span></p>
</div>
<div class="content">
{paras}
{fj}
</div>
</div>"""
    elif template == "table-hei201":
        # the tjtv config's table template: td.hei201, td.yansehui.jiacu (稿源：), the time in
        # font.p12, the body in td.zi14.hanggao30
        main = f"""<table width="760" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td class="hei201" align="center">{title}</td></tr>
<tr><td class="yansehui jiacu" align="center">稿源：{origin}</td></tr>
<tr><td align="center"><font class="p12">{date}</font></td></tr>
<tr><td class="zi14 hanggao30">
{paras}
{fj}
</td></tr>
</table>"""
    elif template == "table-p14":
        # the config's third set: div[align=center] h1, font.p12 (稿源：…编辑 and the time), td.p14
        main = f"""<div align="center"><h1>{title}</h1></div>
<table width="760" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td align="center"><font class="p12">稿源：{origin}　编辑：{t(a["editor"])}　{date}</font></td></tr>
<tr><td class="p14">
{paras}
{fj}
</td></tr>
</table>"""
    elif template == "title-article":
        # the weather spider (undated): #title h2; #title/div[2]/p/span[1] source, span[2]
        # author, span[4] time; the body #article/div[2]/p, a div.content
        main = f"""<div id="title">
<div class="tit"><h2>{title}</h2></div>
<div class="info"><p><span>来源：{origin}</span> <span>作者：{t(a["author"])}</span> <span>编辑：{t(a["editor"])}</span> <span>{date}</span></p></div>
</div>
<div id="article">
<div class="share">分享到：<a href="javascript:;">微信</a> <a href="javascript:;">微博</a></div>
<div class="content">
{paras}
{fj}
</div>
</div>"""
    elif template == "info-2019":
        # news_all's EnorthSpider (2019-06): the title from <title> split on '-'; date and 来源
        # in .col-sm-8.info; body div.content
        page_title = f"{title}-新闻中心-北方网"
        main = f"""<div class="container">
<div class="headline"><h3>{title}</h3></div>
<div class="row"><div class="col-sm-8 info">{date} 来源：{origin}</div><div class="col-sm-4 tools">字号：<a href="javascript:;">大</a> <a href="javascript:;">小</a></div></div>
<div class="content">
{paras}
{fj}
</div>
</div>"""
    else:
        raise ValueError(template)
    html = document(
        f"""<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{page_title}</title>
<meta name="keywords" content="北方网,天津">
""",
        f"""{nav}
<div class="wrap">
{main}
</div>
{footer}""",
        doctype=False,
    )
    return html


def build_enorth() -> None:
    site = Site("enorth", "news.enorth.com.cn", scheme="http")
    arts = A.ENORTH
    pages = chunks(arts, PER_PAGE)
    names = ["/tj/wytd/index.shtml"] + [
        enorth_more(ENORTH_MAXPAGE - k) for k in range(1, len(pages))
    ]
    site.add(ENORTH_COUNT, f"var maxpage = {ENORTH_MAXPAGE};\n")
    nav = """<div class="topnav"><a href="http://www.enorth.com.cn/">北方网首页</a> | <a href="http://news.enorth.com.cn/">新闻中心</a> | <a href="http://news.enorth.com.cn/tj/">天津</a> | <a href="http://news.enorth.com.cn/gn/">国内</a> | <a href="http://news.enorth.com.cn/gj/">国际</a></div>"""
    footer = """<div class="footer"><p><a href="http://www.enorth.com.cn/about/">关于我们</a> | 违法和不良信息举报电话：022-23200000</p><p>版权所有 北方网 津ICP备05000000号 津公网安备 12010102000000号</p></div>"""
    for i, page in enumerate(pages):
        rows = "\n".join(
            f'<tr><td><a class="zi14" href="{site.origin}{a["path"]}" target="_blank">{t(a["title"])}</a></td><td class="hui12" width="130" align="right">{a["list_date"]}</td></tr>'
            for a in page
        )
        links = [f'<a href="{site.origin}{names[0]}">首页</a>'] if i > 0 else []
        if i > 0:
            links.append(f'<a href="{site.origin}{names[i - 1]}">上一页</a>')
        if i + 1 < len(pages):
            links.append(f'<a href="{site.origin}{names[i + 1]}">下一页</a>')
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>天津_北方网</title>
<script type="text/javascript" src="{ENORTH_COUNT}"></script>
""",
            f"""{nav}
<table width="960" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td class="colname">天津</td></tr>
<tr><td>
<table width="100%" >
{rows}
</table>
</td></tr>
<tr><td class="pages" align="center">{" ".join(links)}</td></tr>
</table>
{footer}""",
            doctype=False,
        )
        site.add(names[i], gb(html))
    for a in arts:
        site.add_attachments(a)
        site.add(a["path"], gb(enorth_detail(a, nav, footer)))
    start = "http://news.enorth.com.cn/tj/wytd/index.shtml"
    site.write(
        start,
        names,
        arts,
        "北方网（GB2312）：栏目首页 /tj/wytd/index.shtml，后续列表 /system/more/<ch>/<NNNN>/<ch>_<8位>.shtml 自 maxpage 倒数；count_page_list_<ch>.js 里 var maxpage；详情页 #title/#article",
        evidence_readme(
            "enorth",
            "北方网（enorth）· 天津 /tj/wytd/",
            [start],
            "GB2312 declared (`<meta … charset=gb2312>`), the bytes GBK, GB2312 text only (§12: crawlers decode "
            "GBK; the profile detects the encoding rather than forcing it)",
            "§12",
            [
                (
                    "list pages",
                    f"`/tj/wytd/index.shtml`, `{enorth_more(ENORTH_MAXPAGE - 1)}`, `{enorth_more(ENORTH_MAXPAGE - 2)}`",
                    "the more-page URL `/system/more/<17-digit column id>/<NNNN>/<column id>_<8-digit page>.shtml` "
                    f"(the example `…/{ENORTH_CH}/0028/{ENORTH_CH}_00002844.shtml`) and the channel `index.shtml` "
                    "(unattributed code, 2019); article URLs `/system/YYYY/MM/DD/NNNNNNNNN.shtml`",
                ),
                (
                    "bootstrap-2021",
                    "`057128406.shtml`",
                    "title `h2.col-sm-12`; 来源, 作者 and the time (`YYYY-MM-DD HH:MM:SS`) in `p.col-sm-6.info span`; "
                    "body `div.content` (the tjtv config, about 2021-01)",
                ),
                (
                    "table-hei201",
                    "`057125933.shtml`",
                    "title `td.hei201`; source `td.yansehui.jiacu` (`稿源：`); time in `font.p12`; body "
                    "`td.zi14.hanggao30` (the same config's alternatives)",
                ),
                (
                    "table-p14",
                    "`057123377.shtml`",
                    "title `div[align=center] h1`; `font.p12` with `稿源：…编辑` and the time; body `td.p14` (the "
                    "same config's alternatives)",
                ),
                (
                    "title-article",
                    "`057120815.shtml`",
                    "title `#title h2`; `#title/div[2]/p/span[1]` source, `span[2]` author (`…：name`), `span[4]` "
                    "time; body `#article/div[2]/p`, the block `div.content` (unattributed weather spider, undated)",
                ),
                (
                    "info-2019",
                    "`057118240.shtml`",
                    "date and `来源：` in `.col-sm-8.info` (`YYYY-MM-DD HH:MM`); body `div.content`; the title from "
                    "the page `<title>` split on `-` (news_all EnorthSpider, 2019-06)",
                ),
            ],
            "how the tjtv config's alternatives pair up into pages (it lists them per field, not per template); "
            'that the news channel uses the tjtv templates; the list pages\' rows (`<a class="zi14">` in a '
            '`<table width="100%">`, from `shared/sources.md`), their date cell and static 首页/上一页/下一页 '
            f"links; `{ENORTH_COUNT}` with `var maxpage` (from `shared/sources.md`); the `<title>` suffixes "
            "(`-新闻中心-北方网` on the 2019 page, `_新闻中心_北方网` elsewhere); the wrappers around the documented "
            "elements.",
            f"{len(arts)} articles, {PER_PAGE} a page, one per documented detail template; absolute links with the "
            f"host; list pages numbered downwards ({ENORTH_MAXPAGE - 1}, {ENORTH_MAXPAGE - 2}); 057123377 has a "
            "`.pdf` attachment link (a placeholder).",
        ),
    )


BUILDERS: dict[str, Callable[[], None]] = {
    "tj_gov_tjxw": build_tj_gov,
    "tj_swj": build_swj,
    "tj_fzgg": build_fzgg,
    "tj_kxjs": build_kxjs,
    "tjftz": build_tjftz,
    "teda": build_teda,
    "tht": build_tht,
    "bhxq": build_bhxq,
    "tjdl": build_tjdl,
    "eco_city": build_eco,
    "enorth": build_enorth,
}


def main(argv: list[str]) -> int:
    unknown = [s for s in argv if s not in BUILDERS]
    if unknown:
        print(
            f"unknown slug(s): {', '.join(unknown)} (known: {', '.join(BUILDERS)})", file=sys.stderr
        )
        return 2
    titles: set[str] = set()
    for slug, data in [
        ("tj_gov_tjxw", A.TJ_GOV),
        ("tj_swj", A.SWJ),
        ("tj_fzgg", A.FZGG),
        ("tj_kxjs", A.KXJS),
        ("tjftz", A.TJFTZ),
        ("teda", A.TEDA),
        ("tht", A.THT),
        ("bhxq", A.BHXQ),
        ("tjdl", A.TJDL),
        ("eco_city", A.ECO),
        ("enorth", A.ENORTH),
    ]:
        for a in data:
            assert a["title"] not in titles, (slug, a["title"])
            titles.add(a["title"])
            assert re.search(r"\d{4}", a["date"]), a["path"]
    for slug in argv or BUILDERS:
        BUILDERS[slug]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
