# ruff: noqa: E501  (HTML templates are kept on one line each, as written out)
"""(Re)write the fixture sites of the real (web) sources.

    .venv/bin/python tools/build_real_fixtures.py [SLUG]...

Stdlib only and deterministic: the same input gives byte-identical output. For each slug it
replaces ``fixtures/<slug>/site/`` (a tree that mirrors URL paths on the real host; a path
ending in ``/`` maps to ``index.html``), ``fixtures/<slug>/fixture.toml`` and
``fixtures/<slug>/README.md``. Anything else under ``fixtures/<slug>/`` (such as
``expected.json``) is left alone, and so are the profiles: ``tjcrawl/sources/<slug>.toml`` is
written by hand, against the live site, and this script only checks that its start URL and
hosts match the fixture.

The pages follow the markup documented in ``shared/sources.md`` (listing rows, links, dates,
pagination, encodings). What that file does not document, above all the detail pages, is
assumed: it is written in the style of the site's CMS (TRS WCM, the ``/channels/`` CMS of the
Binhai sites, enorth's own) and said so in each fixture's README. Article texts live in
``tools/real_fixture_articles.py``.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import real_fixture_articles as A

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SOURCES = ROOT / "tjcrawl" / "sources"

FETCHED_AT = "2025-09-01T09:00:00+08:00"
PER_PAGE = 2  # five articles: listing pages of 2, 2 and 1 rows
PDF = b"%PDF-1.4\n% tjcrawl fixture placeholder\n%%EOF\n"


def t(s: str) -> str:
    """Escape text content."""
    return escape(s, quote=False)


def attr(s: str) -> str:
    return escape(s, quote=True)


def chunks(items: list, n: int) -> list[list]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def rel(from_path: str, to_path: str) -> str:
    """Relative URL from the page at from_path to to_path, both absolute URL paths."""
    r = posixpath.relpath(to_path, posixpath.dirname(from_path))
    return r if r.startswith("../") else "./" + r


def gb(html: str) -> bytes:
    """GB pages: the text must be plain GB2312; the bytes are written as GBK."""
    html.encode("gb2312")  # raises on any character outside GB2312
    return html.encode("gbk")


def short(title: str, n: int, ellipsis: str = "...") -> str:
    """A listing's cut-off title (the full one is in a title attribute)."""
    return title if len(title) <= n else title[:n] + ellipsis


def paras_html(paras: list[str], indent: bool = False) -> str:
    style = ' style="text-indent:2em;"' if indent else ""
    return "\n".join(f"<p{style}>{t(p)}</p>" for p in paras)


def attachment_target(article_path: str, href: str) -> str:
    return (
        href if href.startswith("/") else posixpath.join(posixpath.dirname(article_path), href[2:])
    )


@dataclass
class Site:
    slug: str
    host: str
    scheme: str = "https"
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"

    def add(self, url_path: str, data: bytes | str) -> None:
        assert url_path.startswith("/"), url_path
        if url_path.endswith("/"):
            url_path += "index.html"
        assert url_path not in self.files, url_path
        self.files[url_path] = data.encode("utf-8") if isinstance(data, str) else data

    def add_attachments(self, article: dict) -> None:
        for href, _label in article.get("attachments", []):
            if href.endswith(".pdf"):  # only PDFs get a (placeholder) file, as in demo_trs
                self.add(attachment_target(article["path"], href), PDF)

    def write(
        self,
        start_url: str,
        listing: list[str],
        articles: list[dict],
        description: str,
        readme: str,
    ) -> None:
        self.check_profile(start_url)
        assert len(listing) >= 2 and len(articles) >= 3
        assert any(a.get("attachments") for a in articles), f"{self.slug}: no page with attachments"
        for a in articles:
            assert a["path"] in self.files, a["path"]
            assert "。" in "".join(a["paras"]), a["path"]
        self.add(
            "/robots.txt",
            f"# fixture robots.txt for {self.host} (not a copy of the live one)\nUser-agent: *\nDisallow: /private/\n",
        )
        out_dir = FIXTURES / self.slug
        site_dir = out_dir / "site"
        if site_dir.exists():
            shutil.rmtree(site_dir)
        for url_path, data in sorted(self.files.items()):
            out = site_dir / url_path.lstrip("/")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        meta = f'fetched_at = "{FETCHED_AT}"\narticles = {len(articles)}\ndescription = "{description}"\n'
        tomllib.loads(meta)
        (out_dir / "fixture.toml").write_bytes(meta.encode("utf-8"))
        (out_dir / "README.md").write_bytes(readme.encode("utf-8"))
        size = sum(len(b) for b in self.files.values())
        print(
            f"{self.slug}: {len(listing)} listing pages, {len(articles)} articles, {len(self.files)} files, {size:,} bytes"
        )

    def check_profile(self, start_url: str) -> None:
        """The hand-written profile must crawl this fixture: same start URL and host."""
        path = SOURCES / f"{self.slug}.toml"
        if not path.is_file():
            print(f"  note: {path.relative_to(ROOT)} does not exist yet")
            return
        profile = tomllib.loads(path.read_text("utf-8"))
        assert profile["start_urls"] == [start_url], (self.slug, profile["start_urls"])
        assert self.host in profile["allowed_domains"], (self.slug, profile["allowed_domains"])
        assert urlsplit(start_url).hostname == self.host


