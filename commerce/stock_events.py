"""Stock changes for the real-time edge, coalesced: latest state wins.

A flash sale changes a product's counts thousands of times a second; viewers need the latest
count a few times a second, not every step. Changes are kept per product and flushed every
``interval`` seconds (and the version lets a client drop anything older than what it has).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Protocol

import msgspec

if TYPE_CHECKING:
    from commerce.domain.inventory import Counts
    from showfloor.web import Resources

logger = logging.getLogger("showfloor.commerce.stock_events")


class StockChanged(msgspec.Struct, frozen=True, kw_only=True):
    product_id: int
    show_id: int
    stock: int
    available: int
    held: int
    sold: int
    version: int


class SaleChanged(msgspec.Struct, frozen=True, kw_only=True):
    product_id: int
    show_id: int
    sale_open: bool
    sale_mode: str


class StockSink(Protocol):
    async def publish_stock(self, events: list[StockChanged]) -> None:
        """Deliver a batch (at most one event per product) to the real-time channels."""
        ...

    async def publish_sale(self, event: SaleChanged) -> None:
        """Deliver a change of a product's sale (open, closed, mode)."""
        ...


class CoalescingStockEvents:
    def __init__(self, sink: StockSink, *, interval: float = 0.25) -> None:
        self._sink = sink
        self._interval = interval
        self._pending: dict[int, StockChanged] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def changed(self, product_id: int, show_id: int, counts: Counts) -> None:
        current = self._pending.get(product_id)
        if current is not None and current.version >= counts.version:
            return
        self._pending[product_id] = StockChanged(
            product_id=product_id, show_id=show_id, stock=counts.stock,
            available=counts.available, held=counts.held, sold=counts.sold,
            version=counts.version,
        )
        self._wake.set()

    async def sale_changed(self, event: SaleChanged) -> None:
        """Publish at once (rare, and the buy button depends on it), after the counts that
        are still pending, so a viewer never sees an open sale with stale counts."""
        await self.flush()
        try:
            await self._sink.publish_sale(event)
        except Exception:
            logger.exception("sale_event_publish_failed", extra={"product_id": event.product_id})

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stock-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = list(self._pending.values()), {}
        try:
            await self._sink.publish_stock(batch)
        except Exception:  # the sale goes on; viewers catch up with the next change
            logger.exception("stock_events_publish_failed", extra={"events": len(batch)})

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            await asyncio.sleep(self._interval)


class EdgeBusSink:
    """Publishes stock changes on the shows' real-time channels through the edge event bus."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def publish_stock(self, events: list[StockChanged]) -> None:
        from edge.bus import shared_event_bus
        from edge.events import StockEvent

        bus = shared_event_bus(self._resources)
        for event in events:
            await bus.publish(event.show_id, StockEvent(
                product_id=event.product_id, available=event.available, held=event.held,
                sold=event.sold, version=event.version))

    async def publish_sale(self, event: SaleChanged) -> None:
        from edge.bus import shared_event_bus
        from edge.events import SaleEvent

        mode = event.sale_mode if event.sale_mode in ("open", "queue", "raffle") else "open"
        await shared_event_bus(self._resources).publish(event.show_id, SaleEvent(
            product_id=event.product_id, sale_open=event.sale_open,
            sale_mode=mode))  # type: ignore[arg-type]
