"""The in-process event bus of the embedded mode: one process, so ids, backlog and fan-out all
live in memory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from edge.bus.base import BusClosed, Delivery, EventBus, Subscription
from edge.bus.fanout import OverflowHook, ShowFeed
from edge.domain.backlog import Backlog
from edge.events import Event, encode_event, envelope_bytes, event_type

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class _Show:
    __slots__ = ("backlog", "feed")

    def __init__(self, show_id: int, capacity: int, on_overflow: OverflowHook | None) -> None:
        self.backlog: Backlog[Delivery] = Backlog(capacity)
        self.feed = ShowFeed(show_id, on_overflow)


class MemoryEventBus(EventBus):
    def __init__(self, backlog: int = 1000, *, on_overflow: OverflowHook | None = None) -> None:
        self._capacity = backlog
        self._shows: dict[int, _Show] = {}
        self._closed = False
        self._on_overflow = on_overflow

    def _show(self, show_id: int) -> _Show:
        show = self._shows.get(show_id)
        if show is None:
            show = self._shows[show_id] = _Show(show_id, self._capacity, self._on_overflow)
        return show

    async def publish(self, show_id: int, event: Event) -> int:
        if self._closed:
            raise RuntimeError("the event bus is closed")
        show = self._show(show_id)
        event_id = show.backlog.next_id()
        delivery = Delivery(
            event_id,
            show_id,
            event_type(event),
            envelope_bytes(event_id, show_id, encode_event(event)),
        )
        show.backlog.append(delivery)
        show.feed.deliver((delivery,))
        return event_id

    @asynccontextmanager
    async def subscribe(
        self, show_id: int, since: int | None = None, *, max_pending: int = 256
    ) -> AsyncIterator[Subscription]:
        if self._closed:
            raise RuntimeError("the event bus is closed")
        show = self._show(show_id)
        sub = Subscription(show_id, max_pending)
        sub.plan = show.backlog.plan(since)
        sub.last_queued = sub.last_delivered = show.backlog.latest
        if sub.plan.replay_after is not None:
            sub.last_queued = sub.last_delivered = sub.plan.replay_after
            sub.replay(show.backlog.after(sub.plan.replay_after))
        show.feed.add(sub)
        try:
            yield sub
        finally:
            show.feed.remove(sub)

    async def last_event_id(self, show_id: int) -> int:
        show = self._shows.get(show_id)
        return 0 if show is None else show.backlog.latest

    def subscriber_count(self, show_id: int) -> int:
        show = self._shows.get(show_id)
        return 0 if show is None else len(show.feed.subscribers)

    async def aclose(self) -> None:
        self._closed = True
        for show in self._shows.values():
            show.feed.end_all(lambda sub: BusClosed(sub.last_delivered))
