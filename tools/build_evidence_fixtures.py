# ruff: noqa: E501  (HTML templates are kept on one line each, as written out)
"""(Re)write the fixture sites of the sources added from shared/real-markup.md.

    .venv/bin/python tools/build_evidence_fixtures.py [SLUG]...

Deterministic; run it with the project's venv (it names files as tjcrawl.fixture_paths does). For each slug it replaces ``fixtures/<slug>/site/``,
``fixture.toml`` and ``README.md`` (``expected.json`` is left to ``tjcrawl goldens``). Every
page is reconstructed from the markup that real-markup.md documents for the site (selectors,
URL paths, paging, encodings, JSON field names), with the date of that evidence; whatever it
does not document is kept plain and named as assumed in the README, so that the profile's
`"auto"` fields exercise the generic extractor there. Article texts: tools/evidence_articles.py.
"""

from __future__ import annotations

import json
import posixpath
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import fixture_kit as kit
from evidence_articles import ARTICLES
from fixture_kit import attr, content_type_meta, document, paras_html, rel, short, t

# The pager as the cluster's pages write it (no comment after currentPage).
trs_pager = partial(kit.trs_pager, current_comment="")


@dataclass
class Article:
    doc_id: str
    title: str
    published: str  # YYYY-MM-DD HH:MM, or YYYY-MM-DD
    origin: str
    paras: list[str]
    path: str = ""

    @property
    def day(self) -> str:
        return self.published[:10]

    @property
    def ym(self) -> str:
        return self.day[:4] + self.day[5:7]

    @property
    def ymd(self) -> str:
        return self.day.replace("-", "")

    def trs_path(self, column: str, ext: str = "html") -> str:
        return f"{column}{self.ym}/t{self.ymd}_{self.doc_id}.{ext}"

    def body(self) -> str:
        return paras_html(self.paras, indent=True)


def articles(slug: str) -> list[Article]:
    return [Article(*row) for row in ARTICLES[slug]]


def page(title: str, body: str, head: str = "", charset: str = "utf-8") -> str:
    return document(
        f"{content_type_meta(charset)}\n<title>{t(title)}</title>\n{head}", body, lang="zh-CN"
    )


def footer(owner: str, site_code: str) -> str:
    return f"""<div class="footer"><p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a></p>
<p>主办单位：{owner} 网站标识码：{site_code}</p><p>版权所有：{owner} 津ICP备05000000号</p></div>"""


def header(owner: str) -> str:
    return f"""<div class="header"><div class="logo"><a href="/">{owner}</a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li></ul></div>"""


def meta_block(
    site: str, column: str, art: Article | None = None, pubdate: str | None = None
) -> str:
    lines = [
        f'<meta name="SiteName" content="{attr(site)}">',
        f'<meta name="ColumnName" content="{attr(column)}">',
    ]
    if art is not None:
        lines.append(f'<meta name="ArticleTitle" content="{attr(art.title)}">')
        lines.append(f'<meta name="PubDate" content="{pubdate or art.published}">')
        lines.append(f'<meta name="ContentSource" content="{attr(art.origin)}">')
    return "\n".join(lines) + "\n"


def plain_detail(art: Article, owner: str, column: str, charset: str = "utf-8") -> str:
    """A detail page whose markup nothing documents: a headline, a 发布时间/来源 line, the body
    in the TRS containers real-markup.md lists across the cluster (#zoom > .TRS_Editor)."""
    return page(
        f"{art.title}-{owner}",
        f"""{header(owner)}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="./">{t(column)}</a></div>
<div class="article">
<h1 class="article-title">{t(art.title)}</h1>
<div class="article-info"><span>发布时间：{art.published}</span> <span>来源：{t(art.origin)}</span></div>
<div id="zoom"><div class="TRS_Editor">
{art.body()}
</div></div>
</div>
{footer(owner, "1200000000")}""",
        meta_block(owner, column, art),
        charset,
    )


class Site(kit.Site):
    """A site of this generator, named by its one start URL."""

    def __init__(self, slug: str, start_url: str, encoding: str = "utf-8") -> None:
        super().__init__(slug, urlsplit(start_url).hostname or "", encoding=encoding)
        self.start_url = start_url

    def write(self, description: str, readme: str, count: int) -> None:
        self.check_profile([self.start_url])
        self.write_fixture(description, count, readme)
        print(f"{self.slug}: {len(self.files)} files")


def readme(slug: str, name: str, start: str, encoding: str, documented: str, assumed: str) -> str:
    return f"""# {slug}

Imitates **{name}** (`{start}`), a web source (`verified = "never"` in
`tjcrawl/sources/{slug}.toml`). **Reconstructed from documented markup**, not captured: the
pages are written by `tools/build_evidence_fixtures.py` from what `shared/real-markup.md`
records of this site, and the article texts (`tools/evidence_articles.py`) are invented.
Encoding: {encoding}.

Documented (followed here): {documented}

Assumed (documented nowhere, kept plain; the profile leaves these fields to the generic
extractor where it can): {assumed}
"""


# --------------------------------------------------------------------------------------------
# www.tj.gov.cn: the 2019+ list (div.list-item, jumpToDetail) and the 1a news detail template
# --------------------------------------------------------------------------------------------

TJ = "天津市人民政府"
TJ_JS = """<script type="text/javascript">
function jumpToDetail(url) { window.open(url, "_blank"); }
function createPageHTML(id, countPage, currentPage, prefix, ext) { /* TRS pager */ }
</script>
"""


def tj_list_item(list_path: str, art: Article, onclick: str | None = None) -> str:
    target = onclick or rel(list_path, art.path)
    return f"""<div class="list-item clear">
<div><span><a href="javascript:void(0)" onclick="jumpToDetail('{target}')" title="{attr(art.title)}">{t(art.title)}</a></span></div>
<span class="list-item-date">{art.day}</span>
</div>"""


