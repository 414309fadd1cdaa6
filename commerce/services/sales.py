"""The sale path: holds, checkout, cancellation, restock, opening and closing a sale, and the
background work that keeps the gate honest (sweeping expired holds, rebuilding after a loss).

The gate answers every attempt; only winners reach the database, where a guarded UPDATE is the
final word: if the gate was ever ahead of the truth (Redis lost a write, a reload raced a
winner), the database refuses, the gate gives the units back and the product is reloaded. So no
unit is sold twice even when Redis misbehaves; at worst a buyer is told "sold out" once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from commerce.adapters import inventory_sql, products_sql, shows_sql
from commerce.adapters.inventory_sql import NewHold
from commerce.domain.errors import Conflict, Forbidden, NotFound
from commerce.domain.inventory import Counts, LiveHold, Outcome
from commerce.domain.products import Product, SaleMode
from commerce.domain.shows import ensure_can_manage
from commerce.domain.users import Principal, Role
from commerce.fairness import sql as fairness_sql
from commerce.gate.base import GateNotLoaded, InventoryGate
from commerce.services.hold_writer import HoldWriter
from commerce.stock_events import SaleChanged
from showfloor.cache import SingleFlightCache
from showfloor.problems import ProblemError
from showfloor.ratelimit import Limit, RateLimiter

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from commerce.adapters.inventory_sql import HoldRow, OrderRow
    from commerce.payments import PaymentProvider
    from commerce.services.sales_metrics import SalesMetrics
    from commerce.stock_events import CoalescingStockEvents

logger = logging.getLogger("showfloor.commerce.sales")

_OUTCOME_ERRORS = {
    Outcome.SOLD_OUT: (409, "sold_out", "Sold out. Stay tuned: units come back when holds "
                       "expire or the host restocks."),
    Outcome.LIMIT_EXCEEDED: (409, "limit_exceeded", "You already hold or bought as many of "
                             "this product as one buyer may."),
    Outcome.SALE_NOT_OPEN: (403, "sale_not_open", "The sale of this product is not open yet."),
}


@dataclass(frozen=True, slots=True)
class ProductMeta:
    show_id: int
    sale_mode: SaleMode
    hold_ttl_seconds: int


class HoldRules(Protocol):
    """The fairness rules of a drop, consulted around every hold (queue admission, raffle,
    account age, per-IP limits) and told about every change of a product's counts."""

    async def check_hold_attempt(self, caller: Principal, client_ip: str | None) -> None:
        """Count the attempt against the abuse limits; a ProblemError (429) refuses it."""
        ...

    async def before_hold(self, caller: Principal, product_id: int, sale_mode: SaleMode,
                          client_ip: str | None) -> None:
        """Raise a ProblemError to refuse the attempt."""
        ...

    async def after_hold(self, caller: Principal, product_id: int, sale_mode: SaleMode) -> None:
        ...

    def counts_changed(self, product_id: int, show_id: int, counts: Counts) -> None: ...

    async def sale_changed(self, product: Product) -> None: ...


@dataclass(frozen=True, slots=True)
class SalesConfig:
    # Per user: a burst of 20, then 2 a second.
    hold_attempts: Limit = field(default_factory=lambda: Limit(20, 10))
    sweep_interval_seconds: float = 1.0
    meta_ttl_seconds: float = 2.0


