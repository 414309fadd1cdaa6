"""Waiting-room and raffle events for the shows' real-time channels (the edge event bus)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from edge.events import QueueEvent, RaffleEvent
    from showfloor.web import Resources

logger = logging.getLogger("showfloor.commerce.fairness_events")


class FairnessSink(Protocol):
    async def publish(self, show_id: int, event: QueueEvent | RaffleEvent) -> None: ...


class EdgeBusFairnessSink:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def publish(self, show_id: int, event: QueueEvent | RaffleEvent) -> None:
        from edge.bus import shared_event_bus

        await shared_event_bus(self._resources).publish(show_id, event)
