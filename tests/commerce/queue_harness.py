"""A queue-mode drop against real servers: many viewers join before and after the opening,
learn of their admission from the show's channel (the Redis event bus, as edge would relay it),
and buy or walk away. Used by the race tests and the queue-mode benchmark."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from commerce.domain.users import Role
from edge.bus import RedisEventBus
from edge.events import QueueEvent
from showfloor.web import connect_redis
from tests.commerce.sale_harness import SaleSite, seed_users
from tests.support.http_load import KeepAliveConnection


@dataclass
class Ticket:
    user_id: int
    ticket: str
    arrival: int
    rank: int = 0
    status: str = ""


@dataclass
class Purchase:
    user_id: int
    rank: int
    held_at: float
    ordered_at: float


@dataclass
class DropResult:
    pool: list[Ticket]
    late: list[Ticket]
    purchases: list[Purchase] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    opened_at: float = 0.0
    sold_out_at: float | None = None
    served_seen: list[int] = field(default_factory=list)
    sold_out_event: bool = False
    admitted_users: list[int] = field(default_factory=list)


async def queue_product(site: SaleSite, *, stock: int, admission_seconds: int,
                        per_user_limit: int = 1) -> tuple[int, int, dict[str, str]]:
    (host_id,) = await seed_users(site.database_url, 1, role="host")
    host = site.token(host_id, Role.HOST)
    async with httpx.AsyncClient(base_url=site.urls[0], timeout=30) as client:
        show = await client.post("/api/v1/shows/", json={"title": "Queue drop"}, headers=host)
        show.raise_for_status()
        show_id = int(show.json()["id"])
        product = await client.post(
            f"/api/v1/shows/{show_id}/products/",
            json={"sku": "DROP", "title": "Hot drop", "price_minor": 999, "currency": "EUR",
                  "stock": stock, "per_user_limit": per_user_limit, "sale_mode": "queue"},
            headers=host)
        product.raise_for_status()
        product_id = int(product.json()["id"])
        rules = await client.put(f"/api/v1/products/{product_id}/fairness",
                                 json={"admission_seconds": admission_seconds}, headers=host)
        rules.raise_for_status()
        announced = await client.post(f"/api/v1/products/{product_id}/queue/announce",
                                      headers=host)
        announced.raise_for_status()
    return show_id, product_id, host


async def run_jobs(site: SaleSite, jobs: list[Any],
                   work: Callable[[KeepAliveConnection, Any], Awaitable[None]],
                   concurrency: int = 100) -> None:
    """Run ``work`` for every job over ``concurrency`` keep-alive connections spread across
    the site's servers."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker(n: int) -> None:
        host, port = site.urls[n % len(site.urls)].removeprefix("http://").split(":")
        connection = KeepAliveConnection(host, int(port))
        try:
            while not queue.empty():
                await work(connection, queue.get_nowait())
        finally:
            await connection.close()

    await asyncio.gather(*(worker(n) for n in range(min(concurrency, max(1, len(jobs))))))


async def join_all(site: SaleSite, product_id: int, user_ids: list[int]) -> list[Ticket]:
    tickets: list[Ticket] = []
    order = user_ids[:]
    random.shuffle(order)

    async def join(connection: KeepAliveConnection, user_id: int) -> None:
        for _ in range(50):
            reply = await connection.request("POST", f"/api/v1/products/{product_id}/queue",
                                             headers=site.token(user_id))
            if reply.status in (200, 201):
                body = reply.json()
                tickets.append(Ticket(user_id, body["ticket"], body["arrival"]))
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"user {user_id} could not join: {reply.status} {reply.body!r}")

    await run_jobs(site, order, join)
    return tickets


async def read_tickets(site: SaleSite, product_id: int, tickets: list[Ticket]) -> None:
    async def read(connection: KeepAliveConnection, ticket: Ticket) -> None:
        reply = await connection.request("GET",
                                         f"/api/v1/products/{product_id}/queue/{ticket.ticket}")
        assert reply.status == 200, reply.body
        body = reply.json()
        ticket.rank = int(body["rank"]) if body["rank"] is not None else 0
        ticket.status = body["status"]

    await run_jobs(site, tickets, read)


async def open_sale(site: SaleSite, product_id: int, host: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=site.urls[0], timeout=30) as client:
        (await client.post(f"/api/v1/products/{product_id}/sale/open",
                           headers=host)).raise_for_status()


