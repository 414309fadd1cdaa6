"""The PyAV side of RTMP ingest: an FLV byte pipe and the demuxer thread reading it.

The listener turns RTMP audio/video messages back into an FLV stream (they are FLV tag bodies)
and writes it into a :class:`ByteFeed`; a thread runs PyAV's FLV demuxer on it, because PyAV
blocks while it reads. Units go back to the event loop with their arrival time, looked up by
FLV timestamp in the :class:`ArrivalLog` the listener filled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av

from media.units import MediaUnit, StreamFormat, TrackFormat, TrackKind

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("showfloor.media.rtmp")

# Long enough for the FLV demuxer to read both sequence headers and the first frames, short
# enough not to delay the first part.
_DEMUX_OPTIONS = {"analyzeduration": "300000", "probesize": "1000000"}


class ByteFeed:
    """A bounded byte pipe: the event loop writes, one demuxer thread reads (blocking)."""

    def __init__(self, max_buffered: int = 8 * 1024 * 1024) -> None:
        self._cond = threading.Condition()
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._closed = False
        self._max = max_buffered

    def write(self, data: bytes) -> bool:
        """Queue ``data``; False when the reader has fallen too far behind (or is closed)."""
        with self._cond:
            if self._closed or self._buffered + len(data) > self._max:
                return False
            self._chunks.append(data)
            self._buffered += len(data)
            self._cond.notify()
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def abort(self) -> None:
        """Close and drop what is buffered: the reader sees the end at once."""
        with self._cond:
            self._closed = True
            self._chunks.clear()
            self._buffered = 0
            self._cond.notify_all()

    def read(self, size: int) -> bytes:
        with self._cond:
            while not self._chunks and not self._closed:
                self._cond.wait()
            if not self._chunks:
                return b""
            first = self._chunks[0]
            if len(first) <= size:
                self._chunks.popleft()
                self._buffered -= len(first)
                return first
            self._chunks[0] = first[size:]
            self._buffered -= size
            return first[:size]


class ArrivalLog:
    """Wall-clock arrival of each FLV tag, keyed by kind and timestamp (milliseconds)."""

    def __init__(self, limit: int = 4096) -> None:
        self._entries: dict[TrackKind, deque[tuple[int, float]]] = {
            TrackKind.VIDEO: deque(maxlen=limit),
            TrackKind.AUDIO: deque(maxlen=limit),
        }

    def record(self, kind: TrackKind, timestamp: int, wall_clock: float) -> None:
        self._entries[kind].append((timestamp, wall_clock))

    def take(self, kind: TrackKind, timestamp: int) -> float | None:
        entries = self._entries[kind]
        # Tags reach the demuxer in the order they arrived; drop the ones it did not emit.
        while entries and entries[0][0] < timestamp:
            entries.popleft()
        if entries and entries[0][0] == timestamp:
            return entries.popleft()[1]
        return None


def _track_format(stream: Any) -> TrackFormat | None:
    ctx = stream.codec_context
    if stream.type == "video" and ctx.name == "h264":
        return TrackFormat(
            kind=TrackKind.VIDEO,
            codec="h264",
            time_base=Fraction(stream.time_base),
            template=stream,
            frame_rate=Fraction(stream.average_rate) if stream.average_rate else None,
            width=int(ctx.width or 0),
            height=int(ctx.height or 0),
        )
    if stream.type == "audio" and ctx.name == "aac":
        return TrackFormat(
            kind=TrackKind.AUDIO,
            codec="aac",
            time_base=Fraction(stream.time_base),
            template=stream,
            sample_rate=int(ctx.sample_rate or 0),
        )
    return None


def run_flv_demuxer(
    feed: ByteFeed,
    arrivals: ArrivalLog,
    on_format: Callable[[StreamFormat], None],
    on_unit: Callable[[MediaUnit], None],
) -> str | None:
    """Demux until the feed ends; returns None on a clean end or the reason it stopped."""
    try:
        container = av.open(feed, mode="r", format="flv", options=_DEMUX_OPTIONS)
    except (av.FFmpegError, ValueError) as exc:
        return f"unreadable FLV stream: {exc}"
    try:
        tracks: list[TrackFormat] = []
        index_of: dict[int, int] = {}
        for stream in container.streams:
            track = _track_format(stream)
            if track is not None:
                index_of[stream.index] = len(tracks)
                tracks.append(track)
        if not tracks:
            return "no H.264 video or AAC audio in the stream"
        on_format(StreamFormat(tracks=tuple(tracks), protocol="rtmp"))
        for packet in container.demux():
            track_index = index_of.get(packet.stream.index)
            if track_index is None or packet.dts is None or packet.size == 0:
                continue
            if packet.is_corrupt:
                continue
            track = tracks[track_index]
            time_base = Fraction(packet.time_base)
            # FLV timestamps are milliseconds; the demuxer keeps them as its DTS.
            ms = int(packet.dts * time_base * 1000)
            wall = arrivals.take(track.kind, ms) or time.time()
            on_unit(
                MediaUnit(
                    track=track_index,
                    kind=track.kind,
                    pts=int(packet.pts if packet.pts is not None else packet.dts),
                    dts=int(packet.dts),
                    duration=int(packet.duration or 0),
                    time_base=time_base,
                    keyframe=bool(packet.is_keyframe),
                    wall_clock=wall,
                    size=int(packet.size),
                    packet=packet,
                )
            )
        return None
    except av.FFmpegError as exc:
        return f"demuxing failed: {exc}"
    finally:
        container.close()
