"""Crawl throughput: raw Scrapy against the full tjcrawl path, on one synthetic TRS site.

    .venv/bin/python bench/crawl_throughput.py [--pages 5000] [--rounds 2] [--generic | --facts]
                                               [--small-pages]

A benchmark, not a test. It generates a deterministic GBK site of ``--pages`` detail pages
(plus listing pages of ``--per-page`` entries), serves it on 127.0.0.1 from a small asyncio
HTTP proxy in its own process, and then crawls it in fresh subprocesses, alternating

  raw      a plain ``scrapy.Spider``: XPath over the listings, one ``{"url", "title"}`` dict
           per detail page; no tjcrawl middlewares or pipelines, ROBOTSTXT_OBEY off;
  tjcrawl  the profile written to the temp dir, ``parse_profile`` + ``build_settings(...,
           loopback_fast=True)`` + ``run_crawl`` into a fresh SQLite archive, robots.txt obeyed;

  generic  (with ``--generic``, instead of tjcrawl) the same, with a profile whose ``[detail]``
           title, date, origin and body are ``"auto"``: every detail page goes through the
           generic extractor (tjcrawl.extract.generic), none through a selector;

  facts    (with ``--facts``) tjcrawl as it is (招商引资 facts computed for every new article)
           against ``nofacts``, the same crawl with ``TJCRAWL_FACTS = False`` in place of raw: the
           ratio is what finding and storing facts costs a crawl (goal: at most 10 %);

both with 16 concurrent requests (16 per domain), the same CONCURRENT_ITEMS (tjcrawl's) and no
delays. "pages" are responses counted by Scrapy's stats (listing + detail pages; robots.txt left
out), over the seconds from spider_opened to engine_stopped: for tjcrawl that includes draining
the archive writer, so a crawl counts as done when its last article is stored (Scrapy's own
``elapsed_time_seconds`` stops before that). The server's CPU time is read from /proc for
every crawl, to show it is not the limit. ``--cprofile DIR`` adds one cProfiled crawl per side
(not timed) and prints where the time goes.

The pages: since issue 16, item 2, each article sits in a government page's shell of ~21 KB,
bench/site_shell.py, ~25 KB a page with the article's text ~8 % of its bytes. Measured on the
real zh pages of ../shared/extraction-dev: all 57 a median of 98 KB (text 2.9 %), the 23 under
60 KB a median of 35 KB (28 KB of shell, text 6.5 %), the one .gov.cn page 35 KB (29 KB of
shell); the smaller shell is the conservative choice for compression, see that module and
docs/benchmarks.md. ``--small-pages`` crawls the ~4 KB pages of the figures before, with the
same articles: the text and links are the same, byte for byte.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

# Python puts this script's folder first on sys.path, where a sibling bench script may shadow a
# package that Scrapy or Twisted imports (bench/incremental.py hides Twisted's `incremental`).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # this checkout's tjcrawl, not an installed one

HOST = "bench.tjcrawl.test"
SECTION = "/sy/tjxw/"
START_URL = f"http://{HOST}{SECTION}index.html"
SLUG = "bench_trs"
CONCURRENCY = 16
LINK_RE = re.compile(r"([^'()]+\.html)")
CHILD_TIMEOUT = 150.0  # seconds; a crawl of the default site takes well under a minute
SERVER_LIFETIME = 900.0  # the server stops itself after this even if nobody stops it
MAX_REQUEST_HEAD = 64 * 1024

# --------------------------------------------------------------------------------------
# The synthetic site
# --------------------------------------------------------------------------------------

PLACES = (
    "滨海新区",
    "和平区",
    "河西区",
    "南开区",
    "河北区",
    "红桥区",
    "东丽区",
    "西青区",
    "津南区",
    "北辰区",
    "武清区",
    "宝坻区",
    "静海区",
    "宁河区",
    "蓟州区",
    "天津港",
)
TOPICS = (
    "重点项目建设",
    "招商引资",
    "营商环境",
    "科技创新",
    "民营经济",
    "京津冀协同发展",
    "智能制造",
    "港口物流",
    "城市更新",
    "乡村振兴",
    "生态环境保护",
    "民生保障",
    "数字经济",
    "文化旅游",
    "职业教育",
    "医疗卫生",
    "金融服务",
    "对外开放",
)
ACTIONS = (
    "召开专题会议 研究部署",
    "出台若干措施 支持",
    "举行集中签约仪式 推进",
    "发布实施方案 加快",
    "开展专项行动 推动",
    "召开推进会 部署",
)
ORIGINS = (
    "天津日报",
    "今晚报",
    "北方网",
    "津云",
    "天津市人民政府办公厅",
    "天津广播电视台",
    "滨海新区融媒体中心",
    "天津市发展和改革委员会",
    "天津市商务局",
)
EDITORS = ("刘静", "王磊", "张敏", "李娜", "陈晨", "赵阳", "孙悦", "周强")
SENTENCES = (
    "{month}月{day}日，{place}召开{topic}工作推进会，总结前一阶段工作，部署下一步重点任务。",
    "会议指出，要坚持以习近平新时代中国特色社会主义思想为指导，完整准确全面贯彻新发展理念，"
    "扎实推动{topic}取得新成效。",
    "据介绍，今年以来{place}累计引进项目{n}个，协议总投资约{money}亿元，同比增长{pct}%。",
    "签约企业中，既有深耕{place}多年、此次追加投资的老朋友，也有首次落户的新伙伴。",
    "一家企业负责人表示，看中的是当地完善的产业配套和高效的政务服务，计划建设研发中心和生产基地。",
    "有关负责同志表示，将坚持招商引资和企业服务“两手抓”，对签约项目实行全流程跟踪服务，"
    "推动项目早落地、早见效。",
    "下一步，{place}将持续深化京津冀产业协同，承接更多优质项目落户，不断扩大{topic}成果。",
    "截至{month}月底，全市共有{n}家企业享受相关政策支持，减免税费{money}亿元。",
    "会议强调，各部门要压实工作责任，加强统筹协调，确保各项任务按时保质完成。",
    "按照计划，年内还将举办{n}场专题活动，进一步优化{topic}的政策环境。",
    "市民王女士说：“现在办事方便多了，不用来回跑，在家门口就能办成。”",
    "据统计，{place}{topic}相关投资完成{money}亿元，占全年计划的{pct}%。",
    "与会人员实地察看了{n}个重点项目现场，详细了解项目进展和存在的困难问题。",
    "会上，{n}家单位作了交流发言，分享了推进{topic}的经验做法。",
    "记者从市有关部门获悉，{place}今年新增就业岗位{n}个，城镇调查失业率保持在合理区间。",
    "专家认为，{topic}是推动高质量发展的重要抓手，要在体制机制上持续创新。",
    "此外，{place}还将加大资金投入，安排专项资金{money}亿元，用于支持{topic}。",
    "活动现场气氛热烈，参展企业展示了最新产品和技术成果，吸引了众多观众驻足。",
)

# Most of a body is clauses of words drawn at random, so that two articles share few 5-character
# shingles, as different real reports do (the archive's re-post grouping compares them).
WORDS = tuple(
    """
    发展 建设 推进 落实 加强 完善 提升 优化 强化 深化 推动 促进 扩大 加快 坚持 统筹 协调 保障
    服务 管理 创新 改革 开放 合作 项目 企业 产业 园区 市场 投资 资金 政策 措施 机制 体系 平台
    环境 生态 绿色 低碳 能源 交通 港口 物流 航运 制造 智能 数字 经济 科技 人才 教育 医疗 卫生
    养老 就业 社保 住房 城市 乡村 社区 街道 居民 群众 干部 党员 组织 会议 部门 单位 机关 基层
    工作 任务 目标 责任 考核 督查 检查 调研 指导 部署 安排 研究 讨论 审议 通过 印发 实施 执行
    安全 生产 应急 防汛 消防 食品 药品 质量 标准 监管 执法 法治 依法 规范 制度 程序 流程 窗口
    政务 审批 办理 网上 线上 线下 便民 惠民 利民 民生 福祉 幸福 文明 文化 旅游 体育 赛事 活动
    展会 论坛 峰会 签约 洽谈 招商 引资 外资 外贸 出口 进口 口岸 自贸 试验 示范 先行 引领 带动
    辐射 协同 京津 冀州 滨海 新区 中心 城区 郊区 区域 重点 关键 核心 基础 全面 系统 持续 稳定
    增长 提高 降低 减少 新增 累计 完成 实现 达到 超过 同比 环比 季度 年度 上半年 下半年 今年
    去年 明年 近年 当前 下一步 未来 长期 短期 有效 显著 积极 主动 扎实 稳步 有序 高效 精准
    科学 合理 充分 广泛 深入 具体 切实 进一步 不断 努力 全力 尽快 及时 认真 严格 共同 相关
    """.split()
)
LEADS = (
    "{month}月{day}日，{place}召开{topic}工作推进会，总结前一阶段工作，部署下一步重点任务。",
    "据介绍，今年以来{place}累计引进项目{n}个，协议总投资约{money}亿元，同比增长{pct}%。",
    "记者从市有关部门获悉，{place}今年新增就业岗位{n}个，城镇调查失业率保持在合理区间。",
    "{month}月{day}日，{place}举行{topic}专题发布会，介绍有关情况并回答记者提问。",
)

LISTING_HEAD = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>天津要闻_天津政务网</title>
<meta name="SiteName" content="天津政务网">
<meta name="ColumnName" content="天津要闻">
<script type="text/javascript">
function jumpToDetail(url) {{ window.open(url, "_blank"); }}
</script>
</head>
<body>
<div class="header">
<div class="logo"><a href="/">天津市人民政府</a></div>
<ul class="nav"><li><a href="/sy/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/zjtj/">走进天津</a></li></ul>
</div>
<div class="position">当前位置：<a href="../../">首页</a> &gt; <a href="./">天津要闻</a></div>
<div class="main">
<div class="list-box">
"""  # noqa: E501
LISTING_TAIL = """</div>
<div class="page" id="page">{pager}</div>
<script type="text/javascript">
var currentPage = {current};//所在页从0开始
var countPage = {count};//共多少页
</script>
</div>
<div class="side">
<h3>政务公开</h3>
<ul><li><a href="../../zwgk/zcjd/">政策解读</a></li><li><a href="../tzgg/">通知公告</a></li><li><a href="../jrgz/">今日关注</a></li></ul>
</div>
{footer}
</body>
</html>
"""  # noqa: E501
FOOTER = """<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/private/stats.html">网站统计</a></p>
<p>主办：天津市人民政府办公厅 承办：天津市政务服务办公室</p>
<p>版权所有：天津市人民政府办公厅 网站标识码：1200000099 津ICP备05001234号-1 津公网安备 12010102000123号</p>
</div>"""  # noqa: E501
DETAIL = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title}_天津政务网</title>
<meta name="SiteName" content="天津政务网">
<meta name="ColumnName" content="天津要闻">
<meta name="ArticleTitle" content="{title}">
<script type="text/javascript">
function doZoom(size) {{ document.getElementById("zoom").style.fontSize = size + "px"; }}
</script>
</head>
<body>
<div class="header">
<div class="logo"><a href="/">天津市人民政府</a></div>
<ul class="nav"><li><a href="/sy/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/zjtj/">走进天津</a></li></ul>
</div>
<div class="position">当前位置：<a href="../../..">首页</a> &gt; <a href="./..">天津要闻</a></div>
<div class="article">
<h1>{title}</h1>
<div class="article-info">发布时间：{published} 来源：{origin} 字号：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></div>
<div class="article-content" id="zoom">
<div class="TRS_Editor">
{paragraphs}
</div>
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="share">分享到：<a href="javascript:;" class="share-wx">微信</a><a href="javascript:;" class="share-wb">微博</a></div>
<div class="related">相关链接 <ul>{related}</ul></div>
<div class="editor">责任编辑：{editor}</div>
</div>
</div>
{footer}
</body>
</html>
"""  # noqa: E501
ROBOTS = "User-agent: *\nDisallow: /private/\n"
PROFILE = """# Written by bench/crawl_throughput.py for its synthetic site.
name = "基准：合成 TRS 站点"
allowed_domains = ["{host}"]
start_urls = ["{start}"]
title_suffixes = ["_天津政务网"]

