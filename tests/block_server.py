"""A small news site on 127.0.0.1 that answers some pages with a block or challenge page, as
Tianjin's portals answer some networks: a 网站卫士 WAF challenge, a 403, a JavaScript cookie
challenge (pages in tests/block_site/pages/, reconstructed; see the README there).

Served as an HTTP proxy target like tests/loss_server.py: a crawler asks for
``GET http://block.tjcrawl.test/…``. The listing links to one article per entry of
``BlockServer.entries``, each answered as BEHAVIOURS says; ``listing`` names the behaviour of
the listing page itself ("page" for the real listing).
"""

from __future__ import annotations

from pathlib import Path

from loopback import LoopbackHandler, LoopbackServer, Target

HOST = "block.tjcrawl.test"
LISTING_PATH = "/news/index.html"
PAGES = Path(__file__).resolve().parent / "block_site" / "pages"

#: behaviour -> (status, headers, page file); "page" is the real page.
BEHAVIOURS: dict[str, tuple[int, dict[str, str], str | None]] = {
    "page": (200, {}, None),
    "waf": (
        200,
        {"Set-Cookie": "wzws_cid=0123456789abcdef; path=/; HttpOnly"},
        "wzws_challenge.html",
    ),
    "forbidden": (403, {}, "forbidden_403.html"),
    "js_challenge": (200, {}, "js_cookie_challenge.html"),
    "waf_cookie_article": (
        200,
        {"Set-Cookie": "wzws_sid=feedface; path=/"},
        "article_with_waf_cookie.html",
    ),
}


def detail_path(n: int, behaviour: str) -> str:
    return f"/news/{behaviour}-{n}.html"


def title_of(n: int) -> str:
    return f"天津市第{n}号通知"


def article_html(n: int) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知</title></head><body>'
        f'<h1>{title_of(n)}</h1><span class="date">2025-09-{n % 28 + 1:02d}</span>'
        f'<div class="content"><p>第{n}号通知的正文，讲述天津市的一项工作安排。</p></div>'
        "</body></html>"
    ).encode()


def listing_html(entries: list[str]) -> bytes:
    items = "".join(
        f'<li><a href="{detail_path(n, b)}">{title_of(n)}</a><span>2025-09-01</span></li>'
        for n, b in enumerate(entries, 1)
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>'
        f'<body><ul class="list">{items}</ul></body></html>'
    ).encode()


class _Handler(LoopbackHandler):
    server: BlockServer

    def _answer(self, behaviour: str, real: bytes) -> None:
        status, headers, page = BEHAVIOURS[behaviour]
        self.send_page(status, (PAGES / page).read_bytes() if page else real, headers)

    def answer(self, target: Target) -> None:
        path = target.path
        self.server.record(path)
        if target.host != HOST:
            self.send_page(404, b"not this host")
        elif path == LISTING_PATH:
            self._answer(self.server.listing, listing_html(self.server.entries))
        elif path in (
            pages := {detail_path(n, b): (n, b) for n, b in enumerate(self.server.entries, 1)}
        ):
            n, behaviour = pages[path]
            self._answer(behaviour, article_html(n))
        else:
            self.send_page(404, b"<html><body>404</body></html>")


class BlockServer(LoopbackServer):
    """The site on 127.0.0.1 (a free port); a context manager."""

    handler = _Handler

    def __init__(self, entries: list[str], listing: str = "page") -> None:
        super().__init__()
        assert set(entries) <= set(BEHAVIOURS) and listing in BEHAVIOURS
        self.entries = list(entries)
        self.listing = listing
