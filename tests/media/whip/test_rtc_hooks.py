"""The aiortc receiver internals WHIP ingest relies on (aiortc is pinned; an upgrade that moves
them fails here first)."""

from __future__ import annotations

import asyncio
import time

import aiortc
import pytest
from aiortc import RTCRtpReceiver
from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

from media.whip import rtc
from media.whip.clock import NTP_UNIX_OFFSET, SenderReport

pytestmark = pytest.mark.unit


class _Transport:
    state = "new"
    _stats_id = "transport"


def _receiver(kind: str = "video") -> RTCRtpReceiver:
    return RTCRtpReceiver(kind, _Transport())  # type: ignore[arg-type]


def test_pinned_version() -> None:
    assert aiortc.__version__ == "1.16.0"


async def test_seeded_estimate_is_sent_at_once() -> None:
    receiver = _receiver()
    assert rtc.bandwidth_estimate(receiver) is None
    assert rtc.seed_bandwidth_estimate(receiver, 2_500_000)
    assert rtc.bandwidth_estimate(receiver) == 2_500_000
    estimator = receiver._RTCRtpReceiver__remote_bitrate_estimator  # type: ignore[attr-defined]
    now_ms = int((time.time() + NTP_UNIX_OFFSET) * 1000)
    remb = None
    # A trickle of packets (0.3 Mbit/s): an unseeded estimator would stay silent for 3 s,
    # then announce about that rate.
    for i in range(40):
        result = estimator.add(
            arrival_time_ms=now_ms + i * 33,
            abs_send_time=((i * 33) << 18) // 1000 & 0xFFFFFF,
            payload_size=1200,
            ssrc=1234,
        )
        remb = remb or result
    assert remb is not None
    assert remb[0] >= 2_500_000


def test_audio_receiver_has_no_estimator() -> None:
    assert not rtc.seed_bandwidth_estimate(_receiver("audio"), 1_000_000)


async def test_sender_reports_are_seen_and_still_handled() -> None:
    receiver = _receiver()
    seen: list[tuple[int, SenderReport]] = []
    rtc.watch_sender_reports(receiver, lambda ssrc, report: seen.append((ssrc, report)))
    ntp = ((1_700_000_000 + NTP_UNIX_OFFSET) << 32) | (1 << 31)
    packet = RtcpSrPacket(
        ssrc=42,
        sender_info=RtcpSenderInfo(
            ntp_timestamp=ntp, rtp_timestamp=123, packet_count=1, octet_count=999
        ),
    )
    await receiver._handle_rtcp_packet(packet)
    assert seen == [(42, SenderReport(1_700_000_000.5, 123, 999))]
    # aiortc's own handling still ran (it answers with LSR in its receiver reports).
    assert receiver._RTCRtpReceiver__lsr[42]  # type: ignore[attr-defined]
    await asyncio.sleep(0)


def test_timestamp_origin() -> None:
    receiver = _receiver()
    assert rtc.timestamp_origin(receiver) is None
    mapper = receiver._RTCRtpReceiver__timestamp_mapper  # type: ignore[attr-defined]
    assert mapper.map(5000) == 0
    assert mapper.map(8000) == 3000
    assert rtc.timestamp_origin(receiver) == 5000