[listing]
entries = "div.list-box > div.list-item"
link = {{ select = "./a/@onclick | ./a[not(@onclick)]/@href", regex = "([^'()]+\\\\.html)" }}
title = "a"
date = "span.list-item-date"

[pagination]
next = "div.page a.next::attr(href)"
max_pages = {max_pages}

[detail]
title = "head > title"
date = {{ select = "div.article-info", regex = "发布时间[:：]\\\\s*(\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}} \\\\d{{2}}:\\\\d{{2}})" }}
origin = {{ select = "div.article-info", regex = "来源[:：]\\\\s*(\\\\S+)" }}
body = "div.article-content"
boilerplate = ["div.article-tools", "div.share", "div.related", "div.editor"]
"""  # noqa: E501
# The `--generic` side's [detail]: no selector, every field from the generic extractor.
GENERIC_DETAIL = """[detail]
title = "auto"
date = "auto"
origin = "auto"
body = "auto"
"""


def listing_name(index: int) -> str:
    return "index.html" if index == 0 else f"index_{index}.html"


def article_paragraphs(rng: random.Random, when: datetime, place: str, topic: str) -> list[str]:
    def fill(template: str) -> str:
        return template.format(
            month=when.month,
            day=when.day,
            place=place,
            topic=topic,
            n=rng.randint(3, 480),
            money=rng.randint(2, 900),
            pct=rng.randint(2, 40),
        )

    def sentence() -> str:
        clauses = []
        for _ in range(rng.randint(3, 6)):
            words = rng.choices(WORDS, k=rng.randint(2, 5))
            if rng.random() < 0.15:
                words.append(fill(rng.choice(("{n}个", "{money}亿元", "{pct}%", "{place}"))))
            clauses.append("".join(words))
        return "，".join(clauses) + "。"

    paragraphs = [f"<p>{fill(rng.choice(LEADS))}{sentence()}</p>"]
    for _ in range(rng.randint(5, 10)):
        text = "".join(sentence() for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.2:
            text += fill(rng.choice(SENTENCES))
        paragraphs.append(f"<p>{text}</p>")
    return paragraphs


def _site_shell():
    """bench/site_shell.py, loaded by path (this script's folder is kept off sys.path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_shell", _HERE / "site_shell.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate_site(
    root: Path,
    pages: int,
    per_page: int,
    seed: int,
    *,
    generic: bool = False,
    small_pages: bool = True,
) -> dict[str, object]:
    """Write the site under root/site and its profile (all-"auto" [detail] when `generic`);
    return what was written (counts and sizes).

    `small_pages` (the default, for the benches that import this and recorded figures on it):
    ~4 KB pages, the article in a thin frame. Without it, the same articles (same titles, text
    and links, byte for byte) in the page shell of bench/site_shell.py, ~30 KB a page, as
    measured on real pages: what this script crawls by default since issue 16, item 2."""
    rng = random.Random(seed)
    shell = None if small_pages else _site_shell()
    shell_rng = random.Random(seed + 1)  # the shell's own draws leave the articles' alone
    site = root / "site"
    section = site / SECTION.strip("/")
    section.mkdir(parents=True)
    (site / "robots.txt").write_text(ROBOTS, encoding="ascii")
    newest = datetime(2024, 12, 28, 18, 0)
    articles = []
    for i in range(pages):  # newest first, as on a real listing
        when = newest - timedelta(minutes=97 * i + rng.randrange(60))
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        title = f"{place}{rng.choice(ACTIONS)}{topic}工作（第{pages - i}期）"
        href = f"./{when:%Y%m}/t{when:%Y%m%d}_{6_000_000 + pages - i}.html"
        articles.append((when, title, href, place, topic))
    detail_sizes = []
    for i, (when, title, href, place, topic) in enumerate(articles):
        paragraphs = article_paragraphs(rng, when, place, topic)
        related = "".join(
            f'<li><a href="../{other[2][2:]}" target="_blank">{other[1]}</a></li>'
            for other in (articles[(i + k) % pages] for k in (1, 2))
        )
        origin = rng.choice(ORIGINS)
        html = DETAIL.format(
            title=title,
            published=f"{when:%Y-%m-%d %H:%M}",
            origin=origin,
            paragraphs="\n".join(paragraphs),
            related=related,
            editor=rng.choice(EDITORS),
            footer=FOOTER,
        )
        if shell is not None:
            article = html[html.index('<div class="article">') : html.index(FOOTER)]
            html = shell.detail_page(shell_rng, articles, i, article, paragraphs, origin)
        data = html.encode("gbk")
        path = section / href[2:]
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        detail_sizes.append(len(data))
    listings = -(-pages // per_page)
    listing_sizes = []
    for index in range(listings):
        entries = []
        for when, title, href, _place, _topic in articles[index * per_page :][:per_page]:
            if rng.random() < 0.3:  # TRS: some entries open through JavaScript
                anchor = (
                    f'<a href="javascript:void(0)" onclick="jumpToDetail(\'{href}\')" '
                    f'title="{title}">{title}</a>'
                )
            else:
                anchor = f'<a href="{href}" target="_blank" title="{title}">{title}</a>'
            entries.append(
                f'<div class="list-item">{anchor}<span class="list-item-date">'
                f"{when:%Y-%m-%d}</span></div>\n"
            )
        pager = []
        if index > 0:
            pager.append(f'<a href="{listing_name(index - 1)}" class="prev">上一页</a>')
        pager.append(f"<span>{index + 1}/{listings}</span>")
        if index + 1 < listings:
            pager.append(f'<a href="{listing_name(index + 1)}" class="next">下一页</a>')
        if shell is not None:
            html = shell.listing_page("".join(entries), "".join(pager), index, listings)
        else:
            html = (
                LISTING_HEAD.format()
                + "".join(entries)
                + LISTING_TAIL.format(
                    pager="".join(pager), current=index, count=listings, footer=FOOTER
                )
            )
        data = html.encode("gbk")
        (section / listing_name(index)).write_bytes(data)
        listing_sizes.append(len(data))
    profile_dir = root / "profiles"
    profile_dir.mkdir()
    profile = PROFILE.format(host=HOST, start=START_URL, max_pages=listings + 10)
    if generic:
        profile = profile[: profile.index("[detail]")] + GENERIC_DETAIL
    (profile_dir / f"{SLUG}.toml").write_text(profile, encoding="utf-8")
    return {
        "details": pages,
        "listings": listings,
        "detail_sizes": detail_sizes,
        "listing_sizes": listing_sizes,
    }


# --------------------------------------------------------------------------------------
# The server: a minimal HTTP/1.1 proxy-form server over files held in memory
# --------------------------------------------------------------------------------------


class _PageProtocol(asyncio.Protocol):
    def __init__(self, answers: dict[bytes, bytes], missing: bytes) -> None:
        self.answers = answers
        self.missing = missing
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        if len(self.buffer) > MAX_REQUEST_HEAD:
            self.transport.close()
            return
        # Each pass consumes at least one request head from a bounded buffer.
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._answer(head):
                self.transport.close()
                return

    def _answer(self, head: bytes) -> bool:
        assert self.transport is not None
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            return False
        method, target, _version = parts
        host = b""
        if target.startswith(b"http://"):
            host, _, path = target[7:].partition(b"/")
            path = b"/" + path
        else:
            path = target
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"host":
                    host = value.strip()
        host = host.split(b":")[0].lower()
        path = path.split(b"?")[0].split(b"#")[0]
        answer = self.answers.get(path) if host == HOST.encode() else None
        answer = answer or self.missing
        if method == b"HEAD":
            answer = answer[: answer.index(b"\r\n\r\n") + 4]
        self.transport.write(answer)
        return not any(line.lower() == b"connection: close" for line in lines[1:])


def _response(status: str, content_type: str, body: bytes) -> bytes:
    # Like an old CMS: no charset in Content-Type, the page's <meta> has to say it.
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def serve(site: Path) -> None:
    """Serve site/ on an ephemeral loopback port; print the port, run until SIGTERM."""
    answers: dict[bytes, bytes] = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            kind = "text/plain" if path.suffix == ".txt" else "text/html"
            url_path = "/" + path.relative_to(site).as_posix()
            answers[url_path.encode()] = _response("200 OK", kind, path.read_bytes())
    missing = _response("404 Not Found", "text/html", b"<html><body><h1>404</h1></body></html>")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
        server = await loop.create_server(
            lambda: _PageProtocol(answers, missing), "127.0.0.1", 0, backlog=256
        )
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop, SERVER_LIFETIME)
        server.close()

    asyncio.run(main())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------