def tj_news_detail(art: Article, column: str) -> str:
    """real-markup.md 1a (mefly521/master-ms 2020-05; config about 2021-01)."""
    return page(
        f"{art.title}_{column}_天津政务网",
        f"""{header(TJ)}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="../">{t(column)}</a></div>
<div class="xl-box">
<div class="qt-title">{t(art.title)}</div>
<div class="xw-xtitle clear"><span class="p-title">来源：{t(art.origin)}</span><span class="p-title p-fbsj">发布时间：{art.published}</span><span class="p-title">字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></span></div>
<div class="xw-txt">
{art.body()}
</div>
<div class="xw-bottom"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
{footer("天津市人民政府办公厅", "1200000052")}""",
        '<meta name="SiteName" content="天津政务网">\n<meta name="SiteDomain" content="www.tj.gov.cn">\n<meta name="SiteIDCode" content="1200000052">\n',
    )


def tj_policy_detail(art: Article, column: str, wzfl: str) -> str:
    """real-markup.md 1a policy detail (GYSpider 2024-07; scrapymbt 2023-03): ArticleTitle and
    PubDate ("date time") meta tags, the text in #xlrllt/div/div[1], hidden input #hid_WZFL."""
    return page(
        f"{art.title}_{column}_天津政务网",
        f"""{header(TJ)}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="../">{t(column)}</a></div>
<input type="hidden" id="hid_WZFL" value="{wzfl}">
<div class="xlrl-box">
<div class="xlrl-title">{t(art.title)}</div>
<div id="xlrllt">
<div class="xlrllt-box">
<div class="xlrllt-txt">
{art.body()}
</div>
<div class="xlrllt-tool"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
</div>
</div>
{footer("天津市人民政府办公厅", "1200000052")}""",
        '<meta name="SiteName" content="天津政务网">\n<meta name="SiteDomain" content="www.tj.gov.cn">\n<meta name="SiteIDCode" content="1200000052">\n'
        + f'<meta name="ColumnName" content="{attr(column)}">\n<meta name="ArticleTitle" content="{attr(art.title)}">\n<meta name="PubDate" content="{art.published}:00">\n',
    )


def tj_list_page(column: str, rows: str, count: int, current: int) -> str:
    return page(
        f"{column}_天津政务网",
        f"""{header(TJ)}
<div class="position">当前位置：<a href="../../">首页</a> &gt; <a href="./">{t(column)}</a></div>
<div class="list-box">
{rows}
</div>
{trs_pager(count, current)}
{footer("天津市人民政府办公厅", "1200000052")}""",
        TJ_JS,
    )


def build_tj_gov_jrgz() -> None:
    slug, col, name = "tj_gov_jrgz", "/sy/jrgz/", "今日关注"
    site = Site(slug, "https://www.tj.gov.cn/sy/jrgz/")
    arts = articles(slug)
    for art in arts:
        art.path = art.trs_path(col)
        site.add(art.path, tj_news_detail(art, name))
    pages = [arts[:2], arts[2:]]
    for i, chunk in enumerate(pages):
        path = col + ("index.html" if i == 0 else f"index_{i}.html")
        rows = []
        for art in chunk:
            # one row uses the "../" variant of the onclick the 2020 crawler resolved
            onclick = f"../jrgz/{art.ym}/t{art.ymd}_{art.doc_id}.html" if art is arts[1] else None
            rows.append(tj_list_item(path, art, onclick))
        site.add(path if i else col, tj_list_page(name, "\n".join(rows), len(pages), i))
    site.write(
        "天津市人民政府·今日关注（TRS，UTF-8）：div.list-item 行、onclick jumpToDetail（含 ../ 变体）、index_N.html 翻页；详情 div.qt-title、div.xw-xtitle 来源/发布时间、div.xw-txt",
        readme(
            slug,
            "天津市人民政府 · 今日关注",
            site.start_url,
            "UTF-8",
            "real-markup.md §1a (mefly521/master-ms @bbd75a53, 2020-05-22; the unattributed config of about 2021-01): list rows `div[class=list-item clear]`, the link only in `onclick=\"jumpToDetail('./YYYYMM/tYYYYMMDD_ID.html')\"` on an `a` inside `div span` (one row here uses the `../` variant), the date in `span.list-item-date`; paging `index.html`, `index_1.html`; detail title `div.qt-title`, `div.xw-xtitle.clear` whose first `span` is `来源：…` and whose `span.p-title.p-fbsj` is `发布时间：…`, body `div.xw-txt`; `<title>` as `title_<column>_天津政务网`; the site code 1200000052 (§1c); UTF-8. The column `/sy/jrgz/` is named in §1a.",
            "the wrappers around these elements (`div.xl-box`, the breadcrumb, header and footer), the 字号 span and the print/close links; the time of day in 发布时间.",
        ),
        len(arts),
    )


def build_tj_gov_zcjd() -> None:
    slug, col, name = "tj_gov_zcjd", "/zwgk/zcjd/", "政策解读"
    site = Site(slug, "https://www.tj.gov.cn/zwgk/zcjd/")
    arts = articles(slug)
    for i, art in enumerate(arts):
        art.path = art.trs_path(col)
        # both documented detail templates of www.tj.gov.cn: the 2024 policy page first
        html = tj_policy_detail(art, name, "1234") if i != 1 else tj_news_detail(art, name)
        site.add(art.path, html)
    pages = [arts[:2], arts[2:]]
    for i, chunk in enumerate(pages):
        path = col + ("index.html" if i == 0 else f"index_{i}.html")
        rows = "\n".join(tj_list_item(path, art) for art in chunk)
        site.add(path if i else col, tj_list_page(name, rows, len(pages), i))
    site.write(
        "天津市人民政府·政策解读（TRS，UTF-8）：div.list-item + jumpToDetail 列表；详情两种已记载模板：ArticleTitle/PubDate meta + #xlrllt（2024）与 div.qt-title/xw-xtitle/xw-txt（2020–21）",
        readme(
            slug,
            "天津市人民政府 · 政策解读",
            site.start_url,
            "UTF-8",
            'real-markup.md §1a: article URLs `/zwgk/zcjd/YYYYMM/tYYYYMMDD_ID.html` (link lists 2024–2026); the two detail templates documented for www.tj.gov.cn, both present: the policy page of GYSpider @8faf6676 (2024-07-14) and scrapymbt @b9510ea5 (2023-03-27) (`meta[name=ArticleTitle]`, `meta[name=PubDate]` as "date time", the text in `#xlrllt/div/div[1]`, `input#hid_WZFL`) on t20250829 and t20250825, and the news page of mefly521/master-ms (2020-05) and the 2021 config (`div.qt-title`, `div.xw-xtitle.clear` spans, `div.xw-txt`) on t20250827; UTF-8.',
            "that this column's list uses the 2019+ `div.list-item` rows with `jumpToDetail` of §1a (documented for `/sy/` lists); the policy page's visible title block and the print/close links.",
        ),
        len(arts),
    )


