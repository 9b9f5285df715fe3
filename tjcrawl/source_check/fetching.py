"""Fetching a few pages for a check: politely from the live site (`LiveFetcher`), or from a
fixture folder (`FixtureFetcher`), and the response a crawl would build from each.
"""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from w3lib.url import safe_url_string

from tjcrawl import clock, settings
from tjcrawl.fixture_paths import find_fixture_file
from tjcrawl.fixture_server import recorded_content_types, served_content_type
from tjcrawl.middlewares import apply_encoding
from tjcrawl.profiles import Profile

# Headers a saved page must not be replayed with: the body is stored decoded and whole.
DROPPED_HEADERS = {
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "set-cookie",
}


class FetchError(Exception):
    """A page that could not be fetched; ``kind`` names why (as the faults table does)."""

    def __init__(self, url: str, kind: str, detail: str = "") -> None:
        super().__init__(f"{url}: {kind}{': ' + detail if detail else ''}")
        self.url, self.kind, self.detail = url, kind, detail


@dataclass
class Page:
    """One fetched page: raw bytes as served (after content-coding), status and headers."""

    url: str  # the URL asked for (fixture files and links are keyed by it)
    final_url: str  # after redirects
    status: int
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: datetime

    def header(self, name: str) -> str | None:
        for key, values in self.headers.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None


