"""The durable side of fairness: drop rules, show purchase limits, raffles and entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, text, update

from commerce.adapters.tables import holds, orders, products, users
from commerce.fairness.rules import DropRules
from commerce.fairness.tables import drop_rules, raffle_entries, raffles, show_purchase_limits

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class RaffleRow:
    product_id: int
    status: str
    algorithm: str
    seed: str
    seed_digest: str
    closes_at: datetime | None
    opened_at: datetime
    drawn_at: datetime | None
    units: int
    next_rank: int


@dataclass(frozen=True, slots=True)
class EntryRow:
    user_id: int
    entered_at: datetime
    draw_rank: int | None
    outcome: str | None
    hold_id: str | None


def _raffle(row: Any) -> RaffleRow:
    return RaffleRow(row.product_id, row.status, row.algorithm, row.seed, row.seed_digest,
                     row.closes_at, row.opened_at, row.drawn_at, row.units, row.next_rank)


def _entry(row: Any) -> EntryRow:
    return EntryRow(row.user_id, row.entered_at, row.draw_rank, row.outcome, row.hold_id)


# -- drop rules and show limits -------------------------------------------------------------

async def rules_of(db: AsyncSession, product_id: int) -> DropRules:
    row = (await db.execute(select(drop_rules).where(drop_rules.c.product_id == product_id))
           ).one_or_none()
    if row is None:
        return DropRules(product_id)
    return DropRules(product_id, row.admission_seconds, row.min_account_age_seconds)


async def save_rules(db: AsyncSession, rules: DropRules, now: datetime) -> None:
    values = {"admission_seconds": rules.admission_seconds,
              "min_account_age_seconds": rules.min_account_age_seconds, "updated_at": now}
    result = await db.execute(update(drop_rules)
                              .where(drop_rules.c.product_id == rules.product_id)
                              .values(**values))
    if not result.rowcount:  # type: ignore[attr-defined]
        await db.execute(insert(drop_rules).values(product_id=rules.product_id, **values))


async def show_limit(db: AsyncSession, show_id: int) -> int | None:
    value = (await db.execute(select(show_purchase_limits.c.per_user_limit)
                              .where(show_purchase_limits.c.show_id == show_id))
             ).scalar_one_or_none()
    return None if value is None else int(value)


async def save_show_limit(db: AsyncSession, show_id: int, limit: int | None,
                          now: datetime) -> None:
    await db.execute(show_purchase_limits.delete()
                     .where(show_purchase_limits.c.show_id == show_id))
    if limit is not None:
        await db.execute(insert(show_purchase_limits).values(
            show_id=show_id, per_user_limit=limit, updated_at=now))


async def show_usage(db: AsyncSession, show_id: int, user_id: int, now: datetime) -> int:
    """Units of a show's products the user holds (live holds) or bought (not cancelled)."""
    in_holds = (await db.execute(
        select(func.coalesce(func.sum(holds.c.quantity), 0))
        .select_from(holds.join(products, products.c.id == holds.c.product_id))
        .where(products.c.show_id == show_id, holds.c.user_id == user_id,
               holds.c.status == "active", holds.c.expires_at > now)
    )).scalar_one()
    bought = (await db.execute(
        select(func.coalesce(func.sum(orders.c.quantity), 0))
        .where(orders.c.show_id == show_id, orders.c.user_id == user_id,
               orders.c.status != "cancelled")
    )).scalar_one()
    return int(in_holds) + int(bought)


async def show_limit_exceeded(db: AsyncSession, show_id: int, user_id: int, quantity: int,
                              now: datetime) -> int | None:
    """The show's per-user limit when ``quantity`` more units would pass it, else None.

    On PostgreSQL a transaction-scoped advisory lock on (show, user) serialises one user's
    concurrent holds across the show's products until commit (SQLite runs one writer at a
    time anyway), so two holds on two products cannot both slip under the limit."""
    limit = await show_limit(db, show_id)
    if limit is None:
        return None
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(:show, :user)"),
                         {"show": _int4(show_id), "user": _int4(user_id)})
    used = await show_usage(db, show_id, user_id, now)
    return limit if used + quantity > limit else None


def _int4(value: int) -> int:
    # pg_advisory_xact_lock(int4, int4): fold ids into the signed 32-bit range.
    folded = value % 2**32
    return folded - 2**32 if folded >= 2**31 else folded


async def user_created_at(db: AsyncSession, user_id: int) -> datetime | None:
    value = (await db.execute(select(users.c.created_at).where(users.c.id == user_id))
             ).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


# -- raffles ----------------------------------------------------------------------------------

async def raffle_of(db: AsyncSession, product_id: int) -> RaffleRow | None:
    row = (await db.execute(select(raffles).where(raffles.c.product_id == product_id))
           ).one_or_none()
    return None if row is None else _raffle(row)


