"""Time of received WebRTC frames: the session's stream time and the sender's capture clock.

aiortc hands over decoded frames whose ``pts`` is the RTP timestamp minus the first one the
receiver decoded (its "origin"). Two clocks are derived from it, per track:

* stream time, for the re-encoded stream: RTP time since the track's first frame, placed on the
  session timeline where that first frame arrived, so audio and video start together;
* capture time, for the unit's ``wall_clock``: the sender's wall clock when the frame was
  captured, from its RTCP sender reports, which pair an NTP time with an RTP timestamp of the
  same instant (RFC 3550 6.4.1). A browser's RTP timestamps follow its capture clock, so a
  highlight clicked at the host's local time T can be matched with the frame captured at T,
  whatever the offset between the host's clock and this server's. Until the first report,
  the arrival time stands in.

Pure arithmetic; no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
_RTP_WRAP = 1 << 32


def ntp_to_unix(ntp: int) -> float:
    """A 64-bit NTP timestamp (32.32 fixed point, since 1900) as Unix seconds."""
    return (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / _RTP_WRAP


@dataclass(frozen=True, slots=True)
class SenderReport:
    """What a sender report says about one SSRC (RFC 3550 6.4.1)."""

    capture_time: float  # the NTP timestamp, as Unix seconds on the sender's clock
    rtp_timestamp: int  # the RTP timestamp of that same instant (32 bits)
    octets: int  # payload octets sent so far (32 bits, wraps)


def _nearest(value: int, reference: int) -> int:
    """``value`` (a 32-bit difference) plus the multiple of 2**32 that lands nearest
    ``reference``: unwraps an RTP timestamp against the receiver's unwrapped ones."""
    base = reference - (reference % _RTP_WRAP)
    candidates = (base - _RTP_WRAP + value, base + value, base + _RTP_WRAP + value)
    return min(candidates, key=lambda c: abs(c - reference))


class CaptureClock:
    """One track's mapping from frame ``pts`` to the sender's capture time."""

    # The sending rate is measured over at least this much of the sender's time: browsers
    # send reports every few hundred milliseconds at high rates, some with nothing sent since.
    RATE_WINDOW = 2.0

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self._report: SenderReport | None = None
        self._sent: deque[tuple[float, int]] = deque()  # (sender time, octets, unwrapped)

    @property
    def synchronised(self) -> bool:
        return self._report is not None

    def add_report(self, report: SenderReport) -> None:
        last = self._report
        octets = report.octets
        if last is not None:
            if report.capture_time <= last.capture_time:
                return  # a duplicate or reordered report
            octets = self._sent[-1][1] + (report.octets - last.octets) % _RTP_WRAP
        self._report = report
        self._sent.append((report.capture_time, octets))
        while len(self._sent) > 2 and report.capture_time - self._sent[1][0] >= self.RATE_WINDOW:
            self._sent.popleft()

    @property
    def sent_bitrate(self) -> float | None:
        """Payload bits per second the sender reported over the last couple of seconds."""
        if len(self._sent) < 2:
            return None
        (first_time, first_octets), (last_time, last_octets) = self._sent[0], self._sent[-1]
        if last_time - first_time < 0.5:
            return None
        return (last_octets - first_octets) * 8 / (last_time - first_time)

    def capture_time(self, pts: int, origin: int) -> float | None:
        """Capture time of the frame with receiver timestamp ``pts`` (RTP ``origin + pts``);
        None before the first report."""
        report = self._report
        if report is None:
            return None
        report_pts = _nearest((report.rtp_timestamp - origin) % _RTP_WRAP, pts)
        return report.capture_time + (pts - report_pts) / self.clock_rate


class TrackTimeline:
    """Stream time and wall clock of one track's frames within a publishing session."""

    def __init__(self, clock_rate: int, capture: CaptureClock | None = None) -> None:
        self.clock_rate = clock_rate
        self.capture = capture or CaptureClock(clock_rate)
        self._first_pts: int | None = None
        self._first_arrival = 0.0
        self._start = 0.0

    @property
    def started(self) -> bool:
        return self._first_pts is not None

    def place(self, pts: int, arrival: float, session_origin: float) -> None:
        """Anchor the track on the session timeline with its first frame."""
        self._first_pts = pts
        self._first_arrival = arrival
        self._start = max(0.0, arrival - session_origin)

    def stream_time(self, pts: int) -> float:
        """Seconds since the session's first frame (of any track)."""
        if self._first_pts is None:
            raise RuntimeError("place() the track with its first frame first")
        return self._start + (pts - self._first_pts) / self.clock_rate

    def wall_clock(self, pts: int, origin: int | None) -> float:
        """The sender's capture time when known, else the arrival-based estimate."""
        if origin is not None:
            captured = self.capture.capture_time(pts, origin)
            if captured is not None:
                return captured
        if self._first_pts is None:
            raise RuntimeError("place() the track with its first frame first")
        return self._first_arrival + (pts - self._first_pts) / self.clock_rate
