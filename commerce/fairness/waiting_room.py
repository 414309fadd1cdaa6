"""The virtual waiting room of one product (queue mode), as plain rules.

Viewers join from the moment the host announces the drop. Everyone who joins before the sale
opens is in the *pool*: each pool ticket gets a secret random key (cryptographically random,
drawn by the service) when it joins, and at opening the pool is put in key order, which is a
uniformly random permutation of the pool, independent of arrival order. Tickets taken after the
opening go behind the whole pool, in arrival order.

Every ticket thus has a *rank* (1 = first). Admission walks the ranks in order, one admission per
ticket at most: ``served`` is the highest rank reached. The number admitted at once is sized to
the stock left: free units minus admissions not yet turned into a hold. An admission is a right to
place holds until ``admitted_until``; an admission that ends unused frees its slot for the next
rank. A waiting ticket's position is ``rank - served``, so one broadcast of ``served`` tells every
viewer where they stand.

:class:`WaitingRoom` is the reference model: the in-process backend runs it, the Redis backend
runs the same rules as Lua scripts, and one contract suite holds both to it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from commerce.domain.errors import Conflict

MAX_BATCH = 1000


class Phase(enum.StrEnum):
    CLOSED = "closed"  # not announced: no joins yet
    WAITING = "waiting"  # announced: joins go to the pool, to be shuffled at opening
    OPEN = "open"  # the sale opened: the pool is ordered, later joins go to the back


class TicketStatus(enum.StrEnum):
    POOLED = "pooled"  # joined before opening; the rank is drawn when the sale opens
    WAITING = "waiting"
    ADMITTED = "admitted"  # may place holds until admitted_until
    EXPIRED = "expired"  # the admission ended unused
    COMPLETED = "completed"  # the admission was used (a hold) and has ended
    LEFT = "left"
    SOLD_OUT = "sold_out"  # still waiting, but every unit is sold


class QueueNotOpen(Conflict):
    code = "queue_not_open"


# Ticket states as both backends store them: absent = waiting, ("a", until) admitted and not
# used yet, ("u", until) admitted and used, ("x", 0) admission expired unused, ("l", 0) left.
ADMITTED, USED, EXPIRED, LEFT = "a", "u", "x", "l"


@dataclass(frozen=True, slots=True)
class RoomView:
    phase: Phase
    joined: int  # tickets ever taken (and not withdrawn before opening)
    pool_size: int  # tickets in the shuffled pre-opening group (0 before opening)
    served: int  # ranks reached by admission
    outstanding: int  # admissions not yet turned into a hold
    sold_out: bool

    @property
    def waiting(self) -> int:
        return max(0, self.joined - self.served) if self.phase is Phase.OPEN else self.joined


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: str
    user_id: int
    arrival: int  # 1 = the first to join this room
    rank: int | None  # None until the pool is ordered
    status: TicketStatus
    admitted_until_ms: int | None
    room: RoomView

    @property
    def position(self) -> int | None:
        """Waiting tickets: 1 = next to be admitted; 0 once admitted; None otherwise."""
        if self.status is TicketStatus.WAITING and self.rank is not None:
            return self.rank - self.room.served
        if self.status is TicketStatus.ADMITTED:
            return 0
        return None


@dataclass(frozen=True, slots=True)
class Admission:
    ticket: str
    user_id: int
    until_ms: int


@dataclass(frozen=True, slots=True)
class PumpResult:
    admitted: list[Admission]
    expired: int
    room: RoomView


def status_of(state: tuple[str, int] | None, room: RoomView, now_ms: int) -> TicketStatus:
    if state is None:
        if room.phase is not Phase.OPEN:
            return TicketStatus.POOLED
        return TicketStatus.SOLD_OUT if room.sold_out else TicketStatus.WAITING
    kind, until = state
    if kind in (LEFT, EXPIRED):
        return TicketStatus.LEFT if kind == LEFT else TicketStatus.EXPIRED
    if until <= now_ms:
        return TicketStatus.COMPLETED if kind == USED else TicketStatus.EXPIRED
    if kind == ADMITTED and room.sold_out:
        return TicketStatus.SOLD_OUT
    return TicketStatus.ADMITTED


def batch_size(available: int, outstanding: int) -> int:
    """How many more to admit now: the free units not already promised to an admission."""
    return max(0, available - outstanding)


@dataclass
class WaitingRoom:
    phase: Phase = Phase.CLOSED
    pool: dict[str, int] = field(default_factory=dict)  # ticket -> secret random key
    pool_order: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    user_ticket: dict[int, str] = field(default_factory=dict)
    ticket_user: dict[str, int] = field(default_factory=dict)
    arrival: dict[str, int] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)  # once open
    state: dict[str, tuple[str, int]] = field(default_factory=dict)
    outstanding: dict[str, int] = field(default_factory=dict)  # ticket -> admitted until (ms)
    arrivals: int = 0
    served: int = 0
    sold_out: bool = False

    def view(self) -> RoomView:
        return RoomView(self.phase, len(self.pool_order) + len(self.late) if self.phase
                        is Phase.OPEN else len(self.pool), len(self.pool_order), self.served,
                        len(self.outstanding), self.sold_out)

    def announce(self) -> None:
        if self.phase is Phase.CLOSED:
            self.phase = Phase.WAITING

    def open(self) -> None:
        if self.phase is Phase.OPEN:
            return
        # Ties (probability ~2^-52 per pair) fall back to the ticket id, itself random.
        self.pool_order = sorted(self.pool, key=lambda t: (self.pool[t], t))
        self.ranks = {t: n for n, t in enumerate(self.pool_order, start=1)}
        self.phase = Phase.OPEN

    def join(self, user_id: int, ticket: str, key: int) -> tuple[str, bool]:
        if self.phase is Phase.CLOSED:
            raise QueueNotOpen("The host has not announced this drop yet; the queue opens "
                               "when they do.")
        existing = self.user_ticket.get(user_id)
        if existing is not None:
            return existing, False
        self.arrivals += 1
        if self.phase is Phase.WAITING:
            self.pool[ticket] = key
        else:
            self.late.append(ticket)
            self.ranks[ticket] = len(self.pool_order) + len(self.late)
        self.user_ticket[user_id] = ticket
        self.ticket_user[ticket] = user_id
        self.arrival[ticket] = self.arrivals
        return ticket, True

    def rank(self, ticket: str) -> int | None:
        return self.ranks.get(ticket) if self.phase is Phase.OPEN else None

    def ticket_view(self, ticket: str, now_ms: int) -> TicketView | None:
        user_id = self.ticket_user.get(ticket)
        if user_id is None:
            return None
        room = self.view()
        state = self.state.get(ticket)
        until = state[1] if state is not None and state[0] in (ADMITTED, USED) else None
        return TicketView(ticket, user_id, self.arrival[ticket], self.rank(ticket),
                          status_of(state, room, now_ms), until, room)

    def pump(self, *, now_ms: int, available: int, held: int, admission_ms: int,
             budget: int = MAX_BATCH) -> PumpResult | None:
        if self.phase is not Phase.OPEN:
            return None
        due = [t for t, until in self.outstanding.items() if until <= now_ms]
        for ticket in due:
            del self.outstanding[ticket]
            self.state[ticket] = (EXPIRED, 0)
        self.sold_out = available <= 0 and held <= 0
        slots = batch_size(available, len(self.outstanding))
        total = len(self.pool_order) + len(self.late)
        admitted: list[Admission] = []
        until = now_ms + admission_ms
        while slots > 0 and self.served < total and budget > 0:
            self.served += 1
            budget -= 1
            n = self.served
            ticket = (self.pool_order[n - 1] if n <= len(self.pool_order)
                      else self.late[n - len(self.pool_order) - 1])
            if ticket in self.state:
                continue  # left before its turn
            self.state[ticket] = (ADMITTED, until)
            self.outstanding[ticket] = until
            admitted.append(Admission(ticket, self.ticket_user[ticket], until))
            slots -= 1
        return PumpResult(admitted, len(due), self.view())

    def use(self, user_id: int, now_ms: int) -> None:
        """A hold was placed under this user's admission: its slot became that hold. Late
        news (the window closed while the hold was being placed) is recorded all the same."""
        ticket = self.user_ticket.get(user_id)
        if ticket is None:
            return
        state = self.state.get(ticket)
        if state is not None and state[0] in (ADMITTED, EXPIRED):
            self.state[ticket] = (USED, state[1])
            self.outstanding.pop(ticket, None)

    def leave(self, user_id: int) -> bool:
        ticket = self.user_ticket.get(user_id)
        if ticket is None:
            return False
        if self.phase is not Phase.OPEN:
            # Before opening nobody has a rank yet: withdrawing removes the ticket entirely.
            del self.pool[ticket], self.user_ticket[user_id], self.ticket_user[ticket]
            del self.arrival[ticket]
            return True
        state = self.state.get(ticket)
        if state is not None and state[0] in (LEFT, EXPIRED, USED):
            return False
        self.state[ticket] = (LEFT, 0)
        self.outstanding.pop(ticket, None)
        return True
