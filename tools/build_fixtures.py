# ruff: noqa: E501  (HTML templates and TOML text are kept on one line each, as written out)
"""(Re)write the bundled fixture sites and their source profiles.

    .venv/bin/python tools/build_fixtures.py

Deterministic (run it with the project's venv; it shares ``tools/fixture_kit.py`` with the
web sources' generators): the same input gives byte-identical output. For each slug it
replaces ``fixtures/<slug>/site/`` (a tree that mirrors URL paths on the site's host; a path
ending in ``/`` maps to ``index.html``), ``fixtures/<slug>/fixture.toml``,
``fixtures/<slug>/README.md`` and ``tjcrawl/sources/<slug>.toml``. Anything else under
``fixtures/<slug>/`` (such as ``expected.json``) is left alone. Article texts live in
``tools/fixture_articles.py``.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import sys
import tomllib
from pathlib import Path

import fixture_articles as A
import fixture_kit as kit
from fixture_kit import (
    PDF,
    SOURCES,
    TRS_PAGER_FN,
    attachment_target,
    attr,
    chunks,
    document,
    gb,
    rel,
    t,
)

FETCHED_AT = "2025-08-23T10:00:00+08:00"
ROBOTS = "User-agent: *\nDisallow: /private/\n"
PER_PAGE = 5


#: Real attachment files (tools/make_demo_attachments.py), copied where a page links them.
FIXTURE_FILES = Path(__file__).resolve().parent / "fixture_files"


class Site(kit.Site):
    def write(self, description: str, articles: int, readme: str, profile: str) -> None:
        tomllib.loads(profile)  # must parse
        self.write_fixture(description, articles, readme, robots=ROBOTS, fetched_at=FETCHED_AT)
        SOURCES.mkdir(parents=True, exist_ok=True)
        (SOURCES / f"{self.slug}.toml").write_bytes(profile.encode("utf-8"))
        size = sum(len(b) for b in self.files.values())
        print(f"{self.slug}: {len(self.files)} files, {size:,} bytes")


PROFILE_HEADER = (
    "# Written by tools/build_fixtures.py together with fixtures/{slug}/: change it there.\n"
)


# --------------------------------------------------------------------------------------------
# demo_portal: a UTF-8 portal whose listing entries carry the whole article (like the seed)
# --------------------------------------------------------------------------------------------


def split_seed_body(body: str) -> list[str]:
    """Split a seed body at its paragraph spaces.

    A space inside “…” (以“中国梦 集邮情”为主题) and the space after a bare list number
    ("1. 建立…") are not paragraph breaks. Joining the paragraphs with one space gives back the
    seed line exactly.
    """
    paras: list[str] = []
    for seg in body.split(" "):
        if paras and (
            paras[-1].count("“") > paras[-1].count("”") or re.fullmatch(r"\d+\.", paras[-1])
        ):
            paras[-1] += " " + seg
        else:
            paras.append(seg)
    assert " ".join(paras) == body
    return paras


def build_portal() -> tuple[int, int]:
    host = "portal.tjcrawl.test"
    site = Site("demo_portal", host)
    entries = [dict(title=ti, paras=split_seed_body(b), date=d) for ti, b, d in A.SEED]
    entries += A.PORTAL_EXTRA
    assert len({e["title"] for e in entries}) == len(entries)
    pages = chunks(entries, PER_PAGE)
    names = ["index.html"] + [f"index_{n}.html" for n in range(2, len(pages) + 1)]
    intro, links = A.SEED_FOOTER
    for i, page in enumerate(pages):
        items = []
        for e in page:
            paras = "\n".join(f"<p>{t(p)}</p>" for p in e["paras"])
            items.append(
                '<div class="news-item">\n'
                f'<h3 class="news-title">{t(e["title"])}</h3>\n'
                f'<div class="news-body">\n{paras}\n'
                '<div class="share-bar">分享到：<a href="javascript:;" class="share-wx">微信</a> '
                '<a href="javascript:;" class="share-wb">微博</a> '
                '<a href="javascript:;" class="share-qq">QQ空间</a></div>\n'
                "</div>\n"
                f'<span class="news-date">{t(e["date"])}</span>\n'
                "</div>"
            )
        pager = []
        if i > 0:
            pager.append(f'<a href="{names[i - 1]}">上一页</a>')
        for j, name in enumerate(names):
            pager.append(
                f'<span class="current">{j + 1}</span>'
                if j == i
                else f'<a href="{name}">{j + 1}</a>'
            )
        if i + 1 < len(pages):
            pager.append(f'<a href="{names[i + 1]}">下一页</a>')
        html = document(
            """<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>招商引资 - 天津招商资讯网</title>
