"""Estimating a host's clock offset from NTP-style ping exchanges (RFC 5905, section 8).

The server stamps a ping with its clock (``t0``), the host replies with its own clock at the
moment it answered (``t1``, which serves as both receive and transmit time), and the server stamps
the reply's arrival (``t3``). Assuming symmetric paths the host's clock is ahead of the server's by
``offset = t1 - (t0 + t3) / 2``, with an error of at most half the round trip. As NTP's clock
filter does, the sample with the smallest round trip among the recent ones is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True, slots=True)
class ClockSample:
    server_sent: float  # t0, server clock, seconds since the epoch
    client_time: float  # t1 = t2, host clock
    server_received: float  # t3, server clock

    @property
    def round_trip(self) -> float:
        return self.server_received - self.server_sent

    @property
    def offset(self) -> float:
        return self.client_time - (self.server_sent + self.server_received) / 2


@dataclass(frozen=True, slots=True)
class ClockEstimate:
    """How far the host's clock is ahead of the server's (negative: behind), in seconds."""

    offset: float
    round_trip: float
    samples: int
    measured_at: float  # server clock

    @property
    def error_bound(self) -> float:
        return self.round_trip / 2

    def to_server_time(self, client_time: float) -> float:
        return client_time - self.offset


class InvalidSample(ValueError):
    pass


def check_sample(sample: ClockSample, *, max_round_trip: float = 10.0) -> None:
    if sample.round_trip < 0:
        raise InvalidSample("the reply arrived before the ping was sent")
    if sample.round_trip > max_round_trip:
        raise InvalidSample("the round trip is too long to say anything about the clock")


def estimate_offset(samples: Sequence[ClockSample]) -> ClockEstimate | None:
    """The estimate from the sample with the shortest round trip (ties: the most recent)."""
    if not samples:
        return None
    return _estimate(samples)


def _estimate(samples: Sequence[ClockSample]) -> ClockEstimate:
    best = min(reversed(samples), key=lambda s: s.round_trip)
    return ClockEstimate(
        offset=best.offset,
        round_trip=best.round_trip,
        samples=len(samples),
        measured_at=best.server_received,
    )


class ClockFilter:
    """The last ``size`` samples of one host connection."""

    __slots__ = ("_samples", "size")

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._samples: list[ClockSample] = []

    def add(self, sample: ClockSample) -> ClockEstimate:
        check_sample(sample)
        self._samples.append(sample)
        if len(self._samples) > self.size:
            del self._samples[0]
        return _estimate(self._samples)
