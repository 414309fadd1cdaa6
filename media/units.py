"""What flows from ingest through the hub to the packager: track formats and media units.

Every unit carries both its presentation time (``pts`` in ``time_base``) and the wall-clock time
it was captured or arrived (``wall_clock``, Unix seconds), so that stream time and wall time can
be mapped onto each other downstream (program-date-time, highlight stamping).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


class TrackKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class TrackFormat:
    """One elementary stream of a publisher session.

    ``template`` is the PyAV stream the packager copies codec parameters from
    (``OutputContainer.add_stream_from_template``); an ingest that encodes itself passes the
    stream of the container it encodes into.
    """

    kind: TrackKind
    codec: str
    time_base: Fraction
    template: Any
    frame_rate: Fraction | None = None
    width: int = 0
    height: int = 0
    sample_rate: int = 0


@dataclass(frozen=True, slots=True)
class StreamFormat:
    """The tracks of one publisher session, in unit ``track`` index order."""

    tracks: Sequence[TrackFormat]
    protocol: str

    def track_index(self, kind: TrackKind) -> int | None:
        for index, track in enumerate(self.tracks):
            if track.kind is kind:
                return index
        return None


@dataclass(frozen=True, slots=True)
class MediaUnit:
    """One access unit (a video frame or an audio frame), already encoded."""

    track: int
    kind: TrackKind
    pts: int
    dts: int
    duration: int
    time_base: Fraction
    keyframe: bool
    wall_clock: float
    size: int
    # The encoded payload, a PyAV ``Packet``; only the packager's muxer thread touches it.
    packet: Any

    @property
    def pts_seconds(self) -> float:
        return float(self.pts * self.time_base)

    @property
    def dts_seconds(self) -> float:
        return float(self.dts * self.time_base)