# The two crawls, each run in a child process
# --------------------------------------------------------------------------------------


def children_cpu() -> float:
    """User + system CPU time of this process's children that ended (and were waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Extension: wall and CPU seconds from spider_opened to engine_stopped.

    The CPU seconds include those of the crawl's child processes that ended meanwhile: the
    archive's writer process (tjcrawl.storage.writer_process) ends, and is waited for, before
    engine_stopped, and its work is the crawl's as much as the writer thread's was.

    engine_stopped, not spider_closed: extensions' spider_closed handlers run before the item
    pipelines' own, and tjcrawl's archive pipeline drains its writer thread in its handler, so
    a crawl is only over when engine_stopped fires: every page and article is then stored.
    """

    def __init__(self, crawler) -> None:
        from scrapy import signals

        self.stats = crawler.stats
        self.start = 0.0
        self.cpu_start = 0.0
        self.children_start = 0.0
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider) -> None:
        self.start = time.monotonic()
        self.cpu_start = time.process_time()
        self.children_start = children_cpu()

    def stopped(self) -> None:
        children = children_cpu() - self.children_start
        self.stats.set_value("bench/child_cpu_seconds", children)
        self.stats.set_value("bench/cpu_seconds", time.process_time() - self.cpu_start + children)
        self.stats.set_value("bench/seconds", time.monotonic() - self.start)


