"""Every commerce route against every kind of caller: anonymous, viewer, another host, the
show's owner and an admin. Each case runs on fresh objects, so a mutation in one cell cannot hide
a wrong answer in another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.commerce.conftest import Actor, Api

pytestmark = pytest.mark.integration

PRINCIPALS = ["anonymous", "viewer", "other_host", "owner", "admin"]

# Expected status per principal, in PRINCIPALS order.
PUBLIC_READ = (200, 200, 200, 200, 200)
OWNER_ONLY = (401, 403, 403, 200, 200)
OWNER_ONLY_CREATED = (401, 403, 403, 201, 201)
OWNER_ONLY_NO_CONTENT = (401, 403, 403, 204, 204)
HOSTS_CREATE = (401, 403, 201, 201, 201)
SIGNED_IN = (401, 200, 200, 200, 200)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {show} and {product} are filled with fresh objects of the owner
    expected: tuple[int, int, int, int, int]
    body: dict[str, Any] | None = None


ROUTES = [
    Route("GET", "/api/v1/me", SIGNED_IN),
    Route("POST", "/api/v1/shows/", HOSTS_CREATE, {"title": "A show"}),
    Route("GET", "/api/v1/shows/", PUBLIC_READ),
    Route("GET", "/api/v1/shows/{show}", PUBLIC_READ),
    Route("PATCH", "/api/v1/shows/{show}", OWNER_ONLY, {"title": "Renamed"}),
    Route("POST", "/api/v1/shows/{show}/end", OWNER_ONLY),
    Route("POST", "/api/v1/shows/{show}/stream-key", OWNER_ONLY),
    Route("GET", "/api/v1/shows/{show}/products/", PUBLIC_READ),
    Route("POST", "/api/v1/shows/{show}/products/", OWNER_ONLY_CREATED,
          {"sku": "M-1", "title": "Matrix", "price_minor": 500, "currency": "USD", "stock": 3}),
    Route("GET", "/api/v1/products/{product}", PUBLIC_READ),
    Route("PATCH", "/api/v1/products/{product}", OWNER_ONLY, {"stock": 7}),
    Route("DELETE", "/api/v1/products/{product}", OWNER_ONLY_NO_CONTENT),
]


@pytest.fixture(scope="session")
async def cast(api: Api) -> dict[str, Actor | None]:
    return {
        "anonymous": None,
        "viewer": await api.actor("viewer"),
        "other_host": await api.actor("host"),
        "owner": await api.actor("host"),
        "admin": await api.actor("admin"),
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize("who", PRINCIPALS)
async def test_route_answers_each_principal(
    api: Api, cast: dict[str, Actor | None], route: Route, who: str
) -> None:
    owner = cast["owner"]
    assert owner is not None
    show = await api.show(owner)
    product = await api.product(owner, show["id"])
    path = route.path.format(show=show["id"], product=product["id"])
    caller = cast[who]
    headers = caller.headers if caller else {}
    send: Callable[..., Awaitable[Any]] = getattr(api.client, route.method.lower())
    kwargs: dict[str, Any] = {"headers": headers}
    if route.body is not None:
        kwargs["json"] = route.body
    response = await send(path, **kwargs)
    expected = route.expected[PRINCIPALS.index(who)]
    assert response.status_code == expected, f"{who}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")

    # A refused change leaves everything as it was.
    if expected in (401, 403):
        after_show = (await api.client.get(f"/api/v1/shows/{show['id']}",
                                           headers=owner.headers)).json()
        assert after_show["title"] == show["title"]
        assert after_show["status"] == "scheduled"
        assert after_show["stream_key"] == show["stream_key"]
        after_product = await api.client.get(f"/api/v1/products/{product['id']}")
        assert after_product.status_code == 200
        assert after_product.json()["stock"] == product["stock"]
        products = (await api.client.get(f"/api/v1/shows/{show['id']}/products/")).json()
        assert len(products) == 1
