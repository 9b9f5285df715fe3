"""A news site on 127.0.0.1 that serves its articles at a known, steady pace.

Served as an HTTP proxy target like tests/link_server.py: a crawler asks for
``GET http://steady.tjcrawl.test/…``. Listing pages of ten entries each answer at once; every
article page answers only after ``delay`` seconds, so a crawl fetching one page at a time
(CONCURRENT_REQUESTS_PER_DOMAIN = 1) takes ``articles × delay`` seconds and is mid-way for a
while. The server notes when it finished sending each article page (``time.monotonic()`` of
the test's process), so a test can tell which pages the crawler had fetched by a given moment.

    with SteadyServer(articles=80, delay=0.1) as server:
        ...  # crawl steady_site with --proxy steady.tjcrawl.test=server.proxy_url
        server.served_before(t)  # URLs of article pages fully sent before monotonic time t
"""

from __future__ import annotations

import time

from loopback import LoopbackHandler, LoopbackServer, Target

HOST = "steady.tjcrawl.test"
BASE_URL = f"http://{HOST}"
PER_LISTING = 10


def article_path(n: int) -> str:
    return f"/news/a{n:04d}.html"


def listing_path(page: int) -> str:
    return "/news/index.html" if page == 0 else f"/news/index_{page}.html"


def article_html(n: int) -> bytes:
    title = f"稳定站点第{n}篇新闻：天津市重点项目建设稳步推进"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<span class="date">2025-09-{1 + n % 28:02d}</span>
<div class="content">
<p>这是第{n}篇文章的正文。天津市各区重点项目建设稳步推进，一批新项目集中开工。</p>
<p>有关部门表示，将持续优化营商环境，为项目建设提供全流程服务。编号{n}。</p>
</div>
</body></html>
""".encode()


def listing_html(page: int, articles: int) -> bytes:
    first = page * PER_LISTING
    numbers = range(first, min(first + PER_LISTING, articles))
    items = "\n".join(
        f'<li><a href="{article_path(n)}">稳定站点第{n}篇新闻</a><span>2025-09-01</span></li>'
        for n in numbers
    )
    has_next = first + PER_LISTING < articles
    pager = f'<a class="next" href="{listing_path(page + 1)}">下一页</a>' if has_next else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>新闻</title></head>
<body><ul class="list">
{items}
</ul><div class="pager">{pager}</div></body></html>
""".encode()


class _Handler(LoopbackHandler):
    server: SteadyServer

    def answer(self, target: Target) -> None:
        path, server = target.path, self.server
        if target.host != HOST:
            self.send_page(404, b"not this host")
            return
        if path == "/robots.txt":
            self.send_page(404, b"")
            return
        for page in range(server.listing_pages):
            if path == listing_path(page):
                self.send_page(200, listing_html(page, server.articles))
                return
        for n in range(server.articles):
            if path == article_path(n):
                server.stopping.wait(server.delay)  # bounded: ends early when the server stops
                self.send_page(200, article_html(n))
                server.note_served(BASE_URL + path)
                return
        self.send_page(404, b"<html><body>404</body></html>")


class SteadyServer(LoopbackServer):
    """The site on 127.0.0.1 (a free port); a context manager."""

    handler = _Handler

    def __init__(self, articles: int, delay: float) -> None:
        super().__init__()
        self.articles = articles
        self.delay = delay
        self.listing_pages = -(-articles // PER_LISTING)
        self._served: dict[str, float] = {}

    def note_served(self, url: str) -> None:
        with self.lock:
            self._served.setdefault(url, time.monotonic())

    def served_before(self, moment: float) -> set[str]:
        with self.lock:
            return {url for url, at in self._served.items() if at < moment}

    def first_served(self) -> float | None:
        with self.lock:
            return min(self._served.values(), default=None)

    @property
    def all_urls(self) -> set[str]:
        return {BASE_URL + article_path(n) for n in range(self.articles)}
