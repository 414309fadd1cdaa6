"""Stream time and the sender's capture clock of received frames."""

from __future__ import annotations

import pytest

from media.whip.clock import (
    NTP_UNIX_OFFSET,
    CaptureClock,
    SenderReport,
    TrackTimeline,
    ntp_to_unix,
)

pytestmark = pytest.mark.unit


def ntp(unix: float) -> int:
    seconds = int(unix)
    return ((seconds + NTP_UNIX_OFFSET) << 32) | int((unix - seconds) * (1 << 32))


def test_ntp_to_unix() -> None:
    assert ntp_to_unix(ntp(1_700_000_000.25)) == pytest.approx(1_700_000_000.25, abs=1e-6)


def test_capture_time_from_a_sender_report() -> None:
    clock = CaptureClock(90_000)
    origin = 4_000_000_000  # the RTP timestamp the receiver's pts count from
    assert clock.capture_time(0, origin) is None
    # The sender says: RTP origin + 9000 (0.1 s after the first frame) was at T.
    clock.add_report(SenderReport(1000.0, (origin + 9000) % 2**32, 0))
    assert clock.synchronised
    assert clock.capture_time(9000, origin) == pytest.approx(1000.0)
    assert clock.capture_time(0, origin) == pytest.approx(999.9)
    assert clock.capture_time(90_000 + 9000, origin) == pytest.approx(1001.0)


def test_capture_time_across_the_rtp_wrap() -> None:
    clock = CaptureClock(90_000)
    origin = 2**32 - 45_000  # wraps 0.5 s after the first frame
    clock.add_report(SenderReport(50.0, 45_000, 0))  # 1 s after the first frame, wrapped
    assert clock.capture_time(90_000, origin) == pytest.approx(50.0)
    # Long after: pts beyond 2**32 (the receiver unwraps), report near it.
    clock.add_report(SenderReport(60.0 + 2**32 / 90_000, (origin + 2**32 + 900_000) % 2**32, 0))
    assert clock.capture_time(2**32 + 900_000, origin) == pytest.approx(60.0 + 2**32 / 90_000)


def test_sent_bitrate_from_octet_counts() -> None:
    clock = CaptureClock(48_000)
    clock.add_report(SenderReport(10.0, 0, 2**32 - 1000))
    assert clock.sent_bitrate is None
    clock.add_report(SenderReport(10.1, 4800, 2**32 - 1000))  # nothing sent since
    assert clock.sent_bitrate is None  # too short a span to tell
    clock.add_report(SenderReport(12.0, 96_000, 249_000))  # 250 000 octets in 2 s, wrapped
    assert clock.sent_bitrate == pytest.approx(1_000_000)
    clock.add_report(SenderReport(11.0, 48_000, 0))  # reordered: ignored
    assert clock.sent_bitrate == pytest.approx(1_000_000)
    # Older reports leave the window: the rate follows the sender.
    for second in range(13, 20):
        clock.add_report(SenderReport(float(second), 0, 249_000 + (second - 12) * 50_000))
    assert clock.sent_bitrate == pytest.approx(400_000)


def test_timeline_places_tracks_where_they_arrived() -> None:
    video = TrackTimeline(90_000)
    audio = TrackTimeline(48_000)
    origin = 100.0
    audio.place(960, 100.0, origin)
    video.place(123_000, 100.25, origin)
    assert audio.stream_time(960) == 0.0
    assert audio.stream_time(960 + 48_000) == pytest.approx(1.0)
    assert video.stream_time(123_000) == pytest.approx(0.25)
    assert video.stream_time(123_000 + 45_000) == pytest.approx(0.75)


def test_wall_clock_is_capture_time_once_known() -> None:
    video = TrackTimeline(90_000)
    video.place(0, 500.0, 500.0)
    # Before any report: arrival-based.
    assert video.wall_clock(90_000, origin=7) == pytest.approx(501.0)
    # The sender's clock is 30 s behind this host's, and its frame 0 was captured 80 ms
    # before it arrived here.
    video.capture.add_report(SenderReport(469.92 + 1.0, (7 + 90_000) % 2**32, 0))
    assert video.wall_clock(90_000, origin=7) == pytest.approx(470.92)
    assert video.wall_clock(0, origin=7) == pytest.approx(469.92)
    assert video.wall_clock(0, origin=None) == pytest.approx(500.0)
