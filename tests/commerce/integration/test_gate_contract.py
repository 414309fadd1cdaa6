"""One contract for both inventory gates (in-process and Redis), checked against the domain
model: the same random operations give the same answers and counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.domain.errors import Conflict
from commerce.domain.inventory import LiveHold, Outcome, ProductInventory, StockBelowCommitted
from commerce.gate.base import GateNotLoaded, InventoryGate, ProductSnapshot
from commerce.gate.memory import MemoryGate
from commerce.gate.redis import RedisGate
from showfloor.web import connect_redis
from tests.support.services import REDIS_URL, unique_redis_prefix

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def gate(request: pytest.FixtureRequest) -> AsyncIterator[InventoryGate]:
    if request.param == "memory":
        yield MemoryGate()
        return
    redis = connect_redis(REDIS_URL)
    try:
        yield RedisGate(redis, unique_redis_prefix("gate"))
    finally:
        await redis.aclose()


def snapshot(product_id: int = 1, **changes: object) -> ProductSnapshot:
    fields: dict[str, object] = {"product_id": product_id, "stock": 5, "per_user_limit": 2,
                                 "sale_open": True}
    fields.update(changes)
    return ProductSnapshot(**fields)


async def test_unloaded_products_say_so(gate: InventoryGate) -> None:
    result = await gate.reserve(9, LiveHold("h", 1, 1, 10.0))
    assert result.outcome is None
    assert not await gate.is_loaded(9)
    with pytest.raises(GateNotLoaded):
        await gate.release(9, "h")
    with pytest.raises(GateNotLoaded):
        await gate.set_stock(9, 1)
    assert await gate.expire_due(9, 100.0) == ([], None)
    assert await gate.counts([9]) == {}


async def test_reserve_release_confirm_expire(gate: InventoryGate) -> None:
    counts = await gate.load(snapshot(), version=100)
    assert (counts.stock, counts.available, counts.held, counts.sold) == (5, 5, 0, 0)
    assert counts.version == 100
    ok = await gate.reserve(1, LiveHold("a", 7, 2, 50.0))
    assert ok.outcome is Outcome.OK
    assert ok.counts is not None
    assert (ok.counts.available, ok.counts.held) == (3, 2)
    assert ok.counts.version == 101
    limit = await gate.reserve(1, LiveHold("b", 7, 1, 50.0))
    assert limit.outcome is Outcome.LIMIT_EXCEEDED
    with pytest.raises(Conflict):
        await gate.reserve(1, LiveHold("a", 8, 1, 50.0))

    released, counts = await gate.release(1, "a")
    assert released is not None
    assert (released.user_id, released.quantity) == (7, 2)
    assert (counts.available, counts.held) == (5, 0)
    assert (await gate.release(1, "a"))[0] is None, "releasing twice is harmless"

    await gate.reserve(1, LiveHold("c", 7, 1, 10.0))
    await gate.reserve(1, LiveHold("d", 8, 2, 30.0))
    expired, counts = await gate.expire_due(1, 20.0)
    assert expired == ["c"]
    assert counts is not None
    assert (counts.available, counts.held) == (3, 2)

    confirmed, counts = await gate.confirm(1, "d")
    assert confirmed is not None
    assert (counts.available, counts.held, counts.sold) == (3, 0, 2)
    assert (await gate.confirm(1, "d"))[0] is None, "a hold converts once"
    assert (await gate.expire_due(1, 1000.0))[0] == []

    # The buyer is at the limit (2 bought) until a sale is cancelled.
    assert (await gate.reserve(1, LiveHold("e", 8, 1, 99.0))).outcome is Outcome.LIMIT_EXCEEDED
    counts = await gate.return_sold(1, 8, 1)
    assert (counts.available, counts.sold) == (4, 1)
    with pytest.raises(Conflict):
        await gate.return_sold(1, 8, 5)
    assert (await gate.reserve(1, LiveHold("e", 8, 1, 99.0))).outcome is Outcome.OK


async def test_sold_out_closed_sale_and_restock(gate: InventoryGate) -> None:
    await gate.load(snapshot(stock=1, per_user_limit=5), version=1)
    assert (await gate.reserve(1, LiveHold("a", 1, 1, 9.0))).outcome is Outcome.OK
    sold_out = await gate.reserve(1, LiveHold("b", 2, 1, 9.0))
    assert sold_out.outcome is Outcome.SOLD_OUT
    with pytest.raises(StockBelowCommitted):
        await gate.set_stock(1, 0)
    counts = await gate.set_stock(1, 3)
    assert (counts.stock, counts.available) == (3, 2)
    counts = await gate.set_sale(1, sale_open=False, per_user_limit=5)
    assert (await gate.reserve(1, LiveHold("c", 2, 1, 9.0))).outcome is Outcome.SALE_NOT_OPEN


async def test_load_replaces_state_and_versions_only_grow(gate: InventoryGate) -> None:
    await gate.load(snapshot(), version=500)
    await gate.reserve(1, LiveHold("a", 1, 1, 9.0))
    counts = await gate.load(
        snapshot(stock=10, sold_by_user={3: 2}, holds=[LiveHold("z", 4, 1, 9.0)]), version=1
    )
    assert (counts.stock, counts.available, counts.held, counts.sold) == (10, 7, 1, 2)
    assert counts.version > 501
    assert (await gate.release(1, "a"))[0] is None, "holds not in the snapshot are gone"
    assert (await gate.release(1, "z"))[0] is not None
    assert await gate.loaded_products() >= {1}
    await gate.forget(1)
    assert not await gate.is_loaded(1)


async def test_ready_marker(gate: InventoryGate) -> None:
    assert not await gate.is_ready()
    await gate.mark_ready()
    assert await gate.is_ready()


async def test_concurrent_reserves_never_oversell(gate: InventoryGate) -> None:
    await gate.load(snapshot(stock=50, per_user_limit=1), version=1)
    attempts = [LiveHold(f"h{u}-{n}", u, 1, 99.0) for u in range(200) for n in range(3)]
    results = await asyncio.gather(*(gate.reserve(1, h) for h in attempts))
    winners = [h for h, r in zip(attempts, results, strict=True) if r.outcome is Outcome.OK]
    assert len(winners) == 50
    assert len({h.user_id for h in winners}) == 50
    counts = (await gate.counts([1]))[1]
    assert (counts.available, counts.held) == (0, 50)


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.integers(1, 4), st.integers(1, 3), st.integers(0, 50)),
        st.tuples(st.just("release"), st.integers(0, 30)),
        st.tuples(st.just("confirm"), st.integers(0, 30)),
        st.tuples(st.just("expire"), st.integers(0, 50)),
        st.tuples(st.just("cancel"), st.integers(1, 4), st.integers(1, 2)),
        st.tuples(st.just("stock"), st.integers(0, 20)),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(operations=OPERATIONS)
def test_redis_gate_matches_the_domain_model(operations: list[tuple[object, ...]]) -> None:
    asyncio.run(_compare(operations))


async def _compare(operations: list[tuple[object, ...]]) -> None:
    redis = connect_redis(REDIS_URL)
    gate = RedisGate(redis, unique_redis_prefix("model"))
    model = ProductInventory(stock=8, per_user_limit=3, sale_open=True)
    try:
        await gate.load(snapshot(stock=8, per_user_limit=3), version=0)
        model.version = (await gate.counts([1]))[1].version
        ids: list[str] = []
        for op in operations:
            kind = op[0]
            if kind == "hold":
                hold = LiveHold(f"h{len(ids)}", op[1], op[2], float(op[3]))
                ids.append(hold.hold_id)
                assert (await gate.reserve(1, hold)).outcome is model.reserve(hold)
            elif kind in ("release", "confirm") and ids:
                hold_id = ids[op[1] % len(ids)]
                expected = getattr(model, kind)(hold_id)
                got, _ = await getattr(gate, kind)(1, hold_id)
                assert (got is None) == (expected is None)
            elif kind == "expire":
                expected_ids = sorted(h.hold_id for h in model.expire_due(float(op[1])))
                got_ids, _ = await gate.expire_due(1, float(op[1]))
                assert sorted(got_ids) == expected_ids
            elif kind == "cancel":
                model_error = gate_error = False
                try:
                    model.return_sold(op[1], op[2])
                except Conflict:
                    model_error = True
                try:
                    await gate.return_sold(1, op[1], op[2])
                except Conflict:
                    gate_error = True
                assert model_error == gate_error
            elif kind == "stock":
                model_error = gate_error = False
                try:
                    model.set_stock(op[1])
                except StockBelowCommitted:
                    model_error = True
                try:
                    await gate.set_stock(1, op[1])
                except StockBelowCommitted:
                    gate_error = True
                assert model_error == gate_error
            counts = (await gate.counts([1]))[1]
            assert (counts.stock, counts.available, counts.held, counts.sold) == (
                model.stock, model.available, model.held, model.sold), op
            assert counts.available + counts.held + counts.sold == counts.stock
            assert counts.available >= 0
    finally:
        await gate.forget(1)
        await redis.aclose()