async def insert_raffle(db: AsyncSession, *, product_id: int, algorithm: str, seed: str,
                        seed_digest: str, closes_at: datetime | None, now: datetime
                        ) -> RaffleRow:
    row = (await db.execute(insert(raffles).values(
        product_id=product_id, status="open", algorithm=algorithm, seed=seed,
        seed_digest=seed_digest, closes_at=closes_at, opened_at=now, units=0, next_rank=1,
    ).returning(raffles))).one()
    return _raffle(row)


async def set_closes_at(db: AsyncSession, product_id: int, closes_at: datetime | None
                        ) -> RaffleRow:
    row = (await db.execute(update(raffles).where(raffles.c.product_id == product_id)
                            .values(closes_at=closes_at).returning(raffles))).one()
    return _raffle(row)


async def insert_entry(db: AsyncSession, product_id: int, user_id: int, now: datetime
                       ) -> EntryRow:
    row = (await db.execute(insert(raffle_entries).values(
        product_id=product_id, user_id=user_id, entered_at=now).returning(raffle_entries))
           ).one()
    return _entry(row)


async def entry_of(db: AsyncSession, product_id: int, user_id: int) -> EntryRow | None:
    row = (await db.execute(select(raffle_entries).where(
        raffle_entries.c.product_id == product_id, raffle_entries.c.user_id == user_id))
           ).one_or_none()
    return None if row is None else _entry(row)


async def entries_of(db: AsyncSession, product_id: int) -> list[EntryRow]:
    rows = await db.execute(select(raffle_entries)
                            .where(raffle_entries.c.product_id == product_id)
                            .order_by(raffle_entries.c.draw_rank, raffle_entries.c.entered_at,
                                      raffle_entries.c.user_id))
    return [_entry(r) for r in rows]


async def count_entries(db: AsyncSession, product_id: int) -> int:
    return int((await db.execute(select(func.count()).select_from(raffle_entries)
                                 .where(raffle_entries.c.product_id == product_id))
                ).scalar_one())


async def record_draw(db: AsyncSession, product_id: int, order: list[int], units: int,
                      now: datetime, lease_seconds: float) -> bool:
    """Mark the raffle drawn with every entry's rank, holding the lease to give the winners
    their holds; False if another worker drew first."""
    result = await db.execute(update(raffles)
                              .where(raffles.c.product_id == product_id,
                                     raffles.c.status == "open")
                              .values(status="drawn", drawn_at=now, units=units, next_rank=1,
                                      lease_until=now + timedelta(seconds=lease_seconds)))
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    if order:
        await db.execute(
            update(raffle_entries)
            .where(raffle_entries.c.product_id == product_id,
                   raffle_entries.c.user_id == bindparam("uid"))
            .values(draw_rank=bindparam("rank")),
            [{"uid": uid, "rank": rank} for rank, uid in enumerate(order, start=1)],
        )
    return True


async def take_lease(db: AsyncSession, product_id: int, now: datetime, seconds: float) -> bool:
    """Become the one worker giving this raffle's holds for ``seconds`` (False: another is)."""
    result = await db.execute(update(raffles)
                              .where(raffles.c.product_id == product_id,
                                     raffles.c.status == "drawn",
                                     or_(raffles.c.lease_until.is_(None),
                                         raffles.c.lease_until < now))
                              .values(lease_until=now + timedelta(seconds=seconds)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def end_lease(db: AsyncSession, product_id: int) -> None:
    await db.execute(update(raffles).where(raffles.c.product_id == product_id)
                     .values(lease_until=None))


async def set_next_rank(db: AsyncSession, product_id: int, next_rank: int) -> None:
    await db.execute(update(raffles).where(raffles.c.product_id == product_id)
                     .values(next_rank=next_rank))


async def entries_by_rank(db: AsyncSession, product_id: int, first: int, last: int
                          ) -> list[EntryRow]:
    rows = await db.execute(select(raffle_entries).where(
        raffle_entries.c.product_id == product_id,
        and_(raffle_entries.c.draw_rank >= first, raffle_entries.c.draw_rank <= last),
    ).order_by(raffle_entries.c.draw_rank))
    return [_entry(r) for r in rows]


async def set_outcome(db: AsyncSession, product_id: int, user_id: int, outcome: str,
                      hold_id: str | None) -> None:
    await db.execute(update(raffle_entries).where(
        raffle_entries.c.product_id == product_id, raffle_entries.c.user_id == user_id,
    ).values(outcome=outcome, hold_id=hold_id))


async def raffles_due(db: AsyncSession, now: datetime) -> list[int]:
    rows = await db.execute(select(raffles.c.product_id).where(
        raffles.c.status == "open", raffles.c.closes_at.is_not(None),
        raffles.c.closes_at <= now))
    return [int(r[0]) for r in rows]


async def raffles_with_runners_up(db: AsyncSession) -> list[int]:
    """Drawn raffles with ranks still to be reached."""
    left = (select(func.count()).select_from(raffle_entries)
            .where(raffle_entries.c.product_id == raffles.c.product_id).scalar_subquery())
    rows = await db.execute(select(raffles.c.product_id).where(
        raffles.c.status == "drawn", raffles.c.next_rank <= left))
    return [int(r[0]) for r in rows]
