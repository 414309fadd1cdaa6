"""One contract for both event buses: memory (embedded) and Redis (several workers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from edge.bus import (
    BusClosed,
    EventBus,
    MemoryEventBus,
    RedisEventBus,
    SlowConsumer,
    Subscription,
)
from edge.domain.backlog import ResumeKind
from edge.events import ChatDeletedEvent, StockEvent, decode_envelope
from tests.support.services import REDIS_URL

pytestmark = pytest.mark.integration

BACKLOG = 50


@dataclass
class Buses:
    """A publisher's bus and a subscriber's bus: one object in memory, two workers on Redis."""

    publisher: EventBus
    subscriber: EventBus
    kind: str


@pytest.fixture(params=["memory", "redis"])
async def buses(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Buses]:
    if request.param == "memory":
        bus = MemoryEventBus(BACKLOG)
        yield Buses(bus, bus, "memory")
        await bus.aclose()
        return
    clients = [Redis.from_url(REDIS_URL) for _ in range(2)]
    pub, sub = (
        RedisEventBus(
            c, prefix=redis_prefix, backlog=BACKLOG, feed_linger_seconds=0.2, block_ms=200
        )
        for c in clients
    )
    yield Buses(pub, sub, "redis")
    await pub.aclose()
    await sub.aclose()
    for c in clients:
        await c.aclose()


def stock(version: int) -> StockEvent:
    return StockEvent(product_id=1, available=100 - version, held=0, sold=version, version=version)


async def collect(sub: Subscription, count: int, timeout: float = 5.0) -> list[int]:
    ids: list[int] = []
    async with asyncio.timeout(timeout):
        while len(ids) < count:
            for d in await sub.next_batch():
                ids.append(d.id)
    return ids


async def test_ids_are_consecutive_from_one_per_show(buses: Buses) -> None:
    assert await buses.publisher.last_event_id(1) == 0
    ids = [await buses.publisher.publish(1, stock(v)) for v in range(1, 6)]
    other = [await buses.publisher.publish(2, stock(v)) for v in range(1, 3)]
    assert ids == [1, 2, 3, 4, 5]
    assert other == [1, 2]
    assert await buses.subscriber.last_event_id(1) == 5


async def test_live_events_arrive_once_in_order_with_their_payload(buses: Buses) -> None:
    async with buses.subscriber.subscribe(7) as sub:
        assert sub.plan.kind is ResumeKind.LIVE
        for v in range(1, 31):
            await buses.publisher.publish(7, stock(v))
        deliveries = []
        async with asyncio.timeout(5):
            while len(deliveries) < 30:
                deliveries.extend(await sub.next_batch())
    assert [d.id for d in deliveries] == list(range(1, 31))
    envelope = decode_envelope(deliveries[4].wire)
    assert envelope.id == 5
    assert envelope.show_id == 7
    assert envelope.event == stock(5)
    assert deliveries[4].event_type == "stock"


async def test_resume_replays_everything_after_since_then_goes_live(buses: Buses) -> None:
    for v in range(1, 11):
        await buses.publisher.publish(3, stock(v))
    async with buses.subscriber.subscribe(3, since=4) as sub:
        assert sub.plan.kind is ResumeKind.COMPLETE
        await buses.publisher.publish(3, ChatDeletedEvent(message_ids=[1]))
        assert await collect(sub, 7) == list(range(5, 12))


async def test_resume_at_latest_replays_nothing(buses: Buses) -> None:
    for v in range(1, 4):
        await buses.publisher.publish(3, stock(v))
    async with buses.subscriber.subscribe(3, since=3) as sub:
        assert sub.plan.kind is ResumeKind.COMPLETE
        assert sub.pending() == 0
        await buses.publisher.publish(3, stock(4))
        assert await collect(sub, 1) == [4]


async def test_resume_from_before_the_backlog_reports_a_gap(buses: Buses) -> None:
    total = BACKLOG * 8
    for v in range(1, total + 1):
        await buses.publisher.publish(4, stock(v))
    async with buses.subscriber.subscribe(4, since=1, max_pending=8) as sub:
        assert sub.plan.kind is ResumeKind.GAP
        batch = await sub.next_batch()  # a replay may exceed max_pending
    ids = [d.id for d in batch]
    assert ids[-1] == total
    assert ids == list(range(ids[0], total + 1))
    assert BACKLOG <= len(ids) < total - 1


async def test_resume_from_the_future_is_a_reset(buses: Buses) -> None:
    await buses.publisher.publish(5, stock(1))
    async with buses.subscriber.subscribe(5, since=99) as sub:
        assert sub.plan.kind is ResumeKind.RESET
        await buses.publisher.publish(5, stock(2))
        assert await collect(sub, 1) == [2]


async def test_a_slow_subscriber_is_cut_and_the_others_get_everything(buses: Buses) -> None:
    async with (
        buses.subscriber.subscribe(6, max_pending=5) as slow,
        buses.subscriber.subscribe(6, max_pending=5) as fast,
    ):
        got: list[int] = []

        async def drain() -> None:
            while len(got) < 40:
                got.extend(d.id for d in await fast.next_batch())

        drainer = asyncio.create_task(drain())
        for v in range(1, 41):
            await buses.publisher.publish(6, stock(v))
            await asyncio.sleep(0.002)  # a publisher paced like a real one
        async with asyncio.timeout(5):
            await drainer
        assert got == list(range(1, 41))
        with pytest.raises(SlowConsumer) as cut:
            await slow.next_batch()
        assert cut.value.last_id == 0
        assert buses.subscriber.subscriber_count(6) == 1


async def test_concurrent_publishers_get_unique_ids_and_subscribers_see_them_in_order(
    buses: Buses,
) -> None:
    async with buses.subscriber.subscribe(8, max_pending=1000) as sub:

        async def publish_many(offset: int) -> list[int]:
            return [await buses.publisher.publish(8, stock(offset + v)) for v in range(40)]

        results = await asyncio.gather(*(publish_many(1000 * k) for k in range(5)))
        assigned = sorted(i for ids in results for i in ids)
        assert assigned == list(range(1, 201))
        assert await collect(sub, 200) == list(range(1, 201))


async def test_subscribing_while_events_flow_loses_and_repeats_nothing(buses: Buses) -> None:
    stop = asyncio.Event()

    async def publisher() -> None:
        v = 0
        while not stop.is_set():
            v += 1
            await buses.publisher.publish(9, stock(v))
            await asyncio.sleep(0)

    task = asyncio.create_task(publisher())
    try:
        await asyncio.sleep(0.05)
        since = await buses.publisher.last_event_id(9)
        async with buses.subscriber.subscribe(9, since=since, max_pending=10_000) as sub:
            ids = await collect(sub, 200)
    finally:
        stop.set()
        await task
    assert ids == list(range(since + 1, since + 201))


async def test_closing_the_bus_ends_subscriptions(buses: Buses) -> None:
    async with buses.subscriber.subscribe(10) as sub:
        await buses.publisher.publish(10, stock(1))
        assert await collect(sub, 1) == [1]
        waiter = asyncio.create_task(sub.next_batch())
        await asyncio.sleep(0.01)
        await buses.subscriber.aclose()
        with pytest.raises(BusClosed) as closed:
            async with asyncio.timeout(3):
                await waiter
        assert closed.value.last_id == 1
