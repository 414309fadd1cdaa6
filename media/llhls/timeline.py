"""Stream time <-> program-date-time for one show.

Each frame is known by its wall-clock arrival (or capture) time and the program-date-time the
playlist gives it. :meth:`StreamClock.locate` answers "which frame did the host see at this
instant, and what is its PDT" so a highlight can be stamped in the playlist where viewers will
see that frame.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class StreamInstant:
    program_date_time: datetime
    # True when that frame is already in a published part (``msn``/``part`` name it).
    in_part: bool
    msn: int | None = None
    part: int | None = None
    # False when the instant is outside the frames known (before the first, or after the
    # last: the PDT is then extrapolated at real-time pace).
    exact: bool = True


class StreamClock:
    """Frames of the recent past (bounded), and the parts they were published in."""

    def __init__(self, max_frames: int = 30 * 60 * 10) -> None:
        self._max = max_frames
        self._walls: list[float] = []
        self._pdts: list[float] = []
        self._part_starts: list[float] = []  # PDT of each part's first frame
        self._part_ends: list[float] = []
        self._part_ids: list[tuple[int, int]] = []

    def add_frame(self, wall_clock: float, program_date_time: float) -> None:
        if self._walls and wall_clock < self._walls[-1]:
            # Arrival times are monotonic per track; clamp jitter from the demuxer hand-off.
            wall_clock = self._walls[-1]
        self._walls.append(wall_clock)
        self._pdts.append(program_date_time)
        if len(self._walls) > 2 * self._max:
            del self._walls[: self._max]
            del self._pdts[: self._max]

    def add_part(self, start_pdt: float, end_pdt: float, msn: int, index: int) -> None:
        self._part_starts.append(start_pdt)
        self._part_ends.append(end_pdt)
        self._part_ids.append((msn, index))
        if len(self._part_starts) > 2 * self._max // 10:
            cut = self._max // 10
            del self._part_starts[:cut]
            del self._part_ends[:cut]
            del self._part_ids[:cut]

    def locate(self, wall_clock: float) -> StreamInstant | None:
        if not self._walls:
            return None
        i = bisect.bisect_right(self._walls, wall_clock) - 1
        if i < 0:
            pdt = self._pdts[0] - (self._walls[0] - wall_clock)
            return StreamInstant(_dt(pdt), in_part=False, exact=False)
        pdt = self._pdts[i]
        exact = True
        if i == len(self._walls) - 1:
            # After the newest frame: the frame showing then has not arrived yet.
            late = wall_clock - self._walls[i]
            if late > 0.5:
                pdt += late
                exact = False
        j = bisect.bisect_right(self._part_starts, pdt) - 1
        if exact and j >= 0 and pdt < self._part_ends[j]:
            msn, index = self._part_ids[j]
            return StreamInstant(_dt(pdt), in_part=True, msn=msn, part=index)
        return StreamInstant(_dt(pdt), in_part=False, exact=exact)


def _dt(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
