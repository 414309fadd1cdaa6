"""What other apps call to put an event on a show's real-time channel (commerce when a show
ends, media when its publisher comes and goes). Failures are logged, never raised: a channel
being down must not fail the change that caused the event."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from edge.bus import shared_event_bus
from edge.events import ShowEvent, ShowStatus

if TYPE_CHECKING:
    from datetime import datetime

    from edge.bus import AppResources

logger = logging.getLogger("showfloor.edge.announce")


async def announce_show_status(
    resources: AppResources, show_id: int, status: ShowStatus, at: datetime | None
) -> None:
    try:
        await shared_event_bus(resources).publish(show_id, ShowEvent(status=status, at=at))
    except Exception:
        logger.exception("show_status_publish_failed", extra={"show_id": show_id, "status": status})
