"""Two edge workers on one Redis and one PostgreSQL, clients on each, events published from
another process (as commerce and media do)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from commerce.domain.users import Role
from edge.bus import RedisEventBus
from edge.events import ChatEvent, Envelope, StockEvent, ViewersEvent, decode_batch
from edge.protocol import CLOSE_RESUME
from tests.edge.support import (
    JWT_SECRET,
    Seed,
    Worker,
    close_code_after_draining,
    create_schema,
    seed,
    start_worker,
    stop_worker,
    token_for,
)
from tests.support.services import REDIS_URL, fresh_postgres_database, unique_redis_prefix

pytestmark = pytest.mark.integration


@dataclass
class Cluster:
    a: Worker
    b: Worker
    seed: Seed
    bus: RedisEventBus  # a publisher in this process, like commerce


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    prefix = unique_redis_prefix("edge2w")
    async with fresh_postgres_database("sf_edge") as db_url:
        engine = await create_schema(db_url)
        seeded = await seed(engine)
        await engine.dispose()
        env = {
            "SHOWFLOOR_DATABASE_URL": db_url,
            "SHOWFLOOR_REDIS_URL": REDIS_URL,
            "SHOWFLOOR_REDIS_PREFIX": prefix,
            "SHOWFLOOR_JWT_SECRET": JWT_SECRET,
            "SHOWFLOOR_VAR_DIR": str(tmp_path_factory.mktemp("edge-var")),
            "SHOWFLOOR_EDGE_QUEUE_SIZE": "64",
            "SHOWFLOOR_EDGE_CLOSE_TIMEOUT_SECONDS": "1",
            "SHOWFLOOR_EDGE_VIEWERS_REPORT_INTERVAL_SECONDS": "0.2",
            "SHOWFLOOR_EDGE_VIEWERS_PUSH_INTERVAL_SECONDS": "0.5",
        }
        a, b = await asyncio.gather(
            start_worker(env, send_buffer=16384), start_worker(env, send_buffer=16384)
        )
        redis = Redis.from_url(REDIS_URL)
        bus = RedisEventBus(redis, prefix=prefix, backlog=1000)
        try:
            yield Cluster(a, b, seeded, bus)
        finally:
            stop_worker(a)
            stop_worker(b)
            await bus.aclose()
            keys = [k async for k in redis.scan_iter(match=prefix + "*", count=500)]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


class Viewer:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[Envelope] = []
        self.controls: list[dict[str, object]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                assert isinstance(raw, str)
                if raw.startswith("["):
                    self.events.extend(decode_batch(raw))
                else:
                    self.controls.append(msgspec.json.decode(raw))

    def ids(self, kind: type = StockEvent) -> list[int]:
        return [e.id for e in self.events if isinstance(e.event, kind)]

    async def until(self, predicate: object, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():  # type: ignore[operator]
                await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def viewers(urls: list[str]) -> AsyncIterator[list[Viewer]]:
    async with contextlib.AsyncExitStack() as stack:
        found = []
        for url in urls:
            ws = await stack.enter_async_context(connect(url))
            found.append(Viewer(ws))
        for v in found:
            await v.until(lambda v=v: v.controls)  # hello: subscribed
        yield found


def stock(v: int) -> StockEvent:
    return StockEvent(product_id=1, available=1000 - v, held=0, sold=v, version=v)


async def test_every_client_on_every_worker_gets_every_event_once_in_order(
    cluster: Cluster,
) -> None:
    show = cluster.seed.show
    start = await cluster.bus.last_event_id(show)
    urls = [f"{w.ws}/ws/shows/{show}" for w in (cluster.a, cluster.b) for _ in range(3)]
    async with viewers(urls) as clients:

        async def publisher(offset: int) -> None:
            for v in range(100):
                await cluster.bus.publish(show, stock(offset + v))

        await asyncio.gather(*(publisher(1000 * k) for k in range(3)))
        # A chat message posted through worker B reaches the clients of worker A too.
        async with connect(
            f"{cluster.b.ws}/ws/shows/{show}?token={token_for(cluster.seed.viewer)}"
        ) as chatter:
            await chatter.recv()
            await chatter.send('{"type":"chat","text":"hello from B"}')
            for c in clients:
                await c.until(lambda c=c: any(isinstance(e.event, ChatEvent) for e in c.events))
    for c in clients:
        # Viewer counts interleave with the stock events: every id of the show, once, in order.
        all_ids = [e.id for e in c.events]
        assert all_ids == list(range(start + 1, all_ids[-1] + 1))
        versions = sorted(e.event.version for e in c.events if isinstance(e.event, StockEvent))
        assert versions == sorted(1000 * k + v for k in range(3) for v in range(100))
    assert [e.id for e in clients[0].events] == [e.id for e in clients[-1].events]


async def test_a_forced_disconnect_resumes_on_the_other_worker_without_loss(
    cluster: Cluster,
) -> None:
    show = cluster.seed.show
    start = await cluster.bus.last_event_id(show)
    async with viewers([f"{cluster.a.ws}/ws/shows/{show}"]) as (first,):
        for v in range(20):
            await cluster.bus.publish(show, stock(v))
        await first.until(lambda: len(first.ids()) == 20)
        first.ws.transport.abort()  # the network drops: no close handshake
    last_seen = first.events[-1].id
    for v in range(20, 50):  # published while the client is away
        await cluster.bus.publish(show, stock(v))
    async with viewers([f"{cluster.b.ws}/ws/shows/{show}?since={last_seen}"]) as (second,):
        assert second.controls[0]["resume"] == "complete"
        for v in range(50, 60):
            await cluster.bus.publish(show, stock(v))
        await second.until(lambda: len(first.ids()) + len(second.ids()) >= 60)
        await asyncio.sleep(0.1)
    ids = [e.id for e in first.events + second.events]
    assert ids == list(range(start + 1, ids[-1] + 1))
    versions = [
        e.event.version for e in first.events + second.events if isinstance(e.event, StockEvent)
    ]
    assert versions == list(range(60))


async def test_a_slow_client_is_cut_without_delaying_the_others(cluster: Cluster) -> None:
    show = cluster.seed.show
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", cluster.a.port))
    slow = await connect(f"{cluster.a.ws}/ws/shows/{show}", sock=raw, max_queue=1)
    urls = [f"{w.ws}/ws/shows/{show}" for w in (cluster.a, cluster.b)]
    latencies: list[float] = []
    async with viewers(urls) as fast:
        text = "x" * 4000
        for burst in range(40):
            sent = time.perf_counter()
            ids = [
                await cluster.bus.publish(
                    show,
                    ChatEvent(
                        message_id=burst * 10 + i,
                        user_id=1,
                        display_name="Flood",
                        text=text,
                        sent_at=datetime.now(UTC),
                    ),
                )
                for i in range(10)
            ]
            for c in fast:
                await c.until(lambda c=c, last=ids[-1]: c.events and c.events[-1].id >= last)
            latencies.append(time.perf_counter() - sent)
    assert max(latencies) < 0.5, latencies
    assert await close_code_after_draining(slow) == CLOSE_RESUME


async def test_viewer_counts_add_up_across_workers(cluster: Cluster) -> None:
    show = cluster.seed.other_show
    urls = [f"{cluster.a.ws}/ws/shows/{show}"] * 2 + [f"{cluster.b.ws}/ws/shows/{show}"] * 3
    async with viewers(urls) as clients:

        def counts(c: Viewer) -> list[int]:
            return [e.event.count for e in c.events if isinstance(e.event, ViewersEvent)]

        for c in clients:
            await c.until(lambda c=c: counts(c) and counts(c)[-1] == 5)
        pushes = [e for e in clients[0].events if isinstance(e.event, ViewersEvent)]
        # Pushed by one worker at a time, at most once per interval.
        stamps = [e.id for e in pushes]
        assert stamps == sorted(set(stamps))


async def test_a_host_highlight_needs_media(cluster: Cluster) -> None:
    """Without media (no stream clock configured) a highlight is refused cleanly."""
    import httpx

    async with httpx.AsyncClient(base_url=cluster.a.http) as client:
        r = await client.post(
            f"/api/v1/shows/{cluster.seed.show}/highlights",
            json={"product_id": cluster.seed.product},
            headers={"Authorization": f"Bearer {token_for(cluster.seed.host, Role.HOST)}"},
        )
    assert (r.status_code, r.json()["code"]) == (409, "stream_time_unknown")
