"""The waiting-room store interface; both backends follow :mod:`commerce.fairness.waiting_room`.

Randomness (ticket ids, the pool keys) and the clock are the caller's: the stores are
deterministic, so one contract suite can hold both to the reference model.
"""

from __future__ import annotations

from typing import Protocol

from commerce.fairness.waiting_room import MAX_BATCH, PumpResult, RoomView, TicketView


class WaitingRooms(Protocol):
    async def announce(self, product_id: int) -> RoomView:
        """Start taking joins (idempotent)."""
        ...

    async def open(self, product_id: int) -> RoomView:
        """Order the pool and send later joins to the back (idempotent; announces if needed)."""
        ...

    async def join(self, product_id: int, user_id: int, ticket: str, key: int
                   ) -> tuple[str, bool]:
        """The user's ticket and whether it is new. Raises QueueNotOpen before announcing."""
        ...

    async def pump(self, product_id: int, *, now_ms: int, available: int, held: int,
                   admission_ms: int, budget: int = MAX_BATCH) -> PumpResult | None:
        """Expire due admissions and admit the next ranks; None unless the room is open."""
        ...

    async def ticket(self, product_id: int, ticket: str, now_ms: int) -> TicketView | None: ...

    async def ticket_of_user(self, product_id: int, user_id: int, now_ms: int
                             ) -> TicketView | None: ...

    async def use(self, product_id: int, user_id: int, now_ms: int) -> None:
        """A hold was placed under this user's admission (even if its window just closed)."""
        ...

    async def leave(self, product_id: int, user_id: int) -> bool: ...

    async def room(self, product_id: int) -> RoomView | None: ...

    async def active(self) -> set[int]:
        """Rooms to pump: announced or opened, and not paused since."""
        ...

    async def pause(self, product_id: int) -> None:
        """Stop pumping this room (its sale closed); it keeps its state for when it reopens."""
        ...

    async def forget(self, product_id: int) -> None: ...
