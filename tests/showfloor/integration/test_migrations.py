"""The migrations build the same schema as the table definitions, on SQLite and PostgreSQL,
and can be undone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import commerce.adapters.tables  # noqa: F401  (registers the tables on the metadata)
import edge.tables  # noqa: F401
from showfloor.db import create_engine, metadata
from showfloor.migrate import downgrade, upgrade
from tests.support.services import fresh_postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    else:
        async with fresh_postgres_database("sf_migrations") as url:
            yield url


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_matches_the_models_and_downgrades(database_url: str) -> None:
    import asyncio

    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(upgrade, database_url)  # a second run is a no-op
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
            assert diff == [], f"migrations and tables differ: {diff}"
        await asyncio.to_thread(downgrade, database_url, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}
    finally:
        await engine.dispose()
