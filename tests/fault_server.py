"""A misbehaving news site on 127.0.0.1, served as an HTTP proxy target like the fixture server.

A crawler pointed at this server as its proxy asks for ``GET http://faults.tjcrawl.test/…``
and gets a small TRS-like site (two listing pages, eight good articles) whose listings also
link to one page per fault a real portal shows: 500, 503 with Retry-After, a timeout, a
connection reset, a truncated body, a 10 MB page, a redirect loop, a robots.txt-disallowed
page, a wrong Content-Type, binary junk, a lying charset and an empty 200, plus an endless
calendar of listing pages (a pagination trap). Every request is counted per path, so a test
can check what the crawler asked for and how often.

    with FaultServer() as server:
        ...  # crawl with proxy faults.tjcrawl.test -> server.proxy_url
        server.hits("/news/fault/503.html")  # 2: the 503, then the retry that succeeded

Every wait on the server side is bounded and ends early when the server stops.
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import socket
import struct
import sys
import threading
from collections import Counter
from dataclasses import dataclass

from loopback import LoopbackHandler, LoopbackServer, Target

HOST = "faults.tjcrawl.test"
BASE_URL = f"http://{HOST}"
SITE_NAME = "天津投资促进网"

LISTING_PATHS = ("/news/index.html", "/news/index_1.html")
# The calendar: /news/cal/2025-09.html links to 2025-10 as 下一页, and so on for ever.
CALENDAR_FIRST = "/news/cal/2025-09.html"
_CALENDAR_RE = re.compile(r"^/news/cal/(\d{4})-(\d{2})\.html$")

ROBOTS_TXT = b"User-agent: *\nDisallow: /news/fault/private\n"

MAXSIZE = 10 * 1024 * 1024  # the crawl's DOWNLOAD_MAXSIZE
HUGE_LENGTH = MAXSIZE + 1
TRUNCATED_DECLARED, TRUNCATED_SENT = 5000, 1000
JUNK_SEED, JUNK_LENGTH = 20250828, 4096


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    date: str  # 2025-08-2x
    paragraphs: tuple[str, ...]
    origin: str = "天津市合作交流办"

    @property
    def url(self) -> str:
        return BASE_URL + self.path


def _good(n: int, day: int, title: str, *paragraphs: str) -> Article:
    return Article(
        f"/news/202508/t202508{day:02d}_{6100 + n}.html", title, f"2025-08-{day}", paragraphs
    )


GOOD_ARTICLES: tuple[Article, ...] = (
    _good(
        1,
        20,
        "天津市举办2025年重点产业招商推介会",
        "8月20日，天津市在滨海新区举办2025年重点产业招商推介会，来自国内外的两百余家企业代表参会。",
        "推介会集中发布了智能科技、生物医药、新能源等领域的投资机会，现场签约项目三十个。",
    ),
    _good(
        2,
        21,
        "滨海新区发布支持先进制造业发展若干措施",
        "滨海新区近日发布支持先进制造业发展的若干措施，从用地、融资、人才三个方面给予支持。",
        "措施明确，对新引进的重大制造业项目按固定资产投资额给予一定比例的奖励。",
    ),
    _good(
        3,
        22,
        "天津港集团与多家航运企业签署战略合作协议",
        "天津港集团与多家国内外航运企业签署战略合作协议，共同拓展集装箱航线网络。",
        "双方将在智慧港口建设、绿色航运和多式联运等方面深化合作。",
    ),
    _good(
        4,
        23,
        "武清区新签约项目总投资超八十亿元",
        "武清区日前集中签约一批产业项目，总投资超过八十亿元，涵盖电子信息和高端装备领域。",
        "区有关部门表示，将为签约项目提供全流程帮办代办服务，推动项目早开工、早投产。",
    ),
    _good(
        5,
        24,
        "天津经开区举办生物医药产业对接会",
        "天津经济技术开发区举办生物医药产业对接会，三十余家创新药企与投资机构现场交流。",
        "对接会上，经开区介绍了生物医药产业园的载体资源和专项扶持政策。",
    ),
    _good(
        6,
        25,
        "西青区优化营商环境推出十项便利举措",
        "西青区推出优化营商环境十项便利举措，企业开办时间压缩至一个工作日以内。",
        "举措还包括工程建设项目审批提速、涉企政策免申即享等内容。",
    ),
    _good(
        7,
        26,
        "天津市召开京津冀协同发展产业合作座谈会",
        "天津市召开京津冀协同发展产业合作座谈会，三地有关部门和企业代表围绕产业链协同深入交流。",
        "会议提出，要共同打造一批跨区域产业集群，推动创新链和产业链深度融合。",
    ),
    _good(
        8,
        27,
        "东丽区智能网联汽车产业园开园",
        "东丽区智能网联汽车产业园正式开园，首批十二家企业入驻。",
        "产业园将建设测试场地和公共服务平台，吸引上下游企业集聚发展。",
    ),
)

# Fault pages that are nonetheless good articles: each must end up archived.
RETRIED_503 = Article(
    "/news/fault/503.html",
    "天津自贸试验区新增一批制度创新案例",
    "2025-08-28",
    (
        "天津自贸试验区发布第八批制度创新案例，涉及贸易便利化、金融开放和政务服务等领域。",
        "这些案例此前已在区内试点运行，取得了较好成效。",
    ),
)
WRONG_TYPE = Article(
    "/news/fault/wrong-type.html",
    "宁河区现代农业产业园招商引资取得新进展",
    "2025-08-28",
    (
        "宁河区现代农业产业园今年以来引进农产品加工项目九个，总投资十二亿元。",
        "园区将继续完善冷链物流等配套设施，提升招商引资吸引力。",
    ),
)
LYING_CHARSET = Article(
    "/news/fault/lying.html",
    "河西区楼宇经济税收贡献稳步提升",
    "2025-08-29",
    (
        "河西区重点商务楼宇入驻率持续提高，上半年楼宇经济税收同比增长百分之九。",
        "区里将加大存量楼宇改造力度，吸引总部企业和专业服务机构落户。",
    ),
)

FAULT_PATHS: dict[str, str] = {
    "/news/fault/500.html": "always 500",
    "/news/fault/503.html": "503 with Retry-After the first time, then a good article",
    "/news/fault/503-always.html": "always 503 with Retry-After",
    "/news/fault/timeout.html": "answers only after the client's timeout",
    "/news/fault/reset.html": "connection reset (RST) without a response",
    "/news/fault/truncated.html": "Content-Length 5000, 1000 bytes sent, connection closed",
    "/news/fault/huge.html": "Content-Length of 10 MB + 1 byte",
    "/news/fault/loop.html": "302 to loop-b.html, which 302s back here",
    "/news/fault/private.html": "disallowed by robots.txt (a good article if fetched)",
    "/news/fault/wrong-type.html": "a good article served as application/octet-stream",
    "/news/fault/junk.html": "4 KB of seeded random bytes served as text/html",
    "/news/fault/lying.html": 'a good UTF-8 article declaring <meta charset="gb2312">',
    "/news/fault/empty.html": "200 with an empty body",
}
LOOP_B = "/news/fault/loop-b.html"
TOO_LATE = Article(
    "/news/fault/timeout.html",
    "迟到的页面",
    "2025-08-29",
    ("这一页在客户端超时之后才送达。",),
)
PRIVATE = Article(
    "/news/fault/private.html",
    "内部资料：不应被抓取",
    "2025-08-29",
    ("这是一页被robots.txt禁止抓取的内容。",),
)

# Which entries each of the two real listing pages carries (the calendar repeats two).
_FAULTS = list(FAULT_PATHS)
LISTINGS: dict[str, list[str]] = {
    LISTING_PATHS[0]: [a.path for a in GOOD_ARTICLES[:4]] + _FAULTS[:7],
    LISTING_PATHS[1]: [a.path for a in GOOD_ARTICLES[4:]] + _FAULTS[7:],
}
NEXT_PAGE = {LISTING_PATHS[0]: "index_1.html", LISTING_PATHS[1]: "cal/2025-09.html"}

ARTICLES_BY_PATH = {a.path: a for a in (*GOOD_ARTICLES, RETRIED_503, WRONG_TYPE, LYING_CHARSET)}
ARCHIVABLE_URLS = tuple(a.url for a in ARTICLES_BY_PATH.values())


def calendar_path(n: int) -> str:
    """The n-th calendar listing page (0 is 2025-09)."""
    year, month = divmod(2025 * 12 + 8 + n, 12)
    return f"/news/cal/{year:04d}-{month + 1:02d}.html"


def article_html(article: Article, charset: str = "utf-8") -> bytes:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in article.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<title>{article.title}_{SITE_NAME}</title>
</head>
<body>
<div class="header"><a href="/">{SITE_NAME}</a> &gt; <a href="/news/index.html">招商动态</a></div>
<div class="article">
<h1>{article.title}</h1>
<div class="info">发布时间：{article.date} 09:30　来源：{article.origin}</div>
<div class="content">
{paragraphs}
</div>
<div class="share">分享到：微信 微博</div>
</div>
<div class="footer">主办单位：{SITE_NAME}（演示） 津ICP备00000000号</div>
</body>
</html>
""".encode()


