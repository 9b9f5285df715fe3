"""Downloader middlewares: the bytes decide the encoding; loopback hosts; retry with back-off."""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached

from tjcrawl import clock
from tjcrawl.completeness import ClosingHabit, declared_length, why_incomplete
from tjcrawl.encoding import EncodingChoice, choose_encoding
from tjcrawl.faults import CUT_ARTICLE, LOSS_OF_PAGE, LOST_ARTICLE, report_fault

# Set on a request whose page arrived cut short: why, in words (see tjcrawl.completeness).
INCOMPLETE = "tjcrawl_incomplete"
# The most bytes of a character a cut can leave behind (UTF-8 and GB18030 use up to 4).
_CUT_CHARACTER_BYTES = 3


class IncompletePageMiddleware:
    """Pages that end before their document does: retried when the connection closed early,
    then kept, flagged and recorded as a fault `incomplete` (see tjcrawl.completeness).

    It sits before the encoding middleware, which then judges a cut page's encoding without the
    partial character the cut may have left at its end.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.habit = ClosingHabit()  # a crawler crawls one source

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncompletePageMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        kind = request.meta.get("page_kind")
        if kind == "attachment" and response.status == 200 and "dataloss" in response.flags:
            return self._cut_file(request, response)
        if kind not in ("listing", "detail") or response.status != 200 or not response.body:
            return response
        data_lost = "dataloss" in response.flags
        if data_lost and self.crawler.spider is not None:
            # Giving up is no error to log: the page is kept, and its fault says so.
            retry = get_retry_request(
                request,
                spider=self.crawler.spider,
                reason="dataloss",
                give_up_log_level=logging.WARNING,
            )
            if retry is not None:
                return retry
        reason = why_incomplete(
            response.body,
            data_lost=data_lost,
            content_length=declared_length(response.headers.get(b"Content-Length")),
            habit=self.habit,
        )
        if reason is not None:
            request.meta[INCOMPLETE] = reason
            report_fault(
                self.crawler,
                response.url,
                "incomplete",
                200,
                f"{kind} page {reason}",
                lost=CUT_ARTICLE if kind == "detail" else None,
            )
        return response

    def _cut_file(self, request: Request, response: Response) -> Request | Response:
        """An attachment whose connection closed before its Content-Length: retried like a
        page, then kept as received (its reader finds it damaged) with a fault saying so."""
        if self.crawler.spider is not None:
            retry = get_retry_request(
                request,
                spider=self.crawler.spider,
                reason="dataloss",
                give_up_log_level=logging.WARNING,
            )
            if retry is not None:
                return retry
        declared = declared_length(response.headers.get(b"Content-Length"))
        of = f" of {declared}" if declared is not None else ""
        report_fault(
            self.crawler,
            response.url,
            "incomplete",
            200,
            f"attachment cut short: {len(response.body)}{of} bytes arrived; kept as received",
        )
        return response


class EncodingMiddleware:
    """Re-decode each text response in the encoding its bytes support; note the fetch time.

    It also rescues HTML served with a wrong Content-Type, and reports as faults pages that are
    empty, that cannot be decoded (refused), or that decode only with a few bytes replaced (kept).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EncodingMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta.setdefault("fetched_at", clock.now().isoformat())
        if request.meta.get("page_kind") == "attachment":
            # A file's bytes are read by its reader, which judges its type and state itself: a
            # PDF served as text/html is no undecodable page.
            return response
        is_page = "page_kind" in request.meta and response.status == 200
        if is_page and not response.body:
            lost = LOSS_OF_PAGE.get(request.meta["page_kind"])
            report_fault(
                self.crawler, response.url, "empty_body", 200, "200 with no body", lost=lost
            )
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        declared_html = content_type.lower().startswith(("text/html", "application/xhtml"))
        if is_page and not declared_html and _looks_like_html(response.body):
            report_fault(
                self.crawler, response.url, "wrong_content_type", 200, f"served as {content_type}"
            )
        if not isinstance(response, TextResponse):
            if not (is_page and _looks_like_html(response.body)):
                return response
            response = HtmlResponse(
                url=response.url,
                status=response.status,
                headers=response.headers,
                body=response.body,
                request=request,
                flags=response.flags,
            )
        decoded = apply_encoding(request, response, getattr(self.crawler.spider, "profile", None))
        encoding = request.meta["encoding"]
        if is_page and encoding["undecodable"]:
            report_fault(
                self.crawler,
                response.url,
                "undecodable",
                200,
                f"no encoding decodes it cleanly (tried {encoding['used']})",
                # A detail page's article is refused; a listing's links may still be followed
                # (and its own articles, in articles mode, are refused one by one).
                lost=LOST_ARTICLE if request.meta["page_kind"] == "detail" else None,
            )
        elif is_page and encoding["lossy"]:
            # Archived all the same: a few replaced characters beat a lost article.
            report_fault(
                self.crawler,
                response.url,
                "lossy_decode",
                200,
                f"{encoding['bad_bytes']} bytes did not decode as {encoding['used']} and were "
                "replaced by U+FFFD",
            )
        return decoded


