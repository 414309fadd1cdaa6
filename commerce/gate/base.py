"""The gate interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from commerce.domain.inventory import Counts, LiveHold, Outcome

if TYPE_CHECKING:
    from collections.abc import Collection


@dataclass(frozen=True, slots=True)
class ProductSnapshot:
    """What the database says about one product: the gate is (re)built from this."""

    product_id: int
    stock: int
    per_user_limit: int
    sale_open: bool
    sold_by_user: dict[int, int] = field(default_factory=dict)
    holds: list[LiveHold] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReserveResult:
    outcome: Outcome | None  # None: the product is not loaded in the gate yet
    counts: Counts | None


class GateNotLoaded(Exception):
    """The product has no state in the gate (never loaded, or Redis lost it)."""


class InventoryGate(Protocol):
    async def load(self, snapshot: ProductSnapshot, *, version: int) -> Counts:
        """Replace the product's state with ``snapshot``; versions continue from ``version``."""
        ...

    async def is_loaded(self, product_id: int) -> bool: ...

    async def reserve(self, product_id: int, hold: LiveHold) -> ReserveResult: ...

    async def release(self, product_id: int, hold_id: str) -> tuple[LiveHold | None, Counts]:
        """Return a live hold's units; ``None`` when it was not live. Raises GateNotLoaded."""
        ...

    async def confirm(self, product_id: int, hold_id: str) -> tuple[LiveHold | None, Counts]:
        """Turn a live hold into a sale; ``None`` when it was not live. Raises GateNotLoaded."""
        ...

    async def expire_due(self, product_id: int, now: float) -> tuple[list[str], Counts | None]:
        """Remove every hold whose expiry is at or before ``now``; their ids and new counts."""
        ...

    async def return_sold(self, product_id: int, user_id: int, quantity: int) -> Counts: ...

    async def set_stock(self, product_id: int, stock: int) -> Counts:
        """Raises StockBelowCommitted when ``stock`` < held + sold, GateNotLoaded."""
        ...

    async def set_sale(self, product_id: int, *, sale_open: bool, per_user_limit: int) -> Counts:
        ...

    async def counts(self, product_ids: Collection[int]) -> dict[int, Counts]:
        """Counts of the loaded products among ``product_ids``."""
        ...

    async def loaded_products(self) -> set[int]: ...

    async def forget(self, product_id: int) -> None: ...

    async def is_ready(self) -> bool:
        """True once every product with a sale in progress is loaded (after start or a loss)."""
        ...

    async def mark_ready(self) -> None: ...
