"""Media's side of the stream-time mapping edge uses to place product highlights.

Edge declares what it needs as ``edge.streamclock.StreamClock``; :class:`ServiceStreamClock`
implements it in process (``showfloor up``) and :mod:`media.internal_api` serves it over HTTP to
edge workers in other processes (``showfloor serve edge``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from media.llhls.model import DateRange
from media.service import UnknownShow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from media.service import MediaService

HIGHLIGHT_CLASS = "com.showfloor.highlight"


def highlight_daterange(highlight_id: str, product_id: int, start: datetime) -> DateRange:
    """The ``EXT-X-DATERANGE`` of a product highlight (RFC 8216bis 4.4.5.1): it lasts until the
    next highlight of the show starts (``END-ON-NEXT``), and carries the product in
    ``X-PRODUCT-ID``."""
    return DateRange(
        id=highlight_id,
        start_date=start,
        class_name=HIGHLIGHT_CLASS,
        client_attributes=(("X-PRODUCT-ID", str(product_id)),),
        end_on_next=True,
    )


async def program_date_time_at(
    service: MediaService, show_id: int, wall_clock: datetime
) -> datetime | None:
    """The program-date-time of what was being ingested at ``wall_clock``; None when the show
    is not streaming here (or has no frame yet)."""
    located = service.locate(show_id, wall_clock)
    return None if located is None else located.program_date_time


class ServiceStreamClock:
    """The stream clock over this process's :class:`MediaService`, looked up on each call since
    the service starts after the components are built."""

    def __init__(self, service: Callable[[], MediaService | None]) -> None:
        self._service = service

    async def program_date_time_at(self, show_id: int, wall_clock: datetime) -> datetime | None:
        service = self._service()
        if service is None:
            return None
        return await program_date_time_at(service, show_id, wall_clock)

    async def add_highlight_daterange(
        self, show_id: int, highlight_id: str, product_id: int, start: datetime
    ) -> None:
        service = self._service()
        if service is None:
            raise UnknownShow(f"show {show_id} has no live stream here")
        service.add_daterange(show_id, highlight_daterange(highlight_id, product_id, start))
