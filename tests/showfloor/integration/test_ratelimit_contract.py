"""One contract for both rate limiter backends: in-process and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from showfloor.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from showfloor.web import connect_redis
from tests.support.services import REDIS_URL, unique_redis_prefix

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    redis = connect_redis(REDIS_URL)
    try:
        yield RedisRateLimiter(redis, unique_redis_prefix("rl"))
    finally:
        await redis.aclose()


async def test_allows_a_burst_then_refuses_with_a_retry_time(limiter: RateLimiter) -> None:
    limit = Limit(3, 60)
    results = [await limiter.hit("k", limit) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert 15 < results[-1].retry_after_seconds <= 20
    assert results[-1].retry_after_header >= 16


async def test_keys_are_independent(limiter: RateLimiter) -> None:
    limit = Limit(1, 60)
    assert (await limiter.hit("a", limit)).allowed
    assert not (await limiter.hit("a", limit)).allowed
    assert (await limiter.hit("b", limit)).allowed


async def test_recovers_at_the_sustained_rate(limiter: RateLimiter) -> None:
    limit = Limit(2, 0.4)  # one every 0.2 s after a burst of two
    assert (await limiter.hit("r", limit)).allowed
    assert (await limiter.hit("r", limit)).allowed
    refused = await limiter.hit("r", limit)
    assert not refused.allowed
    await asyncio.sleep(refused.retry_after_seconds + 0.05)
    assert (await limiter.hit("r", limit)).allowed


async def test_reset_forgets_the_key(limiter: RateLimiter) -> None:
    limit = Limit(1, 60)
    await limiter.hit("x", limit)
    assert not (await limiter.hit("x", limit)).allowed
    await limiter.reset("x")
    assert (await limiter.hit("x", limit)).allowed


async def test_concurrent_hits_never_exceed_the_burst(limiter: RateLimiter) -> None:
    limit = Limit(10, 60)
    results = await asyncio.gather(*(limiter.hit("c", limit) for _ in range(50)))
    assert sum(r.allowed for r in results) == 10


async def test_several_keys_are_counted_at_once(limiter: RateLimiter) -> None:
    tight, loose = Limit(1, 60), Limit(5, 60)
    first = await limiter.hit_all([("u", tight), ("ip", loose)])
    assert [d.allowed for d in first] == [True, True]
    second = await limiter.hit_all([("u", tight), ("ip", loose)])
    assert [d.allowed for d in second] == [False, True]
    assert second[0].retry_after_seconds > 50
    # Every key is counted, even next to a refusal: "ip" has now used 2 of its 5.
    assert [(await limiter.hit("ip", loose)).allowed for _ in range(4)] == [True, True, True, False]
    assert (await limiter.hit_all([("solo", tight)]))[0].allowed