METER = {"EXTENSIONS": {f"{__name__}.CpuMeter": 0}}


def crawl_raw(proxy: str, concurrent_items: int) -> dict:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class RawTrsSpider(scrapy.Spider):
        name = "raw_trs"

        async def start(self):  # type: ignore[override]
            yield scrapy.Request(START_URL, callback=self.parse_listing, meta={"proxy": proxy})

        def parse_listing(self, response):
            for entry in response.xpath('//div[@class="list-box"]/div[@class="list-item"]'):
                target = entry.xpath("./a/@onclick | ./a[not(@onclick)]/@href").get() or ""
                if match := LINK_RE.search(target):
                    yield response.follow(
                        match.group(1), callback=self.parse_detail, meta={"proxy": proxy}
                    )
            next_page = response.xpath('//div[@class="page"]/a[@class="next"]/@href').get()
            if next_page:
                yield response.follow(next_page, callback=self.parse_listing, meta={"proxy": proxy})

        def parse_detail(self, response):
            yield {"url": response.url, "title": response.xpath("//h1/text()").get()}

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS": CONCURRENCY,
            "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
            "CONCURRENT_ITEMS": concurrent_items,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "INFO",
            **METER,
        }
    )
    crawler = process.create_crawler(RawTrsSpider)
    process.crawl(crawler)
    process.start()
    return {"stats": crawler.stats.get_stats(), "problems": []}


