"""Token buckets in Redis: one Lua script takes from every bucket of a scope or from none, on
Redis's own clock (``TIME``) so workers on different hosts agree. The arithmetic is that of
:func:`edge.domain.ratelimit.take`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge.domain.ratelimit import BucketRule, RateDecision
from edge.ratelimit.base import RateLimiter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from redis.asyncio import Redis

# KEYS: one hash per bucket (fields t = tokens, u = updated at). ARGV: per bucket capacity,
# rate, ttl_ms. Returns {allowed (0/1), retry_after_ms}.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local levels = {}
local wait = 0
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[3 * i - 2])
  local rate = tonumber(ARGV[3 * i - 1])
  local state = redis.call('HMGET', key, 't', 'u')
  local level = capacity
  if state[1] then
    local elapsed = math.max(0, now - tonumber(state[2]))
    level = math.min(capacity, tonumber(state[1]) + elapsed * rate)
  end
  levels[i] = level
  if level < 1 then
    wait = math.max(wait, (1 - level) / rate)
  end
end
local cost = 1
if wait > 0 then cost = 0 end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 't', tostring(levels[i] - cost), 'u', tostring(now))
  redis.call('PEXPIRE', key, ARGV[3 * i])
end
if wait > 0 then
  return {0, math.ceil(wait * 1000)}
end
return {1, 0}
"""


class RedisRateLimiter(RateLimiter):
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._prefix = prefix
        self._take = redis.register_script(_TAKE)

    async def acquire(self, scope: str, buckets: Sequence[tuple[str, BucketRule]]) -> RateDecision:
        if not buckets:
            return RateDecision(True, 0.0)
        keys = [f"{self._prefix}edge:rl:{{{scope}}}:{name}" for name, _ in buckets]
        args: list[str | int] = []
        for _, rule in buckets:
            args.extend((repr(rule.capacity), repr(rule.rate), rule.ttl_seconds * 1000))
        allowed, retry_ms = await self._take(keys=keys, args=args)
        return RateDecision(bool(int(allowed)), int(retry_ms) / 1000.0)
