"""`tjcrawl source check`: run a profile over its fixtures or, politely, a few live pages.

Live pages are fetched with plain urllib, one at a time, not with Scrapy: a check needs a
handful of chosen pages (the first and second listing page, two or three detail pages), their
raw bytes and headers (which `source capture` saves), and must be callable more than once in a
process (tests, `source new`), which Twisted's reactor is not. What the crawler's middlewares
do for politeness is done here by hand: robots.txt (Protego, as Scrapy's default parser), the
project's User-Agent, a delay between requests to a host (robots.txt's Crawl-delay when longer),
a timeout, a size cap, redirects followed only inside the profile's domains. Pages are then
decoded with the crawler's own encoding choice and parsed by the profile's generated spider, so
a check exercises the same extraction code as a crawl.
"""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.error
import urllib.request
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response
from w3lib.url import safe_url_string

from tjcrawl import clock, settings
from tjcrawl.blocking import Block, recognise
from tjcrawl.dates import parse_date
from tjcrawl.extract import body_html_and_paragraphs, field_text, field_values, select
from tjcrawl.fixture_paths import find_fixture_file
from tjcrawl.fixture_server import (
    default_fixtures_dir,
    recorded_content_types,
    served_content_type,
)
from tjcrawl.middlewares import apply_encoding
from tjcrawl.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline
from tjcrawl.profiles import GENERIC_FIELDS, Profile
from tjcrawl.urls import canonical_url

LIVE_LISTING_PAGES = 2
LIVE_DETAIL_PAGES = 3
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


# -- walking a profile over a few pages -----------------------------------------------------------
@dataclass
class Walk:
    """What a bounded run of a profile over some pages fetched, parsed and produced."""

    listings: list[tuple[Response, int]] = field(default_factory=list)  # (response, page n)
    details: list[Response] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)  # every page fetched, in order
    items: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "url: problem"
    detail_links: int = 0  # detail links found on the listing pages walked
    blocked: list[tuple[str, Block]] = field(default_factory=list)  # (url, block page)


def spread(values: list[Any], count: int) -> list[Any]:
    """``count`` values evenly spread over the list: first, middle …, last."""
    if count <= 0 or not values:
        return []
    if len(values) <= count:
        return list(values)
    if count == 1:
        return [values[0]]
    picks = sorted({round(i * (len(values) - 1) / (count - 1)) for i in range(count)})
    return [values[i] for i in picks]


def walk(
    profile: Profile,
    fetch: Callable[[str], Page],
    *,
    max_listing_pages: int | None = None,
    max_detail_pages: int | None = None,
) -> Walk:
    """Run the profile's spider over listing pages first, then (some of) their detail pages.

    Unbounded, this visits what tjcrawl.fixtures.offline_crawl visits; bounded, the detail
    pages are spread over the links found (first, middle, last).
    """
    from tjcrawl.spiders import spider_class

    spider = spider_class(profile)()
    result = Walk()
    validate, dedup = ValidatePipeline(), DeduplicatePipeline()
    normalise = NormalisePipeline({profile.slug: profile})
    listing_queue: deque[Request] = deque(spider.initial_requests())
    seen = {r.url for r in listing_queue}
    detail_requests: list[Request] = []

    def get(request: Request) -> Response | None:
        try:
            page = fetch(request.url)
        except FetchError as exc:
            result.errors.append(str(exc))
            return None
        result.pages.append(page)
        cookies = [v.encode("latin-1", "replace") for v in page.headers.get("Set-Cookie", [])]
        if block := recognise(page.status, cookies, page.body):
            # As in a crawl (tjcrawl.blocking): not a page to extract, nor an HTTP error.
            result.blocked.append((request.url, block))
            return None
        if page.status != 200:
            kind = request.meta.get("page_kind")
            first_page = request.cb_kwargs.get("page", 1) == 1
            if not (kind == "listing" and not first_page and page.status == 404):
                result.errors.append(f"{request.url}: HTTP {page.status}")
            return None
        return page_response(page, request, profile)

    def consume(outputs: Iterable[Any]) -> None:
        for output in outputs or ():
            if isinstance(output, Request):
                host = urlsplit(output.url).hostname or ""
                if output.url in seen or not _host_allowed(host, profile.allowed_domains):
                    continue
                seen.add(output.url)
                kind = output.meta.get("page_kind")
                if kind == "listing":
                    listing_queue.append(output)
                elif kind == "detail":
                    detail_requests.append(output)
                continue
            try:
                for stage in (validate, normalise, dedup):
                    output = stage.process_item(output)
            except DropItem as exc:
                result.dropped.append(str(exc))
                continue
            result.items.append(dict(output))

    while listing_queue and (max_listing_pages is None or len(result.listings) < max_listing_pages):
        request = listing_queue.popleft()
        response = get(request)
        if response is None:
            continue
        result.listings.append((response, request.cb_kwargs.get("page", 1)))
        consume(spider.parse_listing(response, **request.cb_kwargs))
    result.detail_links = len(detail_requests)
    chosen = (
        detail_requests if max_detail_pages is None else spread(detail_requests, max_detail_pages)
    )
    for request in chosen:
        response = get(request)
        if response is None:
            continue
        result.details.append(response)
        consume(spider.parse_detail(response, **request.cb_kwargs))
    return result


