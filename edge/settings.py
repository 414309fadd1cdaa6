"""Settings of the edge app, read once from ``SHOWFLOOR_EDGE_*`` (and a few shared) variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from showfloor.settings import EnvReader

if TYPE_CHECKING:
    from collections.abc import Mapping



@dataclass(frozen=True, slots=True)
class EdgeSettings:
    # Events kept per show for resuming clients (a Redis stream trimmed to about this length).
    backlog: int = 1000
    # How long a show's events and counter live in Redis after its last event.
    retention_seconds: int = 2 * 24 * 3600
    # Deliveries waiting for one connection before it is cut as a slow consumer (an SSE stream;
    # a WebSocket until its hello is sent, then its frames are written as events arrive).
    queue_size: int = 256
    # Bytes a WebSocket may have waiting in its send buffer (beside the kernel's) before it is
    # cut as a slow consumer.
    ws_send_buffer_bytes: int = 128 * 1024
    # How long a close frame may wait behind a stalled socket before the connection is dropped.
    close_timeout_seconds: float = 5.0
    # A feed (one reader per show and worker) lingers this long after its last subscriber left,
    # so that reconnecting clients resume from memory.
    feed_linger_seconds: float = 30.0
    viewers_push_interval_seconds: float = 2.0
    viewers_report_interval_seconds: float = 1.0
    chat_max_length: int = 500
    chat_burst: int = 5
    chat_per_minute: int = 20
    ws_max_message_bytes: int = 4096
    clock_ping_interval_seconds: float = 15.0
    # Offsets older than this are not trusted to correct a highlight click.
    clock_offset_ttl_seconds: int = 600
    # A corrected click may be at most this far in the past or future of the server's clock.
    highlight_max_age_seconds: float = 120.0
    # Every media app's internal address; a show's clock is asked of the one that ingests it.
    media_internal_urls: tuple[str, ...] = ()
    media_timeout_seconds: float = 2.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EdgeSettings:
        get = EnvReader(env)

        d = cls()
        no_urls: tuple[str, ...] = ()
        media_urls = get("MEDIA_INTERNAL_URL", no_urls, _http_urls)
        return cls(
            backlog=get("EDGE_BACKLOG", d.backlog, _positive_int),
            retention_seconds=get("EDGE_RETENTION_SECONDS", d.retention_seconds, _positive_int),
            queue_size=get("EDGE_QUEUE_SIZE", d.queue_size, _positive_int),
            ws_send_buffer_bytes=get(
                "EDGE_WS_SEND_BUFFER_BYTES", d.ws_send_buffer_bytes, _positive_int
            ),
            close_timeout_seconds=get(
                "EDGE_CLOSE_TIMEOUT_SECONDS", d.close_timeout_seconds, _positive_float
            ),
            feed_linger_seconds=get(
                "EDGE_FEED_LINGER_SECONDS", d.feed_linger_seconds, _non_negative_float
            ),
            viewers_push_interval_seconds=get(
                "EDGE_VIEWERS_PUSH_INTERVAL_SECONDS",
                d.viewers_push_interval_seconds,
                _positive_float,
            ),
            viewers_report_interval_seconds=get(
                "EDGE_VIEWERS_REPORT_INTERVAL_SECONDS",
                d.viewers_report_interval_seconds,
                _positive_float,
            ),
            chat_max_length=get("EDGE_CHAT_MAX_LENGTH", d.chat_max_length, _positive_int),
            chat_burst=get("EDGE_CHAT_BURST", d.chat_burst, _positive_int),
            chat_per_minute=get("EDGE_CHAT_PER_MINUTE", d.chat_per_minute, _positive_int),
            ws_max_message_bytes=get(
                "EDGE_WS_MAX_MESSAGE_BYTES", d.ws_max_message_bytes, _positive_int
            ),
            clock_ping_interval_seconds=get(
                "EDGE_CLOCK_PING_INTERVAL_SECONDS", d.clock_ping_interval_seconds, _positive_float
            ),
            clock_offset_ttl_seconds=get(
                "EDGE_CLOCK_OFFSET_TTL_SECONDS", d.clock_offset_ttl_seconds, _positive_int
            ),
            highlight_max_age_seconds=get(
                "EDGE_HIGHLIGHT_MAX_AGE_SECONDS", d.highlight_max_age_seconds, _positive_float
            ),
            media_internal_urls=media_urls,
            media_timeout_seconds=get(
                "MEDIA_TIMEOUT_SECONDS", d.media_timeout_seconds, _positive_float
            ),
        )


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("expected a positive number")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError("expected a number >= 0")
    return value


def _http_urls(raw: str) -> tuple[str, ...]:
    urls = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"expected http:// or https:// URLs, comma-separated; got {url!r}")
    return urls
