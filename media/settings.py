"""Media settings: read once from ``SHOWFLOOR_*`` environment variables at the entry point."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from showfloor.settings import PREFIX, EnvReader, SettingsError

if TYPE_CHECKING:
    from collections.abc import Mapping



@dataclass(frozen=True, slots=True)
class MediaSettings:
    rtmp_host: str = "127.0.0.1"
    # 0 binds a free port (tests); the bound port is on ``MediaService.rtmp_port``.
    rtmp_port: int = 1935
    media_dir: Path = Path("var/media")
    # Declared EXT-X-PART-INF:PART-TARGET, seconds (RFC 8216bis 4.4.3.7).
    part_target: float = 0.3
    # Declared EXT-X-TARGETDURATION, whole seconds (RFC 8216bis 4.4.3.1); no segment is longer.
    target_duration: int = 2
    # A segment is cut at the first keyframe once it is at least this long.
    min_segment: float = 1.0
    # Complete segments kept in the live playlist (the sliding window).
    window_segments: int = 20
    # How long a blocking playlist or preload-hint request may wait; None: 3 x target duration.
    blocking_timeout: float | None = None
    # How often the live shows are checked for having been ended elsewhere.
    show_poll_interval: float = 2.0
    # An RTMP peer must finish its handshake and publish within this, and never go silent longer.
    rtmp_handshake_timeout: float = 10.0
    rtmp_idle_timeout: float = 10.0
    # WHIP (RFC 9725) ingest from browsers. Bitrates in kbit/s: Chromium is told to start at
    # ``whip_video_bitrate`` and stay between the bounds (its own estimate would start at
    # 300 kbit/s and keep the picture at 360p for the first seconds).
    whip_video_bitrate: int = 2500
    whip_min_video_bitrate: int = 1500
    whip_max_video_bitrate: int = 4000
    # The picture the re-encoded stream has; a publisher may ask for another size (up to
    # ``whip_max_video_size``) with ``?size=WxH`` on the WHIP URL.
    whip_video_size: tuple[int, int] = (1280, 720)
    whip_max_video_size: tuple[int, int] = (1920, 1080)
    whip_audio_bitrate: int = 128
    # libx264 preset of the re-encode (zerolatency tune always).
    whip_x264_preset: str = "veryfast"
    whip_encoder_threads: int = 2
    # A keyframe at least this often (stream seconds); None: every ``min_segment``.
    whip_keyframe_interval: float | None = None
    # ICE: STUN/TURN URLs for the server's own gathering (and offered to clients in ``Link``),
    # and the public address to announce when the host sits behind a 1:1 NAT.
    whip_ice_servers: tuple[str, ...] = ()
    whip_public_ip: str | None = None
    # A publisher that sends no media this long is gone (tab closed, network lost).
    whip_idle_timeout: float = 3.0
    # ICE and DTLS must complete this long after the answer.
    whip_connect_timeout: float = 15.0
    # Re-encoding costs about half a core per 720p30 stream: cap the publishers per process.
    whip_max_sessions: int = 4
    whip_cors_origins: tuple[str, ...] = ("*",)

    def __post_init__(self) -> None:
        if not 0.1 <= self.part_target <= 1.0:
            raise SettingsError(f"{PREFIX}MEDIA_PART_TARGET must be between 0.1 and 1.0 seconds.")
        if self.target_duration < 1 or self.target_duration < self.min_segment:
            raise SettingsError(
                f"{PREFIX}MEDIA_TARGET_DURATION must be a whole number of seconds, at least 1 "
                f"and at least {PREFIX}MEDIA_MIN_SEGMENT."
            )
        if self.part_target * 2 > self.min_segment:
            raise SettingsError(
                f"{PREFIX}MEDIA_MIN_SEGMENT must hold at least two parts of "
                f"{PREFIX}MEDIA_PART_TARGET."
            )
        if self.window_segments < 7:
            raise SettingsError(f"{PREFIX}MEDIA_WINDOW_SEGMENTS must be at least 7.")
        if not (
            self.whip_min_video_bitrate <= self.whip_video_bitrate <= self.whip_max_video_bitrate
        ):
            raise SettingsError(
                f"{PREFIX}MEDIA_WHIP_VIDEO_BITRATE must lie between "
                f"{PREFIX}MEDIA_WHIP_MIN_VIDEO_BITRATE and {PREFIX}MEDIA_WHIP_MAX_VIDEO_BITRATE."
            )
        width, height = self.whip_video_size
        max_width, max_height = self.whip_max_video_size
        if width > max_width or height > max_height:
            raise SettingsError(
                f"{PREFIX}MEDIA_WHIP_VIDEO_SIZE must fit in {PREFIX}MEDIA_WHIP_MAX_VIDEO_SIZE."
            )

    @property
    def whip_keyframe_every(self) -> float:
        """Stream seconds between forced keyframes: segments are cut at the first keyframe
        after ``min_segment``, so one per ``min_segment`` keeps segments on time."""
        if self.whip_keyframe_interval is not None:
            return self.whip_keyframe_interval
        return self.min_segment

    @property
    def blocking_wait(self) -> float:
        """RFC 8216bis 6.2.5.2: give up on a blocking request after three target durations."""
        if self.blocking_timeout is not None:
            return self.blocking_timeout
        return 3.0 * self.target_duration

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, var_dir: Path | None = None) -> MediaSettings:
        """``var_dir``: the deployment's state directory; recordings default to ``media`` in it."""
        get = EnvReader(env)

        defaults = cls()
        blocking = get("MEDIA_BLOCKING_TIMEOUT", 0.0, _positive_float)
        return cls(
            rtmp_host=get("RTMP_HOST", defaults.rtmp_host, str),
            rtmp_port=get("RTMP_PORT", defaults.rtmp_port, _port),
            media_dir=get(
                "MEDIA_DIR", defaults.media_dir if var_dir is None else var_dir / "media", Path
            ).absolute(),
            part_target=get("MEDIA_PART_TARGET", defaults.part_target, _positive_float),
            target_duration=get("MEDIA_TARGET_DURATION", defaults.target_duration, _positive_int),
            min_segment=get("MEDIA_MIN_SEGMENT", defaults.min_segment, _positive_float),
            window_segments=get("MEDIA_WINDOW_SEGMENTS", defaults.window_segments, _positive_int),
            blocking_timeout=blocking or None,
            show_poll_interval=get(
                "MEDIA_SHOW_POLL_INTERVAL", defaults.show_poll_interval, _positive_float
            ),
            rtmp_handshake_timeout=get(
                "RTMP_HANDSHAKE_TIMEOUT", defaults.rtmp_handshake_timeout, _positive_float
            ),
            rtmp_idle_timeout=get(
                "RTMP_IDLE_TIMEOUT", defaults.rtmp_idle_timeout, _positive_float
            ),
            whip_video_bitrate=get(
                "MEDIA_WHIP_VIDEO_BITRATE", defaults.whip_video_bitrate, _positive_int
            ),
            whip_min_video_bitrate=get(
                "MEDIA_WHIP_MIN_VIDEO_BITRATE", defaults.whip_min_video_bitrate, _positive_int
            ),
            whip_max_video_bitrate=get(
                "MEDIA_WHIP_MAX_VIDEO_BITRATE", defaults.whip_max_video_bitrate, _positive_int
            ),
            whip_video_size=get("MEDIA_WHIP_VIDEO_SIZE", defaults.whip_video_size, video_size),
            whip_max_video_size=get(
                "MEDIA_WHIP_MAX_VIDEO_SIZE", defaults.whip_max_video_size, video_size
            ),
            whip_audio_bitrate=get(
                "MEDIA_WHIP_AUDIO_BITRATE", defaults.whip_audio_bitrate, _positive_int
            ),
            whip_x264_preset=get("MEDIA_WHIP_X264_PRESET", defaults.whip_x264_preset, _preset),
            whip_encoder_threads=get(
                "MEDIA_WHIP_ENCODER_THREADS", defaults.whip_encoder_threads, _positive_int
            ),
            whip_keyframe_interval=get("MEDIA_WHIP_KEYFRAME_INTERVAL", 0.0, _positive_float)
            or None,
            whip_ice_servers=get("MEDIA_WHIP_ICE_SERVERS", defaults.whip_ice_servers, _ice_urls),
            whip_public_ip=get("MEDIA_WHIP_PUBLIC_IP", "", _ip_address) or None,
            whip_idle_timeout=get(
                "MEDIA_WHIP_IDLE_TIMEOUT", defaults.whip_idle_timeout, _positive_float
            ),
            whip_connect_timeout=get(
                "MEDIA_WHIP_CONNECT_TIMEOUT", defaults.whip_connect_timeout, _positive_float
            ),
            whip_max_sessions=get(
                "MEDIA_WHIP_MAX_SESSIONS", defaults.whip_max_sessions, _positive_int
            ),
            whip_cors_origins=get("MEDIA_WHIP_CORS_ORIGINS", defaults.whip_cors_origins, _csv),
        )


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("expected a positive number")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("expected a port number between 0 and 65535")
    return value


_X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
)  # fmt: skip
_VIDEO_SIZE = re.compile(r"^(\d{2,4})x(\d{2,4})$")


def video_size(raw: str) -> tuple[int, int]:
    """``1280x720``: even dimensions (4:2:0 chroma), 64x64 to 4096x4096."""
    match = _VIDEO_SIZE.match(raw.strip())
    if match is None:
        raise ValueError("expected WIDTHxHEIGHT, e.g. 1280x720")
    width, height = int(match.group(1)), int(match.group(2))
    if not (64 <= width <= 4096 and 64 <= height <= 4096) or width % 2 or height % 2:
        raise ValueError("expected even dimensions between 64 and 4096")
    return width, height


def _preset(raw: str) -> str:
    if raw not in _X264_PRESETS:
        raise ValueError(f"expected one of {', '.join(_X264_PRESETS)}")
    return raw


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _ice_urls(raw: str) -> tuple[str, ...]:
    urls = _csv(raw)
    for url in urls:
        if not url.startswith(("stun:", "turn:", "turns:")):
            raise ValueError(f"{url!r} is not a stun:, turn: or turns: URL")
    return urls


def _ip_address(raw: str) -> str:
    return str(ipaddress.ip_address(raw.strip()))
