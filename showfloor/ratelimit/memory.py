"""In-process rate limiter for the embedded mode (one process holds all the state)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from showfloor.ratelimit.base import Decision, Limit, gcra

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_PRUNE_EVERY = 1024


class MemoryRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._hits = 0

    async def hit(self, key: str, limit: Limit) -> Decision:
        now = self._clock()
        decision, new_tat = gcra(self._tat.get(key), now, limit)
        if new_tat is not None:
            self._tat[key] = new_tat
        self._hits += 1
        if self._hits % _PRUNE_EVERY == 0:
            self._prune(now)
        return decision

    async def hit_all(self, hits: Sequence[tuple[str, Limit]]) -> list[Decision]:
        return [await self.hit(key, limit) for key, limit in hits]

    async def reset(self, key: str) -> None:
        self._tat.pop(key, None)

    def _prune(self, now: float) -> None:
        # A key whose theoretical arrival time is past has no effect any more.
        for key in [k for k, tat in self._tat.items() if tat <= now]:
            del self._tat[key]
