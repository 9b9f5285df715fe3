"""Leased requests: scrapy-redis's priority queue, but a request taken is moved to the
taking worker's lease instead of being removed, and removed from there only when its response
has been processed (`ack`). A worker renews its lease while alive (`heartbeat`); once it
expires (kill -9, a machine gone), any worker returns what it held to the queue (`reap`).

Every step is one Lua script, so Redis runs it atomically: a request is always either in the
queue or in exactly one lease, whatever dies when.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from tjcrawl.distributed.keys import LEASE_REGISTRY, RUNNING, WORKERS

logger = logging.getLogger(__name__)
#: The request's meta key holding its lease id (set when taken).
LEASE_META = "tjcrawl_lease"

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# KEYS: queue, lease hash, registry of this worker, workers. ARGV: worker, ttl ms.
_TAKE = (
    _NOW
    + """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = redis.sha1hex(top[1])
redis.call('HSET', KEYS[2], id, top[2] .. '|' .. top[1])
redis.call('HSET', KEYS[3], KEYS[2], KEYS[1])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), ARGV[1])
return {id, top[1]}
"""
)
# KEYS: workers. ARGV: worker, ttl ms.
_HEARTBEAT = _NOW + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])\nreturn now\n"
# KEYS: running. ARGV: member, ttl ms.
_RUNNING = _NOW + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])\nreturn now\n"
# KEYS: running. Members alive now.
_ALIVE = _NOW + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')\n"
# KEYS: workers. ARGV: registry prefix. Returns how many requests went back to their queues.
_REAP = (
    _NOW
    + """
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local returned = 0
for _, worker in ipairs(dead) do
  local registry = ARGV[1] .. worker
  local leases = redis.call('HGETALL', registry)
  for i = 1, #leases, 2 do
    local entries = redis.call('HGETALL', leases[i])
    for j = 2, #entries, 2 do
      local value = entries[j]
      local bar = string.find(value, '|', 1, true)
      redis.call('ZADD', leases[i + 1], tonumber(string.sub(value, 1, bar - 1)),
                 string.sub(value, bar + 1))
      returned = returned + 1
    end
    redis.call('DEL', leases[i])
  end
  redis.call('DEL', registry)
  redis.call('ZREM', KEYS[1], worker)
end
return returned
"""
)
# KEYS: queue, workers. ARGV: lease key prefix (queue .. ':lease:'). Queued + leased requests.
_OUTSTANDING = """
local n = redis.call('ZCARD', KEYS[1])
for _, worker in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  n = n + redis.call('HLEN', ARGV[1] .. worker)
end
return n
"""


class Leases:
    """One worker's leases on one queue."""

    def __init__(self, server: redis.Redis, queue_key: str, worker: str, ttl_s: float) -> None:
        self.server = server
        self.queue_key = queue_key
        self.worker = worker
        self.ttl_ms = max(1, round(ttl_s * 1000))
        self.lease_key = f"{queue_key}:lease:{worker}"
        self._take = server.register_script(_TAKE)
        self._heartbeat = server.register_script(_HEARTBEAT)
        self._reap = server.register_script(_REAP)
        self._outstanding = server.register_script(_OUTSTANDING)
        self._running = server.register_script(_RUNNING)

    def take(self) -> tuple[str, bytes] | None:
        got = self._take(
            keys=[self.queue_key, self.lease_key, LEASE_REGISTRY + self.worker, WORKERS],
            args=[self.worker, self.ttl_ms],
        )
        if not got:
            return None
        lease, data = got
        return (lease.decode() if isinstance(lease, bytes) else lease), data

    def ack(self, lease: str) -> None:
        self.server.hdel(self.lease_key, lease)

    def heartbeat(self) -> None:
        self._heartbeat(keys=[WORKERS], args=[self.worker, self.ttl_ms])

    def running(self, source: str) -> None:
        """Say that this worker crawls `source` for another lease period (RUNNING)."""
        self._running(keys=[RUNNING], args=[f"{self.worker}|{source}", self.ttl_ms])

    def reap(self) -> int:
        """Return the requests of every worker whose lease expired to their queues."""
        returned = int(self._reap(keys=[WORKERS], args=[LEASE_REGISTRY]))
        if returned:
            logger.info("%d requests of expired leases went back to the queue", returned)
        return returned

    def held(self) -> int:
        return int(self.server.hlen(self.lease_key))

    def outstanding(self) -> int:
        """Requests of this queue still to do: queued, or leased by a worker alive or not."""
        return int(
            self._outstanding(keys=[self.queue_key, WORKERS], args=[f"{self.queue_key}:lease:"])
        )


def sources_running(server: redis.Redis) -> int:
    """How many (worker, source) crawls are alive: started, not ended, lease not expired."""
    return int(server.register_script(_ALIVE)(keys=[RUNNING]))


class LeasingQueue(PriorityQueue):
    """scrapy-redis's PriorityQueue whose pop leases (SCHEDULER_QUEUE_CLASS)."""

    def __init__(self, server: redis.Redis, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        settings = spider.settings
        self.leases = Leases(
            server,
            self.key,
            settings.get("TJCRAWL_WORKER_ID"),
            settings.getfloat("TJCRAWL_LEASE_SECONDS", 60.0),
        )

    def pop(self, timeout: int = 0) -> Request | None:
        got = self.leases.take()
        if got is None:
            return None
        lease, data = got
        request = self._decode_request(data)
        request.meta[LEASE_META] = lease
        return request
