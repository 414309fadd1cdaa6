"""The waiting room, abuse limits, account age and per-show limits over the API, on both
stacks (SQLite + in-process, PostgreSQL + Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from commerce.adapters.tables import users
from commerce.app import create_app
from edge.bus import shared_event_bus
from edge.events import Event
from showfloor.migrate import upgrade_async
from showfloor.web import Resources
from tests.commerce.conftest import Actor, Api, database_for, settings_for

pytestmark = pytest.mark.integration


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


async def channel(api: Api, show_id: int, kind: str) -> list[Event]:
    """The show's events of one type, from the start of its channel."""

    async def read(resources: Resources) -> list[Event]:
        bus = shared_event_bus(resources)
        async with bus.subscribe(show_id, since=0) as sub:
            await asyncio.sleep(0.2)
            deliveries = sub.next_nowait()
        return [d.envelope().event for d in deliveries]

    events = await api.in_app(read)
    return [e for e in events if type(e).__struct_config__.tag == kind]


async def queue_product(api: Api, host: Actor, **fields: Any) -> tuple[int, int]:
    show = await api.show(host)
    product = await api.product(host, show["id"], sale_mode="queue", **fields)
    return show["id"], product["id"]


async def age(api: Api, actor: Actor, days: int) -> None:
    async def work(resources: Resources) -> None:
        async with resources.sessions() as db, db.begin():
            await db.execute(update(users).where(users.c.id == actor.id).values(
                created_at=datetime.now(UTC) - timedelta(days=days)))

    await api.in_app(work)