# -- the check ------------------------------------------------------------------------------------
@dataclass
class FieldResult:
    name: str
    unit: str
    matched: int
    total: int
    required: bool
    declared: bool = True
    missing: list[str] = field(default_factory=list)  # URLs where it did not match
    note: str = ""
    auto: bool = False  # left to the generic extractor: `matched` counts its fills

    @property
    def status(self) -> str:
        if self.auto:
            if self.total and self.matched < self.total:
                return "FAIL" if self.required else "part"
            return "ok" if self.total else "n/a"
        if not self.declared:
            return "-"
        if self.required and (self.total == 0 or self.matched < self.total):
            return "FAIL"
        if self.total == 0:
            return "n/a"
        if self.total and self.matched == 0:
            return "warn"
        if self.matched < self.total:
            return "part"
        return "ok"

    def line(self) -> str:
        if self.auto:
            counts = f"generic extractor on {self.matched}/{self.total} {self.unit}"
            return f"  {self.status:5} {self.name:17} {counts}" + (
                f" ({self.note})" if self.note else ""
            )
        if not self.declared:
            return f"  {'-':5} {self.name:17} not in the profile"
        counts = f"{self.matched}/{self.total} {self.unit}"
        extra = f" ({self.note})" if self.note else ""
        return f"  {self.status:5} {self.name:17} {counts}{extra}"

    def problem(self, slug: str) -> str:
        where = f"; first on {self.missing[0]}" if self.missing else ""
        if self.total == 0:
            return f"{slug}: {self.name}: nothing to check ({self.note or 'no ' + self.unit})"
        if self.auto:
            return (
                f"{slug}: {self.name}: the generic extractor found it on {self.matched} of "
                f"{self.total} {self.unit}{where}"
            )
        note = f" ({self.note})" if self.note else ""
        return (
            f"{slug}: {self.name}: matched {self.matched} of {self.total} {self.unit}{where}{note}"
        )


@dataclass
class CheckReport:
    profile: Profile
    live: bool
    walk: Walk
    fields: list[FieldResult]
    golden_problems: list[str] = field(default_factory=list)
    golden_note: str = ""

    @property
    def problems(self) -> list[str]:
        slug = self.profile.slug
        blocked = self.walk.blocked
        if blocked:
            pages = f"{len(blocked)} page{'s' if len(blocked) > 1 else ''}, first {blocked[0][0]}"
            first = [f"{slug}: blocked ({pages}): {blocked[0][1].advice}"]
        else:
            first = []
        if not self.walk.listings:
            lines = [*first, f"{slug}: no listing page could be fetched"]
            lines += [f"{slug}: fetch: {e}" for e in self.walk.errors]
            return lines + [f"{slug}: goldens: {p}" for p in self.golden_problems]
        lines = [*first, *(f.problem(slug) for f in self.fields if f.status == "FAIL")]
        lines += [f"{slug}: fetch: {e}" for e in self.walk.errors if self.live]
        lines += [f"{slug}: goldens: {p}" for p in self.golden_problems]
        return lines

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        where = "live site" if self.live else "fixtures"
        head = (
            f"{self.profile.slug}: {where}: {len(self.walk.listings)} listing pages, "
            f"{len(self.walk.details)} detail pages, {len(self.walk.items)} items"
        )
        lines = [head, *(f.line() for f in self.fields)]
        if self.golden_note:
            lines.append(
                f"  {'ok' if not self.golden_problems else 'FAIL':5} goldens"
                f"           {self.golden_note}"
            )
        if self.walk.errors and not self.live:
            lines += [f"  note  {e}" for e in self.walk.errors[:5]]
        return "\n".join(lines)


