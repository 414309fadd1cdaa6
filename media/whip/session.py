"""One WHIP publishing session: a peer connection, its tracks, the re-encoder, the publisher.

Decoded frames are read on the event loop (aiortc's design), given their stream time and the
sender's capture time (:mod:`media.whip.clock`) and handed to the :class:`ReEncoder` thread,
whose units go back to the loop and into the hub's :class:`~media.hub.Publisher`.

The session ends, once, for the first of: ``DELETE`` on its resource, the peer connection
failing or closing (DTLS close on tab close, RTCP BYE), no media for ``idle_timeout`` (network
gone: ICE consent would take 30 s to notice), the show ending, or the encoder failing. The
publisher is released after the encoder has flushed, so the last frames reach the playlist;
the hub then marks the show idle, and the next session starts after a discontinuity.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError

from media.hub import Publisher
from media.metrics import MediaMetrics
from media.units import TrackKind
from media.whip import rtc
from media.whip.clock import TrackTimeline
from media.whip.encoder import EncoderSettings, ReEncoder
from media.whip.sdp import Offer

if TYPE_CHECKING:
    from media.units import MediaUnit, StreamFormat
    from media.whip.clock import SenderReport

logger = logging.getLogger("showfloor.media.whip")

_CLOCK_RATES = {TrackKind.VIDEO: 90_000, TrackKind.AUDIO: 48_000}
_STATS_INTERVAL = 1.0


class EndReason(enum.StrEnum):
    DELETED = "deleted"
    DISCONNECTED = "disconnected"
    PUBLISHER_LOST = "publisher_lost"
    CONNECT_TIMEOUT = "connect_timeout"
    SHOW_ENDED = "show_ended"
    ENCODER_FAILED = "encoder_failed"
    SHUTDOWN = "shutdown"


@dataclass(frozen=True, slots=True)
class SessionLimits:
    idle_timeout: float
    connect_timeout: float


@dataclass(eq=False)
class _Track:
    kind: TrackKind
    receiver: RTCRtpReceiver
    ssrc: int | None
    timeline: TrackTimeline
    frames: int = 0
    width: int = 0
    height: int = 0
    ended: bool = False


@dataclass(eq=False)
class WhipSession:
    id: str
    show_id: int
    stream_key: str
    remote: str
    pc: RTCPeerConnection
    offer: Offer
    encoder_settings: EncoderSettings
    limits: SessionLimits
    metrics: MediaMetrics
    publisher: Publisher | None = None
    answer: str = ""
    ended: EndReason | None = None
    created_at: float = field(default_factory=time.monotonic)
    _tracks: list[_Track] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _encoder: ReEncoder | None = None
    _encoder_closed: asyncio.Future[str | None] | None = None
    _origin: float | None = None
    _last_media: float | None = None
    _closing: asyncio.Task[None] | None = None
    _on_ended: list[Any] = field(default_factory=list)

    # -- lifecycle ------------------------------------------------------------------------

    def attach(self, publisher: Publisher) -> None:
        self.publisher = publisher

    def start(self) -> None:
        """Read the tracks and watch the connection; call once the publisher is attached."""
        for transceiver in self.pc.getTransceivers():
            receiver = transceiver.receiver
            track = receiver.track
            if track is None or transceiver.kind not in ("audio", "video"):
                continue
            kind = TrackKind(transceiver.kind)
            state = _Track(
                kind=kind,
                receiver=receiver,
                ssrc=self.offer.primary_ssrc(kind.value),
                timeline=TrackTimeline(_CLOCK_RATES[kind]),
            )
            if kind is TrackKind.VIDEO:
                rtc.seed_bandwidth_estimate(receiver, self.encoder_settings.video_bitrate)
            rtc.watch_sender_reports(receiver, self._report_handler(state))
            self._tracks.append(state)
            self._tasks.append(
                asyncio.create_task(self._read(state, track), name=f"whip-{kind}-{self.id}")
            )
        self._tasks.append(asyncio.create_task(self._watch(), name=f"whip-watch-{self.id}"))

        @self.pc.on("connectionstatechange")
        def _state_changed() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                self.close_soon(EndReason.DISCONNECTED)

    def on_ended(self, callback: Any) -> None:
        self._on_ended.append(callback)

    def disconnect(self) -> None:
        """The hub's request (the show ended, or the packager cannot keep up)."""
        self.close_soon(EndReason.SHOW_ENDED)

    def close_soon(self, reason: EndReason) -> None:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(
                self._close(reason), name=f"whip-close-{self.id}"
            )

    async def close(self, reason: EndReason) -> None:
        self.close_soon(reason)
        if self._closing is not None:
            await asyncio.shield(self._closing)

    async def _close(self, reason: EndReason) -> None:
        self.ended = reason
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        for task in self._tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        with contextlib.suppress(Exception):
            await self.pc.close()
        encoder, closed = self._encoder, self._encoder_closed
        if encoder is not None and closed is not None:
            encoder.close()
            # The last frames reach the publisher before it is released.
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                async with asyncio.timeout(5.0):
                    await asyncio.shield(closed)
        if self.publisher is not None:
            await self.publisher.close()
        self.metrics.whip_sessions_ended.labels(reason.value).inc()
        self.metrics.forget_whip_show(self.show_id)
        logger.info(
            "whip_session_ended",
            extra={"show_id": self.show_id, "session": self.id, "reason": reason.value},
        )
        for callback in self._on_ended:
            callback(self)

    # -- media ----------------------------------------------------------------------------

    def _report_handler(self, state: _Track) -> Any:
        def handle(ssrc: int, report: SenderReport) -> None:
            if state.ssrc is None or ssrc == state.ssrc:
                state.timeline.capture.add_report(report)

        return handle

    async def _read(self, state: _Track, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                self._frame(state, frame)
        except MediaStreamError:
            # The sender stopped this track (RTCP BYE, or the connection closed).
            state.ended = True
            if all(t.ended for t in self._tracks):
                self.close_soon(EndReason.DISCONNECTED)

    def _frame(self, state: _Track, frame: Any) -> None:
        now = time.time()
        self._last_media = time.monotonic()
        if frame.pts is None:
            return
        pts = int(frame.pts)
        if self._origin is None:
            self._origin = now
        timeline = state.timeline
        if not timeline.started:
            timeline.place(pts, now, self._origin)
        stream_time = timeline.stream_time(pts)
        wall = timeline.wall_clock(pts, rtc.timestamp_origin(state.receiver))
        state.frames += 1
        encoder = self._encoder or self._start_encoder()
        if state.kind is TrackKind.VIDEO:
            state.width, state.height = int(frame.width), int(frame.height)
            if timeline.capture.synchronised:
                self.metrics.whip_capture_delay.labels(str(self.show_id)).set(now - wall)
            encoder.push_video(frame, stream_time, wall)
        else:
            encoder.push_audio(frame, stream_time, wall)

    def _start_encoder(self) -> ReEncoder:
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[str | None] = loop.create_future()
        publisher = self.publisher
        metrics = self.metrics

        def post(callback: Any, *args: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed at shutdown
                loop.call_soon_threadsafe(callback, *args)

        def started(fmt: StreamFormat) -> None:
            if publisher is not None:
                publisher.start(fmt)

        def unit(item: MediaUnit) -> None:
            if publisher is not None:
                publisher.push(item)

        def finished(error: str | None) -> None:
            if not closed.done():
                closed.set_result(error)
            if error is not None:
                logger.warning(
                    "whip_encoder_stopped", extra={"show_id": self.show_id, "error": error}
                )
                self.close_soon(EndReason.ENCODER_FAILED)

        self._encoder_closed = closed
        self._encoder = ReEncoder(
            self.encoder_settings,
            on_format=lambda fmt: post(started, fmt),
            on_unit=lambda item: post(unit, item),
            on_closed=lambda error: post(finished, error),
            on_dropped=lambda kind, reason: metrics.whip_dropped_frames.labels(
                kind, reason
            ).inc(),
            on_encoded=metrics.whip_encode_seconds.observe,
            name=f"whip-encode-{self.show_id}",
        )
        return self._encoder

    # -- watchdog and statistics ----------------------------------------------------------

    async def _watch(self) -> None:
        label = str(self.show_id)
        metrics = self.metrics
        frames = {id(t): t.frames for t in self._tracks}
        last = time.monotonic()
        while True:
            await asyncio.sleep(min(_STATS_INTERVAL, self.limits.idle_timeout / 3))
            now = time.monotonic()
            if self._last_media is None:
                if now - self.created_at > self.limits.connect_timeout:
                    self.close_soon(EndReason.CONNECT_TIMEOUT)
                    return
            elif now - self._last_media > self.limits.idle_timeout:
                logger.info("whip_publisher_lost", extra={"show_id": self.show_id})
                self.close_soon(EndReason.PUBLISHER_LOST)
                return
            if now - last < _STATS_INTERVAL:
                continue
            elapsed, last = now - last, now
            for state in self._tracks:
                bitrate = state.timeline.capture.sent_bitrate
                if bitrate is not None:
                    metrics.whip_received_bitrate.labels(label, state.kind.value).set(bitrate)
                if state.kind is not TrackKind.VIDEO:
                    continue
                metrics.whip_received_fps.labels(label).set(
                    (state.frames - frames.get(id(state), 0)) / elapsed
                )
                frames[id(state)] = state.frames
                if state.width:
                    metrics.whip_received_width.labels(label).set(state.width)
                    metrics.whip_received_height.labels(label).set(state.height)
                estimate = rtc.bandwidth_estimate(state.receiver)
                if estimate is not None:
                    metrics.whip_bandwidth_estimate.labels(label).set(estimate)

    @property
    def received_size(self) -> tuple[int, int] | None:
        for state in self._tracks:
            if state.kind is TrackKind.VIDEO and state.width:
                return state.width, state.height
        return None
