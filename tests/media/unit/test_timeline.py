from __future__ import annotations

from datetime import UTC, datetime

import pytest

from media.llhls.timeline import StreamClock

pytestmark = pytest.mark.unit

T0 = 1_700_000_000.0


def clock_with_frames() -> StreamClock:
    clock = StreamClock()
    # 30 fps, arriving 80 ms after their PDT (network and encoder delay).
    for i in range(60):
        clock.add_frame(T0 + 0.08 + i / 30, T0 + i / 30)
    clock.add_part(T0, T0 + 1.0, msn=3, index=0)
    return clock


def test_locate_returns_the_frame_that_had_arrived() -> None:
    found = clock_with_frames().locate(T0 + 0.08 + 10 / 30 + 0.01)
    assert found is not None
    assert found.program_date_time == datetime.fromtimestamp(T0 + 10 / 30, UTC)
    assert found.in_part
    assert found.exact
    assert (found.msn, found.part) == (3, 0)


def test_frames_not_yet_packaged_are_exact_but_not_in_a_part() -> None:
    found = clock_with_frames().locate(T0 + 0.08 + 45 / 30)
    assert found is not None
    assert found.exact
    assert not found.in_part
    assert found.msn is None


def test_outside_the_known_frames_the_pdt_is_extrapolated() -> None:
    clock = clock_with_frames()
    before = clock.locate(T0 - 1.0)
    assert before is not None
    assert not before.exact
    assert before.program_date_time.timestamp() == pytest.approx(T0 - 1.08)
    after = clock.locate(T0 + 10.0)
    assert after is not None
    assert not after.exact
    assert StreamClock().locate(T0) is None


def test_frames_are_bounded() -> None:
    clock = StreamClock(max_frames=10)
    for i in range(100):
        clock.add_frame(T0 + i, T0 + i)
    assert clock.locate(T0 + 99.2) is not None
    assert len(clock._walls) <= 20
