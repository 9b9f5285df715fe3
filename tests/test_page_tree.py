"""Pages parsed on a worker thread (tjcrawl/page_tree.py) give the spider the very tree Scrapy
would have built on the reactor thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from lxml import etree
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.selector import Selector

from tjcrawl import page_tree
from tjcrawl.middlewares import apply_encoding
from tjcrawl.page_tree import PageTreeMiddleware

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "fixtures").glob("*/site/**/*.html"))
TRICKY = {
    "empty": b"",
    "only-space": b"  \n ",
    "nul-bytes": b"<html><body><p>a\x00b</p></body></html>",
    "no-html": "<p>一段没有外壳的文字".encode(),
    "base": b'<html><head><base href="http://other.test/x/"></head><body><a href="y">y</a></body>',
    "broken": b"<html><body><div><p>unclosed <b>bold <i>both</div></table></body>",
}


def _page(url: str, body: bytes, kind: str = "detail") -> tuple[Request, TextResponse]:
    request = Request(url, meta={"page_kind": kind, "fetched_at": "2026-12-01T12:00:00+08:00"})
    response = HtmlResponse(url, body=body, request=request, headers={"Content-Type": "text/html"})
    return request, apply_encoding(request, response)


def _through(middleware: PageTreeMiddleware, request: Request, response: Response) -> Response:
    async def run() -> Response:
        return await middleware.process_response(request, response)

    return asyncio.run(run())


def _scrapy_tree(response: TextResponse) -> bytes:
    fresh = HtmlResponse(
        response.url, body=response.body, encoding=response.encoding, request=response.request
    )
    return etree.tostring(Selector(fresh).root, encoding="unicode").encode()


def test_fixture_pages_exist() -> None:
    assert len(PAGES) > 100


@pytest.mark.parametrize(
    "name,body",
    [(p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in PAGES[::7]] + sorted(TRICKY.items()),
)
def test_the_tree_is_the_one_scrapy_builds(name: str, body: bytes) -> None:
    request, response = _page(f"http://fixture.test/{name}", body)
    middleware = PageTreeMiddleware()
    try:
        out = _through(middleware, request, response)
    finally:
        middleware.close()
    assert out is response
    assert response._cached_selector is not None  # parsed ahead, not left to the spider
    parsed = etree.tostring(response.selector.root, encoding="unicode").encode()
    assert parsed == _scrapy_tree(response)
    assert (
        response.xpath("//a/@href").getall()
        == Selector(HtmlResponse(response.url, body=response.body, encoding=response.encoding))
        .xpath("//a/@href")
        .getall()
    )


def test_the_parse_runs_on_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real = page_tree.parse_tree

    def recording(text: str, base_url: str):
        threads.append(threading.get_ident())
        return real(text, base_url)

    monkeypatch.setattr(page_tree, "parse_tree", recording)
    middleware = PageTreeMiddleware()
    try:
        for n, path in enumerate(PAGES[:5]):
            request, response = _page(f"http://fixture.test/{n}.html", path.read_bytes())
            _through(middleware, request, response)
            assert response._cached_selector is not None
    finally:
        middleware.close()
    assert len(threads) == 5
    assert threading.get_ident() not in threads


@pytest.mark.parametrize("kind", ["attachment", None])
def test_files_and_other_requests_are_left_alone(kind: str | None) -> None:
    request, response = _page("http://fixture.test/a.html", b"<html><body>x</body></html>")
    request.meta.pop("page_kind")
    if kind:
        request.meta["page_kind"] = kind
    middleware = PageTreeMiddleware()
    assert _through(middleware, request, response) is response
    assert response._cached_selector is None
    assert middleware.executor is None


def test_switched_off_by_its_setting() -> None:
    request, response = _page("http://fixture.test/a.html", b"<html><body>x</body></html>")
    middleware = PageTreeMiddleware(enabled=False)
    assert _through(middleware, request, response) is response
    assert response._cached_selector is None


def test_a_failed_parse_leaves_the_page_to_scrapy(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(text: str, base_url: str):
        raise ValueError("no tree")

    monkeypatch.setattr(page_tree, "parse_tree", failing)
    request, response = _page("http://fixture.test/a.html", b"<html><body><p>x</p></body></html>")
    middleware = PageTreeMiddleware()
    try:
        assert _through(middleware, request, response) is response
    finally:
        middleware.close()
    assert response._cached_selector is None
    assert response.xpath("//p/text()").get() == "x"  # Scrapy parses it on demand


class _Crawler:
    def __init__(self, spider: object) -> None:
        self.spider = spider


def _items(spider: object, response: TextResponse) -> list[dict]:
    out = []
    for result in spider.parse_detail(  # type: ignore[attr-defined]
        response, listing_url=None, listing_title="t", listing_date=None
    ):
        out.append(dict(result) if not isinstance(result, Request) else {"request": result.url})
    return out


def test_a_detail_page_reads_the_same_fields_with_its_matches_found_on_the_worker() -> None:
    """Every fixture source's pages through its spider's detail callback: the fields found
    with the parse on the worker thread are the ones the callback finds by itself."""
    from tjcrawl.profiles import load_profiles
    from tjcrawl.spiders import spider_class

    compared = prefetched = 0
    for slug, profile in sorted(load_profiles().items()):
        if profile.detail is None:
            continue
        spider = spider_class(profile)()
        middleware = PageTreeMiddleware(crawler=_Crawler(spider))  # type: ignore[arg-type]
        try:
            for path in sorted((ROOT / "fixtures" / slug / "site").glob("**/*.html"))[:6]:
                url = f"http://fixture.test/{path.name}"
                request, alone = _page(url, path.read_bytes())
                request, ahead = _page(url, path.read_bytes())
                _through(middleware, request, ahead)
                prefetched += ahead in page_tree._MATCHES
                # A source with an XPath field has its matches found on the worker.
                assert (ahead in page_tree._MATCHES) == bool(page_tree.prefetchable_fields(profile))
                assert _items(spider, ahead) == _items(spider, alone), path
                assert ahead not in page_tree._MATCHES  # taken by the callback
                compared += 1
        finally:
            middleware.close()
    assert compared > 30 and prefetched > 30
