"""Raffles over the API on both stacks: entries, the draw, re-running it from the published
seed and entries, winners' holds and runners-up."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.commerce.conftest import Actor, Api
from tests.commerce.integration.test_queue_api import channel

pytestmark = pytest.mark.integration


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not reached in time")


def rerun(seed_hex: str, user_ids: list[int]) -> list[int]:
    """The draw as docs/raffle.md describes it, from the published seed and entries only."""
    seed = bytes.fromhex(seed_hex)
    return sorted(user_ids,
                  key=lambda u: (hmac.new(seed, str(u).encode(), hashlib.sha256).hexdigest(), u))


async def raffle_product(api: Api, host: Actor, **fields: Any) -> tuple[int, int]:
    show = await api.show(host)
    product = await api.product(host, show["id"], sale_mode="raffle", **fields)
    return show["id"], product["id"]


async def test_raffle_draw_winners_and_runners_up(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    show_id, pid = await raffle_product(api, host, stock=2, hold_ttl_seconds=10)
    viewers = [await api.actor() for _ in range(7)]
    base = f"/api/v1/products/{pid}/raffle"

    hold = await c.post(f"/api/v1/products/{pid}/holds", json={}, headers=viewers[0].headers)
    assert hold.status_code == 403
    assert hold.json()["code"] == "admission_required"
    early = await c.post(f"{base}/entries", headers=viewers[0].headers)
    assert early.status_code == 409
    assert early.json()["code"] == "raffle_not_open"
    assert (await c.get(base)).status_code == 404
    assert (await c.post(f"{base}/open", headers=viewers[0].headers)).status_code == 403

    opened = await c.post(f"{base}/open", headers=host.headers)
    assert opened.status_code == 200, opened.text
    digest = opened.json()["seed_digest"]
    assert opened.json()["seed"] is None
    assert opened.json()["algorithm"] == "hmac-sha256-v1"

    for viewer in viewers:
        r = await c.post(f"{base}/entries", headers=viewer.headers)
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "entered"
    twice = await c.post(base, headers=viewers[0].headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_entered"
    mine = (await c.get(base, headers=viewers[0].headers)).json()
    assert mine["entries"] == 7
    assert mine["my_entry"]["status"] == "entered"

    closed = await c.post(f"{base}/close", headers=host.headers)
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert result["status"] == "drawn"
    assert result["units"] == 2
    seed = result["seed"]
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == digest
    late = await c.post(f"{base}/entries", headers=(await api.actor()).headers)
    assert late.status_code == 409
    assert late.json()["code"] == "raffle_closed"

    listing = (await c.get(f"{base}/entries")).json()
    assert listing["seed"] == seed
    entries = {e["user_id"]: e for e in listing["entries"]}
    order = rerun(seed, list(entries))
    assert [entries[u]["draw_rank"] for u in order] == list(range(1, 8))
    winners = order[:2]
    assert sorted(u for u, e in entries.items() if e["outcome"] == "winner") == sorted(winners)
    by_id = {v.id: v for v in viewers}
    holds = {}
    for uid in winners:
        mine = (await c.get("/api/v1/holds", headers=by_id[uid].headers)).json()
        assert [h["product_id"] for h in mine] == [pid]
        holds[uid] = mine[0]["hold_id"]
        assert entries[uid]["hold_id"] == holds[uid]
        assert entries[uid]["status"] == "won"
    assert entries[order[2]]["status"] == "lost"
    product = (await c.get(f"/api/v1/products/{pid}")).json()
    assert (product["held"], product["available"]) == (2, 0)

    # The first winner gives the hold back: the first runner-up gets it.
    await c.delete(f"/api/v1/holds/{holds[winners[0]]}", headers=by_id[winners[0]].headers)

    async def runner_up_holds(rank: int) -> bool:
        got = (await c.get("/api/v1/holds", headers=by_id[order[rank - 1]].headers)).json()
        return len(got) == 1

    await wait_until(lambda: runner_up_holds(3))
    # The second winner checks out; the runner-up's hold lapses (10 s): the next rank gets it.
    order_r = await c.post("/api/v1/orders/", json={"hold_id": holds[winners[1]]},
                           headers={**by_id[winners[1]].headers,
                                    "Idempotency-Key": f"raffle-{winners[1]}-order"})
    assert order_r.status_code == 201
    await wait_until(lambda: runner_up_holds(4), timeout=30)

    async def recorded() -> bool:
        listed = (await c.get(f"{base}/entries")).json()["entries"]
        return any(e["user_id"] == order[3] and e["outcome"] for e in listed)

    await wait_until(recorded)
    final = {e["user_id"]: e for e in (await c.get(f"{base}/entries")).json()["entries"]}
    assert final[order[2]]["outcome"] == "runner_up"
    assert final[order[3]]["outcome"] == "runner_up"
    assert all(final[u]["outcome"] is None for u in order[4:])
    product = (await c.get(f"/api/v1/products/{pid}")).json()
    assert (product["sold"], product["held"], product["available"]) == (1, 1, 0)

    events = await channel(api, show_id, "raffle")
    assert events[0].status == "open"  # type: ignore[attr-defined]
    assert events[0].seed is None  # type: ignore[attr-defined]
    drawn = [e for e in events if e.status == "drawn"]  # type: ignore[attr-defined]
    assert drawn[0].seed == seed  # type: ignore[attr-defined]
    granted = [u for e in drawn for u in e.granted_user_ids]  # type: ignore[attr-defined]
    assert granted[:2] == winners
    assert granted[2:] == order[2:4]


async def test_raffle_closes_at_its_deadline(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    _, pid = await raffle_product(api, host, stock=1)
    base = f"/api/v1/products/{pid}/raffle"
    past = await c.post(f"{base}/open", json={"closes_at": "2020-01-01T00:00:00Z"},
                        headers=host.headers)
    assert past.status_code == 400
    closes_at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    r = await c.post(f"{base}/open", json={"closes_at": closes_at}, headers=host.headers)
    assert r.status_code == 200, r.text
    viewers = [await api.actor() for _ in range(3)]
    for viewer in viewers:
        assert (await c.post(base, headers=viewer.headers)).status_code == 201

    async def drawn_and_held() -> bool:
        # The draw is recorded first; the winner's hold follows (at the latest on the next
        # tick, when the gate had not yet seen the sale open).
        if (await c.get(base)).json()["status"] != "drawn":
            return False
        entries = (await c.get(f"{base}/entries")).json()["entries"]
        return any(e["outcome"] == "winner" for e in entries)

    await wait_until(drawn_and_held, timeout=15)
    listing = (await c.get(f"{base}/entries")).json()
    winner = rerun(listing["seed"], [e["user_id"] for e in listing["entries"]])[0]
    assert [e["user_id"] for e in listing["entries"] if e["outcome"] == "winner"] == [winner]
    assert (await c.post(f"{base}/open", headers=host.headers)).json()["code"] == "raffle_drawn"


async def test_raffle_refusals(api: Api) -> None:
    c = api.client
    host = await api.actor("host")
    show = await api.show(host)
    item = await api.product(host, show["id"])
    r = await c.post(f"/api/v1/products/{item['id']}/raffle/open", headers=host.headers)
    assert r.json()["code"] == "not_a_raffle"
    viewer = await api.actor()
    r = await c.post(f"/api/v1/products/{item['id']}/raffle", headers=viewer.headers)
    assert r.json()["code"] == "not_a_raffle"
    _, pid = await raffle_product(api, host)
    r = await c.post(f"/api/v1/products/{pid}/raffle/open", json={"nope": 1},
                     headers=host.headers)
    assert r.status_code == 400
    await c.put(f"/api/v1/products/{pid}/fairness", json={"min_account_age_seconds": 3600},
                headers=host.headers)
    await c.post(f"/api/v1/products/{pid}/raffle/open", headers=host.headers)
    too_new = await c.post(f"/api/v1/products/{pid}/raffle", headers=viewer.headers)
    assert too_new.status_code == 403
    assert too_new.json()["code"] == "account_too_new"
    assert (await c.get(f"/api/v1/products/{pid}/raffle")).json()["entries"] == 0
