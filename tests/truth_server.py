"""A site on 127.0.0.1 whose pages are wrong in ways no error announces (tests/test_page_truth.py).

Served as an HTTP proxy target for three hosts: truth.tjcrawl.test (the site), moved.tjcrawl.test
(a host the source declares, where one article moved) and elsewhere.tjcrawl.test (a host it
does not declare). Until `heal()` is called, two detail pages arrive cut short:

* /news/cut.html declares a Content-Length shorter than its body (and closes the connection):
  an HTTP client reads the declared bytes and sees a good, shorter page, ending mid-paragraph;
* /news/short.html declares a Content-Length longer than its body and closes the connection.

/news/fffd.html holds a literal U+FFFD and /news/badref.html the character reference &#xD800;,
both in otherwise clean UTF-8. /inline/index.html is an articles-mode listing whose weekly
bulletin repeats its title. Requests are counted per host and path, with their If-None-Match.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from loopback import LoopbackHandler, LoopbackServer, Target, count_key

HOST = "truth.tjcrawl.test"
MOVED_HOST = "moved.tjcrawl.test"  # in the profile's allowed_domains
ELSEWHERE_HOST = "elsewhere.tjcrawl.test"  # not
BASE_URL = f"http://{HOST}"
CUT_ETAG = '"cut-v1"'


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    paragraphs: tuple[str, ...]
    date: str = "2025-09-01"
    host: str = HOST

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


GOOD = (
    Article(
        "/news/a1.html",
        "市政府召开常务会议研究部署重点工作",
        ("会议研究部署了下一阶段的重点工作。", "会议要求各部门抓好落实。"),
    ),
    Article(
        "/news/a2.html",
        "本市启动秋季消费季系列活动",
        ("秋季消费季系列活动今日启动，持续至十月底。", "活动覆盖商圈、餐饮和文旅等领域。"),
    ),
)
FFFD = Article(
    "/news/fffd.html",
    "关于征集民生实事项目的公告",
    ("原稿此处有一个无法显示的字符：\ufffd，照录如下。", "征集时间截至九月底。"),
)
BAD_REFERENCE = Article(
    "/news/badref.html",
    "全市安全生产工作会议召开",
    ("会议通报了上半年安全生产形势&#xD800;。", "会议对下一步工作作出部署。"),
)
CUT = Article(
    "/news/cut.html",
    "滨海新区发布产业发展规划",
    (
        "滨海新区发布未来五年产业发展规划，明确了智能制造、生物医药和新能源三大方向。",
        "规划提出，到二〇三〇年，区内先进制造业增加值占比达到百分之四十以上。",
        "规划还就人才引进、金融支持和土地保障作出具体安排。",
    ),
)
SHORT = Article(
    "/news/short.html",
    "河北区老旧小区改造全面开工",
    (
        "河北区今年计划改造的四十个老旧小区已全面开工，惠及居民一万余户。",
        "改造内容包括管网更新、外墙保温和加装电梯等。",
        "区住建委表示，将加强施工监管，确保年底前完工。",
    ),
)
MOVED = Article(
    "/news/moved.html",
    "南开区科技园新一批企业入驻",
    ("南开区科技园迎来新一批入驻企业，涵盖软件和集成电路领域。",),
    host=MOVED_HOST,
)
REDIRECTS = {
    "/news/moved.html": MOVED.url,
    "/news/away.html": f"http://{ELSEWHERE_HOST}/news/away.html",
}
DETAIL = {a.path: a for a in (*GOOD, FFFD, BAD_REFERENCE, CUT, SHORT)}
LISTED = [*DETAIL, *REDIRECTS]

# The articles-mode listing: (title, date, body). Two weekly bulletins share a title; a third
# entry shares the title and the date of the first and differs only in its text.
WEEKLY = "每周工作动态"
INLINE_ENTRIES = (
    (WEEKLY, "2025-09-01", "本周召开了三次专题会议，部署秋季安全检查。"),
    (WEEKLY, "2025-08-25", "本周完成了上半年工作总结，启动下半年重点任务。"),
    (WEEKLY, "2025-09-01", "（增补）本周另行印发了防汛工作通知。"),
    ("市民服务热线上半年运行情况", "2025-08-25", "上半年热线共受理市民诉求十二万件。"),
)


def article_html(article: Article) -> bytes:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in article.paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{article.title}</title></head>
<body>
<h1>{article.title}</h1>
<span class="date">{article.date}</span>
<div class="content">
{paragraphs}
</div>
<div class="footer">主办单位：测试站点</div>
</body></html>
""".encode()


def cut_point(article: Article) -> int:
    """A byte offset inside the article's second paragraph (past the first, before the end)."""
    body = article_html(article)
    return body.index(article.paragraphs[1].encode()) + 12


def listing_html() -> bytes:
    items = "\n".join(
        f'<li><a href="{path}">条目{n}</a><span>2025-09-01</span></li>'
        for n, path in enumerate(LISTED)
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>新闻</title></head>
<body><ul class="list">
{items}
</ul></body></html>
""".encode()


def inline_html() -> bytes:
    items = "\n".join(
        f'<div class="item"><h3>{title}</h3><span>{date}</span><div class="body">{body}</div></div>'
        for title, date, body in INLINE_ENTRIES
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>工作动态</title></head>
<body>{items}</body></html>
""".encode()


class _Handler(LoopbackHandler):
    server: TruthServer

    def answer(self, target: Target) -> None:
        host, path = target.host, target.path
        self.server.record_validator(count_key(target, HOST), self.headers.get("If-None-Match"))
        healed = self.server.healed.is_set()
        if host == MOVED_HOST and path == MOVED.path:
            self.send_page(200, article_html(MOVED))
        elif host != HOST:
            self.send_page(404, b"<html><body>404</body></html>")
        elif path == "/news/index.html":
            self.send_page(200, listing_html())
        elif path == "/inline/index.html":
            self.send_page(200, inline_html())
        elif path in REDIRECTS:
            self.send_page(302, headers={"Location": REDIRECTS[path]})
        elif path == CUT.path:
            if self.headers.get("If-None-Match") == CUT_ETAG:
                # The ETag names the whole page: a conditional request learns nothing.
                self.send_page(304, headers={"ETag": CUT_ETAG})
                return
            body = article_html(CUT)
            lie = None if healed else cut_point(CUT)
            self.send_page(200, body, {"ETag": CUT_ETAG}, declared=lie)
        elif path == SHORT.path:
            body = article_html(SHORT)
            if healed:
                self.send_page(200, body)
            else:
                self.send_page(200, body[: cut_point(SHORT)], declared=len(body))
        elif path in DETAIL:
            self.send_page(200, article_html(DETAIL[path]))
        else:
            self.send_page(404, b"<html><body>404</body></html>")


class TruthServer(LoopbackServer):
    """The site on 127.0.0.1 (a free port); a context manager."""

    handler = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.validators: dict[str, list[str | None]] = {}
        self.healed = threading.Event()

    def record_validator(self, key: str, if_none_match: str | None) -> None:
        """Count a request and note the If-None-Match it came with."""
        self.record(key)
        with self.lock:
            self.validators.setdefault(key, []).append(if_none_match)

    def reset_counts(self) -> None:
        super().reset_counts()
        with self.lock:
            self.validators.clear()

    def heal(self) -> None:
        """From now on every page is served whole."""
        self.healed.set()

    def proxies(self) -> list[str]:
        return self.proxy_args(HOST, MOVED_HOST, ELSEWHERE_HOST)
