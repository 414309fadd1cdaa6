from __future__ import annotations

import time
from typing import TYPE_CHECKING

from edge.domain.ratelimit import BucketRule, BucketState, RateDecision, take
from edge.ratelimit.base import RateLimiter

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class MemoryRateLimiter(RateLimiter):
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._clock = clock
        self._states: dict[str, tuple[BucketState, float]] = {}  # key -> (state, forget_at)
        self._max_keys = max_keys

    async def acquire(self, scope: str, buckets: Sequence[tuple[str, BucketRule]]) -> RateDecision:
        if not buckets:
            return RateDecision(True, 0.0)
        now = self._clock()
        if len(self._states) >= self._max_keys:
            self._forget_expired(now)
        keys = [f"{scope}:{name}" for name, _ in buckets]
        rules = [rule for _, rule in buckets]
        current = [self._current(key, now) for key in keys]
        states, decision = take(current, rules, now)
        for key, state, rule in zip(keys, states, rules, strict=True):
            self._states[key] = (state, now + rule.ttl_seconds)
        return decision

    def _current(self, key: str, now: float) -> BucketState | None:
        entry = self._states.get(key)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, (_, forget_at) in self._states.items() if forget_at <= now]:
            del self._states[key]
