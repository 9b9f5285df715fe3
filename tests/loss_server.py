"""A small news site on 127.0.0.1 that loses some of its articles on the way, in ways a portal
does: a body cut short, a page over the size cap, a gzip body that unpacks past the cap, a 503
that never clears, an article page without a body, a page that moved to another host.

Served as an HTTP proxy target like tests/fault_server.py: a crawler asks for
``GET http://loss.tjcrawl.test/…``. The one listing page links to one detail page per entry of
``LossServer.entries``, each a behaviour from BEHAVIOURS; ``listing_status`` other than 200
makes the listing itself fail. Tests may change both between crawls.
"""

from __future__ import annotations

import gzip

from loopback import LoopbackHandler, LoopbackServer, Target

HOST = "loss.tjcrawl.test"
BASE_URL = f"http://{HOST}"
OFFSITE_TARGET = "http://elsewhere.example/news/moved.html"
LISTING_PATH = "/news/index.html"
#: The crawl's DOWNLOAD_MAXSIZE in these tests: small, so that oversized pages stay cheap.
MAXSIZE = 64 * 1024

BEHAVIOURS = ("good", "truncated", "too_large", "gzip_bomb", "http_503", "no_body", "offsite")


def detail_path(n: int, behaviour: str) -> str:
    return f"/news/{behaviour}-{n}.html"


def title_of(n: int) -> str:
    return f"天津市第{n}号新闻稿"


def article_html(n: int, body: bool = True) -> bytes:
    content = (
        f'<div class="content"><p>第{n}号新闻稿的正文，讲述天津市的一项工作进展。</p></div>'
        if body
        else '<div class="sidebar">相关链接</div>'
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻</title></head><body>'
        f'<h1>{title_of(n)}</h1><span class="date">2025-09-{n % 28 + 1:02d}</span>'
        f"{content}</body></html>"
    ).encode()


def listing_html(entries: list[str]) -> bytes:
    items = "".join(
        f'<li><a href="{detail_path(n, b)}">{title_of(n)}</a><span>2025-09-01</span></li>'
        for n, b in enumerate(entries, 1)
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻</title></head>'
        f'<body><ul class="list">{items}</ul></body></html>'
    ).encode()


class _Handler(LoopbackHandler):
    server: LossServer

    def answer(self, target: Target) -> None:
        server, path = self.server, target.path
        server.record(path)
        if target.host != HOST:
            self.send_page(404, b"not this host")
            return
        if path == LISTING_PATH:
            if server.listing_status != 200:
                self.send_page(server.listing_status, b"<html><body>error</body></html>")
            else:
                self.send_page(200, listing_html(server.entries))
            return
        pages = {detail_path(n, b): (n, b) for n, b in enumerate(server.entries, 1)}
        if path not in pages:
            self.send_page(404, b"<html><body>404</body></html>")
            return
        n, behaviour = pages[path]
        if behaviour == "good":
            self.send_page(200, article_html(n))
        elif behaviour == "no_body":
            self.send_page(200, article_html(n, body=False))
        elif behaviour == "http_503":
            self.send_page(503, b"<html><body>Service Unavailable</body></html>")
        elif behaviour == "offsite":
            self.send_page(302, headers={"Location": OFFSITE_TARGET})
        elif behaviour == "truncated":
            body = article_html(n)
            self.send_page(200, body, declared=len(body) + 4000)
        elif behaviour == "too_large":
            self.send_page(200, article_html(n) + b" " * MAXSIZE)
        elif behaviour == "gzip_bomb":
            # 64 KB of spaces and more pack into a few hundred bytes: small on the wire, over
            # the cap once unpacked.
            packed = gzip.compress(article_html(n) + b" " * (4 * MAXSIZE))
            self.send_page(200, packed, {"Content-Encoding": "gzip"})


class LossServer(LoopbackServer):
    """The site on 127.0.0.1 (a free port); a context manager."""

    handler = _Handler

    def __init__(self, entries: list[str]) -> None:
        super().__init__()
        unknown = set(entries) - set(BEHAVIOURS)
        assert not unknown, unknown
        self.entries = list(entries)
        self.listing_status = 200
