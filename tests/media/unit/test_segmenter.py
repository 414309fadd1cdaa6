from __future__ import annotations

from fractions import Fraction

import pytest

from media.llhls.segmenter import fragment_duration, starts_new_segment

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("fps", [24, 25, 30, 50, 60])
def test_fragment_duration_leaves_room_for_one_frame(fps: int) -> None:
    target = 0.3
    duration = fragment_duration(target, Fraction(fps), 48000)
    # The muxer cuts at the first frame at or past frag_duration: at most one frame more.
    assert duration + 1 / fps <= target
    assert duration >= target / 2


def test_fragment_duration_for_audio_only_and_unknown_rate() -> None:
    assert fragment_duration(0.3, None, 44100) + 1024 / 44100 <= 0.3
    assert fragment_duration(0.3, None, None) > 0.2


def decide(open_duration: float | None, part: float, independent: bool) -> bool:
    return starts_new_segment(
        open_duration=open_duration,
        part_duration=part,
        independent=independent,
        min_segment=1.0,
        target_duration=2.0,
    )


def test_first_part_opens_a_segment() -> None:
    assert decide(None, 0.3, True)


def test_keyframes_cut_once_the_segment_is_long_enough() -> None:
    assert not decide(0.6, 0.3, True)
    assert decide(1.0, 0.3, True)
    assert not decide(1.2, 0.3, False)


def test_no_segment_exceeds_the_target_duration() -> None:
    assert not decide(1.7, 0.3, False)
    assert decide(1.8, 0.3, False)
