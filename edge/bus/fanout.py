"""Fan-out inside one process: a show's subscribers and what happens to them on delivery."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from edge.bus.base import as_batch

if TYPE_CHECKING:
    from edge.bus.base import Delivery, Subscription, SubscriptionEnded

OverflowHook = Callable[[int], None]


class ShowFeed:
    """The subscribers of one show in this process."""

    __slots__ = ("on_overflow", "show_id", "subscribers")

    def __init__(self, show_id: int, on_overflow: OverflowHook | None = None) -> None:
        self.show_id = show_id
        self.subscribers: set[Subscription] = set()
        self.on_overflow = on_overflow

    def add(self, subscription: Subscription) -> None:
        self.subscribers.add(subscription)

    def remove(self, subscription: Subscription) -> None:
        self.subscribers.discard(subscription)

    def deliver(self, deliveries: Sequence[Delivery]) -> None:
        """Offer deliveries to every subscriber; a subscriber that overflows is ended and removed
        without any effect on the others. Every subscriber is offered the same
        :class:`~edge.bus.base.Batch`, so its wire form is built once."""
        batch = as_batch(deliveries)
        overflowed: list[Subscription] = []
        for sub in self.subscribers:
            if not sub.offer(batch):
                overflowed.append(sub)
        for sub in overflowed:
            self.subscribers.discard(sub)
        if overflowed and self.on_overflow is not None:
            self.on_overflow(len(overflowed))

    def end_all(self, make_reason: Callable[[Subscription], SubscriptionEnded]) -> None:
        for sub in list(self.subscribers):
            sub.end(make_reason(sub))
        self.subscribers.clear()