def _listing_root(profile: Profile, response: Response) -> Selector:
    if getattr(profile.listing, "format", "html") == "json":
        return Selector(text=response.text, type="json")
    return _page_as_fetched(response)


def _page_as_fetched(response: Response) -> Selector:
    """The page parsed anew: the spider's callbacks cut the body and the generic extractor's
    dropped tags (head, meta …) out of the response's own tree, which a field read after them
    would miss."""
    return Selector(text=response.text, type="html")


def _fetched_at(response: Response) -> datetime | None:
    value = response.meta.get("fetched_at")
    return datetime.fromisoformat(value) if value else None


def _date_ok(text: str | None, response: Response) -> bool:
    return bool(text) and parse_date(text, _fetched_at(response)) is not None


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, list[Any]] = {}

    def add(self, name: str, ok: bool, url: str) -> None:
        entry = self.counts.setdefault(name, [0, 0, []])
        entry[1] += 1
        if ok:
            entry[0] += 1
        elif len(entry[2]) < 3 and url not in entry[2]:
            entry[2].append(url)

    def result(self, name: str, unit: str, required: bool, declared: bool) -> FieldResult:
        matched, total, missing = self.counts.get(name, [0, 0, []])
        return FieldResult(name, unit, matched, total, required, declared, missing)


def field_results(profile: Profile, result: Walk) -> list[FieldResult]:
    """Per field: on how many pages / entries / items it matched."""
    listing, detail = profile.listing, profile.detail
    articles = profile.carries_articles
    tally = _Tally()
    for response, _page in result.listings:
        entries = select(_listing_root(profile, response), listing.entries)
        tally.add("listing.entries", len(entries) > 0, response.url)
        for entry in entries:
            if listing.link is not None:
                tally.add("listing.link", bool(field_values(entry, listing.link)), response.url)
            for name in ("title", "origin", "author"):
                spec = getattr(listing, name)
                if spec is not None:
                    tally.add(f"listing.{name}", bool(field_text(entry, spec)), response.url)
            if listing.date is not None:
                tally.add(
                    "listing.date",
                    _date_ok(field_text(entry, listing.date), response),
                    response.url,
                )
            if articles and listing.body is not None:
                _, paragraphs = body_html_and_paragraphs(entry, listing.body, listing.boilerplate)
                tally.add("listing.body", bool(paragraphs), response.url)
    # Where each item's fields came from: the generic extractor fills what a selector missed.
    provenance = {item["url"]: item.get("field_sources") or {} for item in result.items}
    generic: dict[str, int] = {}
    for response in result.details:
        assert detail is not None
        sel = _page_as_fetched(response)
        sources = provenance.get(canonical_url(response.url), {})
        for name in GENERIC_FIELDS:
            if sources.get(name) == "generic":
                generic[name] = generic.get(name, 0) + 1
            if name in detail.generic:
                tally.add(f"detail.{name}", sources.get(name) == "generic", response.url)
        for name in ("title", "origin", "author"):
            spec = getattr(detail, name)
            if spec is not None:
                tally.add(f"detail.{name}", bool(field_text(sel, spec)), response.url)
        if detail.date is not None:
            tally.add("detail.date", _date_ok(field_text(sel, detail.date), response), response.url)
        if detail.body is not None:
            _, paragraphs = body_html_and_paragraphs(sel, detail.body, detail.boilerplate)
            tally.add("detail.body", bool(paragraphs), response.url)

    rows = [tally.result("listing.entries", "listing pages", True, True)]
    if articles:
        rows.append(tally.result("listing.title", "entries", True, listing.title is not None))
        rows.append(tally.result("listing.date", "entries", False, listing.date is not None))
        rows.append(tally.result("listing.body", "entries", True, True))
        for name in ("origin", "author"):
            spec = getattr(listing, name)
            rows.append(tally.result(f"listing.{name}", "entries", False, spec is not None))
    else:
        assert detail is not None
        rows.append(tally.result("listing.link", "entries", True, True))
        rows.append(tally.result("listing.title", "entries", False, listing.title is not None))
        rows.append(tally.result("listing.date", "entries", False, listing.date is not None))
        # A title is required of every item, from the detail page or else the listing.
        required = {"title": listing.title is None, "body": True}
        for name in GENERIC_FIELDS:
            row = tally.result(
                f"detail.{name}",
                "detail pages",
                required.get(name, False),
                getattr(detail, name) is not None,
            )
            row.auto = name in detail.generic
            if row.declared and generic.get(name):
                row.note = f"the generic extractor filled it on {generic[name]}"
            rows.append(row)
    if not articles and not result.details:
        for row in rows:
            if row.name.startswith("detail.") and row.declared:
                row.note = f"no detail page fetched ({result.detail_links} links found)"
    if profile.pagination is not None:
        reached = len(result.listings)
        rows.append(
            FieldResult(
                "pagination",
                "listing pages reached beyond the first",
                max(0, reached - 1),
                max(1, reached - 1) if reached else 1,
                required=False,
                note="" if reached > 1 else "no second listing page found",
            )
        )
    items = len(result.items) + len(result.dropped)
    rows.append(
        FieldResult(
            "items",
            "items valid",
            len(result.items),
            items,
            required=True,
            missing=[d.split(": ")[1] for d in result.dropped[:3] if ": " in d],
            note="" if items else "no item produced",
        )
    )
    dated = sum(1 for item in result.items if item.get("published_at"))
    rows.append(
        FieldResult(
            "published_at",
            "items dated (detail, listing or URL)",
            dated,
            len(result.items),
            required=False,
            missing=[i["url"] for i in result.items if not i.get("published_at")][:3],
        )
    )
    return rows