def readme(
    slug: str, name: str, start_url: str, encoding: str, documented: str, assumed: str, quirks: str
) -> str:
    return f"""# {slug}

Imitates **{name}** (`{start_url}`), a web source (`fixture = false`, `verified = "never"` in
`tjcrawl/sources/{slug}.toml`). Written by `tools/build_real_fixtures.py`; the article texts
(`tools/real_fixture_articles.py`) are invented. Encoding: {encoding}.

Documented in `shared/sources.md` (followed here): {documented}

Assumed (not documented, not checked against the live site): {assumed}

Quirks in the fixture: {quirks}
"""


# --------------------------------------------------------------------------------------------
# TRS WCM listing pager: the page count is only in a script variable
# --------------------------------------------------------------------------------------------

TRS_PAGER_FN = """function createPageHTML(id, countPage, currentPage, prefix, ext) {
  var s = "";
  for (var n = 0; n < countPage; n++) {
    var href = n == 0 ? prefix + "." + ext : prefix + "_" + n + "." + ext;
    s += n == currentPage ? "<span>" + (n + 1) + "</span>" : "<a href=\\"" + href + "\\">" + (n + 1) + "</a>";
  }
  document.getElementById(id).innerHTML = s;
}"""


def trs_pager(id_: str, count: int, current: int, ext: str) -> str:
    return f"""<div class="page" id="{id_}"></div>
<script type="text/javascript">
var countPage = {count};//共多少页
var currentPage = {current};//所在页从0开始
createPageHTML("{id_}", countPage, currentPage, "index", "{ext}");
</script>"""


def trs_listing_names(n: int, ext: str) -> list[str]:
    return [f"index.{ext}"] + [f"index_{i}.{ext}" for i in range(1, n)]


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
# 天津市人民政府 · 天津要闻 (www.tj.gov.cn)
# --------------------------------------------------------------------------------------------

TJ_HEADER = """<div class="header">
<div class="logo"><a href="/"><img src="/images/logo.png" alt="天津市人民政府"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/zjtj/">走进天津</a></li></ul>
</div>"""
TJ_FOOTER = """<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/wzsm/">网站声明</a></p>
<p>主办：天津市人民政府办公厅 承办：天津市人民政府办公厅政务信息中心</p>
<p>版权所有：天津市人民政府办公厅 网站标识码：1200000051 津ICP备05000000号 津公网安备 12010102000000号</p>
</div>"""


def build_tj_gov() -> None:
    site = Site("tj_gov_tjxw", "www.tj.gov.cn")
    arts = A.TJ_GOV
    col = "/sy/tjxw/"
    pages = chunks(arts, PER_PAGE)
    names = trs_listing_names(len(pages), "html")
    for i, page in enumerate(pages):
        path = col + names[i]
        rows = "\n".join(
            f'<div class="list-item"><a href="javascript:void(0)" onclick="jumpToDetail(\'{rel(path, a["path"])}\')" title="{attr(a["title"])}">{t(a["title"])}</a><span class="list-item-date">{a["list_date"]}</span></div>'
            for a in page
        )
        html = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>天津新闻_天津政务网</title>