def build_tj_gov_szfwj() -> None:
    slug, col, name = "tj_gov_szfwj", "/zwgk/szfwj/tjsrmzf/", "市政府文件"
    site = Site(slug, "https://www.tj.gov.cn/zwgk/szfwj/tjsrmzf/index_10960.html")
    arts = articles(slug)
    for art in arts:
        art.path = art.trs_path(col)
        site.add(art.path, tj_policy_detail(art, name, "10960"))
    pages = [arts[:2], arts[2:]]
    for i, chunk in enumerate(pages):
        base = "index_10960"
        path = col + (f"{base}.html" if i == 0 else f"{base}_{i}.html")
        rows = "\n".join(
            f'<li><a class="list-item-con" href="{rel(path, art.path)}" title="{attr(art.title)}" target="_blank"><span class="list-item-title">{t(art.title)}</span><span class="list-item-wh">津政发〔2025〕{10 - n}号</span></a></li>'
            for n, art in enumerate(chunk)
        )
        site.add(
            path,
            page(
                f"{name}_天津政务网",
                f"""{header(TJ)}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="./index_10960.html">津政发</a></div>
<ul class="list-con">
{rows}
</ul>
{trs_pager(len(pages), i, base=base)}
{footer("天津市人民政府办公厅", "1200000052")}""",
                TJ_JS,
            ),
        )
    site.write(
        "天津市人民政府·市政府文件（津政发）：a.list-item-con 行（href、title、target），index_10960.html / index_10960_1.html 翻页；详情 ArticleTitle/PubDate meta、#xlrllt 正文",
        readme(
            slug,
            "天津市人民政府 · 市政府文件（津政发）",
            site.start_url,
            "UTF-8",
            'real-markup.md §1a, the policy-file list of edddyeddy/GYSpider @0395d71d (2024-02-08 … 2024-07-21): rows `a.list-item-con` with `href`, `title`, `target="_blank"`; paging with the column\'s numbered base name, `index_10960.html` then `index_10960_1.html` (10960 = 津政发); the detail of GYSpider @8faf6676 (2024-07-14) and scrapymbt (2023-03-27): `meta[name=ArticleTitle]`, `meta[name=PubDate]` as "date time", the text in `#xlrllt/div/div[1]`, `input#hid_WZFL`; UTF-8.',
            "what is inside the `a` (a title span and a 文号 span here), the list's wrapper, the visible title block of the detail page; the list shows no date, so the date is the PubDate meta's.",
        ),
        len(arts),
    )


# --------------------------------------------------------------------------------------------
# JSON: TRS 海云 IGS /igs/front/search/list.html (www.tj.gov.cn 政策文件, ghhzrzy 局级文件)
# --------------------------------------------------------------------------------------------

ZCWJ_QUERY = "index=zcwj-index-200424&type=zcfg&filter%5BAVAILABLE%5D=true&pageSize=10&pageNumber={n}&orderProperty=FBRQ&orderDirection=desc"
ZCWJ_HOSTS = {
    "天津市人民政府办公厅": (
        "www.tj.gov.cn",
        "/zwgk/szfwj/tjsrmzfbgt/",
        "津政办发〔2025〕21号",
        "1752",
    ),
    "天津市商务局": (
        "shangwuju.tj.gov.cn",
        "/tjsswjzz/zwgk/zcfg_48995/swjwj/",
        "津商贸〔2025〕9号",
        "1751",
    ),
    "天津市生态环境局": (
        "sthj.tj.gov.cn",
        "/ZWGK4828/ZCWJ6738/wjwj/",
        "津环公告〔2025〕3号",
        "1760",
    ),
}


