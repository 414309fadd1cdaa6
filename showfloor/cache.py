"""A small read-through cache whose misses are single-flight: when a flash sale's first second
sends thousands of requests for the same product, one of them reads the database and the rest
wait for that read instead of queueing their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlightCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, *, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._reads: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        cached = self._values.get(key)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        pending = self._reads.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(key, load))
            self._reads[key] = pending
            pending.add_done_callback(lambda _: self._reads.pop(key, None))
        # Shielded: one caller giving up (a dropped connection) must not cancel the others' read.
        return await asyncio.shield(pending)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        started = self._clock()
        value = await load()
        if len(self._values) >= self._max:
            self._values.clear()
        self._values[key] = (started, value)
        return value

    def put(self, key: K, value: V) -> None:
        self._values[key] = (self._clock(), value)

    def forget(self, key: K) -> None:
        self._values.pop(key, None)
