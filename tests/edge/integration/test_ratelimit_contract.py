"""One contract for both rate limiters (memory and Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from edge.domain.ratelimit import BucketRule
from edge.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def limiter(
    request: pytest.FixtureRequest, redis_client: Redis, redis_prefix: str
) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
    else:
        yield RedisRateLimiter(redis_client, redis_prefix)


async def test_a_burst_passes_then_the_sustained_rate_holds(limiter: RateLimiter) -> None:
    rule = BucketRule(capacity=3, rate=10.0)  # 3 at once, then one every 100 ms
    decisions = [await limiter.acquire("u1", [("rate", rule)]) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0.0 < decisions[3].retry_after <= 0.11
    await asyncio.sleep(0.12)
    assert (await limiter.acquire("u1", [("rate", rule)])).allowed
    assert not (await limiter.acquire("u1", [("rate", rule)])).allowed


async def test_scopes_are_independent(limiter: RateLimiter) -> None:
    rule = BucketRule(capacity=1, rate=0.1)
    assert (await limiter.acquire("a", [("rate", rule)])).allowed
    assert (await limiter.acquire("b", [("rate", rule)])).allowed
    assert not (await limiter.acquire("a", [("rate", rule)])).allowed


async def test_several_buckets_are_all_or_nothing(limiter: RateLimiter) -> None:
    roomy = BucketRule(capacity=5, rate=0.1)
    slow = BucketRule.one_every(30)
    assert (await limiter.acquire("u", [("rate", roomy), ("slow", slow)])).allowed
    refused = await limiter.acquire("u", [("rate", roomy), ("slow", slow)])
    assert not refused.allowed
    assert 29 < refused.retry_after <= 30
    # The refusal took nothing from the roomy bucket: 4 tokens are left in it.
    results = [await limiter.acquire("u", [("rate", roomy)]) for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, True, False]


async def test_racing_callers_never_get_more_than_the_burst(limiter: RateLimiter) -> None:
    rule = BucketRule(capacity=10, rate=0.01)
    results = await asyncio.gather(*(limiter.acquire("race", [("rate", rule)]) for _ in range(50)))
    assert sum(r.allowed for r in results) == 10


async def test_no_buckets_means_no_limit(limiter: RateLimiter) -> None:
    assert (await limiter.acquire("host", [])).allowed
