r"""The event bus: publish events to a show's channel, subscribe to it from any process.

A show's events carry consecutive ids starting at 1, assigned by :meth:`EventBus.publish`. A
subscriber names the last id it processed (``since``) and receives every later event still in
the show's backlog, then the live ones, each exactly once and in id order.

Every subscriber has a bounded queue. One that falls more than ``max_pending`` deliveries
behind is cut (:class:`SlowConsumer`) and everything queued for it is dropped, so a slow
connection costs bounded memory and never delays the others: it reconnects with ``since`` and
resumes from the backlog.

A consumer that can write without waiting (a WebSocket whose socket takes bytes directly)
:meth:`~Subscription.attach`\ es a sink instead of draining the queue: from then on every batch
goes straight to the sink as the bus delivers it, the same :class:`Batch` object to every
subscriber of the show, so its wire form is built once. The sink bounds what it holds itself.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from edge.domain.backlog import ResumeKind, ResumePlan

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence
    from contextlib import AbstractAsyncContextManager

    from edge.events import Envelope, Event


class Delivery:
    """One event of one show as subscribers receive it; its wire bytes are built once."""

    __slots__ = ("_text", "event_type", "id", "show_id", "wire")

    def __init__(self, event_id: int, show_id: int, event_type: str, wire: bytes) -> None:
        self.id = event_id
        self.show_id = show_id
        self.event_type = event_type
        self.wire = wire  # the JSON envelope
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.wire.decode()
        return self._text

    def envelope(self) -> Envelope:
        from edge.events import decode_envelope

        return decode_envelope(self.wire)

    def __repr__(self) -> str:
        return f"Delivery(id={self.id}, show_id={self.show_id}, type={self.event_type!r})"


_T = TypeVar("_T")


class Batch(tuple[Delivery, ...]):
    """Deliveries handed to every subscriber of a show at once, oldest first.

    Whatever a wire format makes of a batch (a WebSocket frame, SSE chunks) is built once, by
    :meth:`encoded`, and shared by every connection it is written to.
    """

    def encoded(self, encoder: Callable[[Batch], _T]) -> _T:
        cache: dict[Callable[[Batch], object], object] | None = self.__dict__.get("_encoded")
        if cache is None:
            cache = self.__dict__["_encoded"] = {}
        value = cache.get(encoder)
        if value is None:
            value = cache[encoder] = encoder(self)
        return value  # type: ignore[return-value]


def as_batch(deliveries: Sequence[Delivery]) -> Batch:
    return deliveries if isinstance(deliveries, Batch) else Batch(deliveries)


Sink: TypeAlias = Callable[[Batch], bool]
"""Writes a batch to a consumer at once; False when the consumer is too far behind to take it
(nothing was written, and the subscription ends as a slow consumer)."""


class SubscriptionEnded(Exception):
    """The subscription will not deliver anything more; the client should resume elsewhere."""

    def __init__(self, reason: str, last_id: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.last_id = last_id  # the last id handed to the consumer


class SlowConsumer(SubscriptionEnded):
    def __init__(self, last_id: int) -> None:
        super().__init__("slow_consumer", last_id)


class FeedInterrupted(SubscriptionEnded):
    """The show's stream lost events or restarted its ids; subscribers resume and resync."""


class BusClosed(SubscriptionEnded):
    def __init__(self, last_id: int) -> None:
        super().__init__("shutting_down", last_id)


