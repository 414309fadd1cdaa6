"""Real commerce servers with many buyers, for races and faults over real HTTP."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from commerce.adapters.tables import holds, inventory_ledger, orders, products, users
from commerce.auth.tokens import AccessTokens
from commerce.domain.users import Principal, Role
from showfloor.db import create_engine
from tests.support.http_load import KeepAliveConnection
from tests.support.processes import SHOWFLOOR, free_port, showfloor_server
from tests.support.services import unique_redis_prefix

JWT_SECRET = "race-tests-secret-" + "r" * 40


@dataclass
class SaleSite:
    urls: list[str]
    database_url: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    tokens: AccessTokens = field(default_factory=lambda: AccessTokens(JWT_SECRET, 3600))

    def token(self, user_id: int, role: Role = Role.VIEWER) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(Principal(user_id, role)).token}"}


def env_for(var_dir: Path, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {
        "SHOWFLOOR_VAR_DIR": str(var_dir),
        "SHOWFLOOR_DATABASE_URL": database_url,
        "SHOWFLOOR_JWT_SECRET": JWT_SECRET,
        "SHOWFLOOR_LOG_LEVEL": "WARNING",
        # Every simulated buyer comes from 127.0.0.1: per-address limits would measure that.
        "SHOWFLOOR_SALE_ATTEMPTS_PER_IP": "100000000",
    }
    if redis_url:
        env["SHOWFLOOR_REDIS_URL"] = redis_url
        # Product ids restart in every test database: keep each test's keys apart.
        env["SHOWFLOOR_REDIS_PREFIX"] = unique_redis_prefix("sale")
    return env


@contextmanager
def sale_site(var_dir: Path, database_url: str, redis_url: str | None, *,
              processes: int = 1) -> Iterator[SaleSite]:
    env = env_for(var_dir, database_url, redis_url)
    subprocess.run([*SHOWFLOOR, "db", "upgrade"], env={**os.environ, **env}, check=True,
                   capture_output=True)
    site = SaleSite(urls=[], database_url=database_url, env=env)
    with ExitStack() as stack:
        for _ in range(processes):
            port = free_port()
            proc = stack.enter_context(showfloor_server(
                ["serve", "commerce", "--port", str(port)], env=env, port=port, log_dir=var_dir))
            site.urls.append(f"http://127.0.0.1:{port}")
            site.procs.append(proc)
        yield site


async def seed_users(database_url: str, count: int, *, role: str = "viewer") -> list[int]:
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    tag = os.urandom(4).hex()
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(users), [
                {"email": f"buyer{i}-{tag}@example.com", "password_hash": "!",
                 "display_name": f"Buyer {i}", "role": role, "created_at": now}
                for i in range(count)
            ])
            rows = await conn.execute(select(users.c.id).where(users.c.email.like(f"%-{tag}@%"))
                                      .order_by(users.c.id))
            return [int(r[0]) for r in rows]
    finally:
        await engine.dispose()


async def open_product(site: SaleSite, *, stock: int, per_user_limit: int = 1,
                       hold_ttl_seconds: int = 600) -> tuple[int, int, dict[str, str]]:
    (host_id,) = await seed_users(site.database_url, 1, role="host")
    host = site.token(host_id, Role.HOST)
    async with httpx.AsyncClient(base_url=site.urls[0], timeout=30) as client:
        show = (await client.post("/api/v1/shows/", json={"title": "Flash"}, headers=host))
        show.raise_for_status()
        product = await client.post(
            f"/api/v1/shows/{show.json()['id']}/products/",
            json={"sku": "FLASH", "title": "Flash item", "price_minor": 999, "currency": "EUR",
                  "stock": stock, "per_user_limit": per_user_limit,
                  "hold_ttl_seconds": hold_ttl_seconds},
            headers=host)
        product.raise_for_status()
        product_id = int(product.json()["id"])
        opened = await client.post(f"/api/v1/products/{product_id}/sale/open", headers=host)
        opened.raise_for_status()
    return int(show.json()["id"]), product_id, host


@dataclass
class Attempt:
    user_id: int
    status: int
    code: str | None
    hold_id: str | None


async def race(site: SaleSite, product_id: int, user_ids: list[int], attempts_each: int, *,
               concurrency: int = 100, during: Any = None) -> list[Attempt]:
    """Every user tries ``attempts_each`` times at once, over ``concurrency`` keep-alive
    connections spread across the site's servers."""
    tokens = {uid: site.token(uid) for uid in user_ids}
    jobs = [uid for uid in user_ids for _ in range(attempts_each)]
    random.shuffle(jobs)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for uid in jobs:
        queue.put_nowait(uid)
    path = f"/api/v1/products/{product_id}/holds"
    results: list[Attempt] = []

    async def one(connection: KeepAliveConnection, user_id: int) -> Attempt:
        for _ in range(100):
            try:
                reply = await connection.request("POST", path, json_body={"quantity": 1},
                                                 headers=tokens[user_id])
            except OSError:
                await asyncio.sleep(0.1)
                continue
            if reply.status == 503:  # the gate is briefly unavailable: retry, as a client
                await asyncio.sleep(0.1)
                continue
            body = reply.json()
            return Attempt(user_id, reply.status, body.get("code"), body.get("hold_id"))
        return Attempt(user_id, 503, "gave_up", None)

    async def worker(n: int) -> None:
        host, port = site.urls[n % len(site.urls)].removeprefix("http://").split(":")
        connection = KeepAliveConnection(host, int(port))
        try:
            while not queue.empty():
                results.append(await one(connection, queue.get_nowait()))
        finally:
            await connection.close()

    workers = [asyncio.create_task(worker(n)) for n in range(concurrency)]
    if during is not None:
        await during(workers, results, len(jobs))
    await asyncio.gather(*workers)
    return results


def winners(results: list[Attempt]) -> Counter[int]:
    return Counter(a.user_id for a in results if a.status == 201)


async def inventory(database_url: str, product_id: int) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(select(products.c.stock, products.c.held, products.c.sold)
                                      .where(products.c.id == product_id))).one()
            hold_rows = (await conn.execute(select(holds).where(holds.c.product_id == product_id)
                                            )).all()
            order_rows = (await conn.execute(select(orders)
                                             .where(orders.c.product_id == product_id))).all()
            ledger_rows = (await conn.execute(
                select(inventory_ledger).where(inventory_ledger.c.product_id == product_id)
                .order_by(inventory_ledger.c.id))).all()
    finally:
        await engine.dispose()
    return {"stock": row.stock, "held": row.held, "sold": row.sold, "holds": hold_rows,
            "orders": order_rows, "ledger": ledger_rows}


def assert_ledger_balances(state: dict[str, Any]) -> None:
    held = sold = 0
    for entry in state["ledger"]:
        sign_held = {"hold": 1, "release": -1, "expire": -1, "sell": -1}.get(entry.reason, 0)
        sign_sold = {"sell": 1, "cancel": -1}.get(entry.reason, 0)
        held += sign_held * entry.quantity
        sold += sign_sold * entry.quantity
        assert 0 <= entry.held_after + entry.sold_after <= entry.stock_after
    assert (held, sold) == (state["held"], state["sold"])
    active = sum(h.quantity for h in state["holds"] if h.status == "active")
    live_orders = sum(o.quantity for o in state["orders"] if o.status != "cancelled")
    assert active == state["held"]
    assert live_orders == state["sold"]
    assert state["held"] + state["sold"] <= state["stock"]
