"""The waiting room's rules: the pre-opening pool is a uniform shuffle, later joiners queue
behind it in arrival order, admissions follow the stock, nobody is admitted twice."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.fairness.waiting_room import (
    Phase,
    QueueNotOpen,
    TicketStatus,
    WaitingRoom,
    batch_size,
)
from tests.support.stats import chi_square, chi_square_critical, spearman

pytestmark = pytest.mark.unit


def room_with(pool: int, late: int = 0, rng: random.Random | None = None) -> WaitingRoom:
    rng = rng or random.Random(7)
    room = WaitingRoom()
    room.announce()
    for user in range(1, pool + 1):
        room.join(user, f"t{user:05d}", rng.getrandbits(52))
    room.open()
    for user in range(pool + 1, pool + late + 1):
        room.join(user, f"t{user:05d}", rng.getrandbits(52))
    return room


def rank_of(room: WaitingRoom, user: int) -> int:
    rank = room.rank(room.user_ticket[user])
    assert rank is not None
    return rank


def test_joining_needs_an_announcement() -> None:
    with pytest.raises(QueueNotOpen):
        WaitingRoom().join(1, "t1", 5)


def test_pool_order_is_uniform_over_all_permutations() -> None:
    # 5 pre-opening joiners, 12,000 openings: each of the 120 orders should come up ~100 times.
    rng = random.Random(2024)
    seen: Counter[tuple[int, ...]] = Counter()
    trials = 12_000
    for _ in range(trials):
        room = room_with(5, rng=rng)
        seen[tuple(room.ticket_user[t] for t in room.pool_order)] += 1
    perms = list(itertools.permutations(range(1, 6)))
    assert set(seen) == set(perms)
    stat = chi_square([seen[p] for p in perms], [trials / len(perms)] * len(perms))
    assert stat < chi_square_critical(len(perms) - 1)


def test_first_arrival_lands_anywhere_with_equal_chance() -> None:
    rng = random.Random(99)
    trials, n = 4000, 10
    where = Counter(rank_of(room_with(n, rng=rng), 1) for _ in range(trials))
    assert chi_square([where[r] for r in range(1, n + 1)], [trials / n] * n) < \
        chi_square_critical(n - 1)


def test_large_pool_is_uncorrelated_with_arrival_and_late_joiners_stay_behind() -> None:
    room = room_with(2000, late=500, rng=random.Random(5))
    pool_ranks = [rank_of(room, u) for u in range(1, 2001)]
    assert sorted(pool_ranks) == list(range(1, 2001))
    assert pool_ranks != list(range(1, 2001))
    assert abs(spearman(list(range(2000)), pool_ranks)) < 0.1  # null sd is ~0.022
    late_ranks = [rank_of(room, u) for u in range(2001, 2501)]
    assert late_ranks == list(range(2001, 2501))


def test_admissions_follow_the_stock_and_expire() -> None:
    room = room_with(6)
    order = [room.ticket_user[t] for t in room.pool_order]
    first = room.pump(now_ms=1000, available=3, held=0, admission_ms=60_000)
    assert first is not None
    assert [a.user_id for a in first.admitted] == order[:3]
    assert first.room.served == 3
    # Nothing more while those three may still hold.
    again = room.pump(now_ms=2000, available=3, held=0, admission_ms=60_000)
    assert again is not None
    assert again.admitted == []
    # One holds: its slot became the hold; the units left are still promised to the others.
    room.use(order[0], 2500)
    assert room.ticket_view(room.user_ticket[order[0]], 2500).status is TicketStatus.ADMITTED
    assert room.pump(now_ms=3000, available=2, held=1, admission_ms=60_000).admitted == []  # type: ignore[union-attr]
    # The two others let their admission lapse: the next two get theirs.
    after = room.pump(now_ms=61_000, available=2, held=1, admission_ms=60_000)
    assert after is not None
    assert after.expired == 2
    assert [a.user_id for a in after.admitted] == order[3:5]
    view = room.ticket_view(room.user_ticket[order[1]], 61_000)
    assert view is not None
    assert view.status is TicketStatus.EXPIRED
    used = room.ticket_view(room.user_ticket[order[0]], 61_000)
    assert used is not None
    assert used.status is TicketStatus.COMPLETED
    waiting = room.ticket_view(room.user_ticket[order[5]], 61_000)
    assert waiting is not None
    assert waiting.status is TicketStatus.WAITING
    assert waiting.position == 1


def test_sold_out_tells_everyone_waiting() -> None:
    room = room_with(4)
    result = room.pump(now_ms=0, available=0, held=0, admission_ms=1000)
    assert result is not None
    assert result.room.sold_out
    for ticket in room.pool_order:
        view = room.ticket_view(ticket, 0)
        assert view is not None
        assert view.status is TicketStatus.SOLD_OUT
    # Restocked: waiting goes on.
    result = room.pump(now_ms=0, available=1, held=0, admission_ms=1000)
    assert result is not None
    assert not result.room.sold_out
    assert len(result.admitted) == 1


def test_leaving_before_and_after_opening() -> None:
    room = WaitingRoom()
    room.announce()
    for user in (1, 2, 3):
        room.join(user, f"t{user}", user)
    assert room.leave(2)
    assert room.join(2, "t2b", 10) == ("t2b", True)  # before opening a rejoin is a new entry
    room.open()
    assert room.phase is Phase.OPEN
    assert room.leave(1)
    assert not room.leave(1)
    assert room.join(1, "t1c", 0) == ("t1", False)  # after opening: no second ticket
    result = room.pump(now_ms=0, available=5, held=0, admission_ms=1000)
    assert result is not None
    assert sorted(a.user_id for a in result.admitted) == [2, 3]


def test_joining_twice_returns_the_same_ticket() -> None:
    room = WaitingRoom()
    room.announce()
    assert room.join(1, "a", 1) == ("a", True)
    assert room.join(1, "b", 2) == ("a", False)
    assert room.view().joined == 1


def test_batch_size() -> None:
    assert batch_size(10, 3) == 7
    assert batch_size(2, 5) == 0


ops = st.lists(st.one_of(
    st.tuples(st.just("join"), st.integers(1, 30)),
    st.tuples(st.just("leave"), st.integers(1, 30)),
    st.tuples(st.just("use"), st.integers(1, 30)),
    st.tuples(st.just("open"), st.just(0)),
    st.tuples(st.just("pump"), st.integers(0, 6)),
    st.tuples(st.just("tick"), st.integers(1, 5000)),
), max_size=80)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_nobody_is_admitted_twice_and_promises_stay_within_stock(steps: list[tuple[str, int]]
                                                                  ) -> None:
    room = WaitingRoom()
    room.announce()
    now = 0
    admitted: Counter[int] = Counter()
    served = 0
    for n, (op, arg) in enumerate(steps):
        if op == "join":
            room.join(arg, f"t{arg:03d}-{n}", n * 7919 % 1000)
        elif op == "leave":
            room.leave(arg)
        elif op == "use":
            room.use(arg, now)
        elif op == "open":
            room.open()
        elif op == "tick":
            now += arg
        else:
            result = room.pump(now_ms=now, available=arg, held=0, admission_ms=3000)
            if result is not None:
                admitted.update(a.user_id for a in result.admitted)
                assert result.room.served >= served
                served = result.room.served
                assert result.room.outstanding <= max(arg, 0) or not result.admitted
    assert all(count == 1 for count in admitted.values())
