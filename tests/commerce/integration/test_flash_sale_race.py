"""Flash sales over real HTTP against real servers: races and faults. No unit sold twice, none
lost, on the embedded stack and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.commerce.sale_harness import (
    assert_ledger_balances,
    inventory,
    open_product,
    race,
    sale_site,
    seed_users,
    winners,
)
from tests.support.redis_server import own_redis
from tests.support.services import REDIS_URL, fresh_postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database("sf_race") as url:
        yield url


async def wait_until(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.25)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize("backend", ["embedded", "production"])
async def test_500_users_4_attempts_stock_50(backend: str, tmp_path: Path,
                                             postgres_url: str) -> None:
    if backend == "embedded":
        database_url, redis_url, processes = (
            f"sqlite+aiosqlite:///{tmp_path / 'race.sqlite3'}", None, 1)
    else:
        database_url, redis_url, processes = postgres_url, REDIS_URL, 2
    with sale_site(tmp_path, database_url, redis_url, processes=processes) as site:
        _, product_id, _ = await open_product(site, stock=50, hold_ttl_seconds=10)
        buyers = await seed_users(database_url, 500)
        results = await race(site, product_id, buyers, 4)

        won = winners(results)
        assert sum(won.values()) == 50, "exactly the stock was held"
        assert max(won.values()) == 1, "nobody holds two"
        losers = [a for a in results if a.status != 201]
        assert {a.code for a in losers} <= {"sold_out", "limit_exceeded"}

        # Half the winners check out, the other half let their holds expire.
        holders = [a for a in results if a.status == 201]
        async with httpx.AsyncClient(base_url=site.urls[0], timeout=30) as client:
            for attempt in holders[:25]:
                r = await client.post(
                    "/api/v1/orders/", json={"hold_id": attempt.hold_id},
                    headers={**site.token(attempt.user_id), "Idempotency-Key": uuid.uuid4().hex})
                assert r.status_code == 201, r.text

            async def expired() -> bool:
                view = (await client.get(f"/api/v1/products/{product_id}")).json()
                return bool(view["held"] == 0)

            await wait_until(expired)
            view = (await client.get(f"/api/v1/products/{product_id}")).json()
        assert (view["stock"], view["available"], view["held"], view["sold"]) == (50, 25, 0, 25)
        state = await inventory(database_url, product_id)
        assert_ledger_balances(state)
        assert len(state["orders"]) == 25
        assert sum(1 for h in state["holds"] if h.status == "expired") == 25


async def test_redis_flushed_and_restarted_during_a_race(tmp_path: Path,
                                                         postgres_url: str) -> None:
    with own_redis(tmp_path) as server, \
            sale_site(tmp_path, postgres_url, server.url, processes=2) as site:
        _, product_id, _ = await open_product(site, stock=40)
        buyers = await seed_users(postgres_url, 300)

        async def flush_then_restart(_: object, results: list[object], total: int) -> None:
            while len(results) < total // 4:
                await asyncio.sleep(0.01)
            server.flush()
            while len(results) < total // 2:
                await asyncio.sleep(0.01)
            server.stop()
            await asyncio.sleep(0.5)
            server.start()

        results = await race(site, product_id, buyers, 3, during=flush_then_restart)
        won = winners(results)
        state = await inventory(postgres_url, product_id)
        assert_ledger_balances(state)
        assert state["held"] == sum(won.values()) <= 40, "every 201 is a durable hold"
        assert max(won.values()) == 1
        live = [h for h in state["holds"] if h.status == "active"]
        assert len({h.user_id for h in live}) == len(live), "nobody holds two"

        # The gate is rebuilt from the database and agrees with it.
        async with httpx.AsyncClient(timeout=10) as client:
            async def ready_and_agreeing() -> bool:
                ready = (await client.get(f"{site.urls[0]}/readyz")).status_code == 200
                view = (await client.get(f"{site.urls[1]}/api/v1/products/{product_id}")).json()
                return ready and view["held"] == state["held"] and \
                    view["available"] == 40 - state["held"]

            await wait_until(ready_and_agreeing)
        client_redis = redis.Redis.from_url(server.url)
        assert client_redis.exists(site.env["SHOWFLOOR_REDIS_PREFIX"] + "gate:ready")


async def test_killed_worker_holds_still_expire(tmp_path: Path, postgres_url: str) -> None:
    with sale_site(tmp_path, postgres_url, REDIS_URL, processes=2) as site:
        _, product_id, _ = await open_product(site, stock=5, per_user_limit=1,
                                              hold_ttl_seconds=10)
        buyers = await seed_users(postgres_url, 5)
        async with httpx.AsyncClient(base_url=site.urls[0], timeout=10) as client:
            for buyer in buyers:
                r = await client.post(f"/api/v1/products/{product_id}/holds", json={},
                                      headers=site.token(buyer))
                assert r.status_code == 201
        os.killpg(site.procs[0].pid, signal.SIGKILL)
        site.procs[0].wait()
        async with httpx.AsyncClient(base_url=site.urls[1], timeout=10) as client:
            assert (await client.get(f"/api/v1/products/{product_id}")).json()["available"] == 0

            async def returned() -> bool:
                view = (await client.get(f"/api/v1/products/{product_id}")).json()
                return bool(view["available"] == 5)

            await wait_until(returned)
        state = await inventory(postgres_url, product_id)
        assert_ledger_balances(state)
        assert all(h.status == "expired" for h in state["holds"])


@pytest.mark.parametrize("backend", ["embedded", "production"])
async def test_same_idempotency_key_concurrently_makes_one_order(
    backend: str, tmp_path: Path, postgres_url: str
) -> None:
    if backend == "embedded":
        database_url, redis_url, processes = (
            f"sqlite+aiosqlite:///{tmp_path / 'idem.sqlite3'}", None, 1)
    else:
        database_url, redis_url, processes = postgres_url, REDIS_URL, 2
    with sale_site(tmp_path, database_url, redis_url, processes=processes) as site:
        _, product_id, _ = await open_product(site, stock=3)
        (buyer,) = await seed_users(database_url, 1)
        headers = site.token(buyer)
        async with httpx.AsyncClient(base_url=site.urls[0], timeout=10) as client:
            held = await client.post(f"/api/v1/products/{product_id}/holds", json={},
                                     headers=headers)
            hold_id = held.json()["hold_id"]
        key = uuid.uuid4().hex
        clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in site.urls]
        try:
            responses = await asyncio.gather(*(
                clients[n % len(clients)].post(
                    "/api/v1/orders/", json={"hold_id": hold_id},
                    headers={**headers, "Idempotency-Key": key})
                for n in range(12)
            ))
        finally:
            for client in clients:
                await client.aclose()
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        state = await inventory(database_url, product_id)
        assert len(state["orders"]) == 1
        assert state["sold"] == 1
        assert_ledger_balances(state)
