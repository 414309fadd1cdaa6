"""A queue-mode drop against real servers (two workers, PostgreSQL, Redis): 2,000 viewers join
before the opening and 500 after. The pre-opening order is a fresh random permutation, later
joiners stay behind in arrival order, nobody is admitted twice and no unit is sold twice."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.commerce.queue_harness import (
    DropResult,
    cheat,
    join_all,
    open_sale,
    queue_product,
    read_tickets,
    shop,
)
from tests.commerce.sale_harness import assert_ledger_balances, inventory, sale_site, seed_users
from tests.support.services import REDIS_URL, fresh_postgres_database
from tests.support.stats import chi_square_critical, contingency_chi_square, spearman

pytestmark = pytest.mark.integration

POOL, LATE, STOCK = 2000, 500, 60


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database("sf_queue") as url:
        yield url


async def test_2000_before_and_500_after_opening(tmp_path: Path, postgres_url: str) -> None:
    with sale_site(tmp_path, postgres_url, REDIS_URL, processes=2) as site:
        show_id, product_id, host = await queue_product(site, stock=STOCK,
                                                        admission_seconds=5)
        users = await seed_users(postgres_url, POOL + LATE)
        pool = await join_all(site, product_id, users[:POOL])
        await open_sale(site, product_id, host)
        late = await join_all(site, product_id, users[POOL:])
        await read_tickets(site, product_id, pool + late)

        # The pool: a permutation of 1..2000, unrelated to arrival order.
        assert sorted(t.arrival for t in pool) == list(range(1, POOL + 1))
        assert sorted(t.rank for t in pool) == list(range(1, POOL + 1))
        by_arrival = sorted(pool, key=lambda t: t.arrival)
        ranks = [t.rank for t in by_arrival]
        assert ranks != list(range(1, POOL + 1))
        rho = spearman(list(range(POOL)), ranks)
        assert abs(rho) < 0.1, rho  # under independence the sd is 1/sqrt(1999) ~ 0.022
        # Arrival decile against rank decile: no cell of the 10x10 table stands out.
        pairs = [(t.arrival - 1, t.rank - 1) for t in pool]
        assert contingency_chi_square(pairs, 10, POOL) < chi_square_critical(81)
        # Early arrivals are not favoured: the first tenth to arrive got ranks across the
        # whole range, about as many in the front half as in the back.
        first_tenth = [t.rank for t in by_arrival[:POOL // 10]]
        front = sum(1 for r in first_tenth if r <= POOL // 2)
        assert 60 < front < 140, front
        # Later joiners: behind everyone of the pool, in the order they arrived.
        late_sorted = sorted(late, key=lambda t: t.arrival)
        assert [t.rank for t in late_sorted] == list(range(POOL + 1, POOL + LATE + 1))
        assert all(t.status == "waiting" for t in late)

        # Viewers not yet admitted who try to hold are refused.
        waiting = sorted(pool + late, key=lambda t: t.rank)[STOCK:STOCK + 300]
        statuses = await cheat(site, product_id, waiting)
        assert set(statuses) == {403}, statuses

        result = DropResult(pool=pool, late=late, opened_at=time.monotonic())
        await shop(site, show_id, product_id, pool + late, STOCK, walk_away=0.25,
                   result=result)

        assert result.sold_out_event, "everyone still waiting was told it sold out"
        assert result.served_seen == sorted(result.served_seen)
        # One ticket per viewer, one rank per ticket, and admission walks the ranks once: the
        # server's own view of every ticket says who was admitted, each at most once.
        everyone = pool + late
        assert len({t.rank for t in everyone}) == len({t.user_id for t in everyone}) == 2500
        await read_tickets(site, product_id, everyone)
        served = max(result.served_seen)
        for t in everyone:
            if t.rank > served:
                assert t.status == "sold_out", t
            else:
                assert t.status in ("admitted", "completed", "expired", "sold_out"), t
        buyers = {p.user_id for p in result.purchases}
        odd = [(t, [p for p in result.purchases if p.user_id == t.user_id]) for t in everyone
               if t.user_id in buyers and t.status not in ("admitted", "completed")]
        assert not odd, (odd, result.opened_at, time.monotonic(), result.served_seen)
        assert Counter(result.admitted_users).most_common(1)[0][1] == 1
        assert len(result.purchases) == STOCK
        assert len({p.user_id for p in result.purchases}) == STOCK
        rank_of = {t.user_id: t.rank for t in pool + late}
        # Admission went down the ranks: every buyer was within the ranks served.
        assert max(rank_of[p.user_id] for p in result.purchases) <= max(result.served_seen)
        assert set(result.refusals) <= {"second_limit_exceeded", "second_admission_expired",
                                        "second_sold_out", "sold_out"}, result.refusals

        state = await inventory(postgres_url, product_id)
        assert_ledger_balances(state)
        assert state["sold"] == STOCK
        assert state["held"] == 0
        assert len({o.user_id for o in state["orders"]}) == len(state["orders"]) == STOCK
        assert {t.status for t in late} == {"sold_out"}
