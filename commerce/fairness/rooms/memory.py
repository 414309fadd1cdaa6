"""In-process waiting rooms for the embedded mode: the reference model itself."""

from __future__ import annotations

from commerce.fairness.waiting_room import (
    MAX_BATCH,
    PumpResult,
    RoomView,
    TicketView,
    WaitingRoom,
)


class MemoryWaitingRooms:
    def __init__(self) -> None:
        self._rooms: dict[int, WaitingRoom] = {}
        self._active: set[int] = set()

    def _room(self, product_id: int) -> WaitingRoom:
        return self._rooms.setdefault(product_id, WaitingRoom())

    async def announce(self, product_id: int) -> RoomView:
        room = self._room(product_id)
        room.announce()
        self._active.add(product_id)
        return room.view()

    async def open(self, product_id: int) -> RoomView:
        room = self._room(product_id)
        room.announce()
        room.open()
        self._active.add(product_id)
        return room.view()

    async def join(self, product_id: int, user_id: int, ticket: str, key: int
                   ) -> tuple[str, bool]:
        room = self._rooms.get(product_id)
        # An unknown room refuses like a closed one, without coming into existence.
        return (room or WaitingRoom()).join(user_id, ticket, key)

    async def pump(self, product_id: int, *, now_ms: int, available: int, held: int,
                   admission_ms: int, budget: int = MAX_BATCH) -> PumpResult | None:
        room = self._rooms.get(product_id)
        if room is None:
            return None
        return room.pump(now_ms=now_ms, available=available, held=held,
                         admission_ms=admission_ms, budget=budget)

    async def ticket(self, product_id: int, ticket: str, now_ms: int) -> TicketView | None:
        room = self._rooms.get(product_id)
        return None if room is None else room.ticket_view(ticket, now_ms)

    async def ticket_of_user(self, product_id: int, user_id: int, now_ms: int
                             ) -> TicketView | None:
        room = self._rooms.get(product_id)
        if room is None or user_id not in room.user_ticket:
            return None
        return room.ticket_view(room.user_ticket[user_id], now_ms)

    async def use(self, product_id: int, user_id: int, now_ms: int) -> None:
        room = self._rooms.get(product_id)
        if room is not None:
            room.use(user_id, now_ms)

    async def leave(self, product_id: int, user_id: int) -> bool:
        room = self._rooms.get(product_id)
        return room is not None and room.leave(user_id)

    async def room(self, product_id: int) -> RoomView | None:
        room = self._rooms.get(product_id)
        return None if room is None else room.view()

    async def active(self) -> set[int]:
        return set(self._active)

    async def pause(self, product_id: int) -> None:
        self._active.discard(product_id)

    async def forget(self, product_id: int) -> None:
        self._rooms.pop(product_id, None)
        self._active.discard(product_id)
