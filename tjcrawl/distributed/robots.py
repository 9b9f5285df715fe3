"""robots.txt fetched once per host per run for the whole cluster, cached in Redis.

The first worker to need a host's robots.txt takes a short lock and fetches it as Scrapy's
RobotsTxtMiddleware would; the body (empty when the fetch failed: Scrapy then allows all) is
kept under the run's keys. Others wait for it (bounded) and parse the cached copy; a worker
that started later finds it at once. A lock whose holder died expires, and the next worker
fetches.
"""

from __future__ import annotations

import asyncio
import time

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from tjcrawl.distributed.keys import ROBOTS, ROBOTS_LOCK, connect

#: How long a worker waits for another one's fetch of robots.txt before fetching it itself.
WAIT_S = 30.0


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    _server = None

    def _redis(self):  # type: ignore[no-untyped-def]
        if self._server is None:
            self._server = connect(self.crawler.settings["REDIS_URL"])
        return self._server

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = await self._shared_body(netloc)
            if body is not None:
                self._stats.inc_value("robotstxt/shared")
                parser = build_from_crawler(self._parserimpl, self.crawler, body)
                self._parsers[netloc] = parser
        return await super().robot_parser(request)

    async def _shared_body(self, netloc: str) -> bytes | None:
        """The cached robots.txt, or None when this worker is to fetch it."""
        server = self._redis()
        deadline = time.monotonic() + WAIT_S
        lock_ms = round((self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 10) * 1000)
        while True:
            body = server.get(ROBOTS.format(netloc=netloc))
            if body is not None:
                return bytes(body)
            if server.set(ROBOTS_LOCK.format(netloc=netloc), "1", nx=True, px=lock_ms):
                return None
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.1)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self._redis().set(ROBOTS.format(netloc=netloc), response.body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._redis().set(ROBOTS.format(netloc=netloc), b"")
        super()._robots_error(exc, netloc)
