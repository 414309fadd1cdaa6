"""Redis rate limiter: GCRA in one Lua script, so limits hold across every worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from showfloor.ratelimit.base import Decision, Limit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from redis.asyncio import Redis

# Times are in microseconds from the Redis server clock, so workers' clocks do not matter.
_GCRA = """
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local over = new_tat - now - period
if over > 0 then
  return over
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix + "rl:"
        self._script = redis.register_script(_GCRA)

    async def hit(self, key: str, limit: Limit) -> Decision:
        return _decision(await self._script(keys=[self._prefix + key], args=_args(limit)))

    async def hit_all(self, hits: Sequence[tuple[str, Limit]]) -> list[Decision]:
        if len(hits) == 1:
            return [await self.hit(*hits[0])]
        # One round trip; not a transaction (the keys may live on different cluster slots).
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, limit in hits:
                await self._script(keys=[self._prefix + key], args=_args(limit), client=pipe)
            results = await pipe.execute()
        return [_decision(over) for over in results]

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)


def _args(limit: Limit) -> list[int]:
    return [int(limit.emission_interval * 1e6), int(limit.period_seconds * 1e6)]


def _decision(over: object) -> Decision:
    over_us = int(str(over))
    if over_us > 0:
        return Decision(False, over_us / 1e6)
    return Decision(True)
