"""`source new URL` fetches with LiveFetcher: a link to an IRI (a Chinese, Arabic … path, as
real listings have) is fetched as its percent-encoded URL, not refused by http.client."""

from pathlib import Path

import pytest

from tjcrawl.fixture_paths import SiteWriter
from tjcrawl.fixture_server import serving
from tjcrawl.source_check import LiveFetcher

HOST = "news.iri.test"
IRI = f"http://{HOST}/新闻/义大利公开赛-060502643.html"
PAGE = "<html><body><h1>义大利公开赛</h1></body></html>".encode()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    SiteWriter(tmp_path / "site").add(IRI, PAGE)
    return tmp_path / "site"


def test_an_iri_is_fetched_through_a_loopback_mirror(site: Path) -> None:
    with serving({HOST: site}) as server:
        fetcher = LiveFetcher(allowed_domains=[HOST], proxies=server.proxy_map(), timeout=5)
        page = fetcher.fetch(IRI)
        assert (page.status, page.body) == (200, PAGE)
        assert page.url == IRI  # the page keeps the URL it was asked for
        assert server.requests[-1] == (
            HOST,
            "http://news.iri.test/%E6%96%B0%E9%97%BB/"
            "%E4%B9%89%E5%A4%A7%E5%88%A9%E5%85%AC%E5%BC%80%E8%B5%9B"
            "-060502643.html",
        )


def test_an_iri_is_fetched_directly(site: Path) -> None:
    with serving({"127.0.0.1": site}) as server:
        port = server.server_address[1]
        fetcher = LiveFetcher(timeout=5)
        page = fetcher.fetch(f"http://127.0.0.1:{port}/新闻/义大利公开赛-060502643.html")
        assert (page.status, page.body) == (200, PAGE)
