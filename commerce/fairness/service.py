"""Fairness on the sale path: the waiting room, raffles, abuse limits and account age.

The sale path (:class:`commerce.services.sales.Sales`) asks :meth:`Fairness.before_hold` about
every hold attempt and tells :meth:`Fairness.counts_changed` about every change of a product's
counts; admissions and raffle holds follow the stock from there. Any worker may pump a room or
give raffle holds: the room's state changes atomically in its store, and raffle ranks are claimed
with an optimistic update, so workers never admit or give the same turn twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from commerce.adapters import products_sql, shows_sql
from commerce.domain.errors import Conflict, InvalidValue, NotFound
from commerce.domain.products import Product, SaleMode
from commerce.domain.shows import ensure_can_manage
from commerce.fairness import raffle as draw_rules
from commerce.fairness import sql as fairness_sql
from commerce.fairness.rules import MAX_SHOW_LIMIT, DropRules, check_account_age
from commerce.fairness.sql import EntryRow, RaffleRow
from commerce.fairness.waiting_room import MAX_BATCH, Phase, RoomView, TicketStatus, TicketView
from edge.events import QueueEvent, RaffleEvent
from showfloor.cache import SingleFlightCache
from showfloor.problems import ProblemError
from showfloor.ratelimit import Limit, RateLimiter

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from commerce.domain.inventory import Counts
    from commerce.domain.users import Principal
    from commerce.fairness.events import FairnessSink
    from commerce.fairness.metrics import FairnessMetrics
    from commerce.fairness.rooms.base import WaitingRooms
    from commerce.services.sales import Sales

logger = logging.getLogger("showfloor.commerce.fairness")

_LEASE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class FairnessConfig:
    # Attempts per action (hold, queue join, raffle entry), per user and per client address.
    # Addresses get more room: viewers behind one carrier NAT share one.
    per_user: Limit = field(default_factory=lambda: Limit(20, 10))
    per_ip: Limit = field(default_factory=lambda: Limit(1000, 10))
    tick_seconds: float = 0.5
    rules_ttl_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class QueueState:
    product_id: int
    room: RoomView
    admission_seconds: int
    available: int | None


@dataclass(frozen=True, slots=True)
class RaffleState:
    raffle: RaffleRow
    entries: int
    mine: EntryRow | None


def _unavailable(exc: Exception) -> ProblemError:
    logger.warning("fairness_unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
    return ProblemError(503, "queue_unavailable",
                        "The waiting room is briefly unavailable. Try again in a moment.",
                        retry_after=1)


def estimated_wait_seconds(position: int | None, batch: int, admission_seconds: int
                           ) -> int | None:
    """A rough upper bound: every batch ahead may use its whole admission window."""
    if position is None or position <= 0:
        return None if position is None else 0
    return -(-position // max(1, batch)) * admission_seconds


class Fairness:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        rooms: WaitingRooms,
        sales: Sales,
        limiter: RateLimiter,
        sink: FairnessSink,
        metrics: FairnessMetrics,
        config: FairnessConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._rooms = rooms
        self._sales = sales
        self._limiter = limiter
        self._sink = sink
        self._metrics = metrics
        self._config = config or FairnessConfig()
        self._clock = clock
        self._rules: SingleFlightCache[int, DropRules] = SingleFlightCache(
            self._config.rules_ttl_seconds)
        self._created: dict[int, datetime] = {}
        self._products: SingleFlightCache[int, Product] = SingleFlightCache(
            self._config.rules_ttl_seconds)
        self._published: dict[int, tuple[object, ...]] = {}
        self._shows: dict[int, int] = {}
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- abuse limits and rules -------------------------------------------------------------

    async def check_attempt(self, action: str, user_id: int | None, client_ip: str | None
                            ) -> None:
        checks = []
        if user_id is not None:
            checks.append(("user", f"{action}:user:{user_id}", self._config.per_user))
        if client_ip is not None:
            checks.append(("ip", f"{action}:ip:{client_ip}", self._config.per_ip))
        if not checks:
            return
        try:
            decisions = await self._limiter.hit_all([(key, limit) for _, key, limit in checks])
        except RedisError as exc:
            raise _unavailable(exc) from None
        for (scope, _, _), decision in zip(checks, decisions, strict=True):
            if not decision.allowed:
                self._metrics.rate_limited.labels(action, scope).inc()
                who = "from your network" if scope == "ip" else "from your account"
                raise ProblemError(429, "too_many_attempts",
                                   f"Too many attempts {who}. Wait a moment before trying "
                                   "again.", retry_after=decision.retry_after_header)

    async def rules(self, product_id: int) -> DropRules:
        return await self._rules.get(product_id, lambda: self._read_rules(product_id))

    async def _read_rules(self, product_id: int) -> DropRules:
        async with self._sessions() as db, db.begin():
            return await fairness_sql.rules_of(db, product_id)

    async def drop_rules(self, product_id: int) -> DropRules:
        await self._product(product_id)
        return await self.rules(product_id)

    async def _check_account_age(self, user_id: int, rules: DropRules) -> None:
        if rules.min_account_age_seconds <= 0:
            return
        created = self._created.get(user_id)
        if created is None:
            async with self._sessions() as db, db.begin():
                created = await fairness_sql.user_created_at(db, user_id)
            if created is None:
                raise ProblemError(401, "unauthorized", "This account no longer exists.")
            if len(self._created) > 100_000:
                self._created.clear()
            self._created[user_id] = created
        try:
            check_account_age(created, datetime.fromtimestamp(self._clock(), tz=UTC),
                              rules.min_account_age_seconds)
        except Exception:
            self._metrics.refusals.labels("account_too_new").inc()
            raise

    async def _managed_product(self, caller: Principal, product_id: int) -> Product:
        async with self._sessions() as db, db.begin():
            product = await products_sql.product_by_id(db, product_id)
            if product is None:
                raise NotFound(f"There is no product {product_id}.")
            show = await shows_sql.show_by_id(db, product.show_id)
            assert show is not None  # noqa: S101 - foreign key
            ensure_can_manage(caller, show)
        return product

    async def _product(self, product_id: int) -> Product:
        async with self._sessions() as db, db.begin():
            product = await products_sql.product_by_id(db, product_id)
        if product is None:
            raise NotFound(f"There is no product {product_id}.")
        self._shows[product_id] = product.show_id
        return product

    async def _recent_product(self, product_id: int) -> Product:
        """The product as read at most ``rules_ttl_seconds`` ago: a drop's first second
        would otherwise send every join to the database."""
        return await self._products.get(product_id, lambda: self._product(product_id))

    async def set_rules(self, caller: Principal, product_id: int, *,
                        admission_seconds: int | None, min_account_age_seconds: int | None
                        ) -> DropRules:
        await self._managed_product(caller, product_id)
        async with self._sessions() as db, db.begin():
            current = await fairness_sql.rules_of(db, product_id)
            updated = DropRules(
                product_id,
                current.admission_seconds if admission_seconds is None else admission_seconds,
                current.min_account_age_seconds if min_account_age_seconds is None
                else min_account_age_seconds)
            await fairness_sql.save_rules(db, updated, datetime.now(UTC))
        self._rules.put(product_id, updated)
        return updated

    async def show_limit(self, show_id: int) -> int | None:
        async with self._sessions() as db, db.begin():
            if await shows_sql.show_by_id(db, show_id) is None:
                raise NotFound(f"There is no show {show_id}.")
            return await fairness_sql.show_limit(db, show_id)

    async def set_show_limit(self, caller: Principal, show_id: int, limit: int | None
                             ) -> int | None:
        if limit is not None and not 1 <= limit <= MAX_SHOW_LIMIT:
            raise InvalidValue(f"The per-show limit must be 1 to {MAX_SHOW_LIMIT}.",
                               field="per_user_limit")
        async with self._sessions() as db, db.begin():
            show = await shows_sql.show_by_id(db, show_id, for_update=True)
            if show is None:
                raise NotFound(f"There is no show {show_id}.")
            ensure_can_manage(caller, show)
            await fairness_sql.save_show_limit(db, show_id, limit, datetime.now(UTC))
        return limit

    # -- the sale path's questions ----------------------------------------------------------

    async def check_hold_attempt(self, caller: Principal, client_ip: str | None) -> None:
        """The buyer's and the address's attempt limits, in one round trip."""
        await self.check_attempt("hold", caller.user_id, client_ip)

    async def before_hold(self, caller: Principal, product_id: int, sale_mode: SaleMode,
                          client_ip: str | None) -> None:
        if sale_mode is SaleMode.RAFFLE:
            self._metrics.refusals.labels("admission_required").inc()
            raise ProblemError(403, "admission_required",
                               "This product is sold by raffle: enter the raffle, and if you "
                               "are drawn a hold is placed for you.")
        await self._check_account_age(caller.user_id, await self.rules(product_id))
        if sale_mode is SaleMode.QUEUE:
            try:
                ticket = await self._rooms.ticket_of_user(product_id, caller.user_id,
                                                          self._now_ms())
            except RedisError as exc:
                raise _unavailable(exc) from None
            self._check_admitted(product_id, ticket)

    def _check_admitted(self, product_id: int, ticket: TicketView | None) -> None:
        status = ticket.status if ticket is not None else None
        if status is TicketStatus.ADMITTED:
            return
        if status is TicketStatus.SOLD_OUT:
            code, http, detail = "sold_out", 409, "Sold out: every unit has been sold."
        elif status in (TicketStatus.EXPIRED, TicketStatus.COMPLETED):
            code, http, detail = ("admission_expired", 403,
                                  "Your turn to buy has ended; the next people in the queue "
                                  "were admitted.")
        elif ticket is not None and status in (TicketStatus.WAITING, TicketStatus.POOLED):
            where = (f"you are number {ticket.position} in line" if ticket.position
                     else "your place is drawn when the sale opens")
            code, http, detail = ("not_admitted", 403,
                                  f"Wait for your turn: {where}. You will be told when you are "
                                  "admitted.")
        elif ticket is not None:  # left the queue
            code, http, detail = ("not_admitted", 403,
                                  "You left the waiting room, so your turn has passed.")
        else:
            code, http, detail = ("admission_required", 403,
                                  "This product sells through a waiting room: join it with "
                                  f"POST /api/v1/products/{product_id}/queue and wait for "
                                  "your turn.")
        self._metrics.refusals.labels(code).inc()
        raise ProblemError(http, code, detail)

    async def after_hold(self, caller: Principal, product_id: int, sale_mode: SaleMode) -> None:
        """The admission's slot is now a hold: it stops counting against the free units (and
        is recorded even if the window closed while the hold was being placed)."""
        if sale_mode is SaleMode.QUEUE:
            with contextlib.suppress(RedisError):
                await self._rooms.use(product_id, caller.user_id, self._now_ms())

    def counts_changed(self, product_id: int, show_id: int, counts: Counts) -> None:
        self._shows[product_id] = show_id
        self._dirty.add(product_id)
        self._wake.set()

    async def sale_changed(self, product: Product) -> None:
        self._shows[product.id] = product.show_id
        self._products.put(product.id, product)
        if product.sale_mode is SaleMode.QUEUE and product.sale_open:
            try:
                await self._rooms.open(product.id)
                await self.pump(product.id)
            except RedisError as exc:
                logger.warning("queue_open_failed", extra={"product_id": product.id,
                                                           "error": str(exc)})
            logger.info("queue_opened", extra={"product_id": product.id})
        elif not product.sale_open:
            # Admissions to a closed sale would only run out: the room waits for a reopening.
            with contextlib.suppress(RedisError):
                await self._rooms.pause(product.id)

    # -- the waiting room -------------------------------------------------------------------

    async def announce_queue(self, caller: Principal, product_id: int) -> QueueState:
        product = await self._managed_product(caller, product_id)
        if product.sale_mode is not SaleMode.QUEUE:
            raise ProblemError(409, "not_a_queue",
                               "This product does not sell through a waiting room; set its "
                               "sale_mode to queue first.")
        try:
            room = (await self._rooms.open(product_id) if product.sale_open
                    else await self._rooms.announce(product_id))
        except RedisError as exc:
            raise _unavailable(exc) from None
        self._shows[product_id] = product.show_id
        await self._publish_room(product_id, room)
        return await self.queue_state(product_id)

    async def queue_state(self, product_id: int) -> QueueState:
        product = await self._recent_product(product_id)
        if product.sale_mode is not SaleMode.QUEUE:
            raise ProblemError(409, "not_a_queue",
                               "This product does not sell through a waiting room.")
        try:
            room = await self._rooms.room(product_id)
        except RedisError as exc:
            raise _unavailable(exc) from None
        rules = await self.rules(product_id)
        counts = await self._counts(product_id) if product.sale_open else None
        return QueueState(product_id, room or RoomView(Phase.CLOSED, 0, 0, 0, 0, False),
                          rules.admission_seconds, counts.available if counts else None)

    async def join_queue(self, caller: Principal, product_id: int, client_ip: str | None
                         ) -> tuple[TicketView, bool, QueueState]:
        await self.check_attempt("queue", caller.user_id, client_ip)
        product = await self._recent_product(product_id)
        if product.sale_mode is not SaleMode.QUEUE:
            self._metrics.queue_joins.labels("refused").inc()
            raise ProblemError(409, "not_a_queue",
                               "This product does not sell through a waiting room.")
        await self._check_account_age(caller.user_id, await self.rules(product_id))
        try:
            ticket_id, created = await self._rooms.join(
                product_id, caller.user_id, secrets.token_hex(16), secrets.randbits(52))
            view = await self._rooms.ticket(product_id, ticket_id, self._now_ms())
        except RedisError as exc:
            raise _unavailable(exc) from None
        except Conflict:
            self._metrics.queue_joins.labels("refused").inc()
            raise
        assert view is not None  # noqa: S101 - just joined
        self._metrics.queue_joins.labels("new" if created else "again").inc()
        if created and view.room.phase is Phase.OPEN:
            self._dirty.add(product_id)  # a late joiner may be admitted at once
            self._wake.set()
        return view, created, await self.queue_state(product_id)

    async def ticket(self, product_id: int, ticket_id: str) -> tuple[TicketView, QueueState]:
        try:
            view = await self._rooms.ticket(product_id, ticket_id, self._now_ms())
        except RedisError as exc:
            raise _unavailable(exc) from None
        if view is None:
            raise NotFound("There is no such ticket in this product's queue.")
        return view, await self.queue_state(product_id)

    async def my_ticket(self, caller: Principal, product_id: int
                        ) -> tuple[TicketView, QueueState]:
        try:
            view = await self._rooms.ticket_of_user(product_id, caller.user_id, self._now_ms())
        except RedisError as exc:
            raise _unavailable(exc) from None
        if view is None:
            raise NotFound("You have not joined this product's queue.")
        return view, await self.queue_state(product_id)

    async def leave_queue(self, caller: Principal, product_id: int) -> None:
        try:
            left = await self._rooms.leave(product_id, caller.user_id)
        except RedisError as exc:
            raise _unavailable(exc) from None
        if left:
            self._dirty.add(product_id)
            self._wake.set()

    async def _counts(self, product_id: int) -> Counts | None:
        try:
            return await self._sales.live_counts(product_id)
        except RedisError:
            return None

    async def pump(self, product_id: int) -> None:
        """Expire due admissions and admit the next tickets; tell the show when things moved."""
        counts = await self._counts(product_id)
        if counts is None:  # the product is gone
            await self._rooms.pause(product_id)
            return
        rules = await self.rules(product_id)
        result = await self._rooms.pump(
            product_id, now_ms=self._now_ms(), available=counts.available, held=counts.held,
            admission_ms=rules.admission_seconds * 1000, budget=MAX_BATCH)
        if result is None:
            room = await self._rooms.room(product_id)
            if room is not None:
                await self._publish_room(product_id, room)
            return
        if result.admitted:
            self._metrics.queue_admissions.inc(len(result.admitted))
            logger.info("queue_admitted", extra={"product_id": product_id,
                                                 "count": len(result.admitted),
                                                 "served": result.room.served})
        if result.expired:
            self._metrics.queue_admissions_expired.inc(result.expired)
        await self._publish_room(product_id, result.room)

    async def _publish_room(self, product_id: int, room: RoomView) -> None:
        self._metrics.queue_waiting.labels(str(product_id)).set(room.waiting)
        if room.phase is Phase.CLOSED:
            return
        rules = await self.rules(product_id)
        state = (room.phase, room.joined, room.served, room.sold_out, rules.admission_seconds)
        if self._published.get(product_id) == state:
            return
        show_id = self._shows.get(product_id)
        if show_id is None:
            show_id = (await self._product(product_id)).show_id
        event = QueueEvent(product_id=product_id,
                           phase="open" if room.phase is Phase.OPEN else "waiting",
                           joined=room.joined, served=room.served, sold_out=room.sold_out,
                           admission_seconds=rules.admission_seconds)
        if await self._publish(show_id, event):
            self._published[product_id] = state

    async def _publish(self, show_id: int, event: QueueEvent | RaffleEvent) -> bool:
        try:
            await self._sink.publish(show_id, event)
        except Exception:  # the sale goes on; clients can always ask the API
            logger.exception("fairness_publish_failed", extra={"show_id": show_id})
            return False
        return True

    # -- raffles ----------------------------------------------------------------------------

    async def open_raffle(self, caller: Principal, product_id: int,
                          closes_at: datetime | None) -> RaffleState:
        product = await self._managed_product(caller, product_id)
        if product.sale_mode is not SaleMode.RAFFLE:
            raise ProblemError(409, "not_a_raffle",
                               "This product is not sold by raffle; set its sale_mode to "
                               "raffle first.")
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        if closes_at is not None and closes_at <= now:
            raise InvalidValue("The closing time must be in the future.", field="closes_at")
        seed = secrets.token_bytes(draw_rules.SEED_BYTES)
        try:
            async with self._sessions() as db, db.begin():
                existing = await fairness_sql.raffle_of(db, product_id)
                if existing is not None and existing.status != draw_rules.RaffleStatus.OPEN:
                    raise ProblemError(409, "raffle_drawn",
                                       "This raffle has been drawn; it cannot reopen.")
                if existing is None:
                    await fairness_sql.insert_raffle(
                        db, product_id=product_id, algorithm=draw_rules.ALGORITHM,
                        seed=seed.hex(), seed_digest=draw_rules.seed_digest(seed),
                        closes_at=closes_at, now=now)
                else:
                    await fairness_sql.set_closes_at(db, product_id, closes_at)
        except IntegrityError:
            pass  # opened concurrently: same raffle
        state = await self.raffle_state(product_id, None)
        await self._publish_raffle(product.show_id, state.raffle, state.entries, [])
        logger.info("raffle_opened", extra={"product_id": product_id})
        return state

    async def raffle_state(self, product_id: int, principal: Principal | None) -> RaffleState:
        async with self._sessions() as db, db.begin():
            raffle = await fairness_sql.raffle_of(db, product_id)
            if raffle is None:
                if await products_sql.product_by_id(db, product_id) is None:
                    raise NotFound(f"There is no product {product_id}.")
                raise ProblemError(404, "no_raffle",
                                   "This product has no raffle (yet): the host opens entries.")
            entries = await fairness_sql.count_entries(db, product_id)
            mine = (await fairness_sql.entry_of(db, product_id, principal.user_id)
                    if principal is not None else None)
        return RaffleState(raffle, entries, mine)

    async def raffle_entries(self, product_id: int) -> tuple[RaffleRow, list[EntryRow]]:
        async with self._sessions() as db, db.begin():
            raffle = await fairness_sql.raffle_of(db, product_id)
            if raffle is None:
                raise ProblemError(404, "no_raffle", "This product has no raffle.")
            return raffle, await fairness_sql.entries_of(db, product_id)

    async def enter_raffle(self, caller: Principal, product_id: int, client_ip: str | None
                           ) -> EntryRow:
        await self.check_attempt("raffle", caller.user_id, client_ip)
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        async with self._sessions() as db, db.begin():
            raffle = await fairness_sql.raffle_of(db, product_id)
        if raffle is None:
            self._metrics.raffle_entries.labels("refused").inc()
            if (await self._product(product_id)).sale_mode is not SaleMode.RAFFLE:
                raise ProblemError(409, "not_a_raffle", "This product is not sold by raffle.")
            raise ProblemError(409, "raffle_not_open",
                               "Entries for this raffle have not opened yet.")
        if raffle.status != draw_rules.RaffleStatus.OPEN or (
            raffle.closes_at is not None and raffle.closes_at <= now
        ):
            self._metrics.raffle_entries.labels("closed").inc()
            raise ProblemError(409, "raffle_closed", "Entries for this raffle are closed.")
        await self._check_account_age(caller.user_id, await self.rules(product_id))
        try:
            async with self._sessions() as db, db.begin():
                entry = await fairness_sql.insert_entry(db, product_id, caller.user_id, now)
        except IntegrityError:
            self._metrics.raffle_entries.labels("duplicate").inc()
            raise ProblemError(409, "already_entered",
                               "You have already entered this raffle (one entry per "
                               "person).") from None
        self._metrics.raffle_entries.labels("ok").inc()
        self._dirty.add(-product_id)  # entry count changed: told on the next tick
        return entry

    async def close_raffle(self, caller: Principal, product_id: int) -> RaffleState:
        await self._managed_product(caller, product_id)
        await self.draw(product_id)
        return await self.raffle_state(product_id, caller)

    async def draw(self, product_id: int) -> bool:
        """Close entries and draw; False when already drawn (by another worker)."""
        product = await self._product(product_id)
        if not product.sale_open:
            # Raffle holds go through the inventory gate, which only holds for open sales.
            async with self._sessions() as db, db.begin():
                product = await products_sql.update_product(
                    db, product_id, {"sale_open": True, "updated_at": datetime.now(UTC)})
            await self._sales.sale_changed(product)
        counts = await self._sales.live_counts(product_id)
        units = counts.available if counts is not None else 0
        async with self._sessions() as db, db.begin():
            raffle = await fairness_sql.raffle_of(db, product_id)
            if raffle is None:
                raise ProblemError(404, "no_raffle", "This product has no raffle.")
            if raffle.status != draw_rules.RaffleStatus.OPEN:
                return False
            entries = await fairness_sql.entries_of(db, product_id)
            result = draw_rules.draw(draw_rules.parse_seed(raffle.seed),
                                     [e.user_id for e in entries], units)
            if not await fairness_sql.record_draw(db, product_id, result.order, units,
                                                  datetime.now(UTC), _LEASE_SECONDS):
                return False
        self._metrics.raffle_draws.inc()
        logger.info("raffle_drawn", extra={"product_id": product_id, "units": units,
                                           "entries": len(result.order)})
        # The draw holds the lease: the winners have their holds before the host hears back.
        await self.give_raffle_holds(product_id, announce=True, leased=True)
        return True

    async def give_raffle_holds(self, product_id: int, *, announce: bool = False,
                                leased: bool = False) -> list[int]:
        """Give holds down the draw order while units are free (winners, then runners-up).

        One worker at a time (a lease on the raffle row), so the free units it counts are not
        promised twice; nobody else can hold a raffle's units."""
        if not leased:
            async with self._sessions() as db, db.begin():
                leased = await fairness_sql.take_lease(db, product_id, datetime.now(UTC),
                                                       _LEASE_SECONDS)
            if not leased:
                return []
        granted: list[int] = []
        try:
            while True:
                counts = await self._counts(product_id)
                free = counts.available if counts is not None else 0
                async with self._sessions() as db, db.begin():
                    raffle = await fairness_sql.raffle_of(db, product_id)
                    if raffle is None or raffle.status != draw_rules.RaffleStatus.DRAWN:
                        break
                    total = await fairness_sql.count_entries(db, product_id)
                    take = min(free, total - raffle.next_rank + 1)
                    if take <= 0:
                        break
                    turns = await fairness_sql.entries_by_rank(
                        db, product_id, raffle.next_rank, raffle.next_rank + take - 1)
                    await fairness_sql.set_next_rank(db, product_id, raffle.next_rank + take)
                given, stopped_at = await self._give(product_id, raffle, turns)
                granted += given
                if stopped_at is not None:
                    async with self._sessions() as db, db.begin():
                        await fairness_sql.set_next_rank(db, product_id, stopped_at)
                    break
        finally:
            async with self._sessions() as db, db.begin():
                await fairness_sql.end_lease(db, product_id)
        if granted or announce:
            state = await self.raffle_state(product_id, None)
            show_id = self._shows.get(product_id) or (await self._product(product_id)).show_id
            await self._publish_raffle(show_id, state.raffle, state.entries, granted)
        return granted

    async def _give(self, product_id: int, raffle: RaffleRow, turns: list[EntryRow]
                    ) -> tuple[list[int], int | None]:
        """Holds for these turns; also the rank to resume from if the units ran out."""
        granted = []
        for entry in turns:
            assert entry.draw_rank is not None  # noqa: S101 - drawn
            outcome = "winner" if entry.draw_rank <= raffle.units else "runner_up"
            hold_id: str | None = None
            try:
                hold_id = (await self._sales.grant_hold(entry.user_id, product_id, 1)).id
                granted.append(entry.user_id)
            except ProblemError as refused:
                if refused.code in ("sold_out", "sale_not_open", "inventory_unavailable"):
                    # Not this entrant's doing: their turn waits for the next free unit.
                    return granted, entry.draw_rank
                # Over a limit: this turn passes to the next rank.
                logger.info("raffle_turn_skipped", extra={"product_id": product_id,
                                                          "user_id": entry.user_id,
                                                          "code": refused.code})
                outcome = "skipped"
            self._metrics.raffle_holds.labels(outcome).inc()
            async with self._sessions() as db, db.begin():
                await fairness_sql.set_outcome(db, product_id, entry.user_id, outcome, hold_id)
        return granted, None

    async def _publish_raffle(self, show_id: int, raffle: RaffleRow, entries: int,
                              granted: list[int]) -> None:
        drawn = raffle.status == draw_rules.RaffleStatus.DRAWN
        await self._publish(show_id, RaffleEvent(
            product_id=raffle.product_id, status="drawn" if drawn else "open", entries=entries,
            seed_digest=raffle.seed_digest, closes_at=raffle.closes_at,
            seed=raffle.seed if drawn else None, granted_user_ids=granted[:1000]))

    # -- background work --------------------------------------------------------------------

    async def tick(self) -> None:
        """One pass: pump the rooms, draw raffles past their deadline, give freed units."""
        dirty, self._dirty = self._dirty, set()
        try:
            rooms = await self._rooms.active()
        except RedisError:
            rooms = set()
        for product_id in rooms:
            with contextlib.suppress(RedisError, NotFound):
                await self.pump(product_id)
        async with self._sessions() as db, db.begin():
            due = await fairness_sql.raffles_due(db, datetime.now(UTC))
            drawn = await fairness_sql.raffles_with_runners_up(db)
        for product_id in due:
            with contextlib.suppress(NotFound):
                await self.draw(product_id)
        for product_id in set(drawn) - set(due):
            await self.give_raffle_holds(product_id)
        for key in dirty:
            if key < 0:  # entries changed
                with contextlib.suppress(NotFound, ProblemError):
                    state = await self.raffle_state(-key, None)
                    if state.raffle.status == draw_rules.RaffleStatus.OPEN:
                        show_id = self._shows.get(-key) or (await self._product(-key)).show_id
                        await self._publish_raffle(show_id, state.raffle, state.entries, [])

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(), name="fairness")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.tick_seconds)
            self._wake.clear()
            await self._guarded(self.tick)
            # Coalesce: a flash sale changes counts thousands of times a second.
            await asyncio.sleep(0.05)

    async def _guarded(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except (RedisError, SQLAlchemyError, OSError) as exc:
            logger.warning("fairness_tick_failed", extra={"error": f"{type(exc).__name__}"})
        except Exception:
            logger.exception("fairness_tick_failed")
