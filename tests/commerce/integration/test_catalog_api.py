"""Shows and products over the API."""

from __future__ import annotations

import pytest

from tests.commerce.conftest import Api

pytestmark = pytest.mark.integration


async def test_host_creates_a_show_and_products(api: Api) -> None:
    host = await api.actor("host")
    show = await api.show(host, description="Fresh pairs", scheduled_at="2026-12-01T18:00:00Z")
    assert show["status"] == "scheduled"
    assert show["stream_key"].startswith("sk_")
    assert show["hls_url"] == f"/hls/{show['id']}/index.m3u8"
    assert show["scheduled_at"].startswith("2026-12-01T18:00:00")

    product = await api.product(host, show["id"], stock=25, per_user_limit=2, sale_mode="queue",
                                hold_ttl_seconds=120, image_url="https://img.example.com/a.jpg")
    assert (product["stock"], product["available"], product["held"], product["sold"]) == (
        25, 25, 0, 0)
    assert product["sale_mode"] == "queue"
    assert product["currency"] == "EUR"

    listed = await api.client.get(f"/api/v1/shows/{show['id']}/products/")
    assert [p["id"] for p in listed.json()] == [product["id"]]

    patched = await api.client.patch(f"/api/v1/products/{product['id']}",
                                     json={"stock": 30, "title": "Restocked sneaker"},
                                     headers=host.headers)
    assert patched.status_code == 200
    assert patched.json()["stock"] == 30
    assert patched.json()["available"] == 30
    assert patched.json()["sku"] == product["sku"]


async def test_stream_key_is_only_for_the_owner(api: Api) -> None:
    host = await api.actor("host")
    other = await api.actor("host")
    admin = await api.actor("admin")
    show = await api.show(host)
    path = f"/api/v1/shows/{show['id']}"
    assert "stream_key" not in (await api.client.get(path)).json()
    assert "stream_key" not in (await api.client.get(path, headers=other.headers)).json()
    assert (await api.client.get(path, headers=host.headers)).json()["stream_key"] == \
        show["stream_key"]
    assert "stream_key" in (await api.client.get(path, headers=admin.headers)).json()
    listing = await api.client.get("/api/v1/shows/", params={"owner": "me"},
                                   headers=other.headers)
    assert all("stream_key" in s for s in listing.json())
    public = await api.client.get("/api/v1/shows/")
    assert all("stream_key" not in s for s in public.json())

    rotated = await api.client.post(f"{path}/stream-key", headers=host.headers)
    assert rotated.status_code == 200
    assert rotated.json()["stream_key"] != show["stream_key"]


async def test_show_lifecycle_ends_once(api: Api) -> None:
    host = await api.actor("host")
    show = await api.show(host)
    path = f"/api/v1/shows/{show['id']}"
    ended = await api.client.post(f"{path}/end", headers=host.headers)
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] is not None
    again = await api.client.post(f"{path}/end", headers=host.headers)
    assert again.status_code == 200, "ending twice is harmless"
    patched = await api.client.patch(path, json={"title": "Too late"}, headers=host.headers)
    assert patched.status_code == 409
    added = await api.client.post(
        f"{path}/products/",
        json={"sku": "A", "title": "A", "price_minor": 1, "currency": "EUR", "stock": 1},
        headers=host.headers,
    )
    assert added.status_code == 409
    rotated = await api.client.post(f"{path}/stream-key", headers=host.headers)
    assert rotated.status_code == 409


async def test_listing_filters_and_pages(api: Api) -> None:
    host = await api.actor("host")
    first = await api.show(host, title="First")
    second = await api.show(host, title="Second")
    await api.client.post(f"/api/v1/shows/{first['id']}/end", headers=host.headers)
    mine = (await api.client.get("/api/v1/shows/", params={"owner": str(host.id)})).json()
    assert [s["id"] for s in mine] == [second["id"], first["id"]]
    ended = (await api.client.get("/api/v1/shows/",
                                  params={"owner": str(host.id), "status": "ended"})).json()
    assert [s["id"] for s in ended] == [first["id"]]
    page = (await api.client.get("/api/v1/shows/", params={
        "owner": str(host.id), "limit": 1, "before": second["id"]})).json()
    assert [s["id"] for s in page] == [first["id"]]
    bad = await api.client.get("/api/v1/shows/", params={"owner": "someone"})
    assert bad.status_code == 400
    anonymous_me = await api.client.get("/api/v1/shows/", params={"owner": "me"})
    assert anonymous_me.status_code == 400


async def test_duplicate_sku_in_one_show_is_a_conflict(api: Api) -> None:
    host = await api.actor("host")
    show = await api.show(host)
    await api.product(host, show["id"], sku="DUP-1")
    response = await api.client.post(
        f"/api/v1/shows/{show['id']}/products/",
        json={"sku": "DUP-1", "title": "Again", "price_minor": 1, "currency": "EUR", "stock": 1},
        headers=host.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sku_taken"
    other_show = await api.show(host)
    await api.product(host, other_show["id"], sku="DUP-1")  # another show may reuse it


GOOD = {"sku": "S-1", "title": "Thing", "price_minor": 100, "currency": "EUR", "stock": 5}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "euro"}, "currency"),
        ({"stock": -1}, "stock"),
        ({"stock": 10_000_001}, "stock"),
        ({"price_minor": -5}, "price_minor"),
        ({"price_minor": 1.5}, "price_minor"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"sale_mode": "auction"}, "sale_mode"),
        ({"hold_ttl_seconds": 5}, "hold_ttl_seconds"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"sku": "has space"}, "sku"),
        ({"title": ""}, "title"),
        ({"title": "x" * 141}, "title"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_bad_products_are_refused_without_a_trace(
    api: Api, change: dict[str, object], field: str
) -> None:
    host = await api.actor("host")
    show = await api.show(host)
    response = await api.client.post(f"/api/v1/shows/{show['id']}/products/",
                                     json={**GOOD, **change}, headers=host.headers)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert any(field in e["field"] or field in e["message"] for e in problem["errors"]), problem
    listed = await api.client.get(f"/api/v1/shows/{show['id']}/products/")
    assert listed.json() == []


async def test_bad_show_input(api: Api) -> None:
    host = await api.actor("host")
    for body in ({"title": ""}, {"title": "x" * 200}, {"title": "ok", "scheduled_at": "soon"},
                 {"title": "ok", "owner_id": 1}, []):
        response = await api.client.post("/api/v1/shows/", json=body, headers=host.headers)
        assert response.status_code == 400, body
    missing = await api.client.get("/api/v1/shows/999999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    not_a_number = await api.client.get("/api/v1/shows/abc")
    assert not_a_number.status_code in (400, 404)
