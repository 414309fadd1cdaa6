"""Winners written together (group commit) on SQLite and PostgreSQL: the batch writes exactly
what the one-by-one path would, or nothing at all and hands every hold back to that path."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from commerce.adapters.inventory_sql import NewHold
from commerce.adapters.tables import holds, inventory_ledger, products, shows, users
from commerce.services.hold_writer import HoldWriter
from showfloor.db import create_engine, create_sessionmaker
from showfloor.migrate import upgrade
from tests.commerce.conftest import database_for


@pytest.fixture(params=["embedded", "production"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async for url in database_for(request.param, tmp_path):
        await asyncio.to_thread(upgrade, url)
        yield url


async def _product(url: str, *, stock: int, limit: int) -> tuple[int, int, list[int]]:
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            user_ids = [int((await conn.execute(insert(users).values(
                email=f"u{i}-{secrets.token_hex(3)}@x.test", password_hash="x",
                display_name=f"U{i}", role="viewer", created_at=now,
            ).returning(users.c.id))).scalar_one()) for i in range(6)]
            show = int((await conn.execute(insert(shows).values(
                owner_id=user_ids[0], title="S", description="", status="live",
                stream_key=secrets.token_hex(8), created_at=now, updated_at=now,
            ).returning(shows.c.id))).scalar_one())
            product = int((await conn.execute(insert(products).values(
                show_id=show, sku="P", title="P", description="", price_minor=100,
                currency="EUR", stock=stock, per_user_limit=limit, sale_mode="open",
                hold_ttl_seconds=600, sale_open=True, held=0, sold=0, created_at=now,
                updated_at=now,
            ).returning(products.c.id))).scalar_one())
    finally:
        await engine.dispose()
    return show, product, user_ids


def _hold(user_id: int, key: str | None = None) -> NewHold:
    return NewHold(secrets.token_hex(16), user_id, 1, key,
                   datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10))


async def _state(url: str, product: int) -> tuple[int, int, list[int]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            held = (await conn.execute(select(products.c.held).where(products.c.id == product))
                    ).scalar_one()
            rows = (await conn.execute(select(holds.c.id).where(holds.c.product_id == product))
                    ).all()
            ledger = (await conn.execute(
                select(inventory_ledger.c.held_after)
                .where(inventory_ledger.c.product_id == product)
                .order_by(inventory_ledger.c.id))).scalars().all()
    finally:
        await engine.dispose()
    return int(held), len(rows), [int(v) for v in ledger]


async def test_a_burst_is_written_in_one_transaction(database: str) -> None:
    show, product, user_ids = await _product(database, stock=10, limit=1)
    engine = create_engine(database)
    writer = HoldWriter(create_sessionmaker(engine))
    try:
        written = await asyncio.gather(*(writer.write(product, show, _hold(u))
                                         for u in user_ids[1:]))
    finally:
        await writer.close()
        await engine.dispose()
    # Queued in the same turn of the loop, they are one batch.
    assert all(row is not None for row in written)
    held, rows, ledger = await _state(database, product)
    assert (held, rows) == (5, 5)
    assert ledger == [1, 2, 3, 4, 5]  # every entry with the counts right after it


async def test_a_lone_winner_takes_the_one_by_one_path(database: str) -> None:
    show, product, user_ids = await _product(database, stock=10, limit=1)
    engine = create_engine(database)
    writer = HoldWriter(create_sessionmaker(engine))
    try:
        assert await writer.write(product, show, _hold(user_ids[1])) is None
    finally:
        await writer.close()
        await engine.dispose()
    assert await _state(database, product) == (0, 0, [])


@pytest.mark.parametrize("case", ["too_few_units", "over_user_limit", "repeated_key"])
async def test_a_batch_that_needs_checking_writes_nothing(database: str, case: str) -> None:
    show, product, user_ids = await _product(database, stock=2 if case == "too_few_units" else 10,
                                             limit=1)
    engine = create_engine(database)
    writer = HoldWriter(create_sessionmaker(engine))
    if case == "too_few_units":
        batch = [_hold(u) for u in user_ids[1:5]]
    elif case == "over_user_limit":
        batch = [_hold(user_ids[1]), _hold(user_ids[2]), _hold(user_ids[1])]
    else:
        batch = [_hold(user_ids[1], "k"), _hold(user_ids[2]), _hold(user_ids[1], "k")]
    try:
        written = await asyncio.gather(*(writer.write(product, show, h) for h in batch))
    finally:
        await writer.close()
        await engine.dispose()
    assert written == [None] * len(batch)
    assert await _state(database, product) == (0, 0, [])
