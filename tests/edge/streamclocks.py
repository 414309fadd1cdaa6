"""Stand-ins for media's stream clock, with an explicit mapping."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from edge.streamclock import StreamClockUnavailable


@dataclass
class PartClock:
    """A live stream cut in parts of ``part_seconds``: part ``i`` is ingested during
    ``[ingest_start + i*d, ingest_start + (i+1)*d)`` on the server's clock and covers the
    program-date-times ``[pdt_start + i*d, pdt_start + (i+1)*d)`` (PDT = capture time, which
    precedes ingest by the glass-to-ingest delay)."""

    ingest_start: float  # server clock, seconds since the epoch
    capture_delay: float = 0.4
    part_seconds: float = 0.25
    dateranges: list[tuple[int, str, int, datetime]] = field(default_factory=list)
    fail_dateranges: bool = False

    @property
    def pdt_start(self) -> float:
        return self.ingest_start - self.capture_delay

    def part_at(self, server_time: float) -> int:
        return math.floor((server_time - self.ingest_start) / self.part_seconds)

    def part_pdt_range(self, index: int) -> tuple[datetime, datetime]:
        start = self.pdt_start + index * self.part_seconds
        return _dt(start), _dt(start + self.part_seconds)

    async def program_date_time_at(self, show_id: int, wall_clock: datetime) -> datetime | None:
        t = wall_clock.timestamp()
        if t < self.ingest_start:
            return None
        index = self.part_at(t)
        into = t - (self.ingest_start + index * self.part_seconds)
        return _dt(self.pdt_start + index * self.part_seconds) + timedelta(seconds=into)

    async def add_highlight_daterange(
        self, show_id: int, highlight_id: str, product_id: int, start: datetime
    ) -> None:
        if self.fail_dateranges:
            raise StreamClockUnavailable("media is down")
        self.dateranges.append((show_id, highlight_id, product_id, start))


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)
