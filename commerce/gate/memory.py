"""In-process gate for the embedded mode: the domain model itself, one per product."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from commerce.domain.inventory import Counts, LiveHold, ProductInventory
from commerce.gate.base import GateNotLoaded, ProductSnapshot, ReserveResult

if TYPE_CHECKING:
    from collections.abc import Collection


class MemoryGate:
    def __init__(self) -> None:
        self._products: dict[int, ProductInventory] = {}
        self._ready = False
        # Methods never await while mutating, so single statements are atomic on the event
        # loop; the lock only orders load() against the rest.
        self._lock = asyncio.Lock()

    def _get(self, product_id: int) -> ProductInventory:
        try:
            return self._products[product_id]
        except KeyError:
            raise GateNotLoaded(product_id) from None

    async def load(self, snapshot: ProductSnapshot, *, version: int) -> Counts:
        async with self._lock:
            inventory = ProductInventory(
                stock=snapshot.stock,
                per_user_limit=snapshot.per_user_limit,
                sale_open=snapshot.sale_open,
                sold=sum(snapshot.sold_by_user.values()),
                version=max(version, self._products[snapshot.product_id].version + 1)
                if snapshot.product_id in self._products else version,
                holds={h.hold_id: h for h in snapshot.holds},
                sold_by_user=dict(snapshot.sold_by_user),
            )
            self._products[snapshot.product_id] = inventory
            return inventory.counts()

    async def is_loaded(self, product_id: int) -> bool:
        return product_id in self._products

    async def reserve(self, product_id: int, hold: LiveHold) -> ReserveResult:
        inventory = self._products.get(product_id)
        if inventory is None:
            return ReserveResult(None, None)
        outcome = inventory.reserve(hold)
        return ReserveResult(outcome, inventory.counts())

    async def release(self, product_id: int, hold_id: str) -> tuple[LiveHold | None, Counts]:
        inventory = self._get(product_id)
        return inventory.release(hold_id), inventory.counts()

    async def confirm(self, product_id: int, hold_id: str) -> tuple[LiveHold | None, Counts]:
        inventory = self._get(product_id)
        return inventory.confirm(hold_id), inventory.counts()

    async def expire_due(self, product_id: int, now: float) -> tuple[list[str], Counts | None]:
        inventory = self._products.get(product_id)
        if inventory is None:
            return [], None
        return [h.hold_id for h in inventory.expire_due(now)], inventory.counts()

    async def return_sold(self, product_id: int, user_id: int, quantity: int) -> Counts:
        inventory = self._get(product_id)
        inventory.return_sold(user_id, quantity)
        return inventory.counts()

    async def set_stock(self, product_id: int, stock: int) -> Counts:
        inventory = self._get(product_id)
        inventory.set_stock(stock)
        return inventory.counts()

    async def set_sale(self, product_id: int, *, sale_open: bool, per_user_limit: int) -> Counts:
        inventory = self._get(product_id)
        inventory.set_sale(sale_open=sale_open, per_user_limit=per_user_limit)
        return inventory.counts()

    async def counts(self, product_ids: Collection[int]) -> dict[int, Counts]:
        return {pid: self._products[pid].counts() for pid in product_ids
                if pid in self._products}

    async def loaded_products(self) -> set[int]:
        return set(self._products)

    async def forget(self, product_id: int) -> None:
        self._products.pop(product_id, None)

    async def is_ready(self) -> bool:
        return self._ready

    async def mark_ready(self) -> None:
        self._ready = True