async def test_a_queue_drop_end_to_end(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    show_id, pid = await queue_product(api, host, stock=3)
    r = await c.put(f"/api/v1/products/{pid}/fairness", json={"admission_seconds": 5},
                    headers=host.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"product_id": pid, "admission_seconds": 5, "min_account_age_seconds": 0}
    viewers = [await api.actor() for _ in range(6)]

    early = await c.post(f"/api/v1/products/{pid}/queue", headers=viewers[0].headers)
    assert early.status_code == 409
    assert early.json()["code"] == "queue_not_open"
    announced = await c.post(f"/api/v1/products/{pid}/queue/announce", headers=host.headers)
    assert announced.status_code == 200, announced.text
    assert announced.json()["phase"] == "waiting"
    assert (await c.post(f"/api/v1/products/{pid}/queue/announce",
                         headers=viewers[0].headers)).status_code == 403

    tickets: dict[int, str] = {}
    for viewer in viewers:
        r = await c.post(f"/api/v1/products/{pid}/queue", headers=viewer.headers)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "pooled"
        assert body["position"] is None
        tickets[viewer.id] = body["ticket"]
    again = await c.post(f"/api/v1/products/{pid}/queue", headers=viewers[0].headers)
    assert again.status_code == 200
    assert again.json()["ticket"] == tickets[viewers[0].id]
    assert (await c.get(f"/api/v1/products/{pid}/queue")).json()["joined"] == 6

    refused = await c.post(f"/api/v1/products/{pid}/holds", json={},
                           headers=viewers[0].headers)
    assert refused.status_code == 403

    opened = await c.post(f"/api/v1/products/{pid}/sale/open", headers=host.headers)
    assert opened.status_code == 200

    async def status_of(viewer: Actor) -> dict[str, Any]:
        r = await c.get(f"/api/v1/products/{pid}/queue/{tickets[viewer.id]}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def admitted() -> list[Actor]:
        return [v for v in viewers if (await status_of(v))["admitted"]]

    async def three_admitted() -> bool:
        return len(await admitted()) == 3

    await wait_until(three_admitted)
    first = await admitted()
    views = {v.id: await status_of(v) for v in viewers}
    assert sorted(v["rank"] for v in views.values()) == [1, 2, 3, 4, 5, 6]
    waiting = sorted((v for v in viewers if v not in first), key=lambda v: views[v.id]["rank"])
    assert [views[v.id]["position"] for v in waiting] == [1, 2, 3]
    assert all(views[v.id]["estimated_wait_seconds"] is not None for v in waiting)
    assert all(views[v.id]["position"] == 0 for v in first)
    assert all(views[v.id]["admission_expires_at"] for v in first)
    mine = await c.get(f"/api/v1/products/{pid}/queue/me", headers=waiting[0].headers)
    assert mine.json()["ticket"] == tickets[waiting[0].id]

    not_yet = await c.post(f"/api/v1/products/{pid}/holds", json={},
                           headers=waiting[0].headers)
    assert not_yet.status_code == 403
    assert not_yet.json()["code"] == "not_admitted"
    outsider = await api.actor()
    none = await c.post(f"/api/v1/products/{pid}/holds", json={}, headers=outsider.headers)
    assert none.json()["code"] == "admission_required"

    # One admitted viewer holds, one leaves (their slot goes on at once), one lets it lapse.
    buyer, leaver, idler = first
    held = await c.post(f"/api/v1/products/{pid}/holds", json={}, headers=buyer.headers)
    assert held.status_code == 201, held.text
    assert (await c.delete(f"/api/v1/products/{pid}/queue/me",
                           headers=leaver.headers)).status_code == 204

    async def next_one_admitted() -> bool:
        return bool((await status_of(waiting[0]))["admitted"])

    await wait_until(next_one_admitted, timeout=4)
    assert not (await status_of(waiting[1]))["admitted"]
    second = await c.post(f"/api/v1/products/{pid}/holds", json={}, headers=waiting[0].headers)
    assert second.status_code == 201, second.text

    async def idler_expired() -> bool:
        return bool((await status_of(idler))["expired"])

    await wait_until(idler_expired, timeout=10)
    lapsed = await c.post(f"/api/v1/products/{pid}/holds", json={}, headers=idler.headers)
    assert lapsed.status_code == 403
    assert lapsed.json()["code"] == "admission_expired"
    await wait_until(lambda: _admitted(c, pid, tickets[waiting[1].id]))

    # The last unit goes too, and all three check out: everyone still waiting is told at once.
    third = await c.post(f"/api/v1/products/{pid}/holds", json={}, headers=waiting[1].headers)
    assert third.status_code == 201, third.text
    for viewer, hold in ((buyer, held), (waiting[0], second), (waiting[1], third)):
        order = await c.post("/api/v1/orders/", json={"hold_id": hold.json()["hold_id"]},
                             headers={**viewer.headers,
                                      "Idempotency-Key": f"order-{viewer.id}-queue"})
        assert order.status_code == 201, order.text

    async def sold_out() -> bool:
        return bool((await status_of(waiting[2]))["status"] == "sold_out")

    await wait_until(sold_out)
    product = (await c.get(f"/api/v1/products/{pid}")).json()
    assert (product["sold"], product["available"]) == (3, 0)

    events = await channel(api, show_id, "queue")
    assert events, "queue changes are pushed on the show's channel"
    served = [e.served for e in events]  # type: ignore[attr-defined]
    assert served == sorted(served)
    assert events[0].phase == "waiting"  # type: ignore[attr-defined]
    assert events[-1].sold_out  # type: ignore[attr-defined]


async def _admitted(c: AsyncTestClient[Any], pid: int, ticket: str) -> bool:
    return bool((await c.get(f"/api/v1/products/{pid}/queue/{ticket}")).json()["admitted"])


async def test_queue_refusals_and_validation(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    show = await api.show(host)
    open_item = await api.product(host, show["id"])
    viewer = await api.actor()
    r = await c.post(f"/api/v1/products/{open_item['id']}/queue", headers=viewer.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "not_a_queue"
    _, pid = await queue_product(api, host)
    assert (await c.post(f"/api/v1/products/{pid}/queue")).status_code == 401
    bad = await c.put(f"/api/v1/products/{pid}/fairness", json={"admission_seconds": 1},
                      headers=host.headers)
    assert bad.status_code == 400
    unknown = await c.put(f"/api/v1/products/{pid}/fairness", json={"nope": 1},
                          headers=host.headers)
    assert unknown.status_code == 400
    assert (await c.get(f"/api/v1/products/{pid}/fairness")).json()["admission_seconds"] == 60
    assert (await c.put(f"/api/v1/products/{pid}/fairness", json={"admission_seconds": 30},
                        headers=viewer.headers)).status_code == 403
    missing = await c.get(f"/api/v1/products/{pid}/queue/{'0' * 32}")
    assert missing.status_code == 404
    assert (await c.get(f"/api/v1/products/{pid}/queue/not-a-ticket")).status_code == 400
    assert (await c.get("/api/v1/products/999999/queue")).status_code == 404


async def test_account_age_excludes_new_accounts(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    show = await api.show(host)
    _, pid = await queue_product(api, host)
    item = await api.product(host, show["id"])
    for product_id in (pid, item["id"]):
        r = await c.put(f"/api/v1/products/{product_id}/fairness",
                        json={"min_account_age_seconds": 7 * 86400}, headers=host.headers)
        assert r.status_code == 200
    await c.post(f"/api/v1/products/{pid}/queue/announce", headers=host.headers)
    await c.post(f"/api/v1/products/{item['id']}/sale/open", headers=host.headers)
    fresh, seasoned = await api.actor(), await api.actor()
    await age(api, seasoned, 30)
    joined = await c.post(f"/api/v1/products/{pid}/queue", headers=fresh.headers)
    assert joined.status_code == 403
    assert joined.json()["code"] == "account_too_new"
    assert "7 days" in joined.json()["detail"]
    held = await c.post(f"/api/v1/products/{item['id']}/holds", json={}, headers=fresh.headers)
    assert held.json()["code"] == "account_too_new"
    assert (await c.post(f"/api/v1/products/{pid}/queue",
                         headers=seasoned.headers)).status_code == 201
    assert (await c.post(f"/api/v1/products/{item['id']}/holds", json={},
                         headers=seasoned.headers)).status_code == 201
    product = (await c.get(f"/api/v1/products/{item['id']}")).json()
    assert product["held"] == 1, "the refused attempt left nothing behind"


async def test_per_show_limit_counts_across_products(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    show = await api.show(host)
    a = await api.product(host, show["id"], per_user_limit=2, stock=10)
    b = await api.product(host, show["id"], per_user_limit=2, stock=10)
    other_show = await api.show(host)
    elsewhere = await api.product(host, other_show["id"], stock=10)
    for item in (a, b, elsewhere):
        await c.post(f"/api/v1/products/{item['id']}/sale/open", headers=host.headers)
    path = f"/api/v1/shows/{show['id']}/purchase-limit"
    assert (await c.get(path)).json() == {"show_id": show["id"], "per_user_limit": None}
    viewer = await api.actor()
    assert (await c.put(path, json={"per_user_limit": 3},
                        headers=viewer.headers)).status_code == 403
    assert (await c.put(path, json={"per_user_limit": 0},
                        headers=host.headers)).status_code == 400
    r = await c.put(path, json={"per_user_limit": 3}, headers=host.headers)
    assert r.status_code == 200
    assert r.json()["per_user_limit"] == 3

    async def hold(item: dict[str, Any], quantity: int = 1) -> Any:
        return await c.post(f"/api/v1/products/{item['id']}/holds", json={"quantity": quantity},
                            headers=viewer.headers)

    assert (await hold(a, 2)).status_code == 201
    first_b = await hold(b)
    assert first_b.status_code == 201
    over = await hold(b)
    assert over.status_code == 409
    assert over.json()["code"] == "show_limit_exceeded"
    assert (await hold(elsewhere)).status_code == 201, "other shows are not counted"
    view = (await c.get(f"/api/v1/products/{b['id']}")).json()
    assert (view["available"], view["held"]) == (9, 1), "the refused hold left nothing"
    # Giving a hold back makes room again.
    await c.delete(f"/api/v1/holds/{first_b.json()['hold_id']}", headers=viewer.headers)
    assert (await hold(b)).status_code == 201
    # Cleared: the per-product limit is all that is left.
    await c.put(path, json={"per_user_limit": None}, headers=host.headers)
    assert (await hold(b)).status_code == 201


@pytest.fixture(scope="module", params=["embedded", "production"])
async def strict_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[Api]:
    """An app with tight abuse limits: 3 attempts per user, 5 per address, per 2 seconds."""
    backend: str = request.param
    var_dir = tmp_path_factory.mktemp(f"strict-{backend}")
    async for database_url in database_for(backend, var_dir):
        settings = settings_for(backend, var_dir, database_url,
                                SHOWFLOOR_SALE_ATTEMPTS_PER_USER="3",
                                SHOWFLOOR_SALE_ATTEMPTS_PER_IP="5",
                                SHOWFLOOR_SALE_ATTEMPTS_WINDOW_SECONDS="2")
        await upgrade_async(settings.database_url)
        async with AsyncTestClient(create_app(settings)) as client:
            yield Api(client, settings, backend)


async def test_rate_limits_trip_and_recover(strict_api: Api) -> None:
    api = strict_api
    c = api.client
    host = await api.actor("host")
    _, pid = await queue_product(api, host)
    await c.post(f"/api/v1/products/{pid}/queue/announce", headers=host.headers)
    viewer = await api.actor()
    others = [await api.actor() for _ in range(3)]
    codes = [(await c.post(f"/api/v1/products/{pid}/queue", headers=viewer.headers))
             for _ in range(4)]
    assert [r.status_code for r in codes[:3]] == [201, 200, 200]
    limited = codes[3]
    assert limited.status_code == 429
    assert limited.json()["code"] == "too_many_attempts"
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 2
    # Per address: other users from the same address trip the address limit.
    statuses = [(await c.post(f"/api/v1/products/{pid}/queue", headers=o.headers)).status_code
                for o in others]
    assert 429 in statuses
    await asyncio.sleep(retry_after + 0.2)
    back = await c.post(f"/api/v1/products/{pid}/queue", headers=viewer.headers)
    assert back.status_code == 200, back.text
    # Holds and raffle entries are limited the same way (counted apart from queue joins).
    show = await api.show(host)
    item = await api.product(host, show["id"], stock=100, per_user_limit=100)
    await c.post(f"/api/v1/products/{item['id']}/sale/open", headers=host.headers)
    await asyncio.sleep(2.2)
    holds = [(await c.post(f"/api/v1/products/{item['id']}/holds", json={},
                           headers=viewer.headers)).status_code for _ in range(5)]
    assert holds[:3] == [201, 201, 201]
    assert holds[3:] == [429, 429]