class Subscription:
    """A consumer's view of a show: a bounded queue filled by the bus, drained in batches."""

    __slots__ = (
        "_allowance",
        "_ended",
        "_held",
        "_queue",
        "_sink",
        "_waiter",
        "last_delivered",
        "last_queued",
        "max_pending",
        "plan",
        "show_id",
    )

    def __init__(self, show_id: int, max_pending: int) -> None:
        if max_pending <= 0:
            raise ValueError("max_pending must be positive")
        self.show_id = show_id
        self.max_pending = max_pending
        self.plan = ResumePlan(ResumeKind.LIVE, None)
        self._queue: list[Delivery] = []
        self._waiter: asyncio.Future[None] | None = None
        self._ended: SubscriptionEnded | None = None
        # While the backlog is being fetched, live deliveries wait here (see hold/release).
        self._held: list[Delivery] | None = None
        self._sink: Sink | None = None
        self.last_queued = 0  # highest id put in the queue: later duplicates are dropped
        self.last_delivered = 0  # highest id returned by next_batch or pushed to the sink
        # A replayed backlog may exceed max_pending; it is allowed until first drained.
        self._allowance = 0

    @property
    def ended(self) -> bool:
        return self._ended is not None

    def offer(self, deliveries: Sequence[Delivery]) -> bool:
        """Queue deliveries; returns False when this offer made the subscriber overflow."""
        if self._ended is not None:
            return True
        if self._held is not None:
            self._held.extend(deliveries)
            return True
        if self._sink is not None:
            return self._push(self._sink, deliveries)
        queue = self._queue
        last = self.last_queued
        for d in deliveries:
            if d.id > last:
                queue.append(d)
                last = d.id
        self.last_queued = last
        if len(queue) > self.max_pending + self._allowance:
            self.end(SlowConsumer(self.last_delivered))
            return False
        waiter = self._waiter
        if waiter is not None and queue and not waiter.done():
            waiter.set_result(None)
        return True

    def _push(self, sink: Sink, deliveries: Sequence[Delivery]) -> bool:
        last = self.last_delivered  # what is pushed is delivered: nothing stays queued
        if not deliveries or deliveries[-1].id <= last:
            return True
        if deliveries[0].id <= last:
            deliveries = [d for d in deliveries if d.id > last]
        if not sink(as_batch(deliveries)):
            self.end(SlowConsumer(self.last_delivered))
            return False
        self.last_queued = self.last_delivered = deliveries[-1].id
        return True

    def attach(self, sink: Sink) -> None:
        """Hand what is queued to ``sink``, then every later batch as soon as it is offered.

        From then on :meth:`next_batch` returns nothing: it waits for the end and raises it.
        """
        if self._held is not None:
            raise RuntimeError("attach() while the backlog is being fetched")
        if self._ended is not None:
            return
        queued, self._queue = self._queue, []
        self._allowance = 0
        self._sink = sink
        if queued:
            self._push(sink, Batch(queued))

    @property
    def attached(self) -> bool:
        return self._sink is not None

    def replay(self, backlog: Sequence[Delivery]) -> None:
        """Queue a backlog; it does not count against ``max_pending``."""
        self._allowance = len(backlog)
        self.offer(backlog)

    def hold(self) -> None:
        self._held = []

    def release(self, backlog: Sequence[Delivery]) -> None:
        """Queue the fetched backlog, then whatever arrived live meanwhile (duplicates dropped)."""
        held, self._held = self._held or [], None
        self.replay(list(backlog) + held)

    def end(self, reason: SubscriptionEnded) -> None:
        if self._ended is None:
            self._ended = reason
            self._queue = []
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pending(self) -> int:
        return len(self._queue)

    def next_nowait(self) -> list[Delivery]:
        if self._ended is not None:
            raise self._ended
        batch, self._queue = self._queue, []
        if batch:
            self.last_delivered = batch[-1].id
            self._allowance = 0
        return batch

    async def next_batch(self) -> list[Delivery]:
        """Everything queued (at least one delivery), oldest first; raises when ended."""
        while True:
            batch = self.next_nowait()
            if batch:
                return batch
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None

    def __aiter__(self) -> AsyncIterator[list[Delivery]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[list[Delivery]]:
        while True:
            try:
                yield await self.next_batch()
            except BusClosed:
                return


class EventBus(ABC):
    """Per-show channels with monotonic ids, a bounded backlog and bounded subscriber queues."""

    @abstractmethod
    async def publish(self, show_id: int, event: Event) -> int:
        """Append ``event`` to the show's channel; returns its id."""

    @abstractmethod
    def subscribe(
        self, show_id: int, since: int | None = None, *, max_pending: int = 256
    ) -> AbstractAsyncContextManager[Subscription]:
        """Receive the show's events after ``since`` (None: only new ones) for as long as the
        context is open. ``subscription.plan`` says whether the resume was complete."""

    @abstractmethod
    async def last_event_id(self, show_id: int) -> int:
        """The id of the show's latest event, 0 before its first."""

    @abstractmethod
    async def aclose(self) -> None:
        """Stop delivering: open subscriptions end with :class:`BusClosed`. Idempotent."""

    def subscriber_count(self, show_id: int) -> int:
        """Subscribers of the show in this process."""
        return 0
