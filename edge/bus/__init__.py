"""The event bus every process publishes show events to (commerce: stock and show status;
media: live/idle; edge: highlights, chat and viewer counts).

Publishing from another package::

    from edge.bus import open_event_bus
    from edge.events import StockEvent

    bus = open_event_bus(settings, redis)      # Redis in production, memory when redis is None
    await bus.publish(show_id, StockEvent(product_id=7, available=3, held=1, sold=6, version=42))

In the embedded mode every component of the one app must publish to the same in-memory bus:
use :func:`shared_event_bus` with the app's resources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from edge.bus.base import (
    Batch,
    BusClosed,
    Delivery,
    EventBus,
    FeedInterrupted,
    SlowConsumer,
    Subscription,
    SubscriptionEnded,
)
from edge.bus.memory import MemoryEventBus
from edge.bus.redis import RedisEventBus

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from redis.asyncio import Redis

    from showfloor.settings import Settings

__all__ = [
    "DEFAULT_BACKLOG",
    "Batch",
    "BusClosed",
    "Delivery",
    "EventBus",
    "FeedInterrupted",
    "MemoryEventBus",
    "RedisEventBus",
    "SlowConsumer",
    "Subscription",
    "SubscriptionEnded",
    "open_event_bus",
    "shared_event_bus",
]

DEFAULT_BACKLOG = 1000
DEFAULT_RETENTION_SECONDS = 2 * 24 * 3600
SHARED_BUS_KEY = "edge.bus"


def open_event_bus(
    settings: Settings,
    redis: Redis | None,
    *,
    backlog: int = DEFAULT_BACKLOG,
    retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    feed_linger_seconds: float = 30.0,
) -> EventBus:
    """The bus of this deployment: Redis when the app has a Redis client, else in memory.

    ``backlog`` is how many events a show's stream keeps; publishers and edge should agree on
    it (``SHOWFLOOR_EDGE_BACKLOG``), since in Redis every publish trims the stream.
    """
    if redis is None:
        return MemoryEventBus(backlog)
    return RedisEventBus(
        redis,
        prefix=settings.redis_prefix,
        backlog=backlog,
        retention_seconds=retention_seconds,
        feed_linger_seconds=feed_linger_seconds,
    )


class AppResources(Protocol):
    settings: Settings
    redis: Redis | None
    services: dict[str, Any]

    def close_at_shutdown(self, close: Callable[[], Awaitable[None]]) -> None: ...


def shared_event_bus(
    resources: AppResources,
    *,
    backlog: int = DEFAULT_BACKLOG,
    retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    feed_linger_seconds: float = 30.0,
) -> EventBus:
    """The app's one bus (``resources.services["edge.bus"]``), opened by the first component
    that asks for it and closed after every component has stopped."""
    bus = resources.services.get(SHARED_BUS_KEY)
    if bus is None:
        bus = open_event_bus(
            resources.settings,
            resources.redis,
            backlog=backlog,
            retention_seconds=retention_seconds,
            feed_linger_seconds=feed_linger_seconds,
        )
        resources.services[SHARED_BUS_KEY] = bus
        resources.close_at_shutdown(bus.aclose)
    if not isinstance(bus, EventBus):
        raise TypeError(f"resources.services[{SHARED_BUS_KEY!r}] is not an EventBus")
    return bus
