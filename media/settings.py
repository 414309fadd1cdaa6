"""Media settings: read once from ``SHOWFLOOR_*`` environment variables at the entry point."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from showfloor.settings import PREFIX, SettingsError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_T = TypeVar("_T")


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

    @property
    def blocking_wait(self) -> float:
        """RFC 8216bis 6.2.5.2: give up on a blocking request after three target durations."""
        if self.blocking_timeout is not None:
            return self.blocking_timeout
        return 3.0 * self.target_duration

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, var_dir: Path | None = None) -> MediaSettings:
        """``var_dir``: the deployment's state directory; recordings default to ``media`` in it."""
        def get(key: str, default: _T, parse: Callable[[str], _T]) -> _T:
            raw = env.get(PREFIX + key)
            if raw is None or raw == "":
                return default
            try:
                return parse(raw)
            except ValueError as exc:
                raise SettingsError(
                    f"{PREFIX}{key}={raw!r} is not valid: {exc}. "
                    f"Unset it to use the default ({default!r})."
                ) from None

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
