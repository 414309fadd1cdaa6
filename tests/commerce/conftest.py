"""The commerce API under test, on both storage stacks.

``embedded``: SQLite and in-process backends (what ``showfloor up`` runs).
``production``: PostgreSQL and Redis (what a deployment runs).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from litestar.testing import AsyncTestClient

from commerce.admin import set_user_role
from commerce.app import create_app
from showfloor.migrate import upgrade_async
from showfloor.settings import Settings, load_settings
from showfloor.web import Resources
from tests.support.services import REDIS_URL, fresh_postgres_database, unique_redis_prefix

T = TypeVar("T")
BACKENDS = ["embedded", "production"]
PASSWORD = "correct horse battery"


@dataclass
class Actor:
    id: int
    email: str
    role: str
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Api:
    client: AsyncTestClient[Any]
    settings: Settings
    backend: str

    async def in_app(self, work: Callable[[Resources], Awaitable[T]]) -> T:
        """Run ``work`` on the app's own event loop (the test client serves it in a thread)."""
        resources: Resources = self.client.app.state.resources

        async def call() -> T:
            return await work(resources)

        return await asyncio.to_thread(self.client.blocking_portal.call, call)

    async def actor(self, role: str = "viewer") -> Actor:
        email = f"{role}-{secrets.token_hex(4)}@example.com"
        response = await self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": role.title()},
        )
        assert response.status_code == 201, response.text
        if role != "viewer":
            await set_user_role(self.settings, email=email, role=role)
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Actor(body["user"]["id"], email, role, body["access_token"], body["refresh_token"])

    async def show(self, host: Actor, **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/shows/", json={"title": "Sneaker drop", **fields}, headers=host.headers
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def product(self, host: Actor, show_id: int, **fields: Any) -> dict[str, Any]:
        body = {
            "sku": f"SKU-{secrets.token_hex(3)}",
            "title": "Limited sneaker",
            "price_minor": 12900,
            "currency": "EUR",
            "stock": 50,
            **fields,
        }
        response = await self.client.post(
            f"/api/v1/shows/{show_id}/products/", json=body, headers=host.headers
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def settings_for(backend: str, var_dir: Path, database_url: str, **extra: str) -> Settings:
    env = {
        "SHOWFLOOR_VAR_DIR": str(var_dir),
        "SHOWFLOOR_DATABASE_URL": database_url,
        "SHOWFLOOR_LOGIN_ATTEMPTS_PER_IP": "100000",
        "SHOWFLOOR_LOGIN_ATTEMPTS_PER_ACCOUNT": "5",
        "SHOWFLOOR_SALE_ATTEMPTS_PER_IP": "100000000",
        **extra,
    }
    if backend == "production":
        env["SHOWFLOOR_REDIS_URL"] = REDIS_URL
        env["SHOWFLOOR_REDIS_PREFIX"] = unique_redis_prefix("commerce")
    return load_settings(env)


async def database_for(backend: str, var_dir: Path) -> AsyncIterator[str]:
    if backend == "embedded":
        yield f"sqlite+aiosqlite:///{var_dir / 'showfloor.sqlite3'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.fixture(scope="session", params=BACKENDS)
async def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[Api]:
    backend: str = request.param
    var_dir = tmp_path_factory.mktemp(f"commerce-{backend}")
    async for database_url in database_for(backend, var_dir):
        settings = settings_for(backend, var_dir, database_url)
        await upgrade_async(settings.database_url)
        async with AsyncTestClient(create_app(settings)) as client:
            yield Api(client, settings, backend)
