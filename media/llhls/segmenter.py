"""Where parts and segments end. Pure decisions, applied by the packager.

Parts are the muxer's fragments: it starts one at every keyframe and once a fragment reaches
``frag_duration``. The segmenter groups parts into segments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction

# Frame rates below this are treated as this, so that one frame fits in the margin left
# under PART-TARGET.
_MIN_FRAME_RATE = 20


def fragment_duration(
    part_target: float, frame_rate: Fraction | None, audio_sample_rate: int | None
) -> float:
    """The muxer's ``frag_duration`` for a session, in seconds.

    A fragment is flushed by the first packet (of any track) that reaches ``frag_duration``
    past the fragment's first packet of that track, so a part can run one frame past it. To
    keep every part at or under PART-TARGET (RFC 8216bis 4.4.4.9), leave one frame interval (and
    one AAC frame, 1024 samples) of margin.
    """
    rate = float(frame_rate) if frame_rate else 0.0
    frame = 1.0 / max(rate, _MIN_FRAME_RATE)
    audio_frame = 1024.0 / audio_sample_rate if audio_sample_rate else 0.0
    return max(part_target - max(frame, audio_frame) - 0.002, part_target / 2)


def starts_new_segment(
    *,
    open_duration: float | None,
    part_duration: float,
    independent: bool,
    min_segment: float,
    target_duration: float,
) -> bool:
    """Whether a part starts a new segment (``open_duration`` None: no segment is open).

    Segments are cut at keyframes once at least ``min_segment`` long. A publisher with long
    keyframe intervals still gets segments within the Target Duration (RFC 8216bis 4.4.3.1):
    the segment is then cut at a part boundary, and that segment does not start with a
    keyframe.
    """
    if open_duration is None:
        return True
    if independent and open_duration >= min_segment:
        return True
    return open_duration + part_duration > target_duration
