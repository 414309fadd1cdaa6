"""Viewer counts and host clock offsets in Redis.

A show's counts are a hash (worker -> viewers) beside a sorted set of when each worker's report
expires; one Lua script records a report, drops expired workers, sums, and decides on Redis's
clock whether this report pushes (the rule of :func:`edge.domain.viewers.decide_push`), so
exactly one worker publishes each change however many report it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from edge.domain.clocksync import ClockEstimate
from edge.domain.viewers import ViewerReport
from edge.presence.base import HostClocks, ViewerCounts

if TYPE_CHECKING:
    from redis.asyncio import Redis

# KEYS: counts hash, expiry zset, push hash. ARGV: worker, count, ttl_ms, interval_ms.
_REPORT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = tonumber(ARGV[2])
if count > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], count)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, worker in ipairs(expired) do
  redis.call('HDEL', KEYS[1], worker)
  redis.call('ZREM', KEYS[2], worker)
end
local total = 0
for _, n in ipairs(redis.call('HVALS', KEYS[1])) do
  total = total + tonumber(n)
end
local pushed = redis.call('HMGET', KEYS[3], 'at', 'total')
local changed = (pushed[2] == false) or (tonumber(pushed[2]) ~= total)
local due = (pushed[1] == false) or (now - tonumber(pushed[1]) >= tonumber(ARGV[4]))
local keep_ms = tonumber(ARGV[3]) * 10 + tonumber(ARGV[4])
redis.call('PEXPIRE', KEYS[1], keep_ms)
redis.call('PEXPIRE', KEYS[2], keep_ms)
if changed and due then
  redis.call('HSET', KEYS[3], 'at', now, 'total', total)
  redis.call('PEXPIRE', KEYS[3], keep_ms)
  return {total, 1, 0}
end
if changed then
  return {total, 0, 1}
end
return {total, 0, 0}
"""


def _viewer_keys(prefix: str, show_id: int) -> list[str]:
    tag = f"{prefix}edge:{{show:{show_id}}}:viewers"
    return [f"{tag}:counts", f"{tag}:expiry", f"{tag}:pushed"]


class RedisViewerCounts(ViewerCounts):
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._report = redis.register_script(_REPORT)

    async def report(
        self, show_id: int, worker_id: str, count: int, *, ttl: float, push_interval: float
    ) -> ViewerReport:
        total, push, pending = await self._report(
            keys=_viewer_keys(self._prefix, show_id),
            args=[worker_id, count, int(ttl * 1000), int(push_interval * 1000)],
        )
        return ViewerReport(total=int(total), push=bool(int(push)), pending=bool(int(pending)))

    async def withdraw(self, worker_id: str, show_ids: list[int]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in show_ids:
                counts, expiry, _ = _viewer_keys(self._prefix, show_id)
                pipe.hdel(counts, worker_id)
                pipe.zrem(expiry, worker_id)
            await pipe.execute()


class RedisHostClocks(HostClocks):
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, show_id: int, user_id: int) -> str:
        return f"{self._prefix}edge:{{show:{show_id}}}:clock:{user_id}"

    async def put(self, show_id: int, user_id: int, estimate: ClockEstimate, ttl: int) -> None:
        payload = msgspec.json.encode(
            [estimate.offset, estimate.round_trip, estimate.samples, estimate.measured_at]
        )
        await self._redis.set(self._key(show_id, user_id), payload, ex=ttl)

    async def get(self, show_id: int, user_id: int) -> ClockEstimate | None:
        raw = await self._redis.get(self._key(show_id, user_id))
        if raw is None:
            return None
        offset, round_trip, samples, measured_at = msgspec.json.decode(
            raw, type=tuple[float, float, int, float]
        )
        return ClockEstimate(offset, round_trip, samples, measured_at)
