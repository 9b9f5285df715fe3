"""A small news site on 127.0.0.1 whose listings hold links a crawler cannot follow.

Served as an HTTP proxy target like tests/fault_server.py: a crawler asks for
``GET http://links.tjcrawl.test/…``. Two listing pages mix good articles with entries whose
links are ``javascript:``, ``mailto:``, a port out of range and a broken IPv6 host, an entry on
another host, an entry that redirects to another host, and, on the second page, a next-page link
that is itself broken. Two articles nest 1,000 and 5,000 unclosed ``<font>`` tags deep; one
carries an attachment link that is broken. ``/offsite/index.html`` is a listing whose entries
mostly lie on other hosts. Every request is counted per path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loopback import LoopbackHandler, LoopbackServer, Target, count_key

HOST = "links.tjcrawl.test"
BASE_URL = f"http://{HOST}"
OFFSITE_HOST = "elsewhere.example"


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    date: str
    paragraphs: tuple[str, ...]
    depth: int = 0  # unclosed <font> tags around the last paragraph
    extra_html: str = ""

    @property
    def url(self) -> str:
        return BASE_URL + self.path


def _article(n: int, title: str, *paragraphs: str, depth: int = 0, extra: str = "") -> Article:
    return Article(f"/news/a{n}.html", title, f"2025-09-0{n}", paragraphs, depth, extra)


BAD_ATTACHMENT = "http://[::1/files/plan.pdf"
ARTICLES = (
    _article(1, "天津港集装箱吞吐量创新高", "八月天津港集装箱吞吐量同比增长百分之八。"),
    _article(2, "滨海新区新开工一批重点项目", "滨海新区集中开工重点项目二十个，总投资百亿元。"),
    _article(3, "天津市发布促进消费若干措施", "措施涵盖汽车、家电和文旅消费等方面。"),
    _article(
        4,
        "千层嵌套的页面",
        "这一页的正文套在一千层未闭合的字体标签里。",
        "正文最后一段在最深处。",
        depth=1000,
    ),
    _article(
        5,
        "附件链接损坏的通知",
        "请下载附件查看详细内容。",
        extra=f'<p><a href="{BAD_ATTACHMENT}">实施方案.pdf</a></p>',
    ),
    _article(
        6,
        "五千层嵌套的页面",
        "这一页的正文套在五千层未闭合的字体标签里。",
        "正文最后一段在解析器读不到的深处。",
        depth=5000,
    ),
    _article(7, "西青区优化营商环境", "西青区推出优化营商环境十项便利举措。"),
)
BY_PATH = {a.path: a for a in ARTICLES}

BAD_ENTRY_LINKS = (
    "javascript:void(0)",
    "mailto:office@links.tjcrawl.test",
    f"http://{HOST}:99999/news/port.html",
    "http://[::1/news/ipv6.html",
)
BAD_NEXT_LINK = "http://[::1/news/index_2.html"
OFFSITE_ENTRY = f"http://{OFFSITE_HOST}/news/o1.html"
REDIRECTED_ENTRY = "/news/moved.html"
REDIRECT_TARGET = f"http://{OFFSITE_HOST}/news/o2.html"

# (href, title) of each entry, in listing order; good articles come after each bad link.
LISTINGS: dict[str, tuple[list[tuple[str, str]], str | None]] = {
    "/news/index.html": (
        [
            (ARTICLES[0].path, ARTICLES[0].title),
            (BAD_ENTRY_LINKS[0], "脚本链接"),
            (ARTICLES[1].path, ARTICLES[1].title),
            (BAD_ENTRY_LINKS[1], "邮件链接"),
            (BAD_ENTRY_LINKS[2], "端口越界"),
            (ARTICLES[2].path, ARTICLES[2].title),
            (BAD_ENTRY_LINKS[3], "IPv6 地址损坏"),
            (ARTICLES[3].path, ARTICLES[3].title),
            (OFFSITE_ENTRY, "外站文章"),
            (REDIRECTED_ENTRY, "跳转到外站"),
        ],
        "index_1.html",
    ),
    "/news/index_1.html": (
        [(a.path, a.title) for a in ARTICLES[4:]],
        BAD_NEXT_LINK,
    ),
    # A source that moved to another host: its entries mostly lead there.
    "/offsite/index.html": (
        [
            (ARTICLES[0].path, ARTICLES[0].title),
            (f"http://{OFFSITE_HOST}/news/m1.html", "外站一"),
            (f"http://{OFFSITE_HOST}/news/m2.html", "外站二"),
            (f"http://www.{OFFSITE_HOST}/news/m3.html", "外站三"),
        ],
        None,
    ),
}


def article_html(article: Article) -> bytes:
    paragraphs = [f"<p>{p}</p>" for p in article.paragraphs]
    if article.depth:
        # A careless CMS: every paragraph's <font> is opened and never closed.
        paragraphs[-1] = "<font>" * article.depth + paragraphs[-1]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{article.title}</title></head>
<body>
<h1>{article.title}</h1>
<span class="date">{article.date}</span>
<div class="content">
{"".join(paragraphs)}
{article.extra_html}
</div>
</body></html>
""".encode()


def listing_html(entries: list[tuple[str, str]], next_href: str | None) -> bytes:
    items = "\n".join(
        f'<li><a href="{href}">{title}</a><span>2025-09-01</span></li>' for href, title in entries
    )
    pager = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>新闻</title></head>
<body><ul class="list">
{items}
</ul><div class="pager">{pager}</div></body></html>
""".encode()


class _Handler(LoopbackHandler):
    server: LinkServer

    def answer(self, target: Target) -> None:
        path = target.path
        self.server.record(count_key(target, HOST))
        if target.host != HOST:
            self.send_page(404, b"not this host")
        elif path in LISTINGS:
            self.send_page(200, listing_html(*LISTINGS[path]))
        elif path in BY_PATH:
            self.send_page(200, article_html(BY_PATH[path]))
        elif path == REDIRECTED_ENTRY:
            self.send_page(302, headers={"Location": REDIRECT_TARGET})
        else:
            self.send_page(404, b"<html><body>404</body></html>")


class LinkServer(LoopbackServer):
    """The site on 127.0.0.1 (a free port); a context manager."""

    handler = _Handler


class ExplodingPipeline:
    """An item pipeline that fails on the items of one source, as a bug in a pipeline would."""

    SOURCE = "link_site_pipeline_breaks"

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if item.get("source") == self.SOURCE:
            raise KeyError("a pipeline bug")
        return item