def crawl_tjcrawl(root: Path, proxy: str, db: Path, facts: bool = True) -> dict:
    from tjcrawl import settings as project
    from tjcrawl.profiles import parse_profile
    from tjcrawl.runner import build_settings, run_crawl

    profile = parse_profile(root / "profiles" / f"{SLUG}.toml")
    # The meter joins the project's extensions (a setting replaces a dict, it does not merge):
    # the crawl measured is the one `tjcrawl crawl` runs.
    extensions = {**project.EXTENSIONS, **METER["EXTENSIONS"]}
    overrides = {"EXTENSIONS": extensions, "TJCRAWL_FACTS": facts}
    settings = build_settings(
        str(db), proxy_map={HOST: proxy}, loopback_fast=True, log_level="INFO", overrides=overrides
    )
    [report] = run_crawl([profile], settings)
    return {"stats": dict(report.stats), "problems": report.problems}


def child(args: argparse.Namespace) -> None:
    root, proxy = Path(args.root), args.proxy
    profiler = None
    if args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if args.child == "raw":
        crawl = partial(crawl_raw, concurrent_items=args.raw_items)
    else:
        crawl = partial(crawl_tjcrawl, root, db=Path(args.db), facts=args.child != "nofacts")
    result = crawl(proxy)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    stats = result["stats"]
    out = {
        "responses": stats.get("downloader/response_count", 0),
        "robots": stats.get("robotstxt/response_count", 0),
        "status_200": stats.get("downloader/response_status_count/200", 0),
        "items": stats.get("item_scraped_count", 0),
        "elapsed": stats.get("bench/seconds", 0.0),
        "scrapy_elapsed": stats.get("elapsed_time_seconds", 0.0),
        "finish_reason": stats.get("finish_reason"),
        "cpu": stats.get("bench/cpu_seconds", 0.0),
        "child_cpu": stats.get("bench/child_cpu_seconds", 0.0),
        "problems": result["problems"],
        "tjcrawl": {k: v for k, v in stats.items() if k.startswith("tjcrawl/")},
    }
    Path(args.out).write_text(json.dumps(out, default=str), encoding="utf-8")


