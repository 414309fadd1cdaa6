"""Holds, checkout and cancellation over the API, on both storage stacks."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from commerce.adapters import inventory_sql
from commerce.services.sales import Sales
from showfloor.web import Resources
from tests.commerce.conftest import Actor, Api

pytestmark = pytest.mark.integration


async def sweep(api: Api, now: float) -> int:
    async def work(resources: Resources) -> int:
        service: Sales = resources.service("sales")
        return await service.sweep(now=now)

    return await api.in_app(work)


async def open_product(api: Api, host: Actor, **fields: Any) -> dict[str, Any]:
    show = await api.show(host)
    product = await api.product(host, show["id"], **fields)
    opened = await api.client.post(f"/api/v1/products/{product['id']}/sale/open",
                                   headers=host.headers)
    assert opened.status_code == 200, opened.text
    assert opened.json()["sale_open"] is True
    result: dict[str, Any] = opened.json()
    return result


async def hold(api: Api, buyer: Actor, product_id: int, quantity: int = 1,
               key: str | None = None) -> Any:
    headers = dict(buyer.headers)
    if key:
        headers["Idempotency-Key"] = key
    return await api.client.post(f"/api/v1/products/{product_id}/holds",
                                 json={"quantity": quantity}, headers=headers)


async def checkout(api: Api, buyer: Actor, hold_id: str, key: str) -> Any:
    return await api.client.post(
        "/api/v1/orders/", json={"hold_id": hold_id, "payment": {"provider": "manual"}},
        headers={**buyer.headers, "Idempotency-Key": key})


async def product(api: Api, product_id: int) -> dict[str, Any]:
    result: dict[str, Any] = (await api.client.get(f"/api/v1/products/{product_id}")).json()
    return result


async def assert_balanced(api: Api, product_id: int) -> None:
    view = await product(api, product_id)
    assert view["available"] + view["held"] + view["sold"] == view["stock"]
    assert view["available"] >= 0
    async def read(resources: Resources) -> tuple[Any, list[Any]]:
        async with resources.sessions() as db, db.begin():
            counts = (await inventory_sql.counts_of(db, [product_id]))[product_id]
            return counts, await inventory_sql.ledger_of(db, product_id)

    counts, entries = await api.in_app(read)
    assert (counts.held, counts.sold) == (view["held"], view["sold"])
    last = entries[-1]
    assert (last.stock_after, last.held_after, last.sold_after) == (
        counts.stock, counts.held, counts.sold)
    held = sold = 0
    for entry in entries:
        held += {"hold": 1, "release": -1, "expire": -1, "sell": -1}.get(entry.reason, 0) * \
            entry.quantity
        sold += {"sell": 1, "cancel": -1}.get(entry.reason, 0) * entry.quantity
        assert entry.held_after + entry.sold_after <= entry.stock_after
    assert (held, sold) == (counts.held, counts.sold), "the ledger adds up to the counters"


async def test_buy_flow_hold_checkout_cancel(api: Api) -> None:
    host, buyer = await api.actor("host"), await api.actor()
    item = await open_product(api, host, stock=3, per_user_limit=2, price_minor=1500)
    placed = await hold(api, buyer, item["id"], 2)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["quantity"] == 2
    assert 590 <= body["seconds_left"] <= 600
    assert (await product(api, item["id"]))["available"] == 1

    mine = (await api.client.get("/api/v1/holds", headers=buyer.headers)).json()
    assert [h["hold_id"] for h in mine] == [body["hold_id"]]

    key = uuid.uuid4().hex
    order = await checkout(api, buyer, body["hold_id"], key)
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "pending_payment"
    assert order.json()["total_minor"] == 3000
    replay = await checkout(api, buyer, body["hold_id"], key)
    assert replay.status_code == 201
    assert replay.json() == order.json()
    assert replay.headers["idempotent-replayed"] == "true"
    other_key = await checkout(api, buyer, body["hold_id"], uuid.uuid4().hex)
    assert other_key.status_code == 409
    assert other_key.json()["code"] == "hold_already_ordered"
    view = await product(api, item["id"])
    assert (view["available"], view["held"], view["sold"]) == (1, 0, 2)

    order_id = order.json()["id"]
    assert (await api.client.get(f"/api/v1/orders/{order_id}", headers=host.headers)
            ).status_code == 200
    stranger = await api.actor()
    assert (await api.client.get(f"/api/v1/orders/{order_id}", headers=stranger.headers)
            ).status_code == 404
    assert (await api.client.post(f"/api/v1/orders/{order_id}/paid", headers=buyer.headers)
            ).status_code == 403
    paid = await api.client.post(f"/api/v1/orders/{order_id}/paid", headers=host.headers)
    assert paid.json()["status"] == "paid"

    cancelled = await api.client.post(f"/api/v1/orders/{order_id}/cancel",
                                      headers=buyer.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    view = await product(api, item["id"])
    assert (view["available"], view["held"], view["sold"]) == (3, 0, 0)
    await assert_balanced(api, item["id"])

    summary = await api.client.get(f"/api/v1/shows/{item['show_id']}/sales",
                                   headers=host.headers)
    assert summary.status_code == 200
    assert summary.json()["units_sold"] == 0
    assert (await api.client.get(f"/api/v1/shows/{item['show_id']}/sales",
                                 headers=buyer.headers)).status_code == 403


async def test_refusals_have_codes(api: Api) -> None:
    host, buyer, rival = await api.actor("host"), await api.actor(), await api.actor()
    show = await api.show(host)
    closed = await api.product(host, show["id"], stock=1)
    refused = await hold(api, buyer, closed["id"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "sale_not_open"

    item = await open_product(api, host, stock=1, per_user_limit=1)
    assert (await hold(api, buyer, item["id"])).status_code == 201
    limit = await hold(api, buyer, item["id"])
    assert limit.status_code == 409
    assert limit.json()["code"] in ("limit_exceeded", "sold_out")
    sold_out = await hold(api, rival, item["id"])
    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == "sold_out"
    too_many = await hold(api, rival, item["id"], 1000)
    assert too_many.status_code == 400

    queue = await api.product(host, show["id"], sale_mode="queue")
    await api.client.post(f"/api/v1/products/{queue['id']}/sale/open", headers=host.headers)
    admission = await hold(api, buyer, queue["id"])
    assert admission.status_code == 403
    assert admission.json()["code"] == "admission_required"

    missing = await hold(api, buyer, 987654321)
    assert missing.status_code == 404
    anonymous = await api.client.post(f"/api/v1/products/{item['id']}/holds", json={})
    assert anonymous.status_code == 401
    no_key = await api.client.post("/api/v1/orders/", json={"hold_id": "0" * 32},
                                   headers=buyer.headers)
    assert no_key.status_code == 400
    assert no_key.json()["code"] == "idempotency_key_required"
    bad_provider = await api.client.post(
        "/api/v1/orders/", json={"hold_id": "0" * 32, "payment": {"provider": "bitcoin"}},
        headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex})
    assert bad_provider.status_code == 400
    assert bad_provider.json()["code"] == "unknown_payment_provider"
    await assert_balanced(api, item["id"])


async def test_hold_idempotency_key_gives_the_same_hold(api: Api) -> None:
    host, buyer = await api.actor("host"), await api.actor()
    item = await open_product(api, host, stock=5, per_user_limit=5)
    key = uuid.uuid4().hex
    first, second = await asyncio.gather(hold(api, buyer, item["id"], 1, key),
                                         hold(api, buyer, item["id"], 1, key))
    assert {first.status_code, second.status_code} == {201}
    assert first.json()["hold_id"] == second.json()["hold_id"]
    assert (await product(api, item["id"]))["held"] == 1
    await assert_balanced(api, item["id"])


async def test_release_and_expiry_return_units(api: Api) -> None:
    host, buyer = await api.actor("host"), await api.actor()
    item = await open_product(api, host, stock=2, per_user_limit=2, hold_ttl_seconds=60)
    first = (await hold(api, buyer, item["id"])).json()
    second = (await hold(api, buyer, item["id"])).json()
    released = await api.client.delete(f"/api/v1/holds/{first['hold_id']}",
                                       headers=buyer.headers)
    assert released.status_code == 204
    again = await api.client.delete(f"/api/v1/holds/{first['hold_id']}", headers=buyer.headers)
    assert again.status_code == 204
    assert (await product(api, item["id"]))["available"] == 1

    expired_count = await sweep(api, time.time() + 61)
    assert expired_count >= 1
    view = await product(api, item["id"])
    assert (view["available"], view["held"]) == (2, 0)
    late = await checkout(api, buyer, second["hold_id"], uuid.uuid4().hex)
    assert late.status_code == 410
    assert late.json()["code"] == "hold_expired"
    await assert_balanced(api, item["id"])


async def test_stock_changes_respect_commitments(api: Api) -> None:
    host, buyer = await api.actor("host"), await api.actor()
    item = await open_product(api, host, stock=3, per_user_limit=3)
    await hold(api, buyer, item["id"], 2)
    below = await api.client.patch(f"/api/v1/products/{item['id']}", json={"stock": 1},
                                   headers=host.headers)
    assert below.status_code == 409
    assert below.json()["code"] == "stock_below_committed"
    restocked = await api.client.patch(f"/api/v1/products/{item['id']}", json={"stock": 10},
                                       headers=host.headers)
    assert restocked.status_code == 200
    assert (restocked.json()["stock"], restocked.json()["available"]) == (10, 8)
    mode = await api.client.patch(f"/api/v1/products/{item['id']}",
                                  json={"sale_mode": "raffle"}, headers=host.headers)
    assert mode.status_code == 409
    await assert_balanced(api, item["id"])


async def test_hold_attempts_are_rate_limited(api: Api) -> None:
    host, buyer = await api.actor("host"), await api.actor()
    item = await open_product(api, host, stock=0)
    statuses = [(await hold(api, buyer, item["id"])).status_code for _ in range(25)]
    assert statuses[0] == 409
    assert statuses[-1] == 429
    limited = await hold(api, buyer, item["id"])
    assert int(limited.headers["retry-after"]) >= 1
