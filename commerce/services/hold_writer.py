"""Group commit of a product's winning holds.

In a flash sale the gate answers thousands of attempts a second from memory or Redis, and only
its winners write to the database. Each winner's transaction locks the product row; written one
by one, the winners queue behind each other, and on a busy event loop every statement of every
transaction waits its turn in the loop, so the last winner heard back seconds after the losers.

Here the winners of one product that arrive while a transaction is in flight are written
together by the next one: one guarded update for all their units, one statement for their holds
and one for their ledger entries. Anything unusual (fewer units in the database than the gate
promised, a per-user or per-show limit to check, a duplicate key) makes the whole batch fall
back, untouched, to the one-by-one path, whose checks are the reference.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from commerce.adapters import inventory_sql
from commerce.adapters.inventory_sql import HoldRow, NewHold
from commerce.fairness import sql as fairness_sql

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

logger = logging.getLogger("showfloor.commerce.hold_writer")


@dataclass
class _Queued:
    hold: NewHold
    done: asyncio.Future[HoldRow | None]


class HoldWriter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queued: dict[int, list[_Queued]] = {}
        self._writers: dict[int, asyncio.Task[None]] = {}

    async def write(self, product_id: int, show_id: int, hold: NewHold) -> HoldRow | None:
        """The written hold, or None when it must take the one-by-one path (nothing written).

        Raises the database's error when the batch's transaction failed."""
        done: asyncio.Future[HoldRow | None] = asyncio.get_running_loop().create_future()
        self._queued.setdefault(product_id, []).append(_Queued(hold, done))
        if product_id not in self._writers:
            self._writers[product_id] = asyncio.create_task(
                self._drain(product_id, show_id), name=f"hold-writer-{product_id}")
        # Shielded: a client hanging up does not undo a write the others share.
        return await asyncio.shield(done)

    async def close(self) -> None:
        for task in list(self._writers.values()):
            await asyncio.gather(task, return_exceptions=True)

    async def _drain(self, product_id: int, show_id: int) -> None:
        try:
            while batch := self._queued.pop(product_id, None):
                try:
                    rows = await self._write_batch(product_id, show_id, [q.hold for q in batch])
                except Exception as exc:
                    for queued in batch:
                        if not queued.done.done():
                            queued.done.set_exception(exc)
                    continue
                results: list[HoldRow | None] = list(rows) if rows else [None] * len(batch)
                for queued, row in zip(batch, results, strict=True):
                    if not queued.done.done():
                        queued.done.set_result(row)
        finally:
            self._writers.pop(product_id, None)

    async def _write_batch(self, product_id: int, show_id: int, new: list[NewHold]
                           ) -> list[HoldRow] | None:
        if len(new) == 1:
            return None  # nothing to share: the one-by-one path, as without a burst
        now = datetime.now(UTC)
        total = sum(h.quantity for h in new)
        wanted = Counter[int]()
        for h in new:
            wanted[h.user_id] += h.quantity
        try:
            async with self._sessions() as db, db.begin():
                if await fairness_sql.show_limit(db, show_id) is not None:
                    await db.rollback()
                    return None
                await inventory_sql.expire_due_of_product(db, product_id, now)
                after = await inventory_sql.take_for_hold(db, product_id, total)
                if after is None:
                    await db.rollback()
                    return None
                used, limit = await inventory_sql.usages_and_limit(
                    db, product_id, list(wanted), now)
                if any(used.get(user, 0) + q > limit for user, q in wanted.items()):
                    await db.rollback()
                    return None
                rows = await inventory_sql.insert_holds(db, product_id, new, after, now)
        except IntegrityError:
            return None  # a repeated Idempotency-Key: the one-by-one path sorts it out
        logger.debug("holds_written_together", extra={"product_id": product_id,
                                                      "holds": len(rows)})
        return rows