def igs_page(content: list[dict], number: int, total: int) -> str:
    """The response shape of the real 2020-12 sample (JinhuaSu/Policy_crawler README)."""
    filters = {
        "AVAILABLE": "true",
        "BT,ZW,FWZH-or": None,
        "FBRQ-gte": None,
        "FBRQ-lte": None,
        "FWJG_name": None,
        "WZFL_name": None,
    }
    data = {
        "filter": filters,
        "index": "zcwj-index-200424",
        "type": "zcfg",
        "pageable": {},
        "queryFilter": {"filter": filters, "fieldAndValues": None},
        "hasFilter": True,
        "page": {
            "content": content,
            "total": str(total),
            "pageSize": 10,
            "pageNumber": number,
            "searchProperty": None,
            "searchValue": None,
            "orderProperty": "FBRQ",
            "orderDirection": "desc",
            "totalPages": 2,
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=1)


def build_tj_gov_zcwj() -> None:
    slug = "tj_gov_zcwj"
    site = Site(slug, "https://www.tj.gov.cn/igs/front/search/list.html?" + ZCWJ_QUERY.format(n=1))
    arts = articles(slug)
    items = []
    for n, art in enumerate(arts):
        host, col, fwzh, wzfl = ZCWJ_HOSTS[art.origin]
        url = f"https://{host}{col}{art.ym}/t{art.ymd}_{art.doc_id}.html"
        day = f"{art.day}T00:00:00.000+0800"
        items.append(
            {
                "AttachPic": 0,
                "GJC": "",
                "WZFL": wzfl,
                "FZYJ": "",
                "ZCJD": "",
                "OriginMetaDataId": int(art.doc_id),
                "ChannelId": 67466 + n,
                "AttachVideo": 0,
                "highlight": {},
                "BT": art.title,
                "DOCPUBURL": url,
                "WCMMetaTableGovZhengCeWenJianID": 190000 + n,
                "MetaDataId": int(art.doc_id),
                "XGBD": "",
                "YXX": "0",
                "FBRQ": day,
                "IDXID": f"11120000MB1908811Q/2025-0{4798 + n}",
                "FWZH": fwzh,
                "WZFL_name": fwzh[:4],
                "LHFWDW": "",
                "ZTFL": "1119",
                "CWRQ": day,
                "ZTFL_name": "政务公开",
                "AVAILABLE": True,
                "VersionNum": 0,
                "OrganCat": "1337",
                "JB": "1",
                "CrUser": "fixture",
                "DXFL": "0,1",
                "DocRelTime": day,
                "trs_warehouse_time": f"{art.day}T07:54:21.625Z",
                "_id": art.doc_id,
                "ThumbFiles": "",
                "FWJG_name": art.origin,
                # ZW is the document's full text; the sample shows plain text with U+2002 spaces
                "ZW": "\n".join(art.paras).replace("，", "，\u2002", 1),
                "CrTime": f"{art.day}T07:37:08.000Z",
            }
        )
    for number, chunk in ((1, items[:2]), (2, items[2:])):
        site.add(
            "/igs/front/search/list.html?" + ZCWJ_QUERY.format(n=number),
            igs_page(chunk, number, len(items)),
        )
    site.write(
        "天津市人民政府·政策文件库 JSON 接口（/igs/front/search/list.html，index=zcwj-index-200424）：page.content[] 的 BT、DOCPUBURL、FBRQ、FWJG_name、ZW；pageNumber 翻页；文件分属 www、shangwuju、sthj 等主机",
        readme(
            slug,
            "天津市人民政府 · 政策文件（JSON 接口）",
            site.start_url,
            "UTF-8 JSON",
            "real-markup.md §1b: the request of JinhuaSu/Policy_crawler `TianjinSpider.py` @aa362e5b (2020-12-27), `GET /igs/front/search/list.html?index=zcwj-index-200424&type=zcfg&filter[AVAILABLE]=true&pageSize=10&pageNumber=N&orderProperty=FBRQ&orderDirection=desc`, and the response of December 2020 pasted in that repository's README: `page.content[]` items with every key of the sample (`BT`, `DOCPUBURL` on the issuing bureau's host, `FBRQ` as `2020-12-21T00:00:00.000+0800`, `CWRQ`, `FWZH`, `FWJG_name`, `ZW`, `IDXID`, `WZFL`/`WZFL_name`, `ZTFL`/`ZTFL_name`, `YXX`, `ChannelId`, `MetaDataId`, `_id` …), `page.total` as a string, `page.pageNumber`, `page.pageSize`, `orderProperty`. The item values here are invented, in that shape.",
            "the empty filters of the 2020 request (`filter[FWJG_name]=` …) are left out of the URL; `page.totalPages` is 2 here (the real one is capped at 1000); how `ZW` breaks lines (the sample shows one line with U+2002 spaces; here paragraphs are separated by newlines, which the archive folds into one paragraph as it would any plain text).",
        ),
        len(arts),
    )


GHZ_QUERY = "index=tjsghhzrglj&type=xzxkjgcx&filter%5BCHANNELID%5D=64803&orderProperty=ZXSJ&orderDirection=desc&filter%5BAVAILABLE%5D=true&pageNumber={n}&pageSize=30"


def build_tj_ghhzrzy() -> None:
    slug = "tj_ghhzrzy"
    site = Site(
        slug, "https://ghhzrzy.tj.gov.cn/igs/front/search/list.html?" + GHZ_QUERY.format(n=1)
    )
    arts = articles(slug)
    items = []
    for art in arts:
        url = (
            f"https://ghhzrzy.tj.gov.cn/zwgk_143/zcwj/jjzcwj/{art.ym}/t{art.ymd}_{art.doc_id}.html"
        )
        items.append(
            {
                "BT": art.title,
                "DOCPUBURL": url,
                "ZXSJ": f"{art.day}T00:00:00.000+0800",
                "CWRQ": f"{art.day}T00:00:00.000+0800",
                "YXX": "0",
                "CHANNELID": 64803,
                "_id": art.doc_id,
                "ZW": "".join(f"<p>{t(p)}</p>" for p in art.paras),
            }
        )
    for number, chunk in ((1, items[:2]), (2, items[2:])):
        data = {
            "page": {
                "content": chunk,
                "total": str(len(items)),
                "totalPages": 2,
                "pageNumber": number,
                "pageSize": 30,
            }
        }
        site.add(
            "/igs/front/search/list.html?" + GHZ_QUERY.format(n=number),
            json.dumps(data, ensure_ascii=False, indent=1),
        )
    site.write(
        "天津市规划和自然资源局·局级文件 JSON 接口（index=tjsghhzrglj，filter[CHANNELID]=64803）：page.content[] 的 BT、DOCPUBURL、ZXSJ、CWRQ、ZW、YXX",
        readme(
            slug,
            "天津市规划和自然资源局 · 局级文件（JSON 接口）",
            site.start_url,
            "UTF-8 JSON",
            "real-markup.md §13 (DIYgod/RSSHub `lib/routes/gov/tianjin/tjghhzrzy.ts` @b99648ad, 2025–26): the request `GET /igs/front/search/list.html?index=tjsghhzrglj&type=xzxkjgcx&filter[CHANNELID]=64803&orderProperty=ZXSJ&orderDirection=desc&filter[AVAILABLE]=true&pageNumber=1&pageSize=30`, the items' fields `BT`, `DOCPUBURL`, `ZXSJ`, `CWRQ`, `ZW` (the route inserts it as HTML), `YXX` ('0' 有效); the response as `page.content[]` (§1b, the IGS shape shared by the cluster). The column page the route names, `/zwgk_143/zcwj/jjzcwj/`, gives the article URLs' folder.",
            "the format of `ZXSJ` and `CWRQ` (written as the IGS dates of §1b, `YYYY-MM-DDT00:00:00.000+0800`); the rest of the response (`page.total` …, as in §1b); ZW as `<p>` paragraphs.",
        ),
        len(arts),
    )


# --------------------------------------------------------------------------------------------
# Bureaus and districts: documented lists, detail pages left to the generic extractor
# --------------------------------------------------------------------------------------------


@dataclass
class ListSite:
    slug: str
    name: str  # display name of the source
    owner: str  # publisher, for header and footer
    column: str  # column name
    start_url: str
    col: str  # the column's folder, where the articles go
    row: Callable[[str, Article], str]  # listing page path, article -> row HTML
    wrap: Callable[[str], str]  # rows -> the list block
    page_names: tuple[str, str]  # first and second listing page (paths)
    description: str
    documented: str
    assumed: str
    ext: str = "html"
    detail: Callable[[Article, str, str], str] = plain_detail
    encoding: str = "utf-8"

    def build(self) -> None:
        site = Site(self.slug, self.start_url, encoding=self.encoding)
        arts = articles(self.slug)
        for art in arts:
            art.path = art.trs_path(self.col, self.ext)
            site.add(art.path, self.detail(art, self.owner, self.column))
        for i, chunk in enumerate((arts[:2], arts[2:])):
            path = self.page_names[i]
            rows = "\n".join(self.row(path, art) for art in chunk)
            html = page(
                f"{self.column}-{self.owner}",
                f"""{header(self.owner)}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="./">{t(self.column)}</a></div>
{self.wrap(rows)}
{trs_pager(2, i, base="index" if "index" in path else "list", ext=self.page_names[0].rsplit(".", 1)[1])}
{footer(self.owner, "1200000000")}""",
                meta_block(self.owner, self.column),
                self.encoding,
            )
            site.add(path if i else urlsplit(self.start_url).path, html)
        encoding = "UTF-8" if self.encoding == "utf-8" else self.encoding.upper()
        site.write(
            self.description,
            readme(self.slug, self.name, self.start_url, encoding, self.documented, self.assumed),
            len(arts),
        )


def sthj_detail(art: Article, owner: str, column: str) -> str:
    """real-markup.md §13 sthj: body #xlrllt or #zoom holding div.TRS_PreAppend p; the date in
    the PubDate meta or div.xw-xtitle.clear."""
    return page(
        f"{art.title}-{owner}",
        f"""{header(owner)}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="../">{t(column)}</a></div>
<div class="xl-box">
<div class="xl-title">{t(art.title)}</div>
<div class="xw-xtitle clear"><span>发布时间：{art.published}:00</span> <span>来源：{t(art.origin)}</span></div>
<div id="xlrllt"><div class="TRS_PreAppend">
{art.body()}
</div></div>
</div>
{footer(owner, "1200000038")}""",
        meta_block(owner, column, art, art.published.replace("-", "/") + ":00"),
    )


def sasac_detail(art: Article, owner: str, column: str) -> str:
    return page(
        f"{art.title}-{owner}",
        f"""{header(owner)}
<div class="dqwz">当前位置：<a href="/">首页</a> &gt; <a href="../">{t(column)}</a></div>
<div class="xl">
<h2 class="bt">{t(art.title)}</h2>
<div class="ly"><span>发布时间：{art.published}</span> <span>来源：{t(art.origin)}</span></div>
<div class="qw">
{art.body()}
</div>
</div>
{footer(owner, "1200000060")}""",
        meta_block(owner, column, art),
    )


def xq_detail(art: Article, owner: str, column: str) -> str:
    """西青: the crawler read `name="ArticleTitle" content="…" />` (name first, self-closing)."""
    html = plain_detail(art, owner, column)
    return html.replace(
        f'<meta name="ArticleTitle" content="{attr(art.title)}">',
        f'<meta name="ArticleTitle" content="{attr(art.title)}" />',
    )


def sthj_row(path: str, art: Article) -> str:
    href = rel(path, art.path)
    if art.doc_id.endswith("405"):  # the `./../../…` form the crawler saw
        href = "./../../" + posixpath.relpath(
            art.path, posixpath.dirname(posixpath.dirname(posixpath.dirname(path)))
        )
    return f'<li><a href="{href}" target="_blank" title="{attr(art.title)}">{t(art.title)}</a></li>'


LIST_SITES = [
    ListSite(
        "tj_sthj",
        "天津市生态环境局 · 行政处罚信息",
        "天津市生态环境局",
        "行政处罚决定",
        "https://sthj.tj.gov.cn/ZWGK4828/ZFXXGK8438/FDZDGK27/XZCFQZXZCFXX7581/index.html",
        "/ZWGK4828/ZFXXGK8438/FDZDGK27/XZCFQZXZCFXX7581/",
        sthj_row,
        lambda rows: f'<div class="xl-right-content"><ul>\n{rows}\n</ul></div>',
        (
            "/ZWGK4828/ZFXXGK8438/FDZDGK27/XZCFQZXZCFXX7581/index.html",
            "/ZWGK4828/ZFXXGK8438/FDZDGK27/XZCFQZXZCFXX7581/index_1.html",
        ),
        "天津市生态环境局·行政处罚信息（TRS，UTF-8）：div.xl-right-content 内的 a（./ 与 ./../../ 两种 href）；详情 #xlrllt > div.TRS_PreAppend、PubDate meta、div.xw-xtitle",
        "real-markup.md §13 (unattributed code, undated; Kira-yoshikage-d/spider-gov `a天津生态环境局.py` @3179bfaf, 2022-12 / 2023-09): the list `/ZWGK4828/ZFXXGK8438/FDZDGK27/XZCFQZXZCFXX7581/index.html`, `index_N.html`; rows `//div[@class='xl-right-content']//a` with `./…` and `./../../…` hrefs (one of each here); detail body `#xlrllt` (or `#zoom`) holding `div.TRS_PreAppend p`; the date in `meta[name=PubDate]` or `div.xw-xtitle.clear`.",
        "the list shows no date here (none is documented); the detail headline (`div.xl-title`) and the 来源 in the `xw-xtitle` line; the PubDate meta's `YYYY/MM/DD HH:MM:SS` form (documented for fzgg, §3).",
        detail=sthj_detail,
    ),
    ListSite(
        "tj_sasac",
        "天津市国资委 · 监管动态",
        "天津市人民政府国有资产监督管理委员会",
        "监管动态",
        "https://sasac.tj.gov.cn/GZJG8342/JGDT5617/",
        "/GZJG8342/JGDT5617/",
        lambda path, art: (
            f'<dd><a href="{rel(path, art.path)}" target="_blank" title="{attr(art.title)}">{t(art.title)}</a><span class="time">[{art.day}]</span></dd>'
        ),
        lambda rows: f'<div class="l_jz"><dl>\n{rows}\n</dl></div>\n<div class="fy">共2页</div>',
        ("/GZJG8342/JGDT5617/index.html", "/GZJG8342/JGDT5617/index_1.html"),
        "天津市国资委·监管动态（TRS，UTF-8）：.l_jz dd 行、.time [YYYY-MM-DD]、.fy 页数、index_N.html；详情 .qw 正文、.dqwz 面包屑",
        "real-markup.md §13 sasac (unattributed code: old lists undated, pre-2020 paths; new URLs 2025): the column `/GZJG8342/JGDT5617/` and the article `t20250701_6970780.html` (the first article here has that URL); rows `.l_jz dd`, date `.time` as `[YYYY-MM-DD]`; page count in the `.fy` text; paging `index.html`, `index_1.html`; detail body `.qw`, breadcrumb `.dqwz`.",
        "that the 2025 column still uses the old list and detail classes; the detail headline (`h2.bt`) and 发布时间/来源 line; that the page is served whole (the old one was JavaScript-rendered; a crawl without a browser reads only what the HTML holds).",
        detail=sasac_detail,
    ),
    ListSite(
        "tj_gyxxh",
        "天津市工业和信息化局 · 工信动态",
        "天津市工业和信息化局",
        "工信动态",
        "https://gyxxh.tj.gov.cn/ZWXX5652/GXDT9285/",
        "/ZWXX5652/GXDT9285/",
        lambda path, art: (
            f'<li><a href="{art.path}" target="_blank"><span>{t(art.title)}</span></a><font>{art.day}</font></li>'
        ),
        lambda rows: f'<div class="list01"><ul>\n{rows}\n</ul></div>',
        ("/ZWXX5652/GXDT9285/index.html", "/ZWXX5652/GXDT9285/index_1.html"),
        "天津市工业和信息化局·工信动态（TRS，UTF-8）：div.list01 li 内 a > span 标题、font 日期、站内绝对链接；详情无记载（通用抽取）",
        'real-markup.md §13 gyxxh: the 2021 list (AYiXi/Crawler sites.py @641cc95a) `//div[@class="list01"]//a/span` title and `li/font` date, hrefs site-relative; the current article URLs `/ZWXX5652/GXDT9285/YYYYMM/tYYYYMMDD_ID.html` (unattributed code, 2024).',
        "that the 2024 column `/ZWXX5652/GXDT9285/` uses the 2021 list markup (the 2021 list was `tzggzs_index.htm?yearOfIssue=2020`); TRS `index_N.html` paging; the whole detail page (no selector is documented: title, date and body are the generic extractor's).",
    ),
    ListSite(
        "tj_rcgzw",
        "天津人才工作网 · 人才政策",
        "天津市人力资源和社会保障局",
        "人才政策",
        "https://hrss.tj.gov.cn/ztzl/ztzl1/tjrcgzw/rczc/sjrczc/",
        "/ztzl/ztzl1/tjrcgzw/rczc/sjrczc/",
        lambda path, art: (
            f'<li><a href="{rel(path, art.path)}" target="_blank">{t(art.title)}</a><span>{art.day}</span></li>'
        ),
        lambda rows: (
            f'<div class="routeBlockAuto">人才政策 &gt; 市级人才政策</div>\n<ul class="listUlBox01">\n{rows}\n</ul>'
        ),
        (
            "/ztzl/ztzl1/tjrcgzw/rczc/sjrczc/index.html",
            "/ztzl/ztzl1/tjrcgzw/rczc/sjrczc/index_1.html",
        ),
        "天津人才工作网·人才政策（hrss.tj.gov.cn，UTF-8）：ul.listUlBox01 > li（a 文字与 href、span 日期）、.routeBlockAuto 栏目；详情无记载（通用抽取）",
        "real-markup.md §13 (DIYgod/RSSHub `lib/routes/gov/tianjin/tjrcgzw.ts` @2ee8d4da, PR #18434, 2025-02): the list `/ztzl/ztzl1/tjrcgzw/<cate>/<sub>/` (the route's example `rczc/sjrczc`), rows `ul.listUlBox01>li` with an `a` (text, relative href) and a `span` date; the column name in `.routeBlockAuto`.",
        "TRS `index_N.html` paging and TRS article URLs in the column folder; the whole detail page (the generic extractor reads it).",
    ),
    ListSite(
        "tj_jy",
        "天津市教育委员会 · 通知公告",
        "天津市教育委员会",
        "通知公告",
        "https://jy.tj.gov.cn/ZWGK_52172/TZGG/",
        "/ZWGK_52172/TZGG/",
        lambda path, art: (
            f"""<li><a href="javascript:void(0)" onclick="isDownLoad(this,'https://jy.tj.gov.cn{art.path}')" title="{attr(art.title)}">{t(art.title)}</a><p class="list-date">{art.day}</p><div class="hidDom"><span class="text">{t(art.paras[0][:40])}</span></div></li>"""
        ),
        lambda rows: f'<div class="list-main"><ul>\n{rows}\n</ul></div>',
        ("/ZWGK_52172/TZGG/index.html", "/ZWGK_52172/TZGG/index_1.html"),
        "天津市教委·通知公告（UTF-8）：li a[onclick=isDownLoad(this,'url')][title]、p.list-date、div.hidDom span.text 摘要；详情无记载（通用抽取）",
        "real-markup.md §13 jy (unattributed code, 2025–26): `/ZWGK_52172/TZGG/` rows `li a[onclick=\"isDownLoad(this,'url')\"][title]`, date `p.list-date`, an inline summary `div.hidDom span.text`; the `isDownLoad` links carry absolute URLs as on fzgg (§3, BesFuel 2025–26).",
        "TRS `index_N.html` paging (as fzgg's, §3) and TRS article URLs; the whole detail page (the generic extractor reads it).",
    ),
    ListSite(
        "tj_zscq",
        "天津市知识产权局 · 通知通告",
        "天津市知识产权局",
        "通知通告",
        "https://zscq.tj.gov.cn/xwdt/tztg/",
        "/xwdt/tztg/",
        lambda path, art: (
            f'<li><span><a href="{rel(path, art.path)}" target="_blank" title="{attr(art.title)}">{t(art.title)}</a></span><span>{art.day}</span></li>'
        ),
        lambda rows: f'<div class="list"><ul>\n{rows}\n</ul></div>',
        ("/xwdt/tztg/index.html", "/xwdt/tztg/index_1.html"),
        "天津市知识产权局·通知通告（UTF-8）：ul/li/span[1]/a（./ 链接）、span[2] 日期；详情无记载（通用抽取）",
        "real-markup.md §5 (AYiXi/Crawler sites.py @641cc95a, 2021): the list `/xwdt/tztg/`, `//ul/li/span[1]/a` (text, href `./…`), date `//ul/li/span[2]`.",
        "TRS `index_N.html` paging and article URLs; the https scheme; the whole detail page (the generic extractor reads it).",
    ),
    ListSite(
        "tjbc",
        "天津市北辰区人民政府 · 通知公告",
        "天津市北辰区人民政府",
        "通知公告",
        "https://www.tjbc.gov.cn/zwgk/tzgg/",
        "/zwgk/tzgg/",
        lambda path, art: (
            f'<li><a href="{rel(path, art.path)}" target="_blank">·{t(art.title)}</a><span class="date">{art.day}</span></li>'
        ),
        lambda rows: f'<div class="list"><ul>\n{rows}\n</ul></div>',
        ("/zwgk/tzgg/index.html", "/zwgk/tzgg/index_1.html"),
        "北辰区人民政府·通知公告（TRS，UTF-8）：li > a[href 含 t20YYMMDD_ID.html]（文字以 · 开头）、li span.date、index_1.html 翻页；详情无记载（通用抽取）",
        "real-markup.md §10 北辰, the 2025–26 list (unattributed code): `/zwgk/tzgg/`, rows `li > a` whose href is `t20YYMMDD_ID.html`, the link text starting with `·`, the date in `li span.date`; paging `index_1.html`.",
        "the list wrapper; UTF-8 (only the older `/hbj/` pages are documented as GB2312); the whole detail page (the generic extractor reads it).",
    ),
    ListSite(
        "tjxq",
        "天津市西青区人民政府 · 公示公告",
        "天津市西青区人民政府",
        "公示公告",
        "https://www.tjxq.gov.cn/xqxwzx/gsgg/index.shtml",
        "/xqxwzx/gsgg/",
        lambda path, art: (
            f'<tr><td><span><a href="{rel(path, art.path)}" target="_blank">{t(short(art.title, 16))}</a></span></td><td width="30%">{art.day}</td></tr>'
        ),
        lambda rows: (
            f'<table class="nav-table"><tr><td>公示公告</td></tr></table>\n<table width="100%" class="list-table">\n{rows}\n</table>'
        ),
        ("/xqxwzx/gsgg/index.shtml", "/xqxwzx/gsgg/index_1.shtml"),
        "西青区人民政府·公示公告（UTF-8）：第二个 table 的 tr 内 span/a（标题截断）、td[width=30%] 日期；详情 ArticleTitle meta（name 在前、自闭合）",
        'real-markup.md §10 西青 (AYiXi/Crawler sites.py and analyze_func.py @641cc95a, 2021): the list `/xqxwzx/gsgg/index.shtml`, rows `//table[2]//tr//span/a`, date `//td[@width="30%"]`; titles truncated in the list, so the title is the detail page\'s `name="ArticleTitle" content="…" />` (UTF-8).',
        "`index_N.shtml` paging; https; TRS article URLs; the rest of the detail page (date and body are the generic extractor's).",
        detail=xq_detail,
    ),
    ListSite(
        "tjhp",
        "天津市和平区人民政府 · 最新信息",
        "天津市和平区人民政府",
        "最新信息",
        "https://www.tjhp.gov.cn/tjhp/zxxx/list.shtml",
        "/tjhp/zxxx/",
        lambda path, art: (
            f'<li><a href="{rel(path, art.path)}" target="_blank" title="{attr(art.title)}">{t(art.title)}</a><span>{art.day}</span></li>'
        ),
        lambda rows: f'<ul class="list gglists">\n{rows}\n</ul>',
        ("/tjhp/zxxx/list.shtml", "/tjhp/zxxx/list_1.shtml"),
        "和平区人民政府·最新信息（UTF-8）：ul.list.gglists li a（@title、@href）、li/span 日期；详情无记载（通用抽取）",
        'real-markup.md §10 和平 (AYiXi/Crawler sites.py @641cc95a, 2021): the list `/tjhp/zxxx/list.shtml`, rows `//ul[@class="list gglists"]/li/a` with `@title` and `@href`, date `li/span`.',
        "`list_N.shtml` paging; https; TRS article URLs (`.shtml`); the whole detail page (the generic extractor reads it).",
        ext="shtml",
    ),
    ListSite(
        "tjjz",
        "天津市蓟州区人民政府 · 公示公告",
        "天津市蓟州区人民政府",
        "公示公告",
        "https://www.tjjz.gov.cn/jxzww/gsgg/list.shtml",
        "/jxzww/gsgg/",
        lambda path, art: (
            f'<li><span class="dot">·</span><a href="../..{art.path}" target="_blank" title="{attr(art.title)}">{t(art.title)}</a><span>{art.day}</span></li>'
        ),
        lambda rows: f'<div class="list_ul"><ul>\n{rows}\n</ul></div>',
        ("/jxzww/gsgg/list.shtml", "/jxzww/gsgg/list_1.shtml"),
        "蓟州区人民政府·公示公告（UTF-8）：div.list_ul li a/@title、li/span[2] 日期、../../ 链接；详情无记载（通用抽取）",
        'real-markup.md §10 蓟州 (AYiXi/Crawler sites.py @641cc95a, 2021): the list `/jxzww/gsgg/list.shtml`, rows `//div[@class="list_ul"]//li//a/@title`, date `li/span[2]` (so a first span precedes it), hrefs `../../…`.',
        "`list_N.shtml` paging; https; TRS article URLs (`.shtml`); the whole detail page (the generic extractor reads it).",
        ext="shtml",
    ),
    ListSite(
        "tjjn",
        "天津市津南区人民政府 · 通知公告",
        "天津市津南区人民政府",
        "通知公告",
        "https://www.tjjn.gov.cn/xxgk/tzgg/index.html",
        "/xxgk/tzgg/",
        lambda path, art: (
            f'<li><a href="{rel(path, art.path)}" target="_blank">{t(art.title)}</a><span>{art.day[5:]}</span></li>'
        ),
        lambda rows: f'<div class="list_content"><ul>\n{rows}\n</ul></div>',
        ("/xxgk/tzgg/index.html", "/xxgk/tzgg/index_1.html"),
        "津南区人民政府·通知公告（UTF-8）：div.list_content li a（./ 链接）、li/span 日期只有 MM-DD（年份在 URL）；详情无记载（通用抽取）",
        'real-markup.md §10 津南 (AYiXi/Crawler sites.py @641cc95a, 2021): the list `/xxgk/tzgg/index.html`, rows `//div[@class="list_content"]//li/a`, date `li/span` as `MM-DD` only (the crawler took the year from `/20xx` in the URL), hrefs `./…`.',
        "TRS `index_N.html` paging and article URLs; https; the whole detail page (the generic extractor reads it, and its date is preferred to the year-less list date).",
    ),
]


# --------------------------------------------------------------------------------------------
# 北方网 tjtv channel: the 2021 config's detail template, GBK
# --------------------------------------------------------------------------------------------


def build_enorth_tjtv() -> None:
    slug = "enorth_tjtv"
    site = Site(
        slug,
        "http://tjtv.enorth.com.cn/system/more/31001000000000000/0000/31001000000000000_00000001.shtml",
        encoding="gbk",
    )
    arts = articles(slug)
    for art in arts:
        y, m, d = art.day.split("-")
        art.path = f"/system/{y}/{m}/{d}/{art.doc_id}.shtml"
        html = page(
            f"{art.title}-北方网-天津广播电视台",
            f"""<div class="top"><a href="http://www.enorth.com.cn/">北方网首页</a> | <a href="/">天视新闻</a></div>
<div class="container">
<div class="row">
<h2 class="col-sm-12">{t(art.title)}</h2>
<p class="col-sm-6 info"><span>来源：{t(art.origin)}</span> <span>{art.published}:00</span> <span>作者：记者 王明</span></p>
</div>
<div class="content">
{art.body()}
</div>
<div class="editor">[责任编辑：李华]</div>
</div>
<div class="foot">北方网 版权所有 津ICP证 000000号</div>""",
            "",
            "gb2312",
        )
        site.add(art.path, html)
    more = "/system/more/31001000000000000/0000/31001000000000000_{:08d}.shtml"
    for i, chunk in enumerate((arts[:2], arts[2:])):
        rows = "\n".join(
            f'<tr><td><a href="http://tjtv.enorth.com.cn{art.path}" target="_blank">{t(art.title)}</a></td><td class="date">{art.day}</td></tr>'
            for art in chunk
        )
        nav = (
            f'<a href="{more.format(2)}">下一页</a>'
            if i == 0
            else f'<a href="{more.format(1)}">上一页</a>'
        )
        site.add(
            more.format(i + 1),
            page(
                "天视新闻-北方网",
                f"""<div class="top"><a href="http://www.enorth.com.cn/">北方网首页</a></div>
<table class="list" width="100%">
{rows}
</table>
<div class="pages">{nav}</div>
<div class="foot">北方网 版权所有</div>""",
                "",
                "gb2312",
            ),
        )
    site.write(
        "北方网·天视新闻频道（tjtv.enorth.com.cn，GBK）：/system/more/ 列表页；详情 h2.col-sm-12、p.col-sm-6.info 来源/时间/作者、div.content；/system/YYYY/MM/DD/NNNNNNNNN.shtml",
        readme(
            slug,
            "北方网 · 天视新闻（tjtv.enorth.com.cn）",
            site.start_url,
            "GBK text declared as gb2312 (real-markup.md §12: enorth pages are GBK)",
            "real-markup.md §12: the tjtv.enorth.com.cn config of about 2021-01 (unattributed code), detail title `h2.col-sm-12` (or `td.hei201`, `div[align=center] h1`), body `div.content` (or `td.zi14.hanggao30`, `td.p14`), 来源 and 作者 in `p.col-sm-6.info span` (`来源：`, `作者：`), the time by regex `YYYY-MM-DD HH:MM:SS` on those spans, article URLs `/system/YYYY/MM/DD/NNNNNNNNN.shtml`; the more-page scheme `/system/more/<17-digit column id>/<NNNN>/<column id>_<8-digit page>.shtml` (documented on news.enorth.com.cn); GBK.",
            "the column id `31001000000000000` (invented, 17 digits) and that tjtv uses the more-page scheme; the list markup (a table of links and dates) and its 下一页 link; only the `h2.col-sm-12` template is on these pages (the older alternatives are in the profile's unions).",
        ),
        len(arts),
    )


BUILDERS: dict[str, Callable[[], None]] = {
    "tj_gov_jrgz": build_tj_gov_jrgz,
    "tj_gov_zcjd": build_tj_gov_zcjd,
    "tj_gov_szfwj": build_tj_gov_szfwj,
    "tj_gov_zcwj": build_tj_gov_zcwj,
    "tj_ghhzrzy": build_tj_ghhzrzy,
    "enorth_tjtv": build_enorth_tjtv,
    **{s.slug: s.build for s in LIST_SITES},
}


def main(argv: list[str]) -> None:
    for slug in argv or sorted(BUILDERS):
        BUILDERS[slug]()


if __name__ == "__main__":
    main(sys.argv[1:])
