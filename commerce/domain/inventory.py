"""The inventory of one product during a sale, as plain rules.

Every unit of stock is in exactly one of three places: available, held (in someone's cart hold)
or sold. Holds expire; checkout turns a live hold into a sale exactly once; cancelling a sale
returns its units. The invariant, at every step::

    available + held + sold == stock  and  available >= 0

A user's purchases are capped per product: live holds and sales count together.

:class:`ProductInventory` is the reference model. The in-process gate runs it directly; the Redis
gate runs the same rules as Lua scripts and a shared contract suite holds both to it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from commerce.domain.errors import Conflict, InvalidValue


class Outcome(enum.StrEnum):
    OK = "ok"
    SOLD_OUT = "sold_out"
    LIMIT_EXCEEDED = "limit_exceeded"
    SALE_NOT_OPEN = "sale_not_open"


@dataclass(frozen=True, slots=True)
class Counts:
    stock: int
    available: int
    held: int
    sold: int
    version: int


@dataclass(frozen=True, slots=True)
class LiveHold:
    hold_id: str
    user_id: int
    quantity: int
    expires_at: float  # seconds since the epoch


class StockBelowCommitted(Conflict):
    code = "stock_below_committed"


@dataclass
class ProductInventory:
    stock: int
    per_user_limit: int
    sale_open: bool = False
    sold: int = 0
    version: int = 0
    holds: dict[str, LiveHold] = field(default_factory=dict)
    # Units sold to each user and not cancelled (live holds are counted from ``holds``).
    sold_by_user: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stock < 0:
            raise InvalidValue("Stock cannot be negative.", field="stock")
        if self.held + self.sold > self.stock:
            raise StockBelowCommitted("More units are held and sold than there is stock.")

    @property
    def held(self) -> int:
        return sum(h.quantity for h in self.holds.values())

    @property
    def available(self) -> int:
        return self.stock - self.held - self.sold

    def counts(self) -> Counts:
        return Counts(self.stock, self.available, self.held, self.sold, self.version)

    def used_by(self, user_id: int) -> int:
        in_holds = sum(h.quantity for h in self.holds.values() if h.user_id == user_id)
        return in_holds + self.sold_by_user.get(user_id, 0)

    def reserve(self, hold: LiveHold) -> Outcome:
        if hold.quantity <= 0:
            raise InvalidValue("The quantity must be at least 1.", field="quantity")
        if hold.hold_id in self.holds:
            raise Conflict("This hold already exists.")
        if not self.sale_open:
            return Outcome.SALE_NOT_OPEN
        if self.available < hold.quantity:
            return Outcome.SOLD_OUT
        if self.used_by(hold.user_id) + hold.quantity > self.per_user_limit:
            return Outcome.LIMIT_EXCEEDED
        self.holds[hold.hold_id] = hold
        self.version += 1
        return Outcome.OK

    def release(self, hold_id: str) -> LiveHold | None:
        """Give a hold's units back; None when the hold is not live (already gone)."""
        hold = self.holds.pop(hold_id, None)
        if hold is not None:
            self.version += 1
        return hold

    def expire_due(self, now: float) -> list[LiveHold]:
        due = [h for h in self.holds.values() if h.expires_at <= now]
        for hold in due:
            del self.holds[hold.hold_id]
        if due:
            self.version += 1
        return due

    def confirm(self, hold_id: str) -> LiveHold | None:
        """Turn a live hold into a sale; None when it is no longer live."""
        hold = self.holds.pop(hold_id, None)
        if hold is None:
            return None
        self.sold += hold.quantity
        self.sold_by_user[hold.user_id] = self.sold_by_user.get(hold.user_id, 0) + hold.quantity
        self.version += 1
        return hold

    def return_sold(self, user_id: int, quantity: int) -> None:
        """A cancelled sale: its units become available again."""
        owned = self.sold_by_user.get(user_id, 0)
        if quantity <= 0 or quantity > owned:
            raise Conflict("This user has not bought that many units.")
        self.sold -= quantity
        self.sold_by_user[user_id] = owned - quantity
        self.version += 1

    def set_stock(self, stock: int) -> None:
        if stock < 0:
            raise InvalidValue("Stock cannot be negative.", field="stock")
        committed = self.held + self.sold
        if stock < committed:
            raise StockBelowCommitted(
                f"Stock cannot go below the {committed} units already held or sold.",
                field="stock",
            )
        self.stock = stock
        self.version += 1

    def set_sale(self, *, sale_open: bool, per_user_limit: int) -> None:
        self.sale_open = sale_open
        self.per_user_limit = per_user_limit
        self.version += 1

    def invariant_holds(self) -> bool:
        return (
            self.available + self.held + self.sold == self.stock
            and self.available >= 0
            and all(v >= 0 for v in self.sold_by_user.values())
            and sum(self.sold_by_user.values()) == self.sold
        )