def apply_encoding(request: Request, response: TextResponse, profile: Any = None) -> TextResponse:
    """Decide the response's encoding and note it in request.meta["encoding"].

    `lossy` says some bytes were replaced; `undecodable` says too many were, and the page is
    refused. A lossy page that is kept says so in `how`, which the archive stores with the page.
    """
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
    forced = getattr(profile, "encoding", None)
    choice = choose_encoding(response.body, content_type, forced=forced)
    text = choice.text
    if request.meta.get(INCOMPLETE) and (choice.lossy or choice.undecodable):
        choice = _choice_before_cut(response.body, content_type, forced) or choice
        text = None  # a choice made on the body less its cut end: its text is not the page's
    kept_lossy = choice.lossy and not choice.undecodable
    request.meta["encoding"] = {
        "declared": choice.declared,
        "used": choice.used,
        "how": f"{choice.how}, lossy" if kept_lossy else choice.how,
        "lossy": choice.lossy,
        "undecodable": choice.undecodable,
        "bad_bytes": choice.bad_bytes,
    }
    return _with_encoding(response, choice.used, text)


# Codecs that Scrapy (through w3lib) decodes a body with as they are named: a body that
# decoded strictly in one of them is the same text there. (w3lib reads big5 as big5hkscs, and
# latin-1 as cp1252.)
_SAME_IN_SCRAPY = frozenset(("utf-8", "gb18030"))


def _with_encoding(response: TextResponse, encoding: str, text: str | None) -> TextResponse:
    """The response in `encoding`, holding `text` as its decoded body when given (one decode
    a page, not three). Built directly: Response.replace() reads every attribute first, and
    the encoding it reads is sniffed from the body (a regex over it) only to be replaced."""
    if isinstance(response, TextResponse):
        # Every attribute but the encoding, which reading would sniff from the body.
        kwargs = {a: getattr(response, a) for a in response.attributes if a != "encoding"}
        replaced = response.__class__(**kwargs, encoding=encoding)
    else:
        # A stand-in that builds its response itself (re-extraction's stored pages).
        replaced = response.replace(encoding=encoding)
    if text is not None and encoding in _SAME_IN_SCRAPY and isinstance(replaced, TextResponse):
        # Scrapy's own cache of the decoded body (TextResponse.text): what it would decode.
        replaced._cached_ubody = text
    return replaced


def _choice_before_cut(
    body: bytes, content_type: str | None, forced: str | None
) -> EncodingChoice | None:
    """A cut page may end inside a multi-byte character: the encoding that decodes all but
    its last few bytes cleanly is the page's, and its one U+FFFD at the end is no loss."""
    for cut in range(1, _CUT_CHARACTER_BYTES + 1):
        choice = choose_encoding(body[:-cut], content_type, forced=forced)
        if not (choice.lossy or choice.undecodable):
            return choice
    return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


class LoopbackProxyMiddleware:
    """Send requests for mapped hosts to a local server, keeping their real URLs.

    The demo, the tests and the benchmarks serve fixture sites on 127.0.0.1 as an HTTP proxy,
    so that pages, links and the archive keep the site's own URLs.
    """

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoopbackProxyMiddleware:
        mapping = crawler.settings.getdict("TJCRAWL_PROXY_MAP")
        if not mapping:
            raise NotConfigured
        return cls(mapping)

    def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.hostname in self.mapping:
            request.meta["proxy"] = self.mapping[parts.hostname]
            # A loopback mirror speaks plain HTTP: no CONNECT tunnel, no TLS (see below).
            request.meta["tjcrawl_plain_mirror"] = parts.scheme == "https"


class MirrorAwareHTTPSHandler(HTTP11DownloadHandler):
    """HTTPS as usual, except for hosts mapped to a loopback mirror: those pages are fetched
    from the mirror over plain HTTP and keep their https:// URL, so fixtures of https sites
    are crawled under the URLs the archive will hold."""

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("tjcrawl_plain_mirror"):
            return await super().download_request(request)
        plain = request.replace(url="http" + request.url[len("https") :])
        response = await super().download_request(plain)
        return response.replace(url=request.url, request=request)


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, but a redirect back to a URL already visited is named a loop.

    Without this the duplicate filter drops the looping request silently and the page
    vanishes from the crawl without a trace.
    """

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        visited = {*request.meta.get("redirect_urls", []), request.url}
        if redirected.url in visited:
            raise IgnoreRequest(f"redirect loop back to {redirected.url}")
        return super()._redirect(redirected, request, reason)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, but waiting before each: Retry-After when the server says, else 2^n."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _delay(self, request: Request, response: Response | None) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = self.base * (2**attempt)
        if response is not None and (header := response.headers.get(b"Retry-After")):
            delay = max(delay, _retry_after_seconds(header.decode("latin-1")))
        return min(delay, self.cap)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self._delay(request, response))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self._delay(request, None))
        return result


def _retry_after_seconds(value: str) -> float:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0
