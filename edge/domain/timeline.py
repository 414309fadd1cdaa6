"""A show's timeline: highlights in stream order, each lasting until the next one starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

HIGHLIGHT_CLASS = "com.showfloor.highlight"


@dataclass(frozen=True, slots=True)
class HighlightRecord:
    highlight_id: str
    product_id: int
    program_date_time: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    highlight_id: str
    product_id: int
    start: datetime
    end: datetime | None  # None for the last highlight: it lasts until the show ends


def build_timeline(highlights: Iterable[HighlightRecord]) -> list[TimelineEntry]:
    ordered = sorted(highlights, key=lambda h: (h.program_date_time, h.created_at, h.highlight_id))
    entries: list[TimelineEntry] = []
    for index, h in enumerate(ordered):
        end = ordered[index + 1].program_date_time if index + 1 < len(ordered) else None
        entries.append(TimelineEntry(h.highlight_id, h.product_id, h.program_date_time, end))
    return entries


def correct_click(
    captured_at: float | None,
    received_at: float,
    offset: float | None,
    one_way_delay: float,
) -> float:
    """The server-clock instant of a host's click.

    With a click time from the host and an offset estimate, the host clock is corrected by the
    offset. Without a click time, the click happened about one one-way delay before the request
    arrived. Without an offset the host clock is taken as it is.
    """
    if captured_at is None:
        return received_at - one_way_delay
    return captured_at - (offset or 0.0)
