"""Where the test suite finds PostgreSQL and Redis, and throwaway databases on them.

``make test`` exports ``SHOWFLOOR_TEST_POSTGRES_URL`` and ``SHOWFLOOR_TEST_REDIS_URL`` (pointing at
the machine's servers, or at throwaway ones it started); the defaults are the local servers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

POSTGRES_URL = os.environ.get(
    "SHOWFLOOR_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SHOWFLOOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@asynccontextmanager
async def fresh_postgres_database(prefix: str = "sf_test") -> AsyncIterator[str]:
    """Create an empty database for one test module or session; drop it afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_plain(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        admin = await asyncpg.connect(_plain(POSTGRES_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def unique_redis_prefix(label: str = "t") -> str:
    return f"sftest:{label}:{secrets.token_hex(4)}:"
