"""The fMP4/CMAF muxer: PyAV's mp4 muxer in fragmented mode, run in its own thread.

One :class:`FragmentMuxer` per publisher session (a reconnect gets a new init segment). FFmpeg
cuts a fragment at every keyframe (``frag_keyframe``) and once a fragment reaches
``frag_duration``; each fragment becomes one LL-HLS part. ``frag_discont`` keeps each ``tfdt``
equal to the packet's own decode time, so the media timeline stays the show's timeline.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import av

from media.llhls.isobmff import BoxError, BoxStreamSplitter, FragmentInfo, InitInfo

if TYPE_CHECKING:
    from collections.abc import Callable

    from media.units import MediaUnit, StreamFormat

logger = logging.getLogger("showfloor.media.muxer")

# About ten seconds of 30 fps video with 48 kHz AAC.
MAX_BACKLOG = 800
MOVFLAGS = "cmaf+frag_keyframe+empty_moov+default_base_moof+frag_discont"


@dataclass(frozen=True, slots=True)
class UnitStamp:
    """A muxed unit as the packager needs it back: show time, arrival, keyframe."""

    kind: str
    show_time: float
    wall_clock: float
    keyframe: bool


@dataclass(frozen=True, slots=True)
class MuxedFragment:
    data: bytes
    # Per track index: samples, duration in seconds, and whether it starts with a sync sample.
    samples: dict[int, int]
    durations: dict[int, float]
    starts_with_sync: dict[int, bool]
    stamps: dict[int, list[UnitStamp]]


class _Sink:
    """The file object PyAV writes into; splits the byte stream into init and fragments."""

    def __init__(self, muxer: FragmentMuxer) -> None:
        self._muxer = muxer
        self._splitter = BoxStreamSplitter()

    def write(self, data: bytes) -> int:
        for kind, piece in self._splitter.feed(bytes(data)):
            if kind == "init":
                self._muxer.handle_init(piece)
            else:
                self._muxer.handle_fragment(piece)
        return len(data)


class FragmentMuxer:
    def __init__(
        self,
        fmt: StreamFormat,
        *,
        frag_duration: float,
        time_offset: float,
        on_init: Callable[[bytes], None],
        on_fragment: Callable[[MuxedFragment], None],
        on_closed: Callable[[str | None], None],
        name: str = "muxer",
    ) -> None:
        """Callbacks run in the muxer thread; the caller hands them over to its loop."""
        self._format = fmt
        self._frag_duration = frag_duration
        self._time_offset = time_offset
        self._on_init = on_init
        self._on_fragment = on_fragment
        self._on_closed = on_closed
        self._queue: queue.SimpleQueue[MediaUnit | None] = queue.SimpleQueue()
        self._init: InitInfo | None = None
        self._track_of_id: dict[int, int] = {}
        self._timescales: dict[int, int] = {}
        self._pending: dict[int, list[UnitStamp]] = {i: [] for i in range(len(fmt.tracks))}
        self._last_dts: dict[int, int] = {}
        self._running = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Units waiting to be muxed; grows only when the muxer cannot keep up (or died)."""
        return self._queue.qsize() if self._running else MAX_BACKLOG + 1

    def push(self, unit: MediaUnit) -> None:
        if self._running:
            self._queue.put(unit)

    def close(self) -> None:
        """Flush the last fragment and stop; ``on_closed`` follows the last callbacks."""
        self._queue.put(None)

    # -- muxer thread ---------------------------------------------------------------------

    def handle_init(self, data: bytes) -> None:
        try:
            self._init = InitInfo.parse(data)
        except BoxError:
            logger.exception("init_segment_unreadable")
            raise
        # FFmpeg numbers tracks from 1 in stream order.
        for index, track_id in enumerate(sorted(self._init.tracks)):
            self._track_of_id[track_id] = index
            self._timescales[index] = self._init.tracks[track_id].timescale
        self._on_init(data)

    def handle_fragment(self, data: bytes) -> None:
        if self._init is None:
            raise BoxError("fragment before the init segment")
        info = FragmentInfo.parse(data, self._init)
        samples: dict[int, int] = {}
        durations: dict[int, float] = {}
        sync: dict[int, bool] = {}
        stamps: dict[int, list[UnitStamp]] = {}
        for track_id, run in info.runs.items():
            index = self._track_of_id.get(track_id)
            if index is None:
                continue
            samples[index] = run.sample_count
            durations[index] = run.duration / self._timescales[index]
            sync[index] = run.first_sample_sync
            pending = self._pending[index]
            stamps[index] = pending[: run.sample_count]
            del pending[: run.sample_count]
        self._on_fragment(MuxedFragment(data, samples, durations, sync, stamps))

    def _run(self) -> None:
        error: str | None = None
        container: Any = None
        try:
            container = av.open(
                _Sink(self),
                mode="w",
                format="mp4",
                options={
                    "movflags": MOVFLAGS,
                    "frag_duration": str(int(self._frag_duration * 1_000_000)),
                },
            )
            streams = [container.add_stream_from_template(t.template) for t in self._format.tracks]
            while True:
                unit = self._queue.get()
                if unit is None:
                    break
                self._mux(container, streams, unit)
        except Exception as exc:
            logger.exception("muxer_failed")
            error = repr(exc)
        finally:
            self._running = False
            if container is not None:
                try:
                    container.close()
                except Exception as exc:
                    logger.exception("muxer_close_failed")
                    error = error or repr(exc)
            self._on_closed(error)

    def _mux(self, container: Any, streams: list[Any], unit: MediaUnit) -> None:
        offset = round(self._time_offset / unit.time_base)
        dts = unit.dts + offset
        last = self._last_dts.get(unit.track)
        if last is not None and dts <= last:
            # The mp4 muxer refuses non-increasing decode times; a publisher glitch drops the
            # frame rather than the session.
            logger.warning("non_monotonic_dts_dropped", extra={"track": unit.track})
            return
        self._last_dts[unit.track] = dts
        packet = unit.packet
        packet.dts = dts
        packet.pts = unit.pts + offset
        packet.stream = streams[unit.track]
        self._pending[unit.track].append(
            UnitStamp(
                kind=unit.kind.value,
                show_time=float((unit.pts + offset) * unit.time_base),
                wall_clock=unit.wall_clock,
                keyframe=unit.keyframe,
            )
        )
        container.mux_one(packet)
