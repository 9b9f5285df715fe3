"""One politeness budget per site for the whole run, whichever source sends the request.

Scrapy keeps its per-site slot (CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY, AutoThrottle)
per crawler, and a run crawls each source in a crawler of its own: two sources on one site
would each spend the full budget, together twice the requests in flight and half the delay.
So every HTTP(S) download also passes a gate per host that all crawlers of the process share:
at most the slot's concurrency in flight, and each request starting no sooner than the slot's
current delay (AutoThrottle's, when it is on) after the previous one to that host.

The gate sits in the download handler, around the transfer itself, rather than in a
middleware: a middleware's process_response is skipped when a later one turns the response
into a retry or a redirect, and a token taken there could leak and stall the site. Here the
token is released in `finally` on every way a download ends (response, error, timeout,
cancellation), so a wait lasts at most as long as the downloads ahead of it, each of which is
bounded by DOWNLOAD_TIMEOUT. The wait happens before the handler starts its clock, so neither
the timeout nor AutoThrottle's latency counts it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from tjcrawl.middlewares import MirrorAwareHTTPSHandler


@dataclass
class HostGate:
    """Requests in flight to one host and when the last one started, for all crawlers."""

    concurrency: int
    tokens: asyncio.Semaphore = field(init=False)
    spacing: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    last_start: float = field(init=False, default=float("-inf"))

    def __post_init__(self) -> None:
        self.tokens = asyncio.Semaphore(self.concurrency)

    @asynccontextmanager
    async def turn(self, delay: float) -> AsyncIterator[None]:
        async with self.tokens:
            # One waiter at a time measures the gap, so that two cannot both see it elapsed.
            async with self.spacing:
                wait = self.last_start + delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.last_start = time.monotonic()
            yield


# Per event loop, so that gates (whose locks belong to a loop) never outlive their crawl.
_GATES: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, HostGate]] = WeakKeyDictionary()


def host_gate(host: str, concurrency: int) -> HostGate:
    """The gate of a host; the first request to it fixes its concurrency (one run, one set
    of settings)."""
    gates = _GATES.setdefault(asyncio.get_running_loop(), {})
    if host not in gates:
        gates[host] = HostGate(max(1, concurrency))
    return gates[host]


class _GatedDownloads:
    """Mixed into a download handler: each transfer waits for its host's turn."""

    crawler: Any  # set by Scrapy's BaseDownloadHandler

    async def download_request(self, request: Request) -> Response:
        concurrency, delay = self._budget(request)
        host = urlparse_cached(request).hostname or ""
        async with host_gate(host, concurrency).turn(delay):
            return await super().download_request(request)  # type: ignore[misc]

    def _budget(self, request: Request) -> tuple[int, float]:
        """This crawler's slot for the request: its concurrency and its current delay."""
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        slots = getattr(downloader, "slots", {})
        slot = slots.get(request.meta.get("download_slot"))
        if slot is not None:
            return slot.concurrency, slot.delay
        settings = self.crawler.settings
        return (
            settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            settings.getfloat("DOWNLOAD_DELAY"),
        )


class PoliteHTTPHandler(_GatedDownloads, HTTP11DownloadHandler):
    """Scrapy's HTTP handler behind the shared per-host gate."""


class PoliteHTTPSHandler(_GatedDownloads, MirrorAwareHTTPSHandler):
    """The mirror-aware HTTPS handler behind the shared per-host gate."""
