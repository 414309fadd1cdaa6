from __future__ import annotations

import asyncio

import pytest

from showfloor.cache import SingleFlightCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_misses_share_one_read_until_the_ttl_passes() -> None:
    clock = Clock()
    cache: SingleFlightCache[int, str] = SingleFlightCache(2.0, clock=clock)
    reads = 0

    async def load() -> str:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return f"v{reads}"

    values = await asyncio.gather(*(cache.get(1, load) for _ in range(200)))
    assert set(values) == {"v1"}
    assert reads == 1
    clock.now = 1.9
    assert await cache.get(1, load) == "v1"
    clock.now = 2.1
    assert await cache.get(1, load) == "v2"
    cache.put(1, "set")
    assert await cache.get(1, load) == "set"
    cache.forget(1)
    assert await cache.get(1, load) == "v3"


async def test_a_failed_read_is_not_kept_and_one_waiter_giving_up_spares_the_rest() -> None:
    cache: SingleFlightCache[str, int] = SingleFlightCache(10.0)
    gate = asyncio.Event()

    async def failing() -> int:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await cache.get("a", failing)

    async def slow() -> int:
        await gate.wait()
        return 7

    impatient = asyncio.ensure_future(cache.get("a", slow))
    patient = asyncio.ensure_future(cache.get("a", slow))
    await asyncio.sleep(0)
    impatient.cancel()
    gate.set()
    assert await patient == 7
