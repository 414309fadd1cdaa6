"""Re-encoding of a WHIP session's decoded frames: libx264 (zerolatency) and AAC, in a thread.

aiortc always decodes what it receives, so the frames are encoded again into what the LL-HLS
packager takes: H.264 with a keyframe at least every ``keyframe_interval`` seconds of stream
time (the packager cuts segments at keyframes) and AAC. The encoders live in one thread per
session, never on the event loop. Their streams belong to an output container that is never
written to; it only makes PyAV fill in the codec parameters (SPS/PPS, AudioSpecificConfig) the
packager's muxer copies with ``add_stream_from_template``.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av
from av.video.frame import PictureType

from media.units import MediaUnit, StreamFormat, TrackFormat, TrackKind

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("showfloor.media.whip")

VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_RATE = 48_000
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
AAC_FRAME = 1024
# Audio that drifts this far from where its RTP timestamps put it is re-placed (a gap from
# loss or silence suppression), instead of being played early or late.
_AUDIO_RESYNC = 0.1
# Nominal rate for x264's rate control; actual frame times come from the timestamps.
NOMINAL_FRAME_RATE = Fraction(30)


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    width: int
    height: int
    video: bool = True
    audio: bool = True
    video_bitrate: int = 2_500_000  # bit/s
    audio_bitrate: int = 128_000
    preset: str = "veryfast"
    threads: int = 2
    keyframe_interval: float = 1.0
    # Frames waiting for the encoder beyond which new video frames are dropped.
    max_video_backlog: int = 15


@dataclass(frozen=True, slots=True)
class _Frame:
    kind: TrackKind
    frame: Any
    stream_time: float
    wall_clock: float


class KeyframeSchedule:
    """Forces a keyframe once ``interval`` of stream time has passed since the last one.

    Counted in timestamp ticks, so the packager, which sums the same ticks, never sees a
    segment a hair shorter than its minimum (which would double the segment).
    """

    def __init__(self, interval: float, time_base: Fraction) -> None:
        self._ticks = int(interval / time_base) + 2
        self._last: int | None = None

    def due(self, pts: int) -> bool:
        if self._last is None or pts - self._last >= self._ticks:
            self._last = pts
            return True
        return False


class ReEncoder:
    """Encodes one publishing session; ``push_*`` from the event loop, callbacks in the thread.

    ``on_format`` comes first (once), then ``on_unit`` for every packet, and ``on_closed``
    last, with an error text if encoding failed.
    """

    def __init__(
        self,
        settings: EncoderSettings,
        *,
        on_format: Callable[[StreamFormat], None],
        on_unit: Callable[[MediaUnit], None],
        on_closed: Callable[[str | None], None],
        on_dropped: Callable[[str, str], None] | None = None,
        on_encoded: Callable[[float], None] | None = None,
        name: str = "whip-encoder",
    ) -> None:
        if not (settings.video or settings.audio):
            raise ValueError("nothing to encode")
        self.settings = settings
        self._on_format = on_format
        self._on_unit = on_unit
        self._on_closed = on_closed
        self._on_dropped = on_dropped
        self._on_encoded = on_encoded
        self._queue: queue.SimpleQueue[_Frame | None] = queue.SimpleQueue()
        self._video_waiting = 0
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._running

    def push_video(self, frame: Any, stream_time: float, wall_clock: float) -> bool:
        """Queue a decoded video frame; False when it was dropped (the encoder is behind)."""
        if not self._running or not self.settings.video:
            return False
        with self._lock:
            if self._video_waiting >= self.settings.max_video_backlog:
                if self._on_dropped is not None:
                    self._on_dropped(TrackKind.VIDEO.value, "encoder_behind")
                return False
            self._video_waiting += 1
        self._queue.put(_Frame(TrackKind.VIDEO, frame, stream_time, wall_clock))
        return True

    def push_audio(self, frame: Any, stream_time: float, wall_clock: float) -> bool:
        if not self._running or not self.settings.audio:
            return False
        self._queue.put(_Frame(TrackKind.AUDIO, frame, stream_time, wall_clock))
        return True

    def close(self) -> None:
        """Encode what is queued, flush the encoders, then ``on_closed``."""
        self._queue.put(None)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # -- encoder thread -------------------------------------------------------------------

    def _run(self) -> None:
        error: str | None = None
        try:
            _Encoding(self).run()
        except Exception as exc:
            logger.exception("whip_encoder_failed")
            error = repr(exc)
        finally:
            self._running = False
            self._on_closed(error)

    def next_frame(self) -> _Frame | None:
        item = self._queue.get()
        if item is not None and item.kind is TrackKind.VIDEO:
            with self._lock:
                self._video_waiting -= 1
        return item

    def emit_format(self, fmt: StreamFormat) -> None:
        self._on_format(fmt)

    def emit_unit(self, unit: MediaUnit) -> None:
        self._on_unit(unit)

    def encoded(self, seconds: float) -> None:
        if self._on_encoded is not None:
            self._on_encoded(seconds)

    def dropped(self, kind: str, reason: str) -> None:
        if self._on_dropped is not None:
            self._on_dropped(kind, reason)


class _Encoding:
    """The state that lives in the encoder thread."""

    def __init__(self, owner: ReEncoder) -> None:
        self.owner = owner
        settings = owner.settings
        self.settings = settings
        # Never written: its streams are the encoders and the packager's templates.
        self.container: Any = av.open(io.BytesIO(), mode="w", format="mp4")
        self.video: Any = None
        self.audio: Any = None
        self.resampler: Any = None
        tracks: list[TrackFormat] = []
        if settings.video:
            self.video = self._video_stream()
            tracks.append(
                TrackFormat(
                    kind=TrackKind.VIDEO,
                    codec="h264",
                    time_base=VIDEO_TIME_BASE,
                    template=self.video,
                    frame_rate=NOMINAL_FRAME_RATE,
                    width=settings.width,
                    height=settings.height,
                )
            )
        if settings.audio:
            self.audio = self.container.add_stream("aac", rate=AUDIO_RATE)
            self.audio.codec_context.bit_rate = settings.audio_bitrate
            self.audio.codec_context.layout = "stereo"
            self.resampler = av.AudioResampler(
                format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=AAC_FRAME
            )
            tracks.append(
                TrackFormat(
                    kind=TrackKind.AUDIO,
                    codec="aac",
                    time_base=AUDIO_TIME_BASE,
                    template=self.audio,
                    sample_rate=AUDIO_RATE,
                )
            )
        # Opens the encoders and copies their parameters (extradata) onto the streams.
        self.container.start_encoding()
        self.format = StreamFormat(tracks=tuple(tracks), protocol="whip")
        self.video_track = 0
        self.audio_track = len(tracks) - 1
        self.keyframes = KeyframeSchedule(settings.keyframe_interval, VIDEO_TIME_BASE)
        self.last_video_pts: int | None = None
        self.video_walls: dict[int, float] = {}
        self.audio_next: int | None = None  # next AAC input sample on the stream timeline
        self.audio_anchor = (0, 0.0)  # (stream sample, wall clock) of the newest input

    def _video_stream(self) -> Any:
        settings = self.settings
        keyint = max(int(settings.keyframe_interval * 2 * NOMINAL_FRAME_RATE), 2)
        stream = self.container.add_stream(
            "libx264",
            rate=NOMINAL_FRAME_RATE,
            options={
                "preset": settings.preset,
                "tune": "zerolatency",
                # Keyframes come from the schedule (forced, as IDR); keyint is a backstop.
                "x264-params": f"keyint={keyint}:min-keyint=1:scenecut=0:forced-idr=1",
                "maxrate": str(settings.video_bitrate),
                "bufsize": str(settings.video_bitrate),
            },
        )
        stream.width = settings.width
        stream.height = settings.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = VIDEO_TIME_BASE
        ctx = stream.codec_context
        ctx.time_base = VIDEO_TIME_BASE
        ctx.framerate = NOMINAL_FRAME_RATE
        ctx.bit_rate = settings.video_bitrate
        ctx.thread_count = settings.threads
        return stream

    def run(self) -> None:
        owner = self.owner
        owner.emit_format(self.format)
        try:
            while True:
                item = owner.next_frame()
                if item is None:
                    break
                if item.kind is TrackKind.VIDEO:
                    self._encode_video(item)
                else:
                    self._encode_audio(item)
            self._flush()
        finally:
            self.container.close()

    # -- video ----------------------------------------------------------------------------

    def _encode_video(self, item: _Frame) -> None:
        started = time.perf_counter()
        settings = self.settings
        pts = round(item.stream_time / VIDEO_TIME_BASE)
        if self.last_video_pts is not None and pts <= self.last_video_pts:
            self.owner.dropped(TrackKind.VIDEO.value, "late")
            return
        self.last_video_pts = pts
        frame = item.frame
        if (
            frame.width != settings.width
            or frame.height != settings.height
            or frame.format.name != "yuv420p"
        ):
            frame = frame.reformat(width=settings.width, height=settings.height, format="yuv420p")
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        frame.pict_type = PictureType.I if self.keyframes.due(pts) else PictureType.NONE
        self.video_walls[pts] = item.wall_clock
        for packet in self.video.encode(frame):
            self._video_packet(packet)
        self.owner.encoded(time.perf_counter() - started)

    def _video_packet(self, packet: Any) -> None:
        if packet.pts is None or packet.size == 0:
            return
        wall = self.video_walls.pop(int(packet.pts), None)
        if wall is None:
            wall = time.time()
        # zerolatency: no reordering, a packet comes out for each frame as it goes in.
        for stale in [p for p in self.video_walls if p < packet.pts]:
            del self.video_walls[stale]
        duration = int(packet.duration or 0) or round(1 / (NOMINAL_FRAME_RATE * VIDEO_TIME_BASE))
        self.owner.emit_unit(
            MediaUnit(
                track=self.video_track,
                kind=TrackKind.VIDEO,
                pts=int(packet.pts),
                dts=int(packet.dts if packet.dts is not None else packet.pts),
                duration=duration,
                time_base=VIDEO_TIME_BASE,
                keyframe=bool(packet.is_keyframe),
                wall_clock=wall,
                size=int(packet.size),
                packet=packet,
            )
        )

    # -- audio ----------------------------------------------------------------------------

    def _encode_audio(self, item: _Frame) -> None:
        frame = item.frame
        start = round(item.stream_time * AUDIO_RATE)
        expected = self.audio_next
        if expected is None or abs(start - expected) > _AUDIO_RESYNC * AUDIO_RATE:
            if expected is not None and start < expected:
                # Overlaps what was already encoded: late, drop it.
                self.owner.dropped(TrackKind.AUDIO.value, "late")
                return
            # First frame, or a gap: the AAC timeline continues from here. What the resampler
            # still holds is the tail of the previous run; it is encoded before the gap.
            self.audio_next = start
        frame.pts = None
        self.audio_anchor = (self.audio_next or start, item.wall_clock)
        for out in self.resampler.resample(frame):
            self._encode_audio_frame(out)

    def _encode_audio_frame(self, out: Any) -> None:
        position = self.audio_next or 0
        out.pts = position
        out.time_base = AUDIO_TIME_BASE
        self.audio_next = position + out.samples
        for packet in self.audio.encode(out):
            self._audio_packet(packet)

    def _audio_packet(self, packet: Any) -> None:
        # The first AAC packet starts before zero (encoder priming): nothing to play there.
        if packet.pts is None or packet.pts < 0 or packet.size == 0:
            return
        anchor_sample, anchor_wall = self.audio_anchor
        self.owner.emit_unit(
            MediaUnit(
                track=self.audio_track,
                kind=TrackKind.AUDIO,
                pts=int(packet.pts),
                dts=int(packet.dts if packet.dts is not None else packet.pts),
                duration=int(packet.duration or AAC_FRAME),
                time_base=AUDIO_TIME_BASE,
                keyframe=True,
                wall_clock=anchor_wall + (int(packet.pts) - anchor_sample) / AUDIO_RATE,
                size=int(packet.size),
                packet=packet,
            )
        )

    def _flush(self) -> None:
        if self.video is not None:
            for packet in self.video.encode(None):
                self._video_packet(packet)
        if self.audio is not None:
            for out in self.resampler.resample(None):
                self._encode_audio_frame(out)
            for packet in self.audio.encode(None):
                self._audio_packet(packet)