# --------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------


def run_child(
    side: str,
    root: Path,
    proxy: str,
    n: int,
    server_pid: int,
    *,
    raw_items: int | None = None,
    cprofile: Path | None = None,
) -> dict:
    out = root / f"result-{side}-{n}.json"
    db = root / f"archive-{n}.db"
    log = root / f"crawl-{side}-{n}.log"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        side,
        "--root",
        str(root),
        "--proxy",
        proxy,
        "--out",
        str(out),
        "--db",
        str(db),
    ]
    if raw_items is not None:
        command += ["--raw-items", str(raw_items)]
    if cprofile is not None:
        command += ["--cprofile-out", str(cprofile)]
    env = dict(os.environ)
    # So that everything that looks profiles up by slug (the normalise pipeline) finds this one.
    env["TJCRAWL_SOURCES_DIR"] = str(root / "profiles")
    server_cpu = cpu_seconds(server_pid)
    started = time.monotonic()
    with log.open("wb") as log_file:
        completed = subprocess.run(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    wall = time.monotonic() - started
    server_cpu = cpu_seconds(server_pid) - server_cpu
    if completed.returncode != 0 or not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{side} crawl failed (exit {completed.returncode}); log tail:\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result.update(side=side, wall=wall, server_cpu=server_cpu, db=str(db))
    result["pages"] = result["responses"] - result["robots"]
    result["rate"] = result["pages"] / result["elapsed"] if result["elapsed"] else 0.0
    result["cpu_rate"] = result["pages"] / result["cpu"] if result["cpu"] else 0.0
    return result


def fact_count(db: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM article_facts").fetchone()[0]
    finally:
        conn.close()


def stored_share(db: str) -> tuple[float, str]:
    """Stored (compressed) bytes of the bench site's raw pages over their bytes as fetched, and
    how many pages each compression holds."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT compression, count(*), sum(length(body)), sum(body_size) FROM pages"
            " WHERE source = ? GROUP BY compression ORDER BY compression",
            (SLUG,),
        ).fetchall()
    finally:
        conn.close()
    stored = sum(row[2] or 0 for row in rows)
    raw = sum(row[3] or 0 for row in rows)
    return (stored / raw if raw else 0.0), ", ".join(f"{row[1]} {row[0]}" for row in rows)


def archive_counts(db: str) -> tuple[int, int, int]:
    """Articles, pages, and articles whose body and date the generic extractor gave."""
    conn = sqlite3.connect(db)
    try:
        articles = conn.execute("SELECT count(*) FROM articles WHERE source = ?", (SLUG,))
        pages = conn.execute("SELECT count(*) FROM pages WHERE source = ?", (SLUG,))
        generic = conn.execute(
            "SELECT count(*) FROM articles WHERE source = ? AND body != '' "
            "AND published_at IS NOT NULL "
            "AND json_extract(field_sources, '$.body') = 'generic' "
            "AND json_extract(field_sources, '$.date') = 'generic'",
            (SLUG,),
        )
        return articles.fetchone()[0], pages.fetchone()[0], generic.fetchone()[0]
    finally:
        conn.close()


def print_profile(path: Path, side: str, limit: int = 30) -> None:
    import pstats

    for key in ("tottime", "cumulative"):
        print(f"\n--- cProfile of one {side} crawl, top {limit} by {key} ({path}) ---")
        pstats.Stats(str(path), stream=sys.stdout).sort_stats(key).print_stats(limit)


def code_version() -> str:
    """The tjcrawl commit measured, and whether its work tree had changes."""
    checkout = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        dirty = subprocess.run(
            ["git", "-C", str(checkout), "status", "--porcelain", "tjcrawl"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"tjcrawl at {head.strip()}" + (" with uncommitted changes" if dirty.strip() else "")


def describe_sizes(sizes: list) -> str:
    return (
        f"{min(sizes) / 1024:.1f}–{max(sizes) / 1024:.1f} KB "
        f"(median {statistics.median(sizes) / 1024:.1f} KB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=5000, help="detail pages (default 5000)")
    parser.add_argument("--per-page", type=int, default=20, help="entries per listing page")
    parser.add_argument("--rounds", type=int, default=2, help="raw/tjcrawl pairs (default 2)")
    parser.add_argument("--seed", type=int, default=20241114)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and print it")
    parser.add_argument(
        "--raw-items",
        type=int,
        metavar="N",
        help="CONCURRENT_ITEMS of the raw spider (default: tjcrawl's setting, "
        "so that both sides run alike; Scrapy's own default is 100)",
    )
    parser.add_argument(
        "--small-pages",
        action="store_true",
        help="the ~4 KB pages of the figures before issue 16, item 2 (default: the same "
        "articles in a real page's shell, ~25 KB: bench/site_shell.py)",
    )
    parser.add_argument(
        "--generic",
        action="store_true",
        help='crawl with every [detail] field "auto": each detail page through the generic '
        "extractor (the side is called generic instead of tjcrawl)",
    )
    parser.add_argument(
        "--facts",
        action="store_true",
        help="compare tjcrawl (sides 'facts') with tjcrawl without 招商引资 facts ('nofacts', "
        "TJCRAWL_FACTS = False) instead of raw Scrapy",
    )
    parser.add_argument(
        "--cprofile",
        metavar="DIR",
        help="then run one cProfiled crawl per side, keep the .prof files in DIR",
    )
    # Internal: the server and the crawls run as child processes of this script.
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", choices=("raw", "tjcrawl", "generic", "facts", "nofacts"), help=argparse.SUPPRESS
    )
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile-out", dest="cprofile_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.serve))
        return 0
    if args.child:
        args.cprofile = args.cprofile_child
        child(args)
        return 0
    if args.pages < 1 or args.per_page < 1 or args.rounds < 1:
        parser.error("--pages, --per-page and --rounds must be at least 1")
    if args.facts and args.generic:
        parser.error("--facts and --generic are two different comparisons: one at a time")

    # Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output, however few
    # objects it yields; tjcrawl lowers it from 100 to 10, so the raw spider gets the same.
    from tjcrawl.runner import build_settings

    tj_items = build_settings(":memory:", loopback_fast=True).getint("CONCURRENT_ITEMS")
    raw_items = args.raw_items if args.raw_items is not None else tj_items

    root = Path(tempfile.mkdtemp(prefix="tjcrawl-bench-"))
    server = None
    try:
        started = time.monotonic()
        site = generate_site(
            root,
            args.pages,
            args.per_page,
            args.seed,
            generic=args.generic,
            small_pages=args.small_pages,
        )
        tj = "generic" if args.generic else "facts" if args.facts else "tjcrawl"
        base = "nofacts" if args.facts else "raw"
        expected_pages = site["details"] + site["listings"]
        print(
            f"site: {'small' if args.small_pages else 'shell'} pages, "
            f"{site['details']} detail + {site['listings']} listing pages "
            f"({args.per_page} per listing), GBK bytes declared as gb2312, no charset header; "
            f"detail {describe_sizes(site['detail_sizes'])}, "
            f"listing {describe_sizes(site['listing_sizes'])}; "
            f"generated in {time.monotonic() - started:.1f} s"
        )
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(root / "site")],
            stdout=subprocess.PIPE,
            stderr=(root / "server.log").open("wb"),
        )
        assert server.stdout is not None
        line = server.stdout.readline().decode().strip()
        if not line.startswith("PORT "):
            raise SystemExit(f"server did not start: {line!r} (see {root / 'server.log'})")
        proxy = f"http://127.0.0.1:{line.split()[1]}"
        print(
            f"server: asyncio, pages in memory, {proxy} (pid {server.pid}); "
            f"concurrency {CONCURRENCY} (per domain {CONCURRENCY}) on both sides; "
            f"CONCURRENT_ITEMS raw {raw_items}, tjcrawl {tj_items}\n"
        )

        print(f"code: {code_version()}; load average before: {os.getloadavg()[0]:.2f}")
        results: list[dict] = []
        failures: list[str] = []
        header = (
            f"{'round':>5}  {'side':<8} {'pages':>6} {'seconds':>8} {'pages/s':>8} "
            f"{'crawler CPU':>12} {'pages/CPU-s':>12} {'server CPU':>11} {'process s':>10} "
            f"{'after close':>12}"
        )
        print(header)
        for n in range(1, args.rounds + 1):
            for side in (base, tj):
                result = run_child(side, root, proxy, n, server.pid, raw_items=raw_items)
                result["round"] = n
                results.append(result)
                print(
                    f"{n:>5}  {side:<8} {result['pages']:>6} {result['elapsed']:>8.2f} "
                    f"{result['rate']:>8.1f} {result['cpu'] / result['elapsed']:>11.0%} "
                    f"{result['cpu_rate']:>12.1f} "
                    f"{result['server_cpu'] / result['elapsed']:>10.0%} {result['wall']:>10.1f} "
                    f"{result['elapsed'] - result['scrapy_elapsed']:>11.2f}s",
                    flush=True,
                )
                if result["pages"] != expected_pages or result["status_200"] != result["responses"]:
                    failures.append(
                        f"round {n} {side}: {result['pages']} pages "
                        f"({result['status_200']} 200s), expected {expected_pages}"
                    )
                if result["finish_reason"] != "finished":
                    failures.append(f"round {n} {side}: finish reason {result['finish_reason']}")
                if side != "raw":
                    articles, pages, generic = archive_counts(result["db"])
                    result["archive"] = (articles, pages, generic)
                    result["stored_share"] = stored_share(result["db"])
                    if articles != site["details"] or pages != expected_pages:
                        failures.append(
                            f"round {n} {tj}: archive holds {articles} articles "
                            f"and {pages} pages, expected {site['details']} and "
                            f"{expected_pages}"
                        )
                    if args.generic and generic != site["details"]:
                        failures.append(
                            f"round {n} generic: {generic} of {articles} articles have a body "
                            "and a date from the generic extractor"
                        )
                    failures.extend(f"round {n} {side}: {p}" for p in result["problems"])
                    result["facts"] = fact_count(result["db"])
                    for leftover in root.glob(Path(result["db"]).name + "*"):
                        leftover.unlink()

        by_round = {(r["round"], r["side"]): r for r in results}

        def ratios(key: str) -> list[float]:
            return [
                by_round[(n, tj)][key] / by_round[(n, base)][key] for n in range(1, args.rounds + 1)
            ]

        def median(key: str, side: str) -> float:
            return statistics.median(r[key] for r in results if r["side"] == side)

        print()
        for n, (ratio, cpu_ratio) in enumerate(
            zip(ratios("rate"), ratios("cpu_rate"), strict=True), 1
        ):
            print(f"round {n}: {tj}/{base} = {ratio:.2f} (per CPU second: {cpu_ratio:.2f})")
        goal = "goal >= 0.5" if args.generic else "goal >= 0.5, later >= 0.75"
        if args.facts:
            goal = "goal >= 0.91: facts add at most 10 % to crawl time"
        print(
            f"median: {base} {median('rate', base):.1f} pages/s, "
            f"{tj} {median('rate', tj):.1f} pages/s, "
            f"{tj}/{base} {statistics.median(ratios('rate')):.2f} "
            f"(per CPU second: {statistics.median(ratios('cpu_rate')):.2f}); " + goal
        )
        for result in results:
            if result["side"] in ("facts", "nofacts"):
                print(f"round {result['round']} {result['side']}: {result['facts']} facts stored")
        for result in results:
            if result.get("child_cpu"):  # the archive's writer process (counted in crawler CPU)
                crawl_cpu = result["cpu"] - result["child_cpu"]
                print(
                    f"round {result['round']} {result['side']}: CPU {crawl_cpu:.1f} s in the"
                    f" crawl's process ({result['pages'] / crawl_cpu:.1f} pages per its CPU-s),"
                    f" {result['child_cpu']:.1f} s in its writer process"
                )
        for result in results:
            if result["side"] == tj:
                articles, pages, generic = result["archive"]
                print(
                    f"round {result['round']} {tj} archive: {articles} articles, "
                    f"{pages} pages stored (expected {site['details']}, {expected_pages}); "
                    f"{generic} with body and date from the generic extractor"
                )
                share, how = result["stored_share"]
                print(
                    f"round {result['round']} {tj}: raw pages stored at {share:.1%} of their"
                    f" bytes ({how}; goal <= 15 %)"
                )

        print(
            f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine skews "
            "the numbers; the crawler CPU column shows how much of a core each crawl got)"
        )

        if args.cprofile:
            out_dir = Path(args.cprofile)
            out_dir.mkdir(parents=True, exist_ok=True)
            for side in (base, tj):
                prof = out_dir / f"{side}.prof"
                result = run_child(
                    side, root, proxy, 0, server.pid, raw_items=raw_items, cprofile=prof
                )
                print(f"\ncProfiled {side} crawl: {result['rate']:.1f} pages/s under the profiler")
                print_profile(prof, side)

        if failures:
            print("\nFAILED:\n  " + "\n  ".join(failures))
            return 1
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