<meta name="SiteName" content="天津政务网">
<meta name="SiteDomain" content="www.tj.gov.cn">
<meta name="SiteIDCode" content="1200000051">
<meta name="ColumnName" content="天津新闻">
<meta name="ColumnType" content="天津新闻">
<script type="text/javascript">
function jumpToDetail(url) {{ window.open(url, "_blank"); }}
{TRS_PAGER_FN}
</script>
</head>
<body>
{TJ_HEADER}
<div class="position">当前位置：<a href="../../">首页</a> &gt; <a href="../">首页栏目</a> &gt; <a href="./">天津新闻</a></div>
<div class="main">
<div class="content-list">
{rows}
</div>
{trs_pager("page_div", len(pages), i, "html")}
</div>
{TJ_FOOTER}
</body>
</html>
"""
        site.add(path, html)
    for a in arts:
        body = [paras_html(a["paras"], indent=True), *trs_attachment_html(a)]
        site.add_attachments(a)
        html = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{t(a["title"])}_天津新闻_天津政务网</title>
<meta name="SiteName" content="天津政务网">
<meta name="SiteDomain" content="www.tj.gov.cn">
<meta name="SiteIDCode" content="1200000051">
<meta name="ColumnName" content="天津新闻">
<meta name="ColumnType" content="天津新闻">
<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
<meta name="ContentSource" content="{attr(a["origin"])}">
<meta name="Description" content="{attr(a["paras"][0][:60])}">
<meta name="Url" content="https://www.tj.gov.cn{a["path"]}">
</head>
<body>
{TJ_HEADER}
<div class="position">当前位置：<a href="../../../">首页</a> &gt; <a href="../">天津新闻</a></div>
<div class="xl-box">
<div class="xl-title"><h1 class="common-title">{t(a["title"])}</h1></div>
<div class="xl-info">
<span class="fbsj">发布时间：{a["date"]}</span>
<span class="ly">来源：{t(a["origin"])}</span>
<span class="zh">字号：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></span>
</div>
<div class="xl-zw" id="zoom">
<div class="TRS_Editor"><style type="text/css">
.TRS_Editor P{{margin-top:5px;margin-bottom:5px;line-height:1.8;font-family:宋体;font-size:12pt;}}.TRS_Editor DIV{{margin-top:5px;margin-bottom:5px;line-height:1.8;}}
</style>
{chr(10).join(body)}
</div>
</div>
<div class="xl-bottom">
<div class="bdsharebuttonbox">分享到：<a href="#" class="bds_weixin" data-cmd="weixin" title="分享到微信"></a><a href="#" class="bds_tsina" data-cmd="tsina" title="分享到新浪微博"></a></div>
<div class="xl-edit">责任编辑：{t(a["editor"])}</div>
<div class="xl-btns"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
</div>
{TJ_FOOTER}
</body>
</html>
"""
        site.add(a["path"], html)
    start = "https://www.tj.gov.cn/sy/tjxw/"
    site.write(
        start,
        names,
        arts,
        "天津市人民政府·天津要闻（TRS，UTF-8）：div.list-item 行、onclick jumpToDetail 链接、index_N.html 翻页（页数只在脚本 countPage）；详情页 TRS_Editor、附件 P0…pdf",
        readme(
            "tj_gov_tjxw",
            "天津市人民政府 · 天津要闻",
            start,
            'UTF-8 (`<meta charset="utf-8">`)',
            'TRS WCM; listing rows `div.list-item` with `span.list-item-date`; links `href="javascript:void(0)"` with '
            "`onclick=\"jumpToDetail('./YYYYMM/t….html')\"`; articles `/sy/tjxw/YYYYMM/tYYYYMMDD_ID.html`; "
            "`index.html`, `index_1.html`, `index_2.html` pagination.",
            "the detail page: the government-site meta tags (`ArticleTitle`, `PubDate`, `ContentSource`), a "
            "`发布时间/来源/字号` line, the body in `#zoom > div.TRS_Editor` (with the `<style>` block TRS puts inside), "
            "and 分享/责任编辑/打印本页/关闭窗口 after it; the page count in `var countPage` of `createPageHTML`; "
            "the `<title>` suffix `_天津新闻_天津政务网` is the one real pages carry.",
            f"{len(arts)} articles, {PER_PAGE} a page; the page count only in a script; t20250828_7012980 has two "
            "attachment links (`./P0….pdf`, `./P0….docx`, with TRS's `OLDSRC`; only the PDF exists, a placeholder).",
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>公示公告-天津市商务局</title>
<meta name="SiteName" content="天津市商务局">
<meta name="ColumnName" content="公示公告">
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
</head>
<body>
{SWJ_HEADER}
<div class="container">
<div class="left_nav"><ul><li><a href="../xwdt/">新闻动态</a></li><li class="on"><a href="./">公示公告</a></li><li><a href="../tzgg/">通知公告</a></li></ul></div>
<div class="news_1">
<div class="news_1_tit">公示公告</div>
<ul>
{rows}
</ul>
{trs_pager("pagebar", len(pages), i, "html")}
</div>
</div>
{SWJ_FOOTER}
</body>
</html>
"""
        site.add(path, html)
    for a in arts:
        site.add_attachments(a)
        fj = ""
        if a.get("attachments"):
            fj = '<div class="article-fj">\n' + "\n".join(trs_attachment_html(a)) + "\n</div>"
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{t(a["title"])}</title>
<meta name="SiteName" content="天津市商务局">
<meta name="ColumnName" content="公示公告">
<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
</head>
<body>
{SWJ_HEADER}
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
{SWJ_FOOTER}
</body>
</html>
"""
        site.add(a["path"], html)
    start = "https://shangwuju.tj.gov.cn/tjsswjzz/zwdt/gsgg/"
    site.write(
        start,
        names,
        arts,
        "天津市商务局·公示公告（TRS，UTF-8）：div.news_1 ul li 列表（a + 日期 span）、相对链接、index_N.html 翻页；附件 P0/W0 文件在正文容器内",
        readme(
            "tj_swj",
            "天津市商务局 · 公示公告",
            start,
            "UTF-8",
            "TRS; articles `/tjsswjzz/…/YYYYMM/tYYYYMMDD_ID.html`; attachments named `P0….pdf` / `W0….pdf`; "
            "the list `div.news_1 ul li` with an `a` and a date `span` (documented for an older version of the site).",
            "that the `/tjsswjzz/zwdt/gsgg/` column (公示公告, known from attachment URLs) still uses the `news_1` "
            "list; TRS `index_N.html` pagination; the detail page (`h2.article-title`, a `发布日期/来源/字号` line, "
            "`#zoom` holding `div.TRS_Editor`, an attachment block and 打印本页/关闭窗口).",
            f"{len(arts)} articles, {PER_PAGE} a page; relative `./YYYYMM/…` links; t20250822_7008811 and "
            "t20250820_7007935 have attachment links (`P0….pdf`, `W0….xls`, `W0….docx`; only the PDF exists, a "
            "placeholder); 打印本页/关闭窗口 inside `#zoom`.",
        ),
    )


# --------------------------------------------------------------------------------------------
# 天津市发展和改革委员会 · 通知公告 (fzgg.tj.gov.cn), .shtml
# --------------------------------------------------------------------------------------------

FZGG_HEADER = """<div class="header"><div class="logo"><a href="/"><img src="/images/fzgg_logo.png" alt="天津市发展和改革委员会"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/dtzx/">动态资讯</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>"""
FZGG_FOOTER = """<div class="footer"><p>主办：天津市发展和改革委员会</p><p>版权所有 天津市发展和改革委员会 网站标识码：1200000019 津ICP备05000000号</p></div>"""


def build_fzgg() -> None:
    site = Site("tj_fzgg", "fzgg.tj.gov.cn")
    arts = A.FZGG
    col = "/dtzx/tzgg/"
    pages = chunks(arts, PER_PAGE)
    names = trs_listing_names(len(pages), "shtml")
    for i, page in enumerate(pages):
        path = col + names[i]
        rows = "\n".join(
            f'<li><a href="{rel(path, a["path"])}" target="_blank">{t(a["title"])}</a><span>{a["list_date"]}</span></li>'
            for a in page
        )
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>通知公告_天津市发展和改革委员会</title>
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
</head>
<body>
{FZGG_HEADER}
<div class="main">
<div class="lm_tit">通知公告</div>
<div class="gg_list">
<ul>
{rows}
</ul>
</div>
{trs_pager("page", len(pages), i, "shtml")}
</div>
{FZGG_FOOTER}
</body>
</html>
"""
        site.add(path, html)
    for a in arts:
        site.add_attachments(a)
        body = [paras_html(a["paras"]), *trs_attachment_html(a)]
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{t(a["title"])}_天津市发展和改革委员会</title>
<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
<meta name="ContentSource" content="{attr(a["origin"])}">
</head>
<body>
{FZGG_HEADER}
<div class="main">
<div class="crumb">您现在的位置：<a href="../../../">首页</a> &gt; <a href="../../">动态资讯</a> &gt; <a href="../">通知公告</a></div>
<div class="xl_box">
<div class="xl_tit">{t(a["title"])}</div>
<div class="xl_info">
<span>发布时间：{a["date"]}</span>&nbsp;&nbsp;
<span>来源：{t(a["origin"])}</span>&nbsp;&nbsp;
<span class="xl_zh">字号：<a href="javascript:doZoom(18)">大</a><a href="javascript:doZoom(16)">中</a><a href="javascript:doZoom(14)">小</a></span>
</div>
<div class="xl_con" id="zoom">
<div class="TRS_Editor">
{chr(10).join(body)}
</div>
</div>
<div class="xl_bottom"><span class="xl_dy"><a href="javascript:window.print()">打印本页</a></span><span class="xl_gb"><a href="javascript:window.close()">关闭窗口</a></span></div>
</div>
</div>
{FZGG_FOOTER}
</body>
</html>
"""
        site.add(a["path"], html)
    start = "https://fzgg.tj.gov.cn/dtzx/tzgg/index.shtml"
    site.write(
        start,
        names,
        arts,
        "天津市发展改革委·通知公告（TRS，UTF-8，.shtml）：div.gg_list ul li 列表（a + 日期 span）、./ 相对链接、index_N.shtml 翻页；附件 W0…pdf/xls",
        readme(
            "tj_fzgg",
            "天津市发展和改革委员会 · 通知公告",
            start,
            "UTF-8",
            "the list `div.gg_list ul` with an `a` and a date `span`; relative `./` links (the list "
            "`/dtzx/tzgg/index.shtml`); attachments `W0….pdf`.",
            "`index_N.shtml` pagination and `.shtml` articles `./YYYYMM/tYYYYMMDD_ID.shtml`; the detail page "
            "(`div.xl_tit`, a `发布时间/来源/字号` line of `span`s, `#zoom > div.TRS_Editor`, 打印本页/关闭窗口 below).",
            f"{len(arts)} articles, {PER_PAGE} a page; t20250821_7007512 has `W0….pdf` and `W0….xls` attachment "
            "links (only the PDF exists, a placeholder); the info line's spans separated by `&nbsp;`.",
        ),
    )


# --------------------------------------------------------------------------------------------
# 天津市科学技术局 · 通知公告 (kxjs.tj.gov.cn)
# --------------------------------------------------------------------------------------------

KXJS_HEADER = """<div class="head"><div class="logo"><a href="/"><img src="/images/kxjs_logo.png" alt="天津市科学技术局"></a></div>
<div class="nav"><a href="/">首页</a><a href="/ZWGK4143/">政务公开</a><a href="/BSFW9672/">办事服务</a><a href="/HDJL1212/">互动交流</a></div></div>"""
KXJS_FOOTER = """<div class="foot"><p>主办单位：天津市科学技术局</p><p>版权所有：天津市科学技术局 网站标识码：1200000026 津ICP备05000000号</p></div>"""


def build_kxjs() -> None:
    site = Site("tj_kxjs", "kxjs.tj.gov.cn")
    arts = A.KXJS
    col = "/ZWGK4143/TZGG2079/"
    pages = chunks(arts, PER_PAGE)
    names = trs_listing_names(len(pages), "html")
    for i, page in enumerate(pages):
        path = col + names[i]
        rows = "\n".join(
            f'<li><a href="{rel(path, a["path"])}" target="_blank" title="{attr(a["title"])}">{t(short(a["title"], 26))}</a><span>{a["list_date"]}</span></li>'
            for a in page
        )
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>通知公告-天津市科学技术局</title>
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
</head>
<body>
{KXJS_HEADER}
<div class="sub_main">
<div class="sub_left"><h3>政务公开</h3><ul><li class="on"><a href="./">通知公告</a></li><li><a href="../ZCJD/">政策解读</a></li></ul></div>
<div class="sub_right">
<div class="sub_sametit">通知公告</div>
<div class="sub_sameconrcc">
<ul>
{rows}
</ul>
</div>
{trs_pager("page_box", len(pages), i, "html")}
</div>
</div>
{KXJS_FOOTER}
</body>
</html>
"""
        site.add(path, html)
    for a in arts:
        site.add_attachments(a)
        fj = ""
        if a.get("attachments"):
            fj = '<div class="xqy-fj">\n' + "\n".join(trs_attachment_html(a)) + "\n</div>"
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{t(a["title"])}-天津市科学技术局</title>
<meta name="ArticleTitle" content="{attr(a["title"])}">
</head>
<body>
{KXJS_HEADER}
<div class="xqy-box">
<div class="crumb">当前位置：<a href="../../../">首页</a> &gt; <a href="../../">政务公开</a> &gt; <a href="../">通知公告</a></div>
<h1 class="xqy-title">{t(a["title"])}</h1>
<div class="xqy-info">
<span class="fbsj">发布时间：{a["date"]}</span>
<span class="ly">来源：{t(a["origin"])}</span>
<span class="zh">字号：[<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>]</span>
</div>
<div class="xqy-content" id="zoom">
<div class="TRS_Editor">
{paras_html(a["paras"], indent=True)}
</div>
{fj}
</div>
<div class="xqy-tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
{KXJS_FOOTER}
</body>
</html>
"""
        site.add(a["path"], html)
    start = "https://kxjs.tj.gov.cn/ZWGK4143/TZGG2079/"
    site.write(
        start,
        names,
        arts,
        "天津市科学技术局·通知公告（TRS，UTF-8）：div.sub_sameconrcc li 列表，标题截断、全文在 a[title]；index_N.html 翻页；发布时间为 YYYY年MM月DD日",
        readme(
            "tj_kxjs",
            "天津市科学技术局 · 通知公告",
            start,
            "UTF-8",
            "the list `div.sub_sameconrcc li` with `a[title]` and a date `span` (documented for the older "
            "`/xinwen/tzgg/` column); the current column `/ZWGK4143/TZGG2079/` with `index_N.html` pages and "
            "articles `/ZWGK4143/TZGG2079/YYYYMM/tYYYYMMDD_ID.html` (known from third-party crawlers).",
            "that the current column keeps the `sub_sameconrcc` list; the detail page (`h1.xqy-title`, "
            "`span.fbsj` 发布时间 as `YYYY年MM月DD日`, `span.ly` 来源, `#zoom` with `div.TRS_Editor` and an "
            "attachment block).",
            f"{len(arts)} articles, {PER_PAGE} a page; listing text cut at 26 characters with `...` (the full "
            "title only in `a[title]`); t20250820_7007241 has `P0….pdf` and `P0….xls` attachment links (only the "
            "PDF exists, a placeholder).",
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="renderer" content="webkit">
<title>区域聚焦 - 天津港保税区</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
<script src="/static/layui/layui.js"></script>
</head>
<body>
{header}
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
{footer}
</body>
</html>
"""
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><img src="/static/images/icon_file.gif"><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{t(a["title"])} - 天津港保税区</title>
<meta name="ArticleTitle" content="{attr(a["title"])}">
<link rel="stylesheet" href="/static/layui/css/layui.css">
</head>
<body>
{header}
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
{footer}
</body>
</html>
"""
        site.add(a["path"], html)
    start = f"https://www.tjftz.gov.cn/channels/{ch}.html"
    site.write(
        start,
        [n for n in names],
        arts,
        "天津港保税区·区域聚焦（UTF-8，layui）：/channels/6302.html 列表，行 #sec_right > ul li > .layui-row，标题截断、全文在 a[title]；/contents/6302/ID.html 详情；翻页只在 laypage 脚本里",
        readme(
            "tjftz",
            "天津港保税区 · 区域聚焦",
            start,
            "UTF-8",
            "lists `/channels/<id>.html` (6302 = 区域聚焦) with rows `#sec_right > ul li > .layui-row`, the title "
            "in `a[title]` and the date in a `span`; articles `/contents/<channel>/<docid>.html`.",
            "pagination `/channels/6302_2.html`, `_3.html` … (the pager is drawn by a layui `laypage` script, so "
            "there are no links to follow); the detail page (`div.detail-title h2`, a `发布时间/来源/浏览次数` line, "
            "`div.detail-content`, 分享/责任编辑 after it); attachments under `/upload/files/`.",
            f"{len(arts)} articles, {PER_PAGE} a page; root-relative links; listing text cut at 22 characters with "
            "`…`; 418213 has `.pdf` and `.docx` attachment links (only the PDF exists, a placeholder).",
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>泰达要闻-天津经济技术开发区</title>
<script src="/r/cms/www/teda/js/layui.js"></script>
</head>
<body>
{header}
<div class="ET_main">
<div class="ET_main_tit"><span>泰达要闻</span></div>
<div class="ET_main_list">
<ul>
{rows}
</ul>
</div>
{laypage_script(ch, len(arts), i)}
</div>
{footer}
</body>
</html>
"""
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{t(a["title"])}-天津经济技术开发区</title>
</head>
<body>
{header}
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
{footer}
</body>
</html>
"""
        site.add(a["path"], html)
    start = f"https://www.teda.gov.cn/channels/{ch}.html"
    site.write(
        start,
        names,
        arts,
        "天津经济技术开发区（泰达，UTF-8）：/channels/3961.html 列表 div.ET_main_list li（a + 日期 span）、根相对链接 /contents/21/ID.html；翻页只在 laypage 脚本里",
        readme(
            "teda",
            "天津经济技术开发区（泰达）",
            start,
            "UTF-8",
            "lists `/channels/<id>.html` (3961) with `div.ET_main_list li`, an `a` and a date `span`; "
            "root-relative links; articles `/contents/<n>/<docid>.html` (the article's channel number is not the "
            "listing's: e.g. `/contents/21/…`).",
            "pagination `/channels/3961_2.html` … (drawn by a script); the detail page (`h3.ET_detail_title`, a "
            "`来源/发布时间/字号` line, `div.ET_detail_con`, 打印/关闭 below); attachments under `/u/cms/www/`.",
            f"{len(arts)} articles, {PER_PAGE} a page; 106087 has `.pdf` and `.docx` attachment links (only the "
            "PDF exists, a placeholder).",
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>政务信息-天津滨海高新技术产业开发区</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
<script src="/static/layui/layui.js"></script>
</head>
<body>
{header}
<div class="layui-container sec-main">
<div class="sec-crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/3900.html">政务公开</a> &gt; 政务信息</div>
<ul class="sec-list gk-level4">
{rows}
</ul>
{laypage_script(ch, len(arts), i)}
</div>
{footer}
</body>
</html>
"""
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p>附件：<a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{t(a["title"])}-天津滨海高新技术产业开发区</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
</head>
<body>
{header}
<div class="layui-container article">
<div class="article-title"><h1>{t(a["title"])}</h1></div>
<div class="article-attr"><span>发布日期：{a["date"]}</span><span>信息来源：{t(a["origin"])}</span><span class="article-font">字号：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a></span></div>
<div class="article-content">
{paras_html(a["paras"], indent=True)}
{fj}
</div>
<div class="article-tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
{footer}
</body>
</html>
"""
        site.add(a["path"], html)
    start = f"https://www.tht.gov.cn/channels/{ch}.html"
    site.write(
        start,
        names,
        arts,
        "滨海高新区（UTF-8，layui）：/channels/3909.html 列表 ul.sec-list li，标题前有“• ”，日期在 layui 列的 span；根相对链接；翻页只在 laypage 脚本里",
        readme(
            "tht",
            "天津滨海高新技术产业开发区",
            start,
            "UTF-8",
            "lists `/channels/<id>.html` (3909) with `ul.sec-list li` (`ul.sec-list.gk-level4`), the date in a "
            "`span` in a layui column (`div.layui-col-md2.layui-hide-xs`), a bullet `•` at the start of the link "
            "text; root-relative links.",
            "articles `/contents/3909/<docid>.html`; pagination `/channels/3909_2.html` … (drawn by a script); the "
            "detail page (`div.article-title h1`, `发布日期/信息来源/字号` spans, `div.article-content`, 打印本页/关闭窗口 "
            "below); attachments under `/upload/`.",
            f"{len(arts)} articles, {PER_PAGE} a page; listing titles start with `• ` (the profile cuts it with a "
            "regex); 452207 (`.xls`) and 451987 (`.pdf`) have attachment links (only the PDF exists, a placeholder).",
        ),
    )


def build_bhxq() -> None:
    site = Site("bhxq", "bhxq.tj.gov.cn")
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>通知公告-天津市滨海新区人民政府</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
<script src="/static/layui/layui.js"></script>
</head>
<body>
{header}
<div class="layui-container xxgk-main">
<div class="xxgk-crumb">当前位置：<a href="/">首页</a> &gt; <a href="/channels/6340.html">政府信息公开</a> &gt; 通知公告</div>
<ul class="xxgk-ul">
{rows}
</ul>
{laypage_script(ch, len(arts), i)}
</div>
{footer}
</body>
</html>
"""
        site.add(names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        if fj:
            fj = "<p>附件：</p>\n" + fj
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{t(a["title"])}-天津市滨海新区人民政府</title>
<link rel="stylesheet" href="/static/layui/css/layui.css">
</head>
<body>
{header}
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
{footer}
</body>
</html>
"""
        site.add(a["path"], html)
    start = f"https://bhxq.tj.gov.cn/channels/{ch}.html"
    site.write(
        start,
        names,
        arts,
        "滨海新区人民政府·信息公开（UTF-8，layui）：/channels/6346.html 列表 li.xxgk-list，标题截断、全文在 a[title]，日期在 layui 列的 span；详情页信息公开表格（成文日期≠发布日期）",
        readme(
            "bhxq",
            "天津市滨海新区人民政府 · 通知公告",
            start,
            "UTF-8",
            "rows `li.xxgk-list` with `a[title]` and a date `span` in a layui column "
            "(`div.layui-col-md2.layui-col-sm2`); the list `/channels/6346.html` (documented on the older host "
            "www.tjbh.gov.cn, which the profile also allows); root-relative links.",
            "that bhxq.tj.gov.cn serves the same `/channels/` pages as www.tjbh.gov.cn; articles "
            "`/contents/6346/<docid>.html`; pagination `/channels/6346_2.html` … (drawn by a script); the detail page "
            "(a 政府信息公开 table with 索引号/发布机构/成文日期/发布日期, `div.xxgk-title h1`, `div.xxgk-content`).",
            f"{len(arts)} articles, {PER_PAGE} a page; listing text cut at 30 characters with `…`; 成文日期 earlier "
            "than 发布日期 on most pages (the profile takes 发布日期); 507713 has `.pdf` and `.docx` attachment links "
            "(only the PDF exists, a placeholder).",
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>公示公告_天津市东丽区人民政府</title>
<script type="text/javascript">
{TRS_PAGER_FN}
</script>
</head>
<body>
{header}
<div class="main">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 公示公告</div>
<ul class="newsList">
{rows}
</ul>
{trs_pager("pagenav", len(pages), i, "shtml")}
</div>
{footer}
</body>
</html>
"""
        site.add(col + names[i], html)
    for a in arts:
        site.add_attachments(a)
        body = [paras_html(a["paras"], indent=True), *trs_attachment_html(a)]
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{t(a["title"])}_天津市东丽区人民政府</title>
<meta name="ArticleTitle" content="{attr(a["title"])}">
<meta name="PubDate" content="{a["date"]}">
</head>
<body>
{header}
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
{footer}
</body>
</html>
"""
        site.add(a["path"], html)
    start = "https://www.tjdl.gov.cn/zwgk/gsgg/gsgg/index.shtml"
    site.write(
        start,
        names,
        arts,
        "东丽区人民政府·公示公告（UTF-8，.shtml）：ul.newsList li（a + 日期 span，日期后带时间）、带主机名的绝对链接、index_N.shtml 翻页",
        readme(
            "tjdl",
            "天津市东丽区人民政府 · 公示公告",
            start,
            "UTF-8",
            "the list `/zwgk/gsgg/gsgg/index.shtml`, rows `ul.newsList li` with an `a` and a date `span` that has a "
            "time after a space (`2025-08-19 15:32:10`); links taken as they are (absolute).",
            "`index_N.shtml` pagination and TRS-style articles `/zwgk/gsgg/gsgg/YYYYMM/tYYYYMMDD_ID.shtml`; the detail "
            "page (`div.detail_tit h1`, a `发布时间/来源/字号` line separated by `&nbsp;`, `#zoom > div.TRS_Editor`, "
            "责任编辑 and 打印/关闭 below).",
            f"{len(arts)} articles, {PER_PAGE} a page; absolute `https://www.tjdl.gov.cn/…` links; t20250819_7006931 "
            "(`.xls`) and t20250812_7004719 (`.pdf`, `.docx`) have attachment links (only the PDF exists, a "
            "placeholder).",
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
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>政务公告-中新天津生态城</title>
</head>
<body>
{header}
<div class="main">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/html/zwgk/">政务公开</a> &gt; 政务公告</div>
<div class="text_lists">
<ul>
{rows}
</ul>
</div>
<div class="pages"><span>共{len(pages)}页</span> {" ".join(pager)}</div>
</div>
{footer}
</body>
</html>
"""
        site.add(col + names[i], html)
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p>附件：<a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{t(a["title"])}-中新天津生态城</title>
</head>
<body>
{header}
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
{footer}
</body>
</html>
"""
        site.add(a["path"], html)
    start = "https://www.eco-city.gov.cn/html/zwgg/"
    site.write(
        start,
        [col + n for n in names],
        arts,
        "中新天津生态城·政务公告（UTF-8）：div.text_lists li a，标题在 div.biaoti h4，日期 YYYY/MM/DD 在 div.riqi span；index_N.html 翻页从 2 起",
        readme(
            "eco_city",
            "中新天津生态城管理委员会 · 政务公告",
            start,
            "UTF-8",
            "the list `/html/zwgg/`, `div.text_lists li a` (the whole row is the link), titles in `div.biaoti h4`, "
            "dates `YYYY/MM/DD` in `div.riqi span`; root-relative links; `index_2.html` pagination (seen on "
            "`/html/zbgg/index_2.html`).",
            "articles `/html/zwgg/YYYYMMDD/<id>.html`; a second `span` in `div.riqi` (the column name); the detail "
            "page (`div.article_title h2`, `发布时间/来源` spans with `YYYY/MM/DD`, `div.article_content`, 打印本页/关闭窗口 "
            "below). A third-party crawler fetched this site with a custom function: the live site may need "
            "something the profile cannot give (cookies, a script challenge).",
            f"{len(arts)} articles, {PER_PAGE} a page; a summary `<p>` under each listing title; 57306 has `.pdf` and "
            "`.xls` attachment links (only the PDF exists, a placeholder).",
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
        html = f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>天津_北方网</title>
<script type="text/javascript" src="{ENORTH_COUNT}"></script>
</head>
<body>
{nav}
<table width="960" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td class="colname">天津</td></tr>
<tr><td>
<table width="100%" >
{rows}
</table>
</td></tr>
<tr><td class="pages" align="center">{" ".join(links)}</td></tr>
</table>
{footer}
</body>
</html>
"""
        site.add(names[i], gb(html))
    for a in arts:
        site.add_attachments(a)
        fj = "\n".join(
            f'<p><a href="{href}" target="_blank">{t(label)}</a></p>'
            for href, label in a.get("attachments", [])
        )
        origin = (
            f'<a href="http://www.enorth.com.cn/" target="_blank">{t(a["origin"])}</a>'
            if a["origin"] == "北方网"
            else t(a["origin"])
        )
        html = f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{t(a["title"])}_新闻中心_北方网</title>
<meta name="keywords" content="北方网,天津">
</head>
<body>
{nav}
<div class="wrap">
<div id="title">
<div class="tit"><h2>{t(a["title"])}<div class="ewm"><img src="/images/ewm.png"><p>扫码阅读手机版</p></div></h2></div>
<div class="info"><p><span>来源：{origin}</span> <span>作者：{t(a["author"])}</span> <span>编辑：{t(a["editor"])}</span> <span>{a["date"]}&nbsp;&nbsp;</span></p></div>
</div>
<div id="article">
<div class="share">分享到：<a href="javascript:;">微信</a> <a href="javascript:;">微博</a></div>
<div class="content">
{paras_html(a["paras"], indent=True)}
{fj}
<p class="editor">[责任编辑：{t(a["editor"])}]</p>
</div>
</div>
</div>
{footer}
</body>
</html>
"""
        site.add(a["path"], gb(html))
    start = "http://news.enorth.com.cn/tj/wytd/index.shtml"
    site.write(
        start,
        names,
        arts,
        "北方网（GB2312）：栏目首页 /tj/wytd/index.shtml，后续列表 /system/more/<ch>/<NNNN>/<ch>_<8位>.shtml 自 maxpage 倒数；count_page_list_<ch>.js 里 var maxpage；详情页 #title/#article",
        readme(
            "enorth",
            "北方网（enorth）· 天津 /tj/wytd/",
            start,
            "GB2312 (`<meta … charset=gb2312>`; the bytes are GBK, GB2312 text only)",
            "articles `/system/YYYY/MM/DD/0NNNNNNNN.shtml`; list pages `/system/more/<ch>/<NNNN>/<ch>_<8 digits>.shtml`; "
            f"the page count in `{ENORTH_COUNT}` (`var maxpage`). Third-party crawlers add: the channel "
            f"`{ENORTH_CH}` belongs to `/tj/wytd/`, whose front page is `index.shtml`; the list pages after it count "
            "down from maxpage (page 2 is `…_00002844.shtml` when maxpage is 2845) with the folder `NNNN` = page "
            'number ÷ 100; rows are `<a class="zi14">` in a `<table width="100%">`.',
            "static 首页/上一页/下一页 links on the list pages (the real pager may be drawn from maxpage by a script); "
            "the list date cell; the detail page (`#title` with the title in `h2` next to a 扫码阅读手机版 block, "
            "来源/作者/编辑/time spans, `#article` with a share bar and the text in `div.content`, "
            "`[责任编辑：…]` at its end); what `wytd` stands for.",
            f"{len(arts)} articles, {PER_PAGE} a page; absolute links with the host; list pages numbered downwards "
            f"({ENORTH_MAXPAGE - 1}, {ENORTH_MAXPAGE - 2}); 来源 a link when it is 北方网; 057123377 has a `.pdf` "
            "attachment link (a placeholder).",
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
