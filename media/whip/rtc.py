"""What WHIP ingest needs from aiortc's receiver beyond its public API.

aiortc 1.16 (pinned in pyproject.toml; ``tests/media/whip/unit/test_rtc_hooks.py`` breaks when
an upgrade moves these) keeps three things private that a broadcast ingest needs:

* the remote bitrate estimator: its AIMD rate control only starts sending REMB after three
  seconds of measuring, and then from the measured (low) incoming rate. Seeded with the
  bitrate the publisher was told to start at, the first REMB confirms that rate at once;
* RTCP sender reports, which map RTP timestamps to the sender's wall clock;
* the RTP timestamp its decoded frames' ``pts`` count from.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from aiortc.rtp import RtcpSrPacket

from media.whip.clock import SenderReport, ntp_to_unix

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiortc import RTCRtpReceiver

_PREFIX = "_RTCRtpReceiver__"


def _private(receiver: RTCRtpReceiver, name: str) -> Any:
    return getattr(receiver, _PREFIX + name, None)


def seed_bandwidth_estimate(receiver: RTCRtpReceiver, bitrate: int) -> bool:
    """Start the receiver's REMB estimate at ``bitrate`` bit/s; False when not possible."""
    estimator = _private(receiver, "remote_bitrate_estimator")
    rate_control = getattr(estimator, "rate_control", None)
    if rate_control is None or not hasattr(rate_control, "set_estimate"):
        return False
    # aiortc's estimator runs on NTP-epoch milliseconds (aiortc.clock.current_ms).
    now_ms = int((time.time() + 2_208_988_800) * 1000)
    rate_control.set_estimate(bitrate, now_ms)
    return True


def bandwidth_estimate(receiver: RTCRtpReceiver) -> int | None:
    """The bitrate the receiver's REMB currently announces (None before it has one)."""
    estimator = _private(receiver, "remote_bitrate_estimator")
    rate_control = getattr(estimator, "rate_control", None)
    if rate_control is None or not getattr(rate_control, "current_bitrate_initialized", False):
        return None
    return int(rate_control.current_bitrate)


def watch_sender_reports(
    receiver: RTCRtpReceiver, callback: Callable[[int, SenderReport], None]
) -> None:
    """Call ``callback(ssrc, report)`` for every RTCP sender report the receiver gets."""
    original = receiver._handle_rtcp_packet

    async def handle(packet: Any) -> None:
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            with contextlib.suppress(Exception):
                callback(
                    packet.ssrc,
                    SenderReport(
                        capture_time=ntp_to_unix(info.ntp_timestamp),
                        rtp_timestamp=info.rtp_timestamp,
                        octets=info.octet_count,
                    ),
                )
        await original(packet)

    # The DTLS transport routes RTCP to ``receiver._handle_rtcp_packet``: an instance
    # attribute takes precedence over the method.
    setattr(receiver, "_handle_rtcp_packet", handle)  # noqa: B010


def timestamp_origin(receiver: RTCRtpReceiver) -> int | None:
    """The RTP timestamp decoded frames' ``pts`` are relative to (None before the first)."""
    mapper = _private(receiver, "timestamp_mapper")
    origin = getattr(mapper, "_origin", None)
    return origin if isinstance(origin, int) else None


async def request_keyframe(receiver: RTCRtpReceiver, ssrc: int) -> None:
    """Send a PLI (RFC 4585 6.3.1) for ``ssrc``: the sender answers with a keyframe."""
    await receiver._send_rtcp_pli(ssrc)
