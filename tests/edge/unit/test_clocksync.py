from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.clocksync import ClockFilter, ClockSample, InvalidSample, estimate_offset

pytestmark = pytest.mark.unit


def exchange(t0: float, offset: float, up: float, down: float) -> ClockSample:
    """A ping sent at t0 (server clock) to a client whose clock is ``offset`` ahead."""
    client_time = t0 + up + offset
    return ClockSample(t0, client_time, t0 + up + down)


def test_symmetric_paths_give_the_exact_offset() -> None:
    sample = exchange(1000.0, offset=3.7, up=0.02, down=0.02)
    assert sample.offset == pytest.approx(3.7)
    assert sample.round_trip == pytest.approx(0.04)


@given(
    offset=st.floats(-3600, 3600),
    up=st.floats(0, 0.5),
    down=st.floats(0, 0.5),
)
def test_the_error_is_at_most_half_the_round_trip(offset: float, up: float, down: float) -> None:
    sample = exchange(1_700_000_000.0, offset, up, down)
    assert abs(sample.offset - offset) <= sample.round_trip / 2 + 1e-6


def test_the_shortest_round_trip_wins() -> None:
    samples = [
        exchange(0.0, 2.0, up=0.30, down=0.01),  # asymmetric and slow: off by 145 ms
        exchange(1.0, 2.0, up=0.005, down=0.005),
        exchange(2.0, 2.0, up=0.01, down=0.20),
    ]
    estimate = estimate_offset(samples)
    assert estimate is not None
    assert estimate.offset == pytest.approx(2.0)
    assert estimate.round_trip == pytest.approx(0.01)
    assert estimate.samples == 3
    assert estimate.to_server_time(102.0) == pytest.approx(100.0)
    assert estimate_offset([]) is None


def test_the_filter_keeps_recent_samples_and_refuses_nonsense() -> None:
    f = ClockFilter(size=2)
    f.add(exchange(0.0, 1.0, 0.001, 0.001))  # best, but will age out
    f.add(exchange(1.0, 5.0, 0.01, 0.01))
    estimate = f.add(exchange(2.0, 5.0, 0.02, 0.02))
    assert estimate.offset == pytest.approx(5.0)
    with pytest.raises(InvalidSample):
        f.add(ClockSample(10.0, 0.0, 9.0))
    with pytest.raises(InvalidSample):
        f.add(ClockSample(10.0, 0.0, 30.0))
