"""Fairness for hot drops: the waiting room, raffles, drop rules and per-show limits.

Queue mode: ``POST /products/{id}/queue`` takes a ticket; ``GET /products/{id}/queue/{ticket}``
tells its position, estimated wait and admission. Raffle mode: the host opens entries, viewers
enter once, the host (or the deadline) closes and draws; ``GET /products/{id}/raffle/entries``
lists everything needed to re-run the draw (see ``docs/raffle.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody, Parameter
from msgspec import UNSET, Meta, UnsetType

from commerce.api.products import ProductId
from commerce.api.schemas import Request as RequestBody
from commerce.api.security import Caller, MaybePrincipal, provide_caller, provide_principal
from commerce.fairness.raffle import RaffleStatus
from commerce.fairness.rules import (
    MAX_ACCOUNT_AGE_SECONDS,
    MAX_ADMISSION_SECONDS,
    MAX_SHOW_LIMIT,
    MIN_ADMISSION_SECONDS,
    DropRules,
)
from commerce.fairness.service import Fairness, QueueState, RaffleState, estimated_wait_seconds
from commerce.fairness.sql import EntryRow, RaffleRow
from commerce.fairness.waiting_room import TicketStatus, TicketView
from showfloor.web import Res, Resources, client_ip

ShowId = Annotated[int, Parameter(ge=1, le=2**62, description="The show's id.")]
TicketId = Annotated[str, Parameter(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$",
                                    description="The ticket returned by joining the queue.")]
AdmissionSeconds = Annotated[int, Meta(ge=MIN_ADMISSION_SECONDS, le=MAX_ADMISSION_SECONDS)]
AccountAge = Annotated[int, Meta(ge=0, le=MAX_ACCOUNT_AGE_SECONDS)]
ShowLimit = Annotated[int, Meta(ge=1, le=MAX_SHOW_LIMIT)]


def fairness_of(resources: Resources) -> Fairness:
    fairness: Fairness = resources.service("fairness")
    return fairness


def _ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


# -- bodies -------------------------------------------------------------------------------------

class DropRulesIn(RequestBody):
    admission_seconds: AdmissionSeconds | UnsetType = UNSET
    min_account_age_seconds: AccountAge | UnsetType = UNSET


class DropRulesOut(msgspec.Struct, kw_only=True):
    product_id: int
    admission_seconds: int
    min_account_age_seconds: int

    @classmethod
    def of(cls, rules: DropRules) -> DropRulesOut:
        return cls(product_id=rules.product_id, admission_seconds=rules.admission_seconds,
                   min_account_age_seconds=rules.min_account_age_seconds)


class ShowLimitIn(RequestBody):
    per_user_limit: ShowLimit | None


class ShowLimitOut(msgspec.Struct, kw_only=True):
    show_id: int
    per_user_limit: int | None


class QueueOut(msgspec.Struct, kw_only=True):
    product_id: int
    phase: str  # closed, waiting (announced), open
    joined: int
    waiting: int
    served: int  # tickets ranked up to here have been admitted
    admitted_now: int  # admissions not yet turned into a hold
    sold_out: bool
    admission_seconds: int
    available: int | None

    @classmethod
    def of(cls, state: QueueState) -> QueueOut:
        room = state.room
        return cls(product_id=state.product_id, phase=room.phase.value, joined=room.joined,
                   waiting=room.waiting, served=room.served, admitted_now=room.outstanding,
                   sold_out=room.sold_out, admission_seconds=state.admission_seconds,
                   available=state.available)


class TicketOut(msgspec.Struct, kw_only=True):
    ticket: str
    product_id: int
    status: TicketStatus
    position: int | None  # 1 = next; 0 = admitted; null before opening or once done
    rank: int | None
    arrival: int
    admitted: bool
    expired: bool
    admission_expires_at: datetime | None
    estimated_wait_seconds: int | None
    queue: QueueOut

    @classmethod
    def of(cls, view: TicketView, state: QueueState) -> TicketOut:
        batch = state.available if state.available else 1
        return cls(
            ticket=view.ticket, product_id=state.product_id, status=view.status,
            position=view.position, rank=view.rank, arrival=view.arrival,
            admitted=view.status is TicketStatus.ADMITTED,
            expired=view.status in (TicketStatus.EXPIRED, TicketStatus.COMPLETED),
            admission_expires_at=_ms(view.admitted_until_ms),
            estimated_wait_seconds=estimated_wait_seconds(
                view.position, batch, state.admission_seconds)
            if view.status is TicketStatus.WAITING else None,
            queue=QueueOut.of(state),
        )


class RaffleOpenIn(RequestBody):
    closes_at: datetime | None = None


EntryStatus = Literal["entered", "won", "lost"]


class EntryOut(msgspec.Struct, kw_only=True):
    product_id: int
    user_id: int
    entered_at: datetime
    # entered: not drawn yet; won: given a hold; lost: drawn without a hold (a runner-up can
    # still win if a winner's hold lapses: draw_rank says how far down the order it is).
    status: EntryStatus
    draw_rank: int | None
    outcome: str | None  # winner, runner_up, skipped
    hold_id: str | None
    draws_at: datetime | None

    @classmethod
    def of(cls, raffle: RaffleRow | None, product_id: int, entry: EntryRow) -> EntryOut:
        status: EntryStatus = "entered"
        if entry.hold_id is not None:
            status = "won"
        elif entry.draw_rank is not None:
            status = "lost"
        return cls(product_id=product_id, user_id=entry.user_id, entered_at=entry.entered_at,
                   status=status, draw_rank=entry.draw_rank, outcome=entry.outcome,
                   hold_id=entry.hold_id, draws_at=raffle.closes_at if raffle else None)


class RaffleOut(msgspec.Struct, kw_only=True):
    product_id: int
    status: RaffleStatus
    algorithm: str
    seed_digest: str
    seed: str | None  # revealed at the draw
    closes_at: datetime | None
    opened_at: datetime
    drawn_at: datetime | None
    entries: int
    units: int  # units given away at the draw (one per winner)
    next_rank: int  # the next rank of the draw order to get a hold when a unit frees up
    my_entry: EntryOut | None

    @classmethod
    def of(cls, state: RaffleState) -> RaffleOut:
        raffle = state.raffle
        drawn = raffle.status == RaffleStatus.DRAWN
        return cls(
            product_id=raffle.product_id, status=RaffleStatus(raffle.status),
            algorithm=raffle.algorithm, seed_digest=raffle.seed_digest,
            seed=raffle.seed if drawn else None, closes_at=raffle.closes_at,
            opened_at=raffle.opened_at, drawn_at=raffle.drawn_at, entries=state.entries,
            units=raffle.units, next_rank=raffle.next_rank,
            my_entry=EntryOut.of(raffle, raffle.product_id, state.mine) if state.mine else None,
        )


class RaffleEntriesOut(msgspec.Struct, kw_only=True):
    """Everything needed to re-run the draw: the algorithm, the seed (after the draw) and the
    entries, with the rank and outcome each got."""

    product_id: int
    status: RaffleStatus
    algorithm: str
    seed_digest: str
    seed: str | None
    units: int
    entries: list[EntryOut]

    @classmethod
    def of(cls, raffle: RaffleRow, entries: list[EntryRow]) -> RaffleEntriesOut:
        drawn = raffle.status == RaffleStatus.DRAWN
        return cls(product_id=raffle.product_id, status=RaffleStatus(raffle.status),
                   algorithm=raffle.algorithm, seed_digest=raffle.seed_digest,
                   seed=raffle.seed if drawn else None, units=raffle.units,
                   entries=[EntryOut.of(raffle, raffle.product_id, e) for e in entries])


# -- routes -------------------------------------------------------------------------------------

class QueueController(Controller):
    path = "/api/v1/products/{product_id:int}"
    tags = ["fairness"]
    dependencies = {"caller": Provide(provide_caller),
                    "principal": Provide(provide_principal)}

    @post("/queue", status_code=201,
          summary="Join the product's waiting room (one ticket per viewer; again: same ticket)")
    async def join(self, product_id: ProductId, caller: Caller, request: Request[Any, Any, Any],
                   resources: Res) -> Response[TicketOut]:
        view, created, state = await fairness_of(resources).join_queue(
            caller, product_id, client_ip(request))
        return Response(TicketOut.of(view, state), status_code=201 if created else 200)

    @get("/queue", summary="The waiting room: phase, people waiting, admitted so far")
    async def room(self, product_id: ProductId, resources: Res) -> QueueOut:
        return QueueOut.of(await fairness_of(resources).queue_state(product_id))

    @get("/queue/me", summary="My ticket in the waiting room")
    async def mine(self, product_id: ProductId, caller: Caller, resources: Res) -> TicketOut:
        view, state = await fairness_of(resources).my_ticket(caller, product_id)
        return TicketOut.of(view, state)

    @delete("/queue/me", status_code=204, summary="Leave the waiting room")
    async def leave(self, product_id: ProductId, caller: Caller, resources: Res) -> None:
        await fairness_of(resources).leave_queue(caller, product_id)

    @get("/queue/{ticket:str}",
         summary="A ticket: position, estimated wait, admitted or expired")
    async def ticket(self, product_id: ProductId, ticket: TicketId, resources: Res
                     ) -> TicketOut:
        view, state = await fairness_of(resources).ticket(product_id, ticket)
        return TicketOut.of(view, state)

    @post("/queue/announce", status_code=200,
          summary="Announce the drop: viewers may join the waiting room (its host)")
    async def announce(self, product_id: ProductId, caller: Caller, resources: Res) -> QueueOut:
        return QueueOut.of(await fairness_of(resources).announce_queue(caller, product_id))

    @get("/fairness", summary="The drop's rules: admission window, minimum account age")
    async def rules(self, product_id: ProductId, resources: Res) -> DropRulesOut:
        return DropRulesOut.of(await fairness_of(resources).drop_rules(product_id))

    @put("/fairness", summary="Set the drop's rules (its host)")
    async def set_rules(self, product_id: ProductId, data: JSONBody[DropRulesIn],
                        caller: Caller, resources: Res) -> DropRulesOut:
        rules = await fairness_of(resources).set_rules(
            caller, product_id,
            admission_seconds=None if isinstance(data.admission_seconds, UnsetType)
            else data.admission_seconds,
            min_account_age_seconds=None if isinstance(data.min_account_age_seconds, UnsetType)
            else data.min_account_age_seconds)
        return DropRulesOut.of(rules)


class RaffleController(Controller):
    path = "/api/v1/products/{product_id:int}/raffle"
    tags = ["fairness"]
    dependencies = {"caller": Provide(provide_caller),
                    "principal": Provide(provide_principal)}

    @post("/open", status_code=200,
          summary="Open raffle entries, optionally until a deadline (its host)")
    async def open_entries(self, product_id: ProductId, caller: Caller, resources: Res,
                           data: JSONBody[RaffleOpenIn | None] = None) -> RaffleOut:
        closes_at = data.closes_at if data is not None else None
        return RaffleOut.of(await fairness_of(resources).open_raffle(caller, product_id,
                                                                     closes_at))

    @post("/close", status_code=200,
          summary="Close entries and draw; winners get holds at once (its host)")
    async def close(self, product_id: ProductId, caller: Caller, resources: Res) -> RaffleOut:
        return RaffleOut.of(await fairness_of(resources).close_raffle(caller, product_id))

    @post(["/", "/entries"], status_code=201, summary="Enter the raffle (once per viewer)")
    async def enter(self, product_id: ProductId, caller: Caller,
                    request: Request[Any, Any, Any], resources: Res) -> EntryOut:
        fairness = fairness_of(resources)
        entry = await fairness.enter_raffle(caller, product_id, client_ip(request))
        state = await fairness.raffle_state(product_id, None)
        return EntryOut.of(state.raffle, product_id, entry)

    @get("/", summary="The raffle: status, seed commitment, results, and my entry")
    async def read(self, product_id: ProductId, principal: MaybePrincipal, resources: Res
                   ) -> RaffleOut:
        return RaffleOut.of(await fairness_of(resources).raffle_state(product_id, principal))

    @get("/entries", summary="All entries with rank and outcome, and the seed once drawn")
    async def entries(self, product_id: ProductId, resources: Res) -> RaffleEntriesOut:
        raffle, entries = await fairness_of(resources).raffle_entries(product_id)
        return RaffleEntriesOut.of(raffle, entries)


class ShowLimitController(Controller):
    path = "/api/v1/shows/{show_id:int}/purchase-limit"
    tags = ["fairness"]
    dependencies = {"caller": Provide(provide_caller)}

    @get("/", summary="How many units one buyer may hold or buy across the show's products")
    async def read(self, show_id: ShowId, resources: Res) -> ShowLimitOut:
        limit = await fairness_of(resources).show_limit(show_id)
        return ShowLimitOut(show_id=show_id, per_user_limit=limit)

    @put("/", summary="Set (or clear with null) the per-show purchase limit (its host)")
    async def update(self, show_id: ShowId, data: JSONBody[ShowLimitIn], caller: Caller,
                     resources: Res) -> ShowLimitOut:
        limit = await fairness_of(resources).set_show_limit(caller, show_id,
                                                            data.per_user_limit)
        return ShowLimitOut(show_id=show_id, per_user_limit=limit)
