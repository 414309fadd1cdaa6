from __future__ import annotations

import pytest

from edge.domain.ratelimit import BucketRule, BucketState, take

pytestmark = pytest.mark.unit


def test_burst_then_sustained_rate() -> None:
    rule = BucketRule.per_minute(burst=3, per_minute=6)  # one token every 10 s
    states: list[BucketState | None] = [None]
    allowed = []
    for _ in range(4):
        new, decision = take(states, [rule], now=100.0)
        states = list(new)
        allowed.append(decision.allowed)
    assert allowed == [True, True, True, False]
    _, refused = take(states, [rule], now=100.0)
    assert refused.retry_after == pytest.approx(10.0)
    _, later = take(states, [rule], now=110.0)
    assert later.allowed


def test_a_refusal_takes_nothing_and_all_buckets_must_agree() -> None:
    roomy, strict = BucketRule(5, 1.0), BucketRule.one_every(30)
    states, first = take([None, None], [roomy, strict], now=0.0)
    assert first.allowed
    after, second = take(states, [roomy, strict], now=1.0)
    assert not second.allowed
    assert second.retry_after == pytest.approx(29.0)
    assert after[0].tokens == pytest.approx(5.0)  # refilled from 4, nothing taken


def test_tokens_never_exceed_capacity() -> None:
    rule = BucketRule(2, 1.0)
    states, _ = take([BucketState(0.0, 0.0)], [rule], now=1000.0)
    assert states[0].tokens == pytest.approx(1.0)


def test_rules_must_make_sense() -> None:
    with pytest.raises(ValueError, match="capacity"):
        BucketRule(0, 1.0)
    with pytest.raises(ValueError, match="capacity"):
        BucketRule(1, 0)