def _host_allowed(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as HTTPError, so each hop can be checked (domain, robots.txt)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class LiveFetcher:
    """Polite, sequential fetching of a few pages.

    ``proxies`` maps a host to an HTTP proxy URL (as ``tjcrawl crawl --proxy`` does); tests map
    a profile's host to a fixture server on 127.0.0.1. Only when every request goes to this
    machine is the delay between requests lifted.
    """

    def __init__(
        self,
        *,
        allowed_domains: Iterable[str] | None = None,
        proxies: Mapping[str, str] | None = None,
        timeout: float = settings.DOWNLOAD_TIMEOUT,
        delay: float | None = None,
        user_agent: str = settings.USER_AGENT,
        max_bytes: int = settings.DOWNLOAD_MAXSIZE,
        max_redirects: int = settings.REDIRECT_MAX_TIMES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.allowed_domains = tuple(allowed_domains or ())
        self.proxies = {h.lower(): u for h, u in (proxies or {}).items()}
        self.timeout = timeout
        self.delay = delay
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.sleep = sleep
        self.robots: dict[str, Any] = {}  # "scheme://host" -> Protego parser, or None (allow)
        self.robots_pages: dict[str, Page] = {}
        self.last_request: dict[str, float] = {}
        self.log: list[tuple[str, str]] = []  # (url, status or fault kind), in order

    # -- politeness ---------------------------------------------------------------------
    def _delay_for(self, host: str, origin: str) -> float:
        if host in self.proxies and is_loopback(self.proxies[host]):
            return 0.0
        delay = settings.DOWNLOAD_DELAY if self.delay is None else self.delay
        parser = self.robots.get(origin)
        if parser is not None:
            crawl_delay = parser.crawl_delay(self.user_agent)
            if crawl_delay:
                delay = max(delay, float(crawl_delay))
        return delay

    def _wait(self, host: str, origin: str) -> None:
        last = self.last_request.get(host)
        if last is not None:
            remaining = self._delay_for(host, origin) - (time.monotonic() - last)
            if remaining > 0:
                self.sleep(remaining)
        self.last_request[host] = time.monotonic()

    def _robots_allows(self, url: str) -> bool:
        from protego import Protego

        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            try:
                page = self._get(origin + "/robots.txt")
            except FetchError:
                page = None
            if page is not None and page.status == 200:
                self.robots_pages[origin] = page
                text = page.body.decode("utf-8", errors="replace")
                self.robots[origin] = Protego.parse(text)
            else:
                # As Scrapy's RobotsTxtMiddleware: no robots.txt (or none readable) allows all.
                self.robots[origin] = None
        parser = self.robots[origin]
        return parser is None or parser.can_fetch(url, self.user_agent)

    # -- fetching -----------------------------------------------------------------------
    def _opener(self, host: str) -> urllib.request.OpenerDirector:
        proxy = self.proxies.get(host)
        proxy_handler = (
            urllib.request.ProxyHandler({"http": proxy, "https": proxy})
            if proxy
            else urllib.request.ProxyHandler()
        )
        return urllib.request.build_opener(proxy_handler, _NoRedirect)

    def _via_loopback(self, proxy: str, request: urllib.request.Request) -> Any:
        """GET the absolute URL from a local mirror (as tjcrawl.fixture_server), https too:
        a mirror on this machine is asked directly, not through a CONNECT tunnel."""
        parts = urlsplit(proxy)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=self.timeout
        )
        connection.request("GET", request.full_url, headers=dict(request.header_items()))
        response = connection.getresponse()
        if response.status >= 400:
            raise urllib.error.HTTPError(
                request.full_url, response.status, response.reason, response.headers, response
            )
        return response

    def _get(self, url: str) -> Page:
        """One request, no robots.txt check, no redirect following."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        self._wait(host, f"{parts.scheme}://{parts.netloc}")
        # An IRI (a Chinese or Arabic path, as a listing's links have them) is sent as its
        # percent-encoded URL, as a browser or Scrapy does: http.client takes ASCII only.
        request = urllib.request.Request(
            safe_url_string(url),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        fetched_at = clock.now()
        try:
            proxy = self.proxies.get(host)
            if proxy and is_loopback(proxy):
                response = self._via_loopback(proxy, request)
            else:
                response = self._opener(host).open(request, timeout=self.timeout)
            status = response.status
        except urllib.error.HTTPError as exc:
            response, status = exc, exc.code
        except (TimeoutError, OSError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            kind = "timeout" if isinstance(reason, TimeoutError) else "connection_failed"
            self.log.append((url, kind))
            raise FetchError(url, kind, str(reason)) from None
        try:
            body = response.read(self.max_bytes + 1) or b""
        except (TimeoutError, OSError) as exc:
            self.log.append((url, "truncated"))
            raise FetchError(url, "truncated", str(exc)) from None
        finally:
            response.close()
        if len(body) > self.max_bytes:
            self.log.append((url, "too_large"))
            raise FetchError(url, "too_large", f"over {self.max_bytes} bytes")
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            headers.setdefault(name.title(), []).append(value)
        coding = (response.headers.get("Content-Encoding") or "").lower()
        try:
            if coding == "gzip":
                body = gzip.decompress(body)
            elif coding == "deflate":
                body = zlib.decompress(body)
        except (OSError, zlib.error) as exc:
            self.log.append((url, "undecodable"))
            raise FetchError(url, "undecodable", f"bad {coding} body: {exc}") from None
        self.log.append((url, str(status)))
        return Page(url, url, status, headers, body, fetched_at)

    def fetch(self, url: str) -> Page:
        """A page, following redirects inside the allowed domains; robots.txt honoured."""
        current = url
        for _ in range(self.max_redirects + 1):
            host = (urlsplit(current).hostname or "").lower()
            if self.allowed_domains and not _host_allowed(host, self.allowed_domains):
                self.log.append((current, "offsite"))
                raise FetchError(current, "offsite", "outside the profile's allowed_domains")
            if not self._robots_allows(current):
                self.log.append((current, "robots_disallowed"))
                raise FetchError(current, "robots_disallowed", "robots.txt forbids it")
            page = self._get(current)
            location = page.header("Location")
            if page.status in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                continue
            page.url, page.final_url = url, current
            return page
        self.log.append((url, "redirect_loop"))
        raise FetchError(url, "redirect_loop", f"more than {self.max_redirects} redirects")


class FixtureFetcher:
    """Pages from a fixture folder, as the fixture server or tjcrawl.fixtures would give them."""

    def __init__(self, site: Path, hosts: Iterable[str], fetched_at: datetime) -> None:
        self.site = site
        self.hosts = {h.lower() for h in hosts}
        self.fetched_at = fetched_at
        self.content_types = recorded_content_types(site)
        self.log: list[tuple[str, str]] = []

    def fetch(self, url: str) -> Page:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self.hosts:
            self.log.append((url, "offsite"))
            raise FetchError(url, "offsite", "not a host of this fixture site")
        path = find_fixture_file(self.site, url)
        if path is None:
            self.log.append((url, "404"))
            return Page(url, url, 404, {"Content-Type": ["text/html"]}, b"", self.fetched_at)
        content_type = served_content_type(url, self.site, path, self.content_types)
        self.log.append((url, "200"))
        return Page(
            url, url, 200, {"Content-Type": [content_type]}, path.read_bytes(), self.fetched_at
        )


def fixture_fetcher(profile: Profile, fixtures_dir: Path | None = None) -> FixtureFetcher:
    from tjcrawl.fixtures import fixture_dir, fixture_fetched_at

    return FixtureFetcher(
        fixture_dir(profile.slug, fixtures_dir) / "site",
        profile.hosts,
        fixture_fetched_at(profile.slug, fixtures_dir),
    )


def page_response(page: Page, request: Request | None = None, profile: Any = None) -> Response:
    """The response a crawl would build for this page, decoded by the crawler's rules."""
    request = request or Request(page.url)
    request.meta["fetched_at"] = page.fetched_at.isoformat()
    response = HtmlResponse(
        url=page.final_url,
        status=page.status,
        headers={k: v for k, v in page.headers.items() if k.lower() not in DROPPED_HEADERS},
        body=page.body,
        request=request,
    )
    return apply_encoding(request, response, profile)
