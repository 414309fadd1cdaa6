"""The rate-limit interface: the generic cell rate algorithm (GCRA).

A :class:`Limit` of ``count`` per ``period_seconds`` admits a burst of ``count`` at once and then
one every ``period/count`` seconds. GCRA keeps a single timestamp per key (the theoretical arrival
time), so it costs one small value in memory or one key in Redis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    period_seconds: float

    def __post_init__(self) -> None:
        if self.count <= 0 or self.period_seconds <= 0:
            raise ValueError("a limit needs a positive count and period")

    @property
    def emission_interval(self) -> float:
        return self.period_seconds / self.count


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after_seconds: float = 0.0

    @property
    def retry_after_header(self) -> int:
        """Whole seconds for ``Retry-After`` (never 0 for a refusal)."""
        return max(1, math.ceil(self.retry_after_seconds))


def gcra(tat: float | None, now: float, limit: Limit) -> tuple[Decision, float | None]:
    """One GCRA step: the decision and the new theoretical arrival time (None: unchanged)."""
    start = now if tat is None or tat < now else tat
    new_tat = start + limit.emission_interval
    over = new_tat - now - limit.period_seconds
    if over > 1e-9:
        return Decision(False, over), None
    return Decision(True), new_tat


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> Decision:
        """Count one attempt for ``key``; refuse it when over ``limit``."""
        ...

    async def hit_all(self, hits: Sequence[tuple[str, Limit]]) -> list[Decision]:
        """Count one attempt for each key (every one, even after a refusal), in one round
        trip where the backend has round trips."""
        ...

    async def reset(self, key: str) -> None:
        """Forget ``key`` (for example after a successful login)."""
        ...
