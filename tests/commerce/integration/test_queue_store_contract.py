"""One contract for both waiting-room stores (in-process and Redis Lua), checked against the
reference model: the same operations give the same tickets, ranks, admissions and views."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce.fairness.rooms.base import WaitingRooms
from commerce.fairness.rooms.memory import MemoryWaitingRooms
from commerce.fairness.rooms.redis import RedisWaitingRooms
from commerce.fairness.waiting_room import Phase, QueueNotOpen, TicketStatus, WaitingRoom
from showfloor.web import connect_redis
from tests.support.services import REDIS_URL, unique_redis_prefix

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def rooms(request: pytest.FixtureRequest) -> AsyncIterator[WaitingRooms]:
    if request.param == "memory":
        yield MemoryWaitingRooms()
        return
    redis = connect_redis(REDIS_URL)
    try:
        yield RedisWaitingRooms(redis, unique_redis_prefix("rooms"))
    finally:
        await redis.aclose()


async def test_unknown_rooms_refuse_joins_and_know_nothing(rooms: WaitingRooms) -> None:
    with pytest.raises(QueueNotOpen):
        await rooms.join(1, 5, "a" * 32, 1)
    assert await rooms.room(1) is None
    assert await rooms.ticket(1, "a" * 32, 0) is None
    assert await rooms.ticket_of_user(1, 5, 0) is None
    assert await rooms.pump(1, now_ms=0, available=5, held=0, admission_ms=1000) is None
    assert not await rooms.leave(1, 5)


async def test_a_drop_from_announcement_to_sold_out(rooms: WaitingRooms) -> None:
    pid = 7
    view = await rooms.announce(pid)
    assert view.phase is Phase.WAITING
    assert pid in await rooms.active()
    rng = random.Random(1)
    for user in range(1, 11):
        _ticket, created = await rooms.join(pid, user, f"{user:032x}", rng.getrandbits(52))
        assert created
    pooled = await rooms.ticket_of_user(pid, 3, 0)
    assert pooled is not None
    assert pooled.status is TicketStatus.POOLED
    assert pooled.rank is None
    assert (await rooms.open(pid)).pool_size == 10
    for user in range(11, 14):
        await rooms.join(pid, user, f"{user:032x}", 0)
    late = await rooms.ticket_of_user(pid, 13, 0)
    assert late is not None
    assert late.rank == 13
    assert late.position == 13
    result = await rooms.pump(pid, now_ms=1000, available=4, held=0, admission_ms=5000)
    assert result is not None
    assert len(result.admitted) == 4
    assert result.room.served == 4
    first = result.admitted[0]
    view_first = await rooms.ticket(pid, first.ticket, 1000)
    assert view_first is not None
    assert view_first.status is TicketStatus.ADMITTED
    assert view_first.admitted_until_ms == 6000
    assert view_first.rank == 1
    await rooms.use(pid, first.user_id, 1500)
    sold = await rooms.pump(pid, now_ms=7000, available=0, held=0, admission_ms=5000)
    assert sold is not None
    assert sold.room.sold_out
    assert sold.expired == 3
    for user in range(11, 14):
        waiting = await rooms.ticket_of_user(pid, user, 7000)
        assert waiting is not None
        assert waiting.status is TicketStatus.SOLD_OUT
    done = await rooms.ticket(pid, first.ticket, 7000)
    assert done is not None
    assert done.status is TicketStatus.COMPLETED
    await rooms.pause(pid)
    assert pid not in await rooms.active()
    assert await rooms.room(pid) is not None
    await rooms.open(pid)
    assert pid in await rooms.active()
    await rooms.forget(pid)
    assert await rooms.room(pid) is None
    assert pid not in await rooms.active()


operations = st.lists(st.one_of(
    st.tuples(st.just("join"), st.integers(1, 12)),
    st.tuples(st.just("leave"), st.integers(1, 12)),
    st.tuples(st.just("use"), st.integers(1, 12)),
    st.tuples(st.just("open"), st.just(0)),
    st.tuples(st.just("pump"), st.integers(-1, 5)),
    st.tuples(st.just("tick"), st.integers(1, 4000)),
), max_size=40)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fresh room per example
@given(steps=operations)
async def test_same_answers_as_the_model(rooms: WaitingRooms, steps: list[tuple[str, int]]
                                         ) -> None:
    pid = random.randrange(1, 2**40)
    model = WaitingRoom()
    model.announce()
    await rooms.announce(pid)
    now = 1_000_000
    for n, (op, arg) in enumerate(steps):
        if op == "join":
            ticket, key = f"{n:02d}{arg:030x}", (n * 2654435761) % 2**52
            assert await rooms.join(pid, arg, ticket, key) == model.join(arg, ticket, key)
        elif op == "leave":
            assert await rooms.leave(pid, arg) == model.leave(arg)
        elif op == "use":
            await rooms.use(pid, arg, now)
            model.use(arg, now)
        elif op == "open":
            await rooms.open(pid)
            model.open()
        elif op == "tick":
            now += arg
        else:
            got = await rooms.pump(pid, now_ms=now, available=arg, held=arg % 2,
                                   admission_ms=3000)
            want = model.pump(now_ms=now, available=arg, held=arg % 2, admission_ms=3000)
            assert got == want
        assert await rooms.room(pid) == model.view()
    for user, ticket in model.user_ticket.items():
        assert await rooms.ticket(pid, ticket, now) == model.ticket_view(ticket, now)
        assert await rooms.ticket_of_user(pid, user, now) == model.ticket_view(ticket, now)
    await rooms.forget(pid)