def compare_with_goldens(profile: Profile, fixtures_dir: Path | None = None) -> tuple[str, list]:
    """The offline crawl's golden items against expected.json, one problem per difference."""
    from tjcrawl.fixtures import golden_items, golden_path, offline_crawl, read_goldens

    if not golden_path(profile.slug, fixtures_dir).is_file():
        return "no expected.json (run `tjcrawl goldens`)", []
    items, _ = offline_crawl(profile, fixtures_dir)
    actual = {row["url"]: row for row in golden_items(items)}
    expected = {row["url"]: row for row in read_goldens(profile.slug, fixtures_dir)}
    problems = [f"{url}: expected but not produced" for url in sorted(set(expected) - set(actual))]
    problems += [f"{url}: produced but not expected" for url in sorted(set(actual) - set(expected))]
    for url in sorted(set(actual) & set(expected)):
        for name, value in expected[url].items():
            if actual[url].get(name) != value:
                problems.append(f"{url}: {name} differs")
    note = f"{len(expected)} expected items" + (
        ", equal field by field" if not problems else f", {len(problems)} differences"
    )
    return note, problems


def check_fixtures(profile: Profile, fixtures_dir: Path | None = None) -> CheckReport:
    """The profile over its whole fixture site, and its items against the goldens."""
    fetcher = fixture_fetcher(profile, fixtures_dir)
    result = walk(profile, fetcher.fetch)
    report = CheckReport(profile, False, result, field_results(profile, result))
    report.golden_note, report.golden_problems = compare_with_goldens(profile, fixtures_dir)
    return report


def check_live(
    profile: Profile,
    *,
    proxies: Mapping[str, str] | None = None,
    timeout: float = settings.DOWNLOAD_TIMEOUT,
    delay: float | None = None,
    listing_pages: int = LIVE_LISTING_PAGES,
    detail_pages: int = LIVE_DETAIL_PAGES,
    fetcher: LiveFetcher | None = None,
) -> CheckReport:
    """The profile over a few live pages: the first listing pages and a few detail pages."""
    fetcher = fetcher or LiveFetcher(
        allowed_domains=profile.allowed_domains, proxies=proxies, timeout=timeout, delay=delay
    )
    result = walk(
        profile,
        fetcher.fetch,
        max_listing_pages=listing_pages,
        max_detail_pages=detail_pages,
    )
    return CheckReport(profile, True, result, field_results(profile, result))


def check_source(
    profile: Profile,
    *,
    live: bool = False,
    fixtures_dir: Path | None = None,
    **live_options: Any,
) -> CheckReport:
    """A check over the fixtures, or with live=True over a few live pages. Nothing is written:
    `tjcrawl source check --live --db ARCHIVE` keeps the verdict in the archive."""
    if not live:
        return check_fixtures(profile, fixtures_dir or default_fixtures_dir())
    return check_live(profile, **live_options)
