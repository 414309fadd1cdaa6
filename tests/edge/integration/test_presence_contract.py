"""One contract for viewer counts and host clock offsets, over memory and Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from edge.domain.clocksync import ClockEstimate
from edge.presence import (
    HostClocks,
    MemoryHostClocks,
    MemoryViewerCounts,
    RedisHostClocks,
    RedisViewerCounts,
    ViewerCounts,
)

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def counts(
    request: pytest.FixtureRequest, redis_client: Redis, redis_prefix: str
) -> ViewerCounts:
    return (
        MemoryViewerCounts()
        if request.param == "memory"
        else RedisViewerCounts(redis_client, redis_prefix)
    )


@pytest.fixture(params=["memory", "redis"])
async def clocks(
    request: pytest.FixtureRequest, redis_client: Redis, redis_prefix: str
) -> HostClocks:
    return (
        MemoryHostClocks()
        if request.param == "memory"
        else RedisHostClocks(redis_client, redis_prefix)
    )


async def test_counts_are_summed_over_workers(counts: ViewerCounts) -> None:
    first = await counts.report(1, "w1", 3, ttl=5, push_interval=0.2)
    assert (first.total, first.push) == (3, True)
    second = await counts.report(1, "w2", 4, ttl=5, push_interval=0.2)
    assert second.total == 7
    assert not second.push  # within the interval
    assert second.pending
    await asyncio.sleep(0.25)
    third = await counts.report(1, "w1", 3, ttl=5, push_interval=0.2)
    assert (third.total, third.push, third.pending) == (7, True, False)
    unchanged = await counts.report(1, "w2", 4, ttl=5, push_interval=0.2)
    assert (unchanged.push, unchanged.pending) == (False, False)


async def test_only_one_of_racing_workers_pushes_a_change(counts: ViewerCounts) -> None:
    reports = await asyncio.gather(
        *(counts.report(2, f"w{i}", 1, ttl=5, push_interval=10) for i in range(8))
    )
    assert sum(r.push for r in reports) == 1


async def test_a_worker_that_stops_reporting_drops_out(counts: ViewerCounts) -> None:
    await counts.report(3, "gone", 10, ttl=0.1, push_interval=0.01)
    await asyncio.sleep(0.15)
    report = await counts.report(3, "alive", 2, ttl=5, push_interval=0.01)
    assert report.total == 2


async def test_withdrawing_and_zero_reports_remove_a_worker(counts: ViewerCounts) -> None:
    await counts.report(4, "a", 5, ttl=5, push_interval=0.01)
    await counts.report(4, "b", 2, ttl=5, push_interval=0.01)
    await counts.withdraw("a", [4])
    assert (await counts.report(4, "b", 2, ttl=5, push_interval=0.01)).total == 2
    assert (await counts.report(4, "b", 0, ttl=5, push_interval=0.01)).total == 0


async def test_clock_offsets_are_stored_per_show_and_host(clocks: HostClocks) -> None:
    estimate = ClockEstimate(offset=3.25, round_trip=0.012, samples=5, measured_at=1.7e9)
    assert await clocks.get(1, 2) is None
    await clocks.put(1, 2, estimate, ttl=60)
    assert await clocks.get(1, 2) == estimate
    assert await clocks.get(1, 3) is None
    assert await clocks.get(2, 2) is None
