from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.edge.support import Seed, create_schema, seed
from tests.support.services import REDIS_URL, unique_redis_prefix


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def redis_prefix(redis_client: Redis) -> AsyncIterator[str]:
    prefix = unique_redis_prefix("edge")
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=prefix + "*", count=500)]
    if keys:
        await redis_client.delete(*keys)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[tuple[str, Seed]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'edge.sqlite3'}"
    engine = await create_schema(url)
    try:
        yield url, await seed(engine)
    finally:
        await engine.dispose()
