"""Prometheus collectors of the media app, registered on the app's own registry."""

from __future__ import annotations

import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

from media.units import TrackKind

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from media.hub import PublishSession
    from media.llhls.model import Part
    from media.units import MediaUnit

_LAG_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0, 2.0)
_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 3.0, 6.0, 10.0)


class MediaMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.ingest_bytes = Counter(
            "showfloor_media_ingest_bytes_total",
            "Encoded media bytes received from publishers, by track kind.",
            ["kind"],
            registry=registry,
        )
        self.ingest_frames = Counter(
            "showfloor_media_ingest_frames_total",
            "Encoded frames received from publishers, by track kind.",
            ["kind"],
            registry=registry,
        )
        self.ingest_bitrate = Gauge(
            "showfloor_media_ingest_bitrate_bits_per_second",
            "Ingest bitrate of a live show over the last seconds (audio and video).",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.ingest_fps = Gauge(
            "showfloor_media_ingest_video_frames_per_second",
            "Video frame rate a live show is received at, over the last seconds.",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.keyframe_interval = Gauge(
            "showfloor_media_ingest_keyframe_interval_seconds",
            "Stream time between the last two keyframes of a live show.",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.active_publishers = Gauge(
            "showfloor_media_active_publishers",
            "Publishers currently connected, by ingest protocol.",
            ["protocol"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.publish_refusals = Counter(
            "showfloor_media_publish_refusals_total",
            "Ingest connections refused, by reason (unknown_key, busy, protocol_error, ...).",
            ["reason"],
            registry=registry,
        )
        self.parts_published = Counter(
            "showfloor_media_parts_published_total",
            "LL-HLS parts published.",
            registry=registry,
        )
        self.part_publish_lag = Histogram(
            "showfloor_media_part_publish_lag_seconds",
            "Time from the arrival of a part's last frame to the part being listed.",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.blocking_wait = Histogram(
            "showfloor_media_blocking_wait_seconds",
            "Time blocking playlist and preload-hint requests waited, by outcome.",
            ["kind", "outcome"],
            buckets=_WAIT_BUCKETS,
            registry=registry,
        )
        self.served_bytes = Counter(
            "showfloor_media_served_bytes_total",
            "Bytes served over HTTP, by resource kind (playlist, part, segment, init, vod).",
            ["kind"],
            registry=registry,
        )
        self.whip_received_bitrate = Gauge(
            "showfloor_media_whip_received_bitrate_bits_per_second",
            "Bitrate a WHIP publisher achieves, by track kind (from its RTCP sender reports).",
            ["show_id", "kind"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.whip_received_width = Gauge(
            "showfloor_media_whip_received_video_width_pixels",
            "Width of the picture a WHIP publisher sends (before re-encoding).",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.whip_received_height = Gauge(
            "showfloor_media_whip_received_video_height_pixels",
            "Height of the picture a WHIP publisher sends (before re-encoding).",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.whip_received_fps = Gauge(
            "showfloor_media_whip_received_video_frames_per_second",
            "Frames per second a WHIP publisher's video decodes at.",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.whip_bandwidth_estimate = Gauge(
            "showfloor_media_whip_bandwidth_estimate_bits_per_second",
            "The receiver's bandwidth estimate (REMB) sent to a WHIP publisher.",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.whip_capture_delay = Gauge(
            "showfloor_media_whip_capture_to_decode_seconds",
            "Decode time minus the sender's capture time of a WHIP publisher's newest frame "
            "(network, jitter buffer and decoding, plus any offset between the two clocks).",
            ["show_id"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.whip_sessions_ended = Counter(
            "showfloor_media_whip_sessions_ended_total",
            "WHIP sessions ended, by reason (deleted, disconnected, publisher_lost, ...).",
            ["reason"],
            registry=registry,
        )
        self.whip_dropped_frames = Counter(
            "showfloor_media_whip_dropped_frames_total",
            "Decoded frames not re-encoded, by kind and reason (encoder_behind, late, ...).",
            ["kind", "reason"],
            registry=registry,
        )
        self.whip_encode_seconds = Histogram(
            "showfloor_media_whip_encode_seconds",
            "Time to re-encode one received video frame (scaling included).",
            buckets=(0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.2, 0.5),
            registry=registry,
        )
        for protocol in ("rtmp", "whip"):
            self.active_publishers.labels(protocol).set(0)

    # hub callback
    def publishers_changed(self, protocol: str, delta: int) -> None:
        self.active_publishers.labels(protocol).inc(delta)

    # listener events
    def connection_refused(self, reason: str) -> None:
        self.publish_refusals.labels(reason).inc()

    # packager events
    def part_published(self, show_id: int, part: Part) -> None:
        self.parts_published.inc()
        self.part_publish_lag.observe(max(0.0, part.published_at - part.last_arrival))

    def forget_show(self, show_id: int) -> None:
        for gauge in (self.ingest_bitrate, self.ingest_fps, self.keyframe_interval):
            with contextlib.suppress(KeyError):
                gauge.remove(str(show_id))
        self.forget_whip_show(show_id)

    def forget_whip_show(self, show_id: int) -> None:
        label = str(show_id)
        for gauge in (
            self.whip_received_width,
            self.whip_received_height,
            self.whip_received_fps,
            self.whip_bandwidth_estimate,
            self.whip_capture_delay,
        ):
            with contextlib.suppress(KeyError):
                gauge.remove(label)
        for kind in TrackKind:
            with contextlib.suppress(KeyError):
                self.whip_received_bitrate.remove(label, kind.value)


@dataclass(eq=False)
class IngestStats:
    """A hub sink that measures what a show's publisher sends."""

    show_id: int
    metrics: MediaMetrics
    window: float = 2.0
    _units: deque[tuple[float, int, bool]] = field(default_factory=deque)
    _last_keyframe: float | None = None
    _last_update: float = 0.0

    def session_started(self, session: PublishSession) -> None:
        self._units.clear()
        self._last_keyframe = None

    def unit(self, session: PublishSession, unit: MediaUnit) -> None:
        kind = unit.kind.value
        self.metrics.ingest_bytes.labels(kind).inc(unit.size)
        self.metrics.ingest_frames.labels(kind).inc()
        is_video = unit.kind is TrackKind.VIDEO
        # Received now: a unit's own wall clock may be the sender's capture clock (WHIP),
        # which can be offset from this host's.
        now = time.time()
        self._units.append((now, unit.size, is_video))
        label = str(self.show_id)
        if is_video and unit.keyframe:
            stream_time = unit.pts_seconds
            if self._last_keyframe is not None and stream_time > self._last_keyframe:
                self.metrics.keyframe_interval.labels(label).set(
                    stream_time - self._last_keyframe
                )
            self._last_keyframe = stream_time
        if now - self._last_update < 0.5:
            return
        self._last_update = now
        while self._units and self._units[0][0] < now - self.window:
            self._units.popleft()
        # Over the time the window actually covers, so the first figures are right too.
        span = max(now - self._units[0][0], 0.5)
        total = sum(size for _, size, _ in self._units)
        frames = sum(1 for _, _, video in self._units if video)
        self.metrics.ingest_bitrate.labels(label).set(total * 8 / span)
        self.metrics.ingest_fps.labels(label).set(frames / span)

    def session_ended(self, session: PublishSession) -> None:
        label = str(self.show_id)
        self.metrics.ingest_bitrate.labels(label).set(0)
        self.metrics.ingest_fps.labels(label).set(0)