def _entry_title(path: str) -> str:
    article = ARTICLES_BY_PATH.get(path)
    if article is not None:
        return article.title
    return f"招商动态（{path.rsplit('/', 1)[-1].removesuffix('.html')}）"


def _entry_date(path: str) -> str:
    article = ARTICLES_BY_PATH.get(path)
    return article.date if article is not None else "2025-08-28"


def listing_html(title: str, entries: list[str], next_href: str | None) -> bytes:
    items = "\n".join(
        f'<div class="list-item"><a href="{path}" target="_blank">{_entry_title(path)}</a>'
        f'<span class="date">{_entry_date(path)}</span></div>'
        for path in entries
    )
    pager = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{title}_{SITE_NAME}</title></head>
<body>
<div class="header">{SITE_NAME}</div>
<h2>{title}</h2>
<div class="list">
{items}
</div>
<div class="pager"><a href="/news/index.html">首页</a>{pager}</div>
</body>
</html>
""".encode()


def junk_bytes() -> bytes:
    """Seeded random bytes: not UTF-8, not GB18030, no BOM, no markup."""
    return random.Random(JUNK_SEED).randbytes(JUNK_LENGTH)


class _Handler(LoopbackHandler):
    server: FaultServer
    content_type = "text/html"  # no charset: the lying-charset page's meta tag must count

    def _not_found(self) -> None:
        self.send_page(404, b"<html><body><h1>404 Not Found</h1></body></html>")

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 then close sends RST instead of FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket only really closes when rfile and wfile (which hold it) are closed too.
        self.connection.close()
        self.rfile.close()
        self.wfile.close()
        self.wfile = io.BytesIO()  # what http.server still flushes after we return

    def answer(self, target: Target) -> None:
        path = target.path
        hit = self.server.record(path + (f"?{target.query}" if target.query else ""))
        if target.host != HOST:
            self._not_found()
            return
        server = self.server
        if path == "/robots.txt":
            self.send_page(200, ROBOTS_TXT, content_type="text/plain")
        elif path in LISTINGS:
            title = "招商动态" if path == LISTING_PATHS[0] else "招商动态（第2页）"
            self.send_page(200, listing_html(title, LISTINGS[path], NEXT_PAGE[path]))
        elif match := _CALENDAR_RE.match(path):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                self._not_found()
                return
            nxt = f"{year + month // 12:04d}-{month % 12 + 1:02d}.html"
            # Each month repeats the same two news items: an endless chain with nothing new.
            entries = [GOOD_ARTICLES[0].path, GOOD_ARTICLES[4].path]
            self.send_page(200, listing_html(f"新闻日历 {year}年{month}月", entries, nxt))
        elif path in ARTICLES_BY_PATH and not path.startswith("/news/fault/"):
            self.send_page(200, article_html(ARTICLES_BY_PATH[path]))
        elif path == "/news/fault/500.html":
            self.send_page(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
        elif path == "/news/fault/503.html":
            if hit == 1:
                self.send_page(
                    503, b"<html><body>Service Unavailable</body></html>", _retry_after(server)
                )
            else:
                self.send_page(200, article_html(RETRIED_503))
        elif path == "/news/fault/503-always.html":
            self.send_page(
                503, b"<html><body>Service Unavailable</body></html>", _retry_after(server)
            )
        elif path == "/news/fault/timeout.html":
            server.stopping.wait(server.timeout_sleep)
            self.close_connection = True
            self.send_page(200, article_html(TOO_LATE))  # usually nobody is listening any more
        elif path == "/news/fault/reset.html":
            self._reset()
        elif path == "/news/fault/truncated.html":
            body = article_html(GOOD_ARTICLES[0]).ljust(TRUNCATED_DECLARED, b" ")
            self.send_page(200, body[:TRUNCATED_SENT], declared=TRUNCATED_DECLARED)
        elif path == "/news/fault/huge.html":
            self._huge()
        elif path == "/news/fault/loop.html":
            self.send_page(302, b"", {"Location": BASE_URL + LOOP_B})
        elif path == LOOP_B:
            self.send_page(302, b"", {"Location": BASE_URL + "/news/fault/loop.html"})
        elif path == "/news/fault/private.html":
            self.send_page(200, article_html(PRIVATE))
        elif path == "/news/fault/wrong-type.html":
            self.send_page(200, article_html(WRONG_TYPE), content_type="application/octet-stream")
        elif path == "/news/fault/junk.html":
            self.send_page(200, junk_bytes())
        elif path == "/news/fault/lying.html":
            self.send_page(200, article_html(LYING_CHARSET, charset="gb2312"))
        elif path == "/news/fault/empty.html":
            self.send_page(200, b"")
        else:
            self._not_found()

    def _huge(self) -> None:
        """Declare 10 MB + 1 byte and stream it lazily until done, the client leaves or we stop."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(HUGE_LENGTH))
        self.send_header("Connection", "close")
        self.end_headers()
        head = f"<html><head><title>超大页面_{SITE_NAME}</title></head><body>".encode()
        chunk = b"<!-- padding padding padding padding padding padding padding -->\n" * 1024
        sent = 0
        try:
            while sent < HUGE_LENGTH and not self.server.stopping.is_set():
                piece = head if sent == 0 else chunk
                piece = piece[: HUGE_LENGTH - sent]
                self.wfile.write(piece)
                sent += len(piece)
                self.server.record_bytes("/news/fault/huge.html", len(piece))
        except OSError:
            pass  # the client refused the page and closed the connection, as it should


def _retry_after(server: FaultServer) -> dict[str, str]:
    return {"Retry-After": str(server.retry_after)}


class FaultServer(LoopbackServer):
    """The fault site on 127.0.0.1 (port 0 picks a free one); a context manager.

    Stopping it ends the timeout page's sleep and the huge page's stream.
    """

    handler = _Handler

    def __init__(self, port: int = 0, *, timeout_sleep: float = 5.0, retry_after: int = 1) -> None:
        super().__init__(port)
        self.timeout_sleep = timeout_sleep
        self.retry_after = retry_after
        self.bytes_sent: Counter[str] = Counter()

    def record_bytes(self, key: str, count: int) -> None:
        with self.lock:
            self.bytes_sent[key] += count


if __name__ == "__main__":  # serve it by hand: python tests/fault_server.py [PORT]
    with FaultServer(int(sys.argv[1]) if len(sys.argv) > 1 else 0) as running:
        print(f"curl -x {running.proxy_url} {BASE_URL}/news/index.html", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
