"""Politeness for the whole cluster: per-host concurrency and delay held in Redis.

Every worker's download handler takes a token of the request's host before the transfer and
gives it back after, whichever way the download ends (tjcrawl.politeness does the same within
one process). A token is an entry of the host's sorted set with an expiry: a worker killed in
the middle of a download holds its token only until then (DOWNLOAD_TIMEOUT plus a margin,
past which the transfer itself would have been cut). A token is granted when fewer than the
host's concurrency are held and the previous request to the host started at least the delay
before; both checks and the grant are one Lua script, so two workers cannot both slip in.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import redis
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from tjcrawl.distributed.keys import HOST_LAST, HOST_SLOTS, connect
from tjcrawl.politeness import PoliteHTTPHandler, PoliteHTTPSHandler, _GatedDownloads

# KEYS: slots, last. ARGV: token, concurrency, delay µs, token ttl µs. Times in µs of Redis's
# clock (one clock for every worker). Returns 0 when granted, else how many µs to wait.
_ACQUIRE = """
local t = redis.call('TIME') local now = t[1] * 1000000 + t[2]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1000, math.min(50000, tonumber(first[2]) - now))
end
local last = tonumber(redis.call('GET', KEYS[2]) or '-1')
local delay = tonumber(ARGV[3])
if last >= 0 and now < last + delay then return last + delay - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('SET', KEYS[2], string.format('%d', now), 'PX', math.max(delay / 1000, 1000) * 10)
return 0
"""
#: The longest a download waits for its host's turn before it fails (and is retried).
MAX_WAIT_S = 300.0


class ClusterGate:
    def __init__(self, server: redis.Redis, token_ttl_s: float) -> None:
        self.server = server
        self.token_ttl_us = round(token_ttl_s * 1_000_000)
        self._acquire = server.register_script(_ACQUIRE)

    async def acquire(self, host: str, concurrency: int, delay_s: float) -> str:
        token = uuid.uuid4().hex
        keys = [HOST_SLOTS.format(host=host), HOST_LAST.format(host=host)]
        args = [token, max(1, concurrency), round(delay_s * 1_000_000), self.token_ttl_us]
        deadline = time.monotonic() + MAX_WAIT_S
        while True:
            wait_us = int(self._acquire(keys=keys, args=args))
            if wait_us <= 0:
                return token
            if time.monotonic() > deadline:
                raise TimeoutError(f"no turn for {host} in {MAX_WAIT_S:.0f} s (cluster gate)")
            await asyncio.sleep(wait_us / 1_000_000)

    def release(self, host: str, token: str) -> None:
        self.server.zrem(HOST_SLOTS.format(host=host), token)


class _ClusterGated(_GatedDownloads):
    _gate: ClusterGate | None = None

    def _cluster_gate(self) -> ClusterGate:
        if self._gate is None:
            settings = self.crawler.settings
            # A transfer is cut at DOWNLOAD_TIMEOUT, and its token given back right after.
            ttl = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 2
            self._gate = ClusterGate(connect(settings["REDIS_URL"]), ttl)
        return self._gate

    async def download_request(self, request: Request) -> Response:
        concurrency, delay = self._budget(request)
        host = urlparse_cached(request).hostname or ""
        gate = self._cluster_gate()
        token = await gate.acquire(host, concurrency, delay)
        try:
            # The process's own gate too: it keeps this worker's crawlers in line while the
            # cluster's token is held.
            return await super().download_request(request)
        finally:
            gate.release(host, token)


class ClusterHTTPHandler(_ClusterGated, PoliteHTTPHandler):
    """HTTP downloads behind the cluster's per-host gate."""


class ClusterHTTPSHandler(_ClusterGated, PoliteHTTPSHandler):
    """HTTPS downloads behind the cluster's per-host gate."""
