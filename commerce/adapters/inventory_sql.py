"""The durable side of the inventory: product counters, holds, orders and the ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, or_, select, update

from commerce.adapters.tables import holds, inventory_ledger, orders, products
from commerce.domain.inventory import LiveHold
from commerce.gate.base import ProductSnapshot

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class DbCounts:
    stock: int
    held: int
    sold: int


@dataclass(frozen=True, slots=True)
class HoldRow:
    id: str
    product_id: int
    user_id: int
    quantity: int
    status: str
    idempotency_key: str | None
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    user_id: int
    product_id: int
    show_id: int
    hold_id: str
    quantity: int
    unit_price_minor: int
    total_minor: int
    currency: str
    status: str
    payment_provider: str
    payment_reference: str | None
    idempotency_key: str
    created_at: datetime
    updated_at: datetime


def _hold(row: Any) -> HoldRow:
    return HoldRow(row.id, row.product_id, row.user_id, row.quantity, row.status,
                   row.idempotency_key, row.expires_at, row.created_at)


def _order(row: Any) -> OrderRow:
    return OrderRow(
        row.id, row.user_id, row.product_id, row.show_id, row.hold_id, row.quantity,
        row.unit_price_minor, row.total_minor, row.currency, row.status, row.payment_provider,
        row.payment_reference, row.idempotency_key, row.created_at, row.updated_at,
    )


async def ledger(
    db: AsyncSession,
    *,
    product_id: int,
    reason: str,
    quantity: int,
    after: DbCounts,
    now: datetime,
    hold_id: str | None = None,
    order_id: int | None = None,
    user_id: int | None = None,
) -> None:
    await db.execute(insert(inventory_ledger).values(
        product_id=product_id, reason=reason, quantity=quantity, hold_id=hold_id,
        order_id=order_id, user_id=user_id, stock_after=after.stock, held_after=after.held,
        sold_after=after.sold, created_at=now,
    ))


async def _shift(db: AsyncSession, product_id: int, *, held: int = 0, sold: int = 0,
                 stock: int | None = None, extra: Any = None) -> DbCounts | None:
    values: dict[str, Any] = {"held": products.c.held + held, "sold": products.c.sold + sold}
    if stock is not None:
        values["stock"] = stock
    stmt = update(products).where(products.c.id == product_id)
    if extra is not None:
        stmt = stmt.where(extra)
    row = (await db.execute(
        stmt.values(**values).returning(products.c.stock, products.c.held, products.c.sold)
    )).one_or_none()
    return None if row is None else DbCounts(row.stock, row.held, row.sold)


async def take_for_hold(db: AsyncSession, product_id: int, quantity: int) -> DbCounts | None:
    """Move ``quantity`` units to held if the sale is open and they are free; else None.

    The conditional UPDATE also locks the product row until commit, which serialises the
    winners of one product (there are only as many as units of stock)."""
    return await _shift(
        db, product_id, held=quantity,
        extra=and_(products.c.sale_open.is_(True),
                   products.c.stock - products.c.held - products.c.sold >= quantity),
    )


async def return_held(db: AsyncSession, product_id: int, quantity: int) -> DbCounts:
    counts = await _shift(db, product_id, held=-quantity)
    assert counts is not None  # noqa: S101 - the hold's product row exists (foreign key)
    return counts


async def sell_held(db: AsyncSession, product_id: int, quantity: int) -> DbCounts:
    counts = await _shift(db, product_id, held=-quantity, sold=quantity)
    assert counts is not None  # noqa: S101
    return counts


async def return_sold(db: AsyncSession, product_id: int, quantity: int) -> DbCounts:
    counts = await _shift(db, product_id, sold=-quantity)
    assert counts is not None  # noqa: S101
    return counts


async def set_stock(db: AsyncSession, product_id: int, stock: int) -> DbCounts | None:
    """Change the stock unless it would go below held + sold (None then)."""
    return await _shift(db, product_id, stock=stock,
                        extra=products.c.held + products.c.sold <= stock)


async def counts_of(db: AsyncSession, product_ids: list[int]) -> dict[int, DbCounts]:
    rows = await db.execute(select(products.c.id, products.c.stock, products.c.held,
                                   products.c.sold).where(products.c.id.in_(product_ids)))
    return {r.id: DbCounts(r.stock, r.held, r.sold) for r in rows}


async def expire_due_of_product(db: AsyncSession, product_id: int, now: datetime
                                ) -> list[HoldRow]:
    """Expire this product's holds that are past due (inside a winner's transaction)."""
    rows = (await db.execute(
        update(holds)
        .where(holds.c.product_id == product_id, holds.c.status == "active",
               holds.c.expires_at <= now)
        .values(status="expired", ended_at=now)
        .returning(holds)
    )).all()
    expired = [_hold(r) for r in rows]
    await _account_expired(db, expired, now)
    return expired


async def expire_due(db: AsyncSession, now: datetime, *, limit: int = 500) -> list[HoldRow]:
    """Expire due holds of any product. Several sweepers may run: SKIP LOCKED on PostgreSQL
    lets each take different rows, and the status condition makes a repeat a no-op."""
    pick = (select(holds.c.id)
            .where(holds.c.status == "active", holds.c.expires_at <= now)
            .order_by(holds.c.expires_at).limit(limit))
    if db.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list((await db.execute(pick)).scalars())
    if not ids:
        return []
    rows = (await db.execute(
        update(holds)
        .where(holds.c.id.in_(ids), holds.c.status == "active")
        .values(status="expired", ended_at=now)
        .returning(holds)
    )).all()
    expired = [_hold(r) for r in rows]
    await _account_expired(db, expired, now)
    return expired


async def _account_expired(db: AsyncSession, expired: list[HoldRow], now: datetime) -> None:
    for hold in sorted(expired, key=lambda h: (h.product_id, h.id)):
        after = await return_held(db, hold.product_id, hold.quantity)
        await ledger(db, product_id=hold.product_id, reason="expire", quantity=hold.quantity,
                     after=after, now=now, hold_id=hold.id, user_id=hold.user_id)


async def usage_and_limit(db: AsyncSession, product_id: int, user_id: int, now: datetime
                          ) -> tuple[int, int]:
    """Units the user has in live holds and orders of the product, and the product's per-user
    limit, in one round trip (it runs while the winner holds the product row)."""
    in_holds = (
        select(func.coalesce(func.sum(holds.c.quantity), 0))
        .where(holds.c.product_id == product_id, holds.c.user_id == user_id,
               holds.c.status == "active", holds.c.expires_at > now)
        .scalar_subquery()
    )
    bought = (
        select(func.coalesce(func.sum(orders.c.quantity), 0))
        .where(orders.c.product_id == product_id, orders.c.user_id == user_id,
               orders.c.status != "cancelled")
        .scalar_subquery()
    )
    row = (await db.execute(
        select(in_holds, bought, products.c.per_user_limit).where(products.c.id == product_id)
    )).one_or_none()
    if row is None:
        return 0, 0
    return int(row[0]) + int(row[1]), int(row[2])


async def usages_and_limit(db: AsyncSession, product_id: int, user_ids: list[int],
                           now: datetime) -> tuple[dict[int, int], int]:
    """Per user, units in live holds and orders of the product; and its per-user limit. Three
    statements for a whole batch of winners."""
    limit = (await db.execute(
        select(products.c.per_user_limit).where(products.c.id == product_id)
    )).scalar_one_or_none()
    used: dict[int, int] = defaultdict(int)
    for table, live in ((holds, and_(holds.c.status == "active", holds.c.expires_at > now)),
                        (orders, orders.c.status != "cancelled")):
        rows = await db.execute(
            select(table.c.user_id, func.sum(table.c.quantity))
            .where(table.c.product_id == product_id, table.c.user_id.in_(user_ids), live)
            .group_by(table.c.user_id))
        for user_id, quantity in rows:
            used[int(user_id)] += int(quantity)
    return dict(used), int(limit or 0)


@dataclass(frozen=True, slots=True)
class NewHold:
    hold_id: str
    user_id: int
    quantity: int
    idempotency_key: str | None
    expires_at: datetime


async def insert_holds(db: AsyncSession, product_id: int, new: list[NewHold], after: DbCounts,
                       now: datetime) -> list[HoldRow]:
    """Write a batch of holds whose units ``take_for_hold`` took together (``after`` is the
    product's counts once all are held), with one ledger entry each, in two statements."""
    await db.execute(insert(holds), [
        {"id": h.hold_id, "product_id": product_id, "user_id": h.user_id,
         "quantity": h.quantity, "status": "active", "idempotency_key": h.idempotency_key,
         "expires_at": h.expires_at, "created_at": now}
        for h in new
    ])
    held = after.held - sum(h.quantity for h in new)
    entries = []
    for h in new:
        held += h.quantity
        entries.append({
            "product_id": product_id, "reason": "hold", "quantity": h.quantity,
            "hold_id": h.hold_id, "order_id": None, "user_id": h.user_id,
            "stock_after": after.stock, "held_after": held, "sold_after": after.sold,
            "created_at": now,
        })
    await db.execute(insert(inventory_ledger), entries)
    return [HoldRow(h.hold_id, product_id, h.user_id, h.quantity, "active", h.idempotency_key,
                    h.expires_at, now) for h in new]


async def insert_hold(db: AsyncSession, *, hold_id: str, product_id: int, user_id: int,
                      quantity: int, idempotency_key: str | None, expires_at: datetime,
                      now: datetime) -> HoldRow:
    row = (await db.execute(insert(holds).values(
        id=hold_id, product_id=product_id, user_id=user_id, quantity=quantity, status="active",
        idempotency_key=idempotency_key, expires_at=expires_at, created_at=now,
    ).returning(holds))).one()
    return _hold(row)


async def hold_by_id(db: AsyncSession, hold_id: str, *, for_update: bool = False
                     ) -> HoldRow | None:
    stmt = select(holds).where(holds.c.id == hold_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).one_or_none()
    return None if row is None else _hold(row)


async def hold_by_key(db: AsyncSession, user_id: int, key: str) -> HoldRow | None:
    row = (await db.execute(select(holds).where(
        holds.c.user_id == user_id, holds.c.idempotency_key == key))).one_or_none()
    return None if row is None else _hold(row)


async def end_hold(db: AsyncSession, hold_id: str, status: str, now: datetime) -> bool:
    result = await db.execute(
        update(holds).where(holds.c.id == hold_id, holds.c.status == "active")
        .values(status=status, ended_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def live_holds_of_user(db: AsyncSession, user_id: int, now: datetime) -> list[HoldRow]:
    rows = await db.execute(
        select(holds).where(holds.c.user_id == user_id, holds.c.status == "active",
                            holds.c.expires_at > now).order_by(holds.c.expires_at)
    )
    return [_hold(r) for r in rows]


async def insert_order(db: AsyncSession, values: dict[str, Any]) -> OrderRow:
    row = (await db.execute(insert(orders).values(**values).returning(orders))).one()
    return _order(row)


async def order_by_id(db: AsyncSession, order_id: int, *, for_update: bool = False
                      ) -> OrderRow | None:
    stmt = select(orders).where(orders.c.id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).one_or_none()
    return None if row is None else _order(row)


async def order_by_key(db: AsyncSession, user_id: int, key: str) -> OrderRow | None:
    row = (await db.execute(select(orders).where(
        orders.c.user_id == user_id, orders.c.idempotency_key == key))).one_or_none()
    return None if row is None else _order(row)


async def order_by_hold(db: AsyncSession, hold_id: str) -> OrderRow | None:
    row = (await db.execute(select(orders).where(orders.c.hold_id == hold_id))).one_or_none()
    return None if row is None else _order(row)


async def set_order_status(db: AsyncSession, order_id: int, status: str, now: datetime
                           ) -> OrderRow:
    row = (await db.execute(update(orders).where(orders.c.id == order_id)
                            .values(status=status, updated_at=now).returning(orders))).one()
    return _order(row)


async def orders_of(db: AsyncSession, *, user_id: int | None = None,
                    show_id: int | None = None, limit: int = 100) -> list[OrderRow]:
    stmt = select(orders).order_by(orders.c.id.desc()).limit(limit)
    if user_id is not None:
        stmt = stmt.where(orders.c.user_id == user_id)
    if show_id is not None:
        stmt = stmt.where(orders.c.show_id == show_id)
    return [_order(r) for r in await db.execute(stmt)]


async def snapshot(db: AsyncSession, product_id: int, now: datetime) -> ProductSnapshot | None:
    """The product as the gate must see it: live holds and units sold per user."""
    product = (await db.execute(select(products.c.stock, products.c.per_user_limit,
                                       products.c.sale_open)
                                .where(products.c.id == product_id))).one_or_none()
    if product is None:
        return None
    live = await db.execute(select(holds.c.id, holds.c.user_id, holds.c.quantity,
                                   holds.c.expires_at)
                            .where(holds.c.product_id == product_id, holds.c.status == "active",
                                   holds.c.expires_at > now))
    bought: dict[int, int] = defaultdict(int)
    for row in await db.execute(select(orders.c.user_id, func.sum(orders.c.quantity))
                                .where(orders.c.product_id == product_id,
                                       orders.c.status != "cancelled")
                                .group_by(orders.c.user_id)):
        bought[int(row[0])] += int(row[1])
    return ProductSnapshot(
        product_id=product_id,
        stock=product.stock,
        per_user_limit=product.per_user_limit,
        sale_open=bool(product.sale_open),
        sold_by_user=dict(bought),
        holds=[LiveHold(r.id, r.user_id, r.quantity, r.expires_at.timestamp()) for r in live],
    )


async def products_in_sale(db: AsyncSession) -> list[int]:
    """Products the gate must know after a loss: on sale, or with units held."""
    rows = await db.execute(select(products.c.id).where(
        or_(products.c.sale_open.is_(True), products.c.held > 0)))
    return [int(r[0]) for r in rows]


async def ledger_of(db: AsyncSession, product_id: int) -> list[Any]:
    rows = await db.execute(select(inventory_ledger)
                            .where(inventory_ledger.c.product_id == product_id)
                            .order_by(inventory_ledger.c.id))
    return list(rows)


async def sales_of_show(db: AsyncSession, show_id: int) -> list[Any]:
    """Per product: units sold, revenue and order count of the show's non-cancelled orders."""
    rows = await db.execute(
        select(orders.c.product_id, func.sum(orders.c.quantity).label("units"),
               func.sum(orders.c.total_minor).label("revenue"),
               func.count().label("orders"))
        .where(orders.c.show_id == show_id, orders.c.status != "cancelled")
        .group_by(orders.c.product_id)
    )
    return list(rows)


async def sold_out_times(db: AsyncSession, product_ids: list[int]) -> dict[int, list[datetime]]:
    """When each product's last free unit went (a hold or a sale leaving nothing free)."""
    rows = await db.execute(
        select(inventory_ledger.c.product_id, inventory_ledger.c.created_at)
        .where(inventory_ledger.c.product_id.in_(product_ids),
               inventory_ledger.c.reason.in_(["hold", "stock"]),
               inventory_ledger.c.stock_after - inventory_ledger.c.held_after
               - inventory_ledger.c.sold_after == 0)
        .order_by(inventory_ledger.c.id)
    )
    result: dict[int, list[datetime]] = defaultdict(list)
    for row in rows:
        result[int(row.product_id)].append(row.created_at)
    return dict(result)