async def shop(site: SaleSite, show_id: int, product_id: int, tickets: list[Ticket],
               stock: int, *, walk_away: float, result: DropResult,
               opening: Callable[[], Awaitable[None]] | None = None,
               late_join: Callable[[], Awaitable[list[Ticket]]] | None = None,
               timeout: float = 120.0, seed: int | None = None) -> None:
    """The sale as viewers live it: each learns its rank from its ticket once the sale opens
    (``opening``), and its admission from the show's channel; admitted viewers hold and check
    out at once, except a ``walk_away`` share who let their admission lapse. ``late_join``
    brings more viewers in meanwhile. Ends when the drop is sold out."""
    rng = random.Random(seed)
    prefix = site.env["SHOWFLOOR_REDIS_PREFIX"]
    redis = connect_redis(site.env["SHOWFLOOR_REDIS_URL"])
    bus = RedisEventBus(redis, prefix=prefix)
    done = asyncio.Event()
    sold = 0
    served = 0
    by_rank: dict[int, Ticket] = {}
    started: set[int] = set()
    pending: set[asyncio.Task[None]] = set()
    connections = []
    for url in site.urls:
        host, port = url.removeprefix("http://").split(":")
        connections += [KeepAliveConnection(host, int(port)) for _ in range(25)]
    free: asyncio.Queue[KeepAliveConnection] = asyncio.Queue()
    for connection in connections:
        free.put_nowait(connection)

    def count(code: str) -> None:
        result.refusals[code] = result.refusals.get(code, 0) + 1

    async def buy(ticket: Ticket) -> None:
        nonlocal sold
        connection = await free.get()
        try:
            headers = site.token(ticket.user_id)
            reply = await connection.request("POST", f"/api/v1/products/{product_id}/holds",
                                             json_body={"quantity": 1}, headers=headers)
            if reply.status != 201:
                count(str(reply.json().get("code")))
                return
            held_at = time.monotonic()
            hold_id = reply.json()["hold_id"]
            reply = await connection.request(
                "POST", "/api/v1/orders/", json_body={"hold_id": hold_id},
                headers={**headers, "Idempotency-Key": f"queue-order-{ticket.user_id}"})
            assert reply.status == 201, reply.body
            result.purchases.append(Purchase(ticket.user_id, ticket.rank, held_at,
                                             time.monotonic()))
            sold += 1
            if sold >= stock:
                result.sold_out_at = time.monotonic()
            # Once is enough: a second try must be refused (one unit per buyer).
            again = await connection.request("POST", f"/api/v1/products/{product_id}/holds",
                                             json_body={"quantity": 1}, headers=headers)
            assert again.status in (403, 409), again.body
            count("second_" + str(again.json().get("code")))
        finally:
            free.put_nowait(connection)

    def consider(ticket: Ticket) -> None:
        if not ticket.rank or ticket.rank > served or ticket.user_id in started:
            return
        started.add(ticket.user_id)
        result.admitted_users.append(ticket.user_id)
        if rng.random() < walk_away:
            return
        task = asyncio.create_task(buy(ticket))
        pending.add(task)
        task.add_done_callback(pending.discard)

    def know(found: list[Ticket]) -> None:
        for ticket in found:
            if ticket.rank:
                by_rank[ticket.rank] = ticket
                consider(ticket)

    def admitted_through(new_served: int) -> None:
        nonlocal served
        old, served = served, max(served, new_served)
        for rank in range(old + 1, served + 1):
            if rank in by_rank:
                consider(by_rank[rank])

    async def listen() -> None:
        async with bus.subscribe(show_id, since=0) as sub:
            async for batch in sub:
                for delivery in batch:
                    event = delivery.envelope().event
                    if not isinstance(event, QueueEvent) or event.product_id != product_id:
                        continue
                    result.served_seen.append(event.served)
                    if event.phase == "open":
                        admitted_through(event.served)
                    if event.sold_out:
                        result.sold_out_event = True
                        done.set()
                        return

    async def arrive() -> None:
        if late_join is not None:
            late = await late_join()
            result.late = late
            await read_tickets(site, product_id, late)
            know(late)

    async def learn_ranks() -> None:
        unknown = [t for t in tickets if not t.rank]
        know([t for t in tickets if t.rank])
        # Every viewer asks for its ticket as the sale opens, all at once: in no particular
        # order (asking in join order would hand the early joiners a head start that the
        # waiting room never gave them).
        rng.shuffle(unknown)
        for n in range(0, len(unknown), 100):
            chunk = unknown[n:n + 100]
            await read_tickets(site, product_id, chunk)
            know(chunk)

    listener = asyncio.create_task(listen())
    try:
        if opening is not None:
            result.opened_at = time.monotonic()
            await opening()
        await asyncio.gather(learn_ranks(), arrive())
        await asyncio.wait_for(done.wait(), timeout)
        if pending:
            await asyncio.gather(*pending)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        for connection in connections:
            await connection.close()
        await bus.aclose()
        await redis.aclose()


async def cheat(site: SaleSite, product_id: int, tickets: list[Ticket]) -> dict[int, int]:
    """Viewers still waiting try to hold anyway: every attempt must be refused."""
    statuses: dict[int, int] = {}

    async def attempt(connection: KeepAliveConnection, ticket: Ticket) -> None:
        reply = await connection.request("POST", f"/api/v1/products/{product_id}/holds",
                                         json_body={"quantity": 1},
                                         headers=site.token(ticket.user_id))
        statuses[reply.status] = statuses.get(reply.status, 0) + 1

    await run_jobs(site, tickets, attempt)
    return statuses