<style>.news-item{margin:16px 0;border-bottom:1px solid #ddd}.news-date{color:#999}</style>
""",
            f"""<div class="header">
<div class="logo"><a href="/">天津招商资讯网</a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zsyz/index.html">招商引资</a></li><li><a href="/zcfg/">政策法规</a></li><li><a href="/qyfw/">企业服务</a></li></ul>
</div>
<div class="main">
<div class="crumb">首页 &gt; 招商引资</div>
<div class="news-list" id="news-list">
{chr(10).join(items)}
<div class="contrib">
<p>{t(intro)}<a href="/tougao.html">点我投稿</a></p>
<ul class="contrib-links"><li><a href="/about/contact.html">{t(links[0])}</a></li><li><a href="/about/ruzhu.html">{t(links[1])}</a></li></ul>
</div>
</div>
<div class="pager">{" ".join(pager)}</div>
</div>
<div class="footer">
<p>版权所有 © 2025 天津招商资讯网 津ICP备2025000123号-1</p>
</div>""",
            lang="zh-CN",
        )
        site.add(f"/zsyz/{names[i]}", html)

    site.write(
        articles=len(entries),
        description="招商资讯门户（UTF-8）：列表条目即全文，无详情页，条目后紧跟投稿/联系我们/企业入驻；按“下一页”翻页",
        readme=f"""# demo_portal

Imitates the seed portal (`shared/seed/`): a UTF-8 招商引资 listing whose entries carry the whole
article (title, `<p>` paragraphs, a date) with no detail page and no per-entry link; {len(entries)} entries, {PER_PAGE} a page,
on {", ".join(f"`{n}`" for n in [f"/zsyz/{names[0]}", *names[1:]])}, chained by a `下一页` link (none on the last page).
Quirks: all ten seed articles verbatim (all dated 2025-08-22), a 分享 widget inside every body, dates
as `2025-08-22` and `2025年8月20日`, and the contributor block (点我投稿 / 联系我们 / 企业入驻) inside the
list container right after the last entry. One entry re-posts (转载) demo_enorth's 津南区 article with
a new title, small edits and a 来源 line.
""",
        profile=PROFILE_HEADER.format(slug="demo_portal")
        + f"""name = "演示：天津招商资讯网 · 招商引资（列表即全文）"
allowed_domains = ["{host}"]
start_urls = ["http://{host}/zsyz/index.html"]
fixture = true

[listing]
mode = "articles"
# div.contrib (点我投稿 / 联系我们 / 企业入驻) sits in the same container right after the last entry
entries = "div.news-list > div.news-item"
title = "h3.news-title"
date = "span.news-date"
body = "div.news-body"
boilerplate = ["div.share-bar"]

[pagination]
next = "//div[@class='pager']/a[normalize-space()='下一页']/@href"
""",
    )
    return len(pages), len(entries)


# --------------------------------------------------------------------------------------------
# demo_trs: a TRS WCM government site, GBK
# --------------------------------------------------------------------------------------------

TRS_SITE = "天津政务网"
TRS_COLUMNS = {"/sy/tjxw/": "天津要闻", "/zwgk/zcjd/": "政策解读"}
TRS_HEADER = """<div class="header">
<div class="logo"><a href="/">天津市人民政府</a></div>
<ul class="nav"><li><a href="/sy/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/zjtj/">走进天津</a></li></ul>
</div>"""
TRS_FOOTER = """<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/private/stats.html">网站统计</a></p>
<p>主办：天津市人民政府办公厅 承办：天津市政务服务办公室</p>
<p>版权所有：天津市人民政府办公厅 网站标识码：1200000099 津ICP备05001234号-1 津公网安备 12010102000123号</p>
</div>"""
TRS_META = {
    "http-gb2312": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
    "http-gbk": '<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
    "charset-gb2312": '<meta charset="gb2312">',
    "lie": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
}
TRS_URL = re.compile(r"^/(?:sy/tjxw|zwgk/zcjd)/(\d{6})/t(\d{8})_(\d{7})\.html$")


def trs_column(path: str) -> tuple[str, str]:
    for prefix, name in TRS_COLUMNS.items():
        if path.startswith(prefix):
            return prefix, name
    raise AssertionError(path)


def build_trs() -> tuple[int, int]:
    host = "gov.tjcrawl.test"
    site = Site("demo_trs", host)
    arts = A.TRS
    listing_dir = "/sy/tjxw/"
    pages = chunks(arts, PER_PAGE)
    names = ["index.html"] + [f"index_{n}.html" for n in range(1, len(pages))]
    mismatches = 0
    for a in arts:
        m = TRS_URL.match(a["path"])
        assert m and m.group(2).startswith(m.group(1)), a["path"]
        page_day = re.sub(r"\D", "", a["info_date"])[:8]
        mismatches += page_day != m.group(2)
        assert a["list_date"].replace("-", "") == page_day
    assert mismatches == 1, "exactly one article's page date disagrees with its URL"
    assert sum(1 for a in arts if a["meta"] == "lie") == 1
    assert sum(1 for a in arts if not a["path"].startswith(listing_dir)) >= 2

    for i, page in enumerate(pages):
        listing_path = listing_dir + names[i]
        rows = []
        for a in page:
            href = rel(listing_path, a["path"])
            if a["link"] == "onclick":
                link = f'<a href="javascript:void(0)" onclick="jumpToDetail(\'{href}\')" title="{attr(a["title"])}">{t(a["title"])}</a>'
            else:
                link = f'<a href="{href}" target="_blank" title="{attr(a["title"])}">{t(a["title"])}</a>'
            rows.append(
                f'<div class="list-item">{link}<span class="list-item-date">{a["list_date"]}</span></div>'
            )
        html = document(
            f"""{TRS_META["http-gb2312"]}
<title>天津要闻_{TRS_SITE}</title>
<meta name="SiteName" content="{TRS_SITE}">
<meta name="ColumnName" content="天津要闻">
<script type="text/javascript">
function jumpToDetail(url) {{ window.open(url, "_blank"); }}
{TRS_PAGER_FN}
</script>
""",
            f"""{TRS_HEADER}
<div class="position">当前位置：<a href="../../">首页</a> &gt; <a href="./">天津要闻</a></div>
<div class="main">
<div class="list-box">
{chr(10).join(rows)}
</div>
<div class="page" id="page"></div>
<script type="text/javascript">
var currentPage = {i};//所在页从0开始
var countPage = {len(pages)};//共多少页
createPageHTML("page", countPage, currentPage, "index", "html");
</script>
</div>
<div class="side">
<h3>政务公开</h3>
<ul><li><a href="../../zwgk/zcjd/">政策解读</a></li><li><a href="../tzgg/">通知公告</a></li><li><a href="../jrgz/">今日关注</a></li></ul>
</div>
{TRS_FOOTER}""",
        )
        site.add(listing_path, gb(html))

    for k, a in enumerate(arts):
        path = a["path"]
        col_prefix, col_name = trs_column(path)
        paras = [f"<p>{t(p)}</p>" for p in a["paras"]]
        for href, label in a.get("attachments", []):
            paras.append(f'<p><a href="{href}" target="_blank">{t(label)}</a></p>')
            if href.endswith(".pdf"):  # the PDF gets a placeholder file
                site.add(attachment_target(path, href), PDF)
            elif (FIXTURE_FILES / posixpath.basename(href)).is_file():
                # a real file made by tools/make_demo_attachments.py (python-docx)
                site.add(
                    attachment_target(path, href),
                    (FIXTURE_FILES / posixpath.basename(href)).read_bytes(),
                )
        related = [arts[j] for j in (k - 1, k + 1) if 0 <= j < len(arts)]
        related_html = "".join(
            f'<li><a href="{rel(path, r["path"])}" target="_blank">{t(r["title"])}</a></li>'
            for r in related
        )
        html = document(
            f"""{TRS_META[a["meta"]]}
<title>{t(a["title"])}_{TRS_SITE}</title>
<meta name="SiteName" content="{TRS_SITE}">
<meta name="ColumnName" content="{col_name}">
<meta name="ArticleTitle" content="{attr(a["title"])}">
<script type="text/javascript">
function doZoom(size) {{ document.getElementById("zoom").style.fontSize = size + "px"; }}
</script>
""",
            f"""{TRS_HEADER}
<div class="position">当前位置：<a href="{rel(path, "/")}">首页</a> &gt; <a href="{rel(path, col_prefix)}">{col_name}</a></div>
<div class="article">
<h1>{t(a["title"])}</h1>
<div class="article-info">发布时间：{a["info_date"]} 来源：{t(a["origin"])} 字号：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></div>
<div class="article-content" id="zoom">
<div class="TRS_Editor">
{chr(10).join(paras)}
</div>
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="share">分享到：<a href="javascript:;" class="share-wx">微信</a><a href="javascript:;" class="share-wb">微博</a></div>
<div class="related">相关链接 <ul>{related_html}</ul></div>
<div class="editor">责任编辑：{t(a["editor"])}</div>
</div>
</div>
{TRS_FOOTER}""",
        )
        if a["meta"] == "lie":
            html.encode("gb2312")
            data = html.encode("utf-8")  # declares gb2312, is UTF-8
        else:
            data = gb(html)
        site.add(path, data)

    site.write(
        articles=len(arts),
        description="TRS WCM 政府网站（GBK）：onclick/相对链接、index_N.html 翻页（页数只在脚本变量 countPage）、详情页含样板、附件、一页日期与URL不符、一页声明gb2312实为UTF-8",
        readme=f"""# demo_trs

Imitates a TRS WCM government site (天津市人民政府 · 天津要闻): GBK pages, listing `/sy/tjxw/index.html`,
`index_1.html`, `index_2.html` ({len(arts)} rows; the page count only in `var countPage = {len(pages)};`), detail pages
`/<section>/YYYYMM/tYYYYMMDD_NNNNNNN.html` with a `_{TRS_SITE}` title suffix.
Quirks: links in `onclick="jumpToDetail('./…')"` or a plain `href`, two rows `../../zwgk/zcjd/…` into another
section; 发布时间 in several formats; 打印本页/关闭窗口, share, 相关链接 and 责任编辑 inside the content
container; t20241110_6012201 says 2024-11-12; t20241114_6012338 has .pdf/.docx/.xlsx attachment links: the PDF
is a placeholder (no page: read as damaged), the DOCX a real Word file made with python-docx by
`tools/make_demo_attachments.py` (its 投资服务专员 is in no page: the demo's search finds it only there), the
XLSX is missing (a 404); t20241106_6012066 declares gb2312 but is UTF-8.
""",
        profile=PROFILE_HEADER.format(slug="demo_trs")
        + f"""name = "演示：{TRS_SITE} · 天津要闻（TRS）"
allowed_domains = ["{host}"]
start_urls = ["http://{host}/sy/tjxw/index.html"]
fixture = true
title_suffixes = ["_{TRS_SITE}"]

[listing]
entries = "div.list-box > div.list-item"
# the URL is in onclick="jumpToDetail('./…')" when there is one, else in href
link = {{ select = "./a/@onclick | ./a[not(@onclick)]/@href", regex = "([^'()]+\\\\.html)" }}
title = "a"
date = "span.list-item-date"

[pagination]
# the page count is only in the listing's script (var countPage = {len(pages)};), so the walk
# goes on until index_N.html answers 404; max_pages only guards against a runaway listing
template = "index_{{n}}.html"
first = 1
max_pages = 50

[detail]
title = "head > title"
date = {{ select = "div.article-info", regex = "发布时间[:：]\\\\s*(\\\\d{{4}}[-/年]\\\\d{{1,2}}[-/月]\\\\d{{1,2}}日?(?:\\\\s*\\\\d{{1,2}}:\\\\d{{2}}(?::\\\\d{{2}})?)?)" }}
origin = {{ select = "div.article-info", regex = "来源[:：]\\\\s*(\\\\S+)" }}
body = "div.article-content"
boilerplate = ["div.article-tools", "div.share", "div.related", "div.editor"]
""",
    )
    return len(pages), len(arts)


# --------------------------------------------------------------------------------------------
# demo_enorth: 北方网-style news, GB2312, table layout, relative listing dates
# --------------------------------------------------------------------------------------------

ENORTH_CH = "11000000"
ENORTH_LIST = "/system/more/{ch}/0000/{ch}_{n:08d}.shtml"
ENORTH_COUNT = "/system/count/0011000/000000000000/count_page_list_{ch}.js"
ENORTH_URL = re.compile(r"^/system/(\d{4})/(\d{2})/(\d{2})/0\d{8}\.shtml$")
ENORTH_NAV = """<table width="960" border="0" cellspacing="0" cellpadding="0" align="center" class="topnav">
<tr><td><a href="/">北方网首页</a> | <a href="/system/more/11000000/0000/11000000_00000001.shtml">天津</a> | <a href="/system/more/12000000/0000/12000000_00000001.shtml">国内</a> | <a href="/system/more/13000000/0000/13000000_00000001.shtml">国际</a> | <a href="/system/more/14000000/0000/14000000_00000001.shtml">财经</a> | <a href="/system/more/15000000/0000/15000000_00000001.shtml">体育</a></td></tr>
</table>"""
ENORTH_FOOTER = """<table width="960" border="0" cellspacing="0" cellpadding="0" align="center" class="footer">
<tr><td align="center"><a href="/about/">关于我们</a> | <a href="/private/admin.shtml">网站管理</a> | 违法和不良信息举报电话：022-12345678</td></tr>
<tr><td align="center">版权所有 北方网 津ICP备05001235号 津公网安备 12010102000124号</td></tr>
</table>"""


def resolve_listing_time(text: str, now: dt.datetime) -> dt.date:
    """The day a 北方网-style listing time means, seen at `now`."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2}) \d{2}:\d{2}", text):
        return dt.date(*map(int, m.groups()))
    if m := re.fullmatch(r"(今天|昨天|前天) \d{2}:\d{2}", text):
        return now.date() - dt.timedelta(days=["今天", "昨天", "前天"].index(m.group(1)))
    if m := re.fullmatch(r"(\d+)天前", text):
        return now.date() - dt.timedelta(days=int(m.group(1)))
    if m := re.fullmatch(r"(\d+)小时前", text):
        return (now - dt.timedelta(hours=int(m.group(1)))).date()
    raise AssertionError(text)


def build_enorth() -> tuple[int, int]:
    host = "news.tjcrawl.test"
    site = Site("demo_enorth", host)
    arts = A.ENORTH
    now = dt.datetime.fromisoformat(FETCHED_AT)
    for a in arts:
        m = ENORTH_URL.match(a["path"])
        assert m, a["path"]
        url_day = dt.date(*map(int, m.groups()))
        assert resolve_listing_time(a["list_time"], now) == url_day, (a["path"], a["list_time"])
        if a["pubtime"]:
            assert a["pubtime"].startswith(url_day.isoformat()), a["path"]
    assert sum(1 for a in arts if not a["pubtime"]) >= 3
    assert sum(1 for a in arts if not a["author"]) >= 2

    pages = chunks(arts, PER_PAGE)
    listing = [ENORTH_LIST.format(ch=ENORTH_CH, n=n) for n in range(1, len(pages) + 1)]
    site.add(ENORTH_COUNT.format(ch=ENORTH_CH), f"var maxpage = {len(pages)};\n")
    hot = "\n".join(
        f'<tr><td class="rank"><a href="{a["path"]}" target="_blank">{t(a["title"])}</a></td></tr>'
        for a in arts[:4]
    )
    for i, page in enumerate(pages):
        rows = []
        for a in page:
            href = (f"http://{host}" if a.get("absolute") else "") + a["path"]
            rows.append(
                f'<tr><td class="title"><a href="{href}" target="_blank">{t(a["title"])}</a></td>'
                f'<td class="time">{a["list_time"]}</td></tr>'
            )

        targets = {"首页": 0, "上一页": i - 1, "下一页": i + 1, "尾页": len(pages) - 1}
        pager = " ".join(
            [f"共{len(pages)}页"]
            + [
                f'<a href="{posixpath.basename(listing[j])}">{label}</a>'
                if 0 <= j < len(pages) and j != i
                else f"<span>{label}</span>"
                for label, j in targets.items()
            ]
        )
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>天津新闻_新闻中心_北方网</title>
<script type="text/javascript" src="{ENORTH_COUNT.format(ch=ENORTH_CH)}"></script>
""",
            f"""{ENORTH_NAV}
<table width="960" border="0" cellspacing="0" cellpadding="0" align="center">
<tr>
<td width="700" valign="top">
<table width="100%" border="0" cellspacing="0" cellpadding="4"><tr><td class="colname">天津新闻</td></tr></table>
<table width="100%" border="0" cellspacing="0" cellpadding="4" class="newslist">
{chr(10).join(rows)}
</table>
<table width="100%" border="0" cellspacing="0" cellpadding="4"><tr><td class="pages" align="center">{pager}</td></tr></table>
</td>
<td width="260" valign="top" class="side">
<table width="100%" border="0" cellspacing="0" cellpadding="2"><tr><td class="colname">热点排行</td></tr>
{hot}
</table>
</td>
</tr>
</table>
{ENORTH_FOOTER}""",
            doctype=False,
        )
        site.add(listing[i], gb(html))

    for a in arts:
        info = []
        if a["pubtime"]:
            info.append(f'<span id="pubtime_baidu">{a["pubtime"]}</span>')
        origin = a["origin"]
        origin_html = (
            f'<a href="/" target="_blank">{t(origin)}</a>' if origin == "北方网" else t(origin)
        )
        info.append(f'<span id="source_baidu">来源：{origin_html}</span>')
        if a["author"] is not None:
            info.append(f'<span id="author_baidu">作者：{t(a["author"])}</span>')
        paras = "\n".join(f"<p>{t(p)}</p>" for p in a["paras"])
        html = document(
            f"""<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{t(a["title"])}_新闻中心_北方网</title>
<meta name="keywords" content="北方网,天津新闻">
""",
            f"""{ENORTH_NAV}
<table width="960" border="0" cellspacing="0" cellpadding="0" align="center" class="main">
<tr><td class="position">您的位置：<a href="/">北方网</a> &gt; <a href="{listing[0]}">天津新闻</a></td></tr>
<tr><td class="title" align="center"><h1>{t(a["title"])}</h1></td></tr>
<tr><td class="info" align="center">{" ".join(info)}</td></tr>
<tr><td class="content">
<div id="zoom">
{paras}
<p class="editor">[责任编辑：{t(a["editor"])}]</p>
</div>
</td></tr>
<tr><td class="tools" align="right">【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭</a>】</td></tr>
</table>
{ENORTH_FOOTER}""",
            doctype=False,
        )
        site.add(a["path"], gb(html))

    site.write(
        articles=len(arts),
        description="北方网式新闻站（GB2312，表格布局）：列表时间为相对时间（昨天/前天/N天前/N小时前/今天），须按 fetched_at 解析；部分详情页无发布时间或作者",
        readme=f"""# demo_enorth

Imitates 北方网 (news.enorth.com.cn): GB2312 table layouts, listing `/system/more/11000000/0000/11000000_0000000N.shtml`
(N = 1–{len(pages)}, chained by `下一页`; `var maxpage = {len(pages)};` in `/system/count/…/count_page_list_11000000.js`),
{len(arts)} articles at `/system/YYYY/MM/DD/0NNNNNNNN.shtml`.
Quirks: listing times `今天 07:20`, `5小时前`, `昨天 10:30`, `前天 08:15`, `3天前` that only make sense against
fetched_at 2025-08-23T10:00+08:00 (the URL dates agree with them); some links absolute with the host;
detail pages without `#pubtime_baidu` (date only from the listing) or without an author (one has an empty
`作者：`); 来源 sometimes a link; `[责任编辑：…]` inside `#zoom`. Two entries are re-posts (转载) with their
own title, 来源 and edits: 056012279 of demo_portal's 经开区 article, 055980412 (2024-11-13, the oldest)
of demo_trs's t20241113_6012298.
""",
        profile=PROFILE_HEADER.format(slug="demo_enorth")
        + f"""name = "演示：北方网 · 天津新闻"
allowed_domains = ["{host}"]
start_urls = ["http://{host}{listing[0]}"]
fixture = true

[listing]
entries = "//table[@class='newslist']//tr[td[@class='title']]"
link = "./td[@class='title']/a/@href"
title = "./td[@class='title']/a"
# relative times (昨天 10:30, 3天前, 5小时前 …): resolve against the fetch time
date = "./td[@class='time']"

[pagination]
next = "//td[@class='pages']/a[normalize-space()='下一页']/@href"

[detail]
title = "td.title h1"
date = "#pubtime_baidu"
origin = {{ select = "#source_baidu", regex = "来源[:：]\\\\s*(\\\\S+)" }}
author = {{ select = "#author_baidu", regex = "作者[:：]\\\\s*(\\\\S.*)" }}
body = "div#zoom"
boilerplate = ["p.editor"]
""",
    )
    return len(pages), len(arts)


def main() -> int:
    for name, build in [
        ("demo_portal", build_portal),
        ("demo_trs", build_trs),
        ("demo_enorth", build_enorth),
    ]:
        pages, articles = build()
        print(f"  {name}: {pages} listing pages, {articles} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
