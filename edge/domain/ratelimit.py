"""Token buckets: a burst allowance refilled at a sustained rate.

A bucket holds at most ``capacity`` tokens and regains ``rate`` tokens per second; an action takes
one token. Several buckets can be checked together: the action passes only if every one of them
has a token, and then each loses one (all or nothing). The Redis backend runs the same arithmetic
in a Lua script; :func:`take` is its specification.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True, slots=True)
class BucketRule:
    capacity: float
    rate: float  # tokens per second

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.rate <= 0:
            raise ValueError("a bucket needs capacity >= 1 and a positive rate")

    @classmethod
    def per_minute(cls, burst: int, per_minute: float) -> BucketRule:
        return cls(capacity=float(burst), rate=per_minute / 60.0)

    @classmethod
    def one_every(cls, seconds: float) -> BucketRule:
        return cls(capacity=1.0, rate=1.0 / seconds)

    @property
    def ttl_seconds(self) -> int:
        """How long until an untouched bucket is full again, after which it can be forgotten."""
        return math.ceil(self.capacity / self.rate) + 1


@dataclass(frozen=True, slots=True)
class BucketState:
    tokens: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after: float  # seconds until the action would pass; 0 when allowed


def refill(state: BucketState | None, rule: BucketRule, now: float) -> float:
    if state is None:
        return rule.capacity
    elapsed = max(0.0, now - state.updated_at)
    return min(rule.capacity, state.tokens + elapsed * rule.rate)


def take(
    states: Sequence[BucketState | None], rules: Sequence[BucketRule], now: float
) -> tuple[list[BucketState], RateDecision]:
    """Try to take one token from every bucket; return the new states and the decision.

    When refused, the states are only refilled (nothing is taken) and ``retry_after`` is the time
    until every bucket has a token again.
    """
    if len(states) != len(rules):
        raise ValueError("one state per rule")
    levels = [refill(s, r, now) for s, r in zip(states, rules, strict=True)]
    wait = max(
        ((1.0 - level) / rule.rate if level < 1.0 else 0.0)
        for level, rule in zip(levels, rules, strict=True)
    )
    if wait > 0:
        return [BucketState(level, now) for level in levels], RateDecision(False, wait)
    return [BucketState(level - 1.0, now) for level in levels], RateDecision(True, 0.0)