def _unavailable(exc: Exception) -> ProblemError:
    logger.warning("inventory_unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
    return ProblemError(503, "inventory_unavailable",
                        "The sale is briefly unavailable. Try again in a moment.",
                        retry_after=1)


def _ms(ts: float) -> datetime:
    # Holds expire on whole milliseconds, the resolution the Redis gate keeps.
    return datetime.fromtimestamp(round(ts * 1000) / 1000, tz=UTC)


class Sales:
    def __init__(
        self,
        *,
        gate: InventoryGate,
        sessions: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        events: CoalescingStockEvents,
        payments: dict[str, PaymentProvider],
        metrics: SalesMetrics,
        config: SalesConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._gate = gate
        self._sessions = sessions
        self._limiter = limiter
        self._events = events
        self._payments = payments
        self._metrics = metrics
        self._config = config or SalesConfig()
        self._clock = clock
        self._meta: SingleFlightCache[int, ProductMeta] = SingleFlightCache(
            self._config.meta_ttl_seconds)
        self._writer = HoldWriter(sessions)
        self._load_locks: dict[int, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._rules: HoldRules | None = None

    def use_rules(self, rules: HoldRules) -> None:
        self._rules = rules

    # -- gate state -----------------------------------------------------------------------

    async def _product_meta(self, product_id: int) -> ProductMeta:
        # One read per product however many attempts arrive at once (a flash sale's first
        # second would otherwise send every attempt to the database).
        return await self._meta.get(product_id, lambda: self._read_meta(product_id))

    async def _read_meta(self, product_id: int) -> ProductMeta:
        async with self._sessions() as db, db.begin():
            product = await products_sql.product_by_id(db, product_id)
        if product is None:
            raise NotFound(f"There is no product {product_id}.")
        return ProductMeta(product.show_id, product.sale_mode, product.hold_ttl_seconds)

    async def load_product(self, product_id: int, *, cause: str) -> Counts | None:
        """(Re)build one product's gate state from the database."""
        lock = self._load_locks.setdefault(product_id, asyncio.Lock())
        async with lock:
            async with self._sessions() as db, db.begin():
                snap = await inventory_sql.snapshot(db, product_id, datetime.now(UTC))
            if snap is None:
                await self._gate.forget(product_id)
                return None
            counts = await self._gate.load(snap, version=int(self._clock() * 1000) * 1000)
        self._metrics.gate_loads.labels(cause).inc()
        logger.info("gate_loaded", extra={"product_id": product_id, "cause": cause,
                                          "available": counts.available})
        return counts

    async def rebuild(self) -> int:
        """Load every product on sale (after a start or after Redis lost its data)."""
        async with self._sessions() as db, db.begin():
            ids = await inventory_sql.products_in_sale(db)
        for product_id in ids:
            await self.load_product(product_id, cause="rebuild")
        await self._gate.mark_ready()
        logger.info("gate_rebuilt", extra={"products": len(ids)})
        return len(ids)

    async def gate_ready(self) -> bool:
        return await self._gate.is_ready()

    async def counts(self, products: list[Product]) -> dict[int, tuple[int, int, int]]:
        """Live (available, held, sold) per product: the gate where loaded, else the database."""
        ids = [p.id for p in products]
        result: dict[int, tuple[int, int, int]] = {}
        with contextlib.suppress(RedisError):
            for pid, c in (await self._gate.counts(ids)).items():
                result[pid] = (c.available, c.held, c.sold)
        missing = [pid for pid in ids if pid not in result]
        if missing:
            async with self._sessions() as db, db.begin():
                for pid, dc in (await inventory_sql.counts_of(db, missing)).items():
                    result[pid] = (dc.stock - dc.held - dc.sold, dc.held, dc.sold)
        return result

    def _changed(self, product_id: int, show_id: int, counts: Counts | None) -> None:
        if counts is not None:
            self._events.changed(product_id, show_id, counts)
            if self._rules is not None:
                self._rules.counts_changed(product_id, show_id, counts)

    async def live_counts(self, product_id: int) -> Counts | None:
        """The gate's counts of one product (loading it when it is not there yet)."""
        found = (await self._gate.counts([product_id])).get(product_id)
        if found is None:
            found = await self.load_product(product_id, cause="miss")
        return found

    # -- holds ----------------------------------------------------------------------------

    async def place_hold(self, caller: Principal, product_id: int, quantity: int,
                         idempotency_key: str | None, client_ip: str | None = None) -> HoldRow:
        started = time.perf_counter()
        try:
            return await self._place_hold(caller, product_id, quantity, idempotency_key,
                                          client_ip)
        finally:
            self._metrics.hold_latency.observe(time.perf_counter() - started)

    async def _place_hold(self, caller: Principal, product_id: int, quantity: int,
                          idempotency_key: str | None, client_ip: str | None) -> HoldRow:
        # Abuse limits first: a refused attempt costs nothing more.
        if self._rules is not None:
            try:
                await self._rules.check_hold_attempt(caller, client_ip)
            except ProblemError as refused:
                self._metrics.hold_attempts.labels(refused.code).inc()
                raise
        else:
            decision = await self._limiter.hit(f"hold:user:{caller.user_id}",
                                               self._config.hold_attempts)
            if not decision.allowed:
                self._metrics.hold_attempts.labels("too_many_attempts").inc()
                raise ProblemError(429, "too_many_attempts",
                                   "Too many attempts. Wait a moment before trying again.",
                                   retry_after=decision.retry_after_header)
        meta = await self._product_meta(product_id)
        if idempotency_key is not None:
            existing = await self._hold_by_key(caller.user_id, idempotency_key, product_id)
            if existing is not None:
                return existing
        if self._rules is not None:
            try:
                await self._rules.before_hold(caller, product_id, meta.sale_mode, client_ip)
            except ProblemError as refused:
                self._metrics.hold_attempts.labels(refused.code).inc()
                raise
        elif meta.sale_mode is not SaleMode.OPEN:
            self._metrics.hold_attempts.labels("admission_required").inc()
            raise ProblemError(403, "admission_required",
                               f"This product sells through a {meta.sale_mode.value}: join it "
                               "to get your chance to buy.")
        row = await self._reserve_and_persist(caller, product_id, meta, quantity,
                                              idempotency_key)
        if self._rules is not None:
            await self._rules.after_hold(caller, product_id, meta.sale_mode)
        return row

    async def grant_hold(self, user_id: int, product_id: int, quantity: int = 1) -> HoldRow:
        """A hold given by the sale itself (a raffle's winner): no attempt limits, no
        admission; stock, per-user and per-show limits apply as always."""
        meta = await self._product_meta(product_id)
        return await self._reserve_and_persist(Principal(user_id, Role.VIEWER), product_id,
                                               meta, quantity, None)

    async def _reserve_and_persist(self, caller: Principal, product_id: int, meta: ProductMeta,
                                   quantity: int, idempotency_key: str | None) -> HoldRow:
        now = self._clock()
        hold = LiveHold(uuid.uuid4().hex, caller.user_id, quantity,
                        round((now + meta.hold_ttl_seconds) * 1000) / 1000)
        try:
            result = await self._gate.reserve(product_id, hold)
            if result.outcome is None:
                await self.load_product(product_id, cause="miss")
                result = await self._gate.reserve(product_id, hold)
        except RedisError as exc:
            raise _unavailable(exc) from None
        if result.outcome is not Outcome.OK:
            assert result.outcome is not None  # noqa: S101 - loaded just above
            self._metrics.hold_attempts.labels(result.outcome.value).inc()
            status, code, detail = _OUTCOME_ERRORS[result.outcome]
            raise ProblemError(status, code, detail)
        return await self._persist_hold(caller, product_id, meta, hold, idempotency_key,
                                        result.counts)

    async def _hold_by_key(self, user_id: int, key: str, product_id: int) -> HoldRow | None:
        async with self._sessions() as db, db.begin():
            existing = await inventory_sql.hold_by_key(db, user_id, key)
        if existing is not None and existing.product_id != product_id:
            raise ProblemError(409, "idempotency_key_reused",
                               "This Idempotency-Key was used for another product.")
        return existing

    async def _persist_hold(self, caller: Principal, product_id: int, meta: ProductMeta,
                            hold: LiveHold, idempotency_key: str | None,
                            counts: Counts | None) -> HoldRow:
        try:
            written = await self._writer.write(product_id, meta.show_id, NewHold(
                hold.hold_id, caller.user_id, hold.quantity, idempotency_key,
                _ms(hold.expires_at)))
        except (SQLAlchemyError, OSError) as exc:
            await self._undo_reserve(product_id, hold)
            raise _unavailable(exc) from None
        if written is not None:
            return self._hold_placed(caller, product_id, meta, hold, counts, written)
        return await self._persist_one_hold(caller, product_id, meta, hold, idempotency_key,
                                            counts)

    async def _persist_one_hold(self, caller: Principal, product_id: int, meta: ProductMeta,
                                hold: LiveHold, idempotency_key: str | None,
                                counts: Counts | None) -> HoldRow:
        now = datetime.now(UTC)
        refusal: Outcome | None = None
        show_limit: int | None = None
        try:
            async with self._sessions() as db, db.begin():
                await inventory_sql.expire_due_of_product(db, product_id, now)
                show_limit = await fairness_sql.show_limit_exceeded(
                    db, meta.show_id, caller.user_id, hold.quantity, now)
                after = (await inventory_sql.take_for_hold(db, product_id, hold.quantity)
                         if show_limit is None else None)
                if after is None:
                    refusal = Outcome.SOLD_OUT
                else:
                    used, limit = await inventory_sql.usage_and_limit(
                        db, product_id, caller.user_id, now)
                    if used + hold.quantity > limit:
                        refusal = Outcome.LIMIT_EXCEEDED
                if refusal is not None:
                    await db.rollback()
                else:
                    assert after is not None  # noqa: S101
                    row = await inventory_sql.insert_hold(
                        db, hold_id=hold.hold_id, product_id=product_id,
                        user_id=caller.user_id, quantity=hold.quantity,
                        idempotency_key=idempotency_key, expires_at=_ms(hold.expires_at),
                        now=now)
                    await inventory_sql.ledger(
                        db, product_id=product_id, reason="hold", quantity=hold.quantity,
                        after=after, now=now, hold_id=hold.hold_id, user_id=caller.user_id)
        except IntegrityError:
            await self._undo_reserve(product_id, hold)
            if idempotency_key is not None:
                existing = await self._hold_by_key(caller.user_id, idempotency_key, product_id)
                if existing is not None:
                    return existing
            raise
        except (SQLAlchemyError, OSError) as exc:
            await self._undo_reserve(product_id, hold)
            raise _unavailable(exc) from None
        await self._refuse_over_show_limit(product_id, hold, show_limit)
        if refusal is not None:
            self._metrics.guard_refusals.inc()
            await self._undo_reserve(product_id, hold)
            with contextlib.suppress(RedisError):
                await self.load_product(product_id, cause="guard")
            self._metrics.hold_attempts.labels(refusal.value).inc()
            status, code, detail = _OUTCOME_ERRORS[refusal]
            raise ProblemError(status, code, detail)
        return self._hold_placed(caller, product_id, meta, hold, counts, row)

    def _hold_placed(self, caller: Principal, product_id: int, meta: ProductMeta,
                     hold: LiveHold, counts: Counts | None, row: HoldRow) -> HoldRow:
        self._metrics.hold_attempts.labels("ok").inc()
        if counts is not None:
            if counts.available == 0:
                self._metrics.sold_out.inc()
            self._changed(product_id, meta.show_id, counts)
        logger.info("hold_placed", extra={"product_id": product_id, "hold_id": hold.hold_id,
                                          "user_id": caller.user_id})
        return row

    async def _refuse_over_show_limit(self, product_id: int, hold: LiveHold,
                                      show_limit: int | None) -> None:
        if show_limit is None:
            return
        await self._undo_reserve(product_id, hold)
        self._metrics.hold_attempts.labels("show_limit_exceeded").inc()
        raise ProblemError(409, "show_limit_exceeded",
                           f"One buyer may hold or buy at most {show_limit} units across all "
                           "products of this show.")

    async def _undo_reserve(self, product_id: int, hold: LiveHold) -> None:
        try:
            await self._gate.release(product_id, hold.hold_id)
        except (RedisError, GateNotLoaded):
            logger.warning("gate_undo_failed", extra={"product_id": product_id,
                                                      "hold_id": hold.hold_id})

    async def release_hold(self, caller: Principal, hold_id: str) -> None:
        now = datetime.now(UTC)
        async with self._sessions() as db, db.begin():
            hold = await inventory_sql.hold_by_id(db, hold_id, for_update=True)
            if hold is None or hold.user_id != caller.user_id:
                raise NotFound("There is no such hold of yours.")
            if hold.status == "converted":
                raise Conflict("This hold is already an order; cancel the order instead.")
            if hold.status != "active" or not await inventory_sql.end_hold(
                db, hold_id, "released", now
            ):
                return
            after = await inventory_sql.return_held(db, hold.product_id, hold.quantity)
            await inventory_sql.ledger(db, product_id=hold.product_id, reason="release",
                                       quantity=hold.quantity, after=after, now=now,
                                       hold_id=hold_id, user_id=caller.user_id)
        self._metrics.holds_ended.labels("released").inc()
        counts = await self._gate_call(hold.product_id,
                                       lambda: self._gate.release(hold.product_id, hold_id))
        meta = await self._product_meta(hold.product_id)
        self._changed(hold.product_id, meta.show_id, counts)

    async def _gate_call(self, product_id: int, call: Callable[[], Awaitable[object]]
                         ) -> Counts | None:
        """Mirror a committed change in the gate; if that fails, rebuild the product."""
        try:
            result = await call()
        except GateNotLoaded:
            return None
        except (RedisError, Conflict) as exc:
            logger.warning("gate_out_of_step", extra={"product_id": product_id,
                                                      "error": type(exc).__name__})
            with contextlib.suppress(RedisError):
                return await self.load_product(product_id, cause="resync")
            return None
        if isinstance(result, tuple):
            result = result[1]
        return result if isinstance(result, Counts) else None

    async def my_holds(self, caller: Principal) -> list[HoldRow]:
        async with self._sessions() as db, db.begin():
            return await inventory_sql.live_holds_of_user(db, caller.user_id, datetime.now(UTC))

    # -- orders ---------------------------------------------------------------------------

    async def checkout(self, caller: Principal, hold_id: str, provider_name: str,
                       params: dict[str, str], idempotency_key: str) -> tuple[OrderRow, bool]:
        """Turn a live hold into an order, once. Returns the order and whether it is new."""
        provider = self._payments.get(provider_name)
        if provider is None:
            raise ProblemError(400, "unknown_payment_provider",
                               f"Payment provider {provider_name!r} is not available; use one "
                               f"of: {', '.join(sorted(self._payments))}.")
        for _ in range(3):
            try:
                return await self._checkout(caller, hold_id, provider, params, idempotency_key)
            except IntegrityError:
                # A concurrent request with the same key (or for the same hold) won; answer
                # with its order.
                async with self._sessions() as db, db.begin():
                    order = await inventory_sql.order_by_key(db, caller.user_id,
                                                             idempotency_key)
                if order is not None:
                    return self._same_order(order, hold_id), False
        raise ProblemError(409, "checkout_conflict", "Checkout is busy; try again.")

    @staticmethod
    def _same_order(order: OrderRow, hold_id: str) -> OrderRow:
        if order.hold_id != hold_id:
            raise ProblemError(409, "idempotency_key_reused",
                               "This Idempotency-Key was used for another checkout.")
        return order

    async def _checkout(self, caller: Principal, hold_id: str, provider: PaymentProvider,
                        params: dict[str, str], idempotency_key: str) -> tuple[OrderRow, bool]:
        now = datetime.now(UTC)
        confirmed: Counts | None = None
        async with self._sessions() as db, db.begin():
            existing = await inventory_sql.order_by_key(db, caller.user_id, idempotency_key)
            if existing is not None:
                return self._same_order(existing, hold_id), False
            hold = await inventory_sql.hold_by_id(db, hold_id, for_update=True)
            if hold is None or hold.user_id != caller.user_id:
                raise NotFound("There is no such hold of yours.")
            if hold.status == "converted":
                # A concurrent request with this key may have converted it while this one
                # waited for the hold's lock: that is the same checkout, not a second one.
                ordered = await inventory_sql.order_by_hold(db, hold_id)
                if ordered is not None and ordered.idempotency_key == idempotency_key:
                    return ordered, False
                raise ProblemError(409, "hold_already_ordered",
                                   "This hold is already an order (checked out with another "
                                   "Idempotency-Key).")
            if hold.status != "active" or hold.expires_at <= now:
                raise ProblemError(410, "hold_expired",
                                   "Your hold ended before checkout; the units went back on "
                                   "sale. Try to hold them again.")
            product = await products_sql.product_by_id(db, hold.product_id)
            assert product is not None  # noqa: S101 - foreign key
            total = product.price_minor * hold.quantity
            payment = await provider.start(order_reference=hold_id, total_minor=total,
                                           currency=product.currency, params=params)
            await inventory_sql.end_hold(db, hold_id, "converted", now)
            after = await inventory_sql.sell_held(db, hold.product_id, hold.quantity)
            order = await inventory_sql.insert_order(db, {
                "user_id": caller.user_id, "product_id": hold.product_id,
                "show_id": product.show_id, "hold_id": hold_id, "quantity": hold.quantity,
                "unit_price_minor": product.price_minor, "total_minor": total,
                "currency": product.currency, "status": payment.status,
                "payment_provider": provider.name, "payment_reference": payment.reference,
                "idempotency_key": idempotency_key, "created_at": now, "updated_at": now,
            })
            await inventory_sql.ledger(db, product_id=hold.product_id, reason="sell",
                                       quantity=hold.quantity, after=after, now=now,
                                       hold_id=hold_id, order_id=order.id,
                                       user_id=caller.user_id)
            await db.flush()
            # The gate last, inside the transaction: if the sweeper took the hold a moment
            # ago, the gate says so and nothing is committed.
            try:
                live, confirmed = await self._gate.confirm(hold.product_id, hold_id)
                still_live = live is not None
            except GateNotLoaded:
                still_live = True  # the gate is rebuilt from this commit on its next load
            except RedisError as exc:
                raise _unavailable(exc) from None
            if not still_live:
                raise ProblemError(410, "hold_expired",
                                   "Your hold ended before checkout; the units went back on "
                                   "sale. Try to hold them again.")
        self._metrics.orders.labels("created").inc()
        self._metrics.holds_ended.labels("converted").inc()
        self._changed(order.product_id, order.show_id, confirmed)
        logger.info("order_created", extra={"order_id": order.id, "product_id": order.product_id,
                                            "user_id": caller.user_id})
        return order, True

    async def get_order(self, principal: Principal, order_id: int) -> OrderRow:
        async with self._sessions() as db, db.begin():
            order = await inventory_sql.order_by_id(db, order_id)
            if order is None:
                raise NotFound(f"There is no order {order_id}.")
            if order.user_id != principal.user_id:
                show = await shows_sql.show_by_id(db, order.show_id)
                if show is None:
                    raise NotFound(f"There is no order {order_id}.")
                try:
                    ensure_can_manage(principal, show)
                except Forbidden:
                    raise NotFound(f"There is no order {order_id}.") from None
        return order

    async def my_orders(self, caller: Principal) -> list[OrderRow]:
        async with self._sessions() as db, db.begin():
            return await inventory_sql.orders_of(db, user_id=caller.user_id)

    async def show_orders(self, caller: Principal, show_id: int) -> list[OrderRow]:
        async with self._sessions() as db, db.begin():
            show = await shows_sql.show_by_id(db, show_id)
            if show is None:
                raise NotFound(f"There is no show {show_id}.")
            ensure_can_manage(caller, show)
            return await inventory_sql.orders_of(db, show_id=show_id, limit=1000)

    async def cancel_order(self, caller: Principal, order_id: int) -> OrderRow:
        now = datetime.now(UTC)
        async with self._sessions() as db, db.begin():
            order = await inventory_sql.order_by_id(db, order_id, for_update=True)
            if order is None:
                raise NotFound(f"There is no order {order_id}.")
            show = await shows_sql.show_by_id(db, order.show_id)
            assert show is not None  # noqa: S101
            is_host = caller.is_admin or caller.user_id == show.owner_id
            if order.user_id != caller.user_id and not is_host:
                raise NotFound(f"There is no order {order_id}.")
            if order.status == "cancelled":
                return order
            if order.status == "fulfilled" and not is_host:
                raise Conflict("This order was already fulfilled; contact the host.")
            cancelled = await inventory_sql.set_order_status(db, order_id, "cancelled", now)
            after = await inventory_sql.return_sold(db, order.product_id, order.quantity)
            await inventory_sql.ledger(db, product_id=order.product_id, reason="cancel",
                                       quantity=order.quantity, after=after, now=now,
                                       order_id=order_id, user_id=order.user_id)
        self._metrics.orders.labels("cancelled").inc()
        counts = await self._gate_call(order.product_id, lambda: self._gate.return_sold(
            order.product_id, order.user_id, order.quantity))
        self._changed(order.product_id, order.show_id, counts)
        logger.info("order_cancelled", extra={"order_id": order_id, "by": caller.user_id})
        return cancelled

    async def advance_order(self, caller: Principal, order_id: int, status: str) -> OrderRow:
        """The host marks a manual payment received (``paid``) or the goods sent
        (``fulfilled``)."""
        allowed_from = {"paid": {"pending_payment"}, "fulfilled": {"pending_payment", "paid"}}
        async with self._sessions() as db, db.begin():
            order = await inventory_sql.order_by_id(db, order_id, for_update=True)
            if order is None:
                raise NotFound(f"There is no order {order_id}.")
            show = await shows_sql.show_by_id(db, order.show_id)
            assert show is not None  # noqa: S101
            if not (caller.is_admin or caller.user_id == show.owner_id):
                if order.user_id == caller.user_id:
                    raise Forbidden("Only the host marks an order paid or fulfilled.")
                raise NotFound(f"There is no order {order_id}.")
            if order.status == status:
                return order
            if order.status not in allowed_from[status]:
                raise Conflict(f"A {order.status} order cannot become {status}.")
            updated = await inventory_sql.set_order_status(db, order_id, status,
                                                           datetime.now(UTC))
        self._metrics.orders.labels(status).inc()
        return updated

    # -- the host's side --------------------------------------------------------------------

    async def set_stock(self, product_id: int, stock: int) -> None:
        """Restock or reduce; refused below the units already held or sold."""
        now = datetime.now(UTC)
        async with self._sessions() as db, db.begin():
            await inventory_sql.expire_due_of_product(db, product_id, now)
            after = await inventory_sql.set_stock(db, product_id, stock)
            if after is None:
                counts = (await inventory_sql.counts_of(db, [product_id]))[product_id]
                raise ProblemError(
                    409, "stock_below_committed",
                    f"Stock cannot go below the {counts.held + counts.sold} units already "
                    "held or sold.")
            await inventory_sql.ledger(db, product_id=product_id, reason="stock",
                                       quantity=stock, after=after, now=now)
        gate_counts = await self._gate_call(product_id,
                                            lambda: self._gate.set_stock(product_id, stock))
        meta = await self._product_meta(product_id)
        self._changed(product_id, meta.show_id, gate_counts)

    async def sale_changed(self, product: Product) -> None:
        """Mirror a product's sale settings (open, per-user limit) into the gate."""
        self._meta.forget(product.id)
        if product.sale_open and not await self._gate.is_loaded(product.id):
            counts = await self.load_product(product.id, cause="open")
        else:
            counts = await self._gate_call(product.id, lambda: self._gate.set_sale(
                product.id, sale_open=product.sale_open,
                per_user_limit=product.per_user_limit))
        if self._rules is not None:
            await self._rules.sale_changed(product)
        self._changed(product.id, product.show_id, counts)
        await self._events.sale_changed(SaleChanged(
            product_id=product.id, show_id=product.show_id, sale_open=product.sale_open,
            sale_mode=product.sale_mode.value))

    # -- background work --------------------------------------------------------------------

    async def sweep(self, now: float | None = None) -> int:
        """Expire due holds in the database and the gate; idempotent, any worker may run it."""
        now_ts = self._clock() if now is None else now
        moment = datetime.fromtimestamp(now_ts, tz=UTC)
        async with self._sessions() as db, db.begin():
            expired = await inventory_sql.expire_due(db, moment)
        touched = {h.product_id for h in expired}
        with contextlib.suppress(RedisError):
            touched |= await self._gate.loaded_products()
        for product_id in touched:
            try:
                gone, counts = await self._gate.expire_due(product_id, now_ts)
            except RedisError:
                continue
            if gone or product_id in {h.product_id for h in expired}:
                with contextlib.suppress(NotFound):
                    meta = await self._product_meta(product_id)
                    self._changed(product_id, meta.show_id, counts)
        if expired:
            self._metrics.holds_ended.labels("expired").inc(len(expired))
            logger.info("holds_expired", extra={"count": len(expired)})
        self._metrics.sweeper_last_run.set(self._clock())
        return len(expired)

    async def keep_gate(self) -> None:
        """Rebuild the gate when it is not ready (first start, or Redis came back empty)."""
        try:
            ready = await self._gate.is_ready()
            if not ready:
                await self.rebuild()
                ready = True
        except (RedisError, SQLAlchemyError, OSError) as exc:
            logger.warning("gate_keeper_failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            ready = False
        self._metrics.gate_ready.set(1 if ready else 0)

    async def start(self) -> None:
        await self.keep_gate()
        self._tasks = [asyncio.create_task(self._every(self.sweep), name="hold-sweeper"),
                       asyncio.create_task(self._every(self.keep_gate), name="gate-keeper")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._writer.close()

    async def _every(self, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(self._config.sweep_interval_seconds)
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("background_task_failed", extra={"task": repr(work)})
