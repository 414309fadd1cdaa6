"""edge's tables and queries on both databases: SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from edge import store
from edge.domain.chat import RestrictionKind, ShowRole
from showfloor.db import create_sessionmaker
from tests.edge.support import Seed, create_schema, seed
from tests.support.services import fresh_postgres_database

pytestmark = pytest.mark.integration

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AsyncSession, Seed]]:
    async def run(url: str) -> AsyncIterator[tuple[AsyncSession, Seed]]:
        engine = await create_schema(url)
        seeded = await seed(engine)
        async with create_sessionmaker(engine)() as session:
            yield session, seeded
        await engine.dispose()

    if request.param == "sqlite":
        async for item in run(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"):
            yield item
    else:
        async with fresh_postgres_database("sf_edge_store") as url:
            async for item in run(url):
                yield item


async def test_messages_round_trip_and_deletions(db: tuple[AsyncSession, Seed]) -> None:
    s, seed_ = db
    first = await store.insert_message(s, seed_.show, seed_.viewer, "Viewer", "hi", NOW)
    second = await store.insert_message(
        s, seed_.show, seed_.viewer2, "Viewer2", "yo", NOW + timedelta(seconds=1)
    )
    third = await store.insert_message(
        s, seed_.show, seed_.viewer2, "Viewer2", "again", NOW + timedelta(seconds=2)
    )
    await s.commit()
    recent = await store.recent_messages(s, seed_.show, 2)
    assert [m.id for m in recent] == [second, third]
    assert recent[0].sent_at == NOW + timedelta(seconds=1)
    deleted = await store.delete_messages(s, seed_.show, seed_.host, NOW, user_id=seed_.viewer2)
    assert deleted == [second, third]
    assert await store.delete_messages(s, seed_.show, seed_.host, NOW, message_id=second) == []
    await s.commit()
    assert [m.id for m in await store.recent_messages(s, seed_.show, 10)] == [first]
    exported = [m async for m in store.export_messages(s, seed_.show, batch=2)]
    assert [m.message_id for m in exported] == [first, second, third]
    assert exported[1].deleted_by == seed_.host
    assert exported[1].deleted_at == NOW


async def test_roles_restrictions_and_settings(db: tuple[AsyncSession, Seed]) -> None:
    s, seed_ = db
    show = await store.get_show(s, seed_.show)
    assert show is not None
    assert show.owner_id == seed_.host
    assert await store.get_show(s, 999_999) is None
    assert await store.target_role(s, show, seed_.host) is ShowRole.HOST
    assert await store.target_role(s, show, seed_.admin) is ShowRole.HOST
    assert await store.target_role(s, show, seed_.moderator) is ShowRole.VIEWER
    await store.add_moderator(s, seed_.show, seed_.moderator, seed_.host, NOW)
    await store.add_moderator(s, seed_.show, seed_.moderator, seed_.host, NOW)  # idempotent
    assert await store.target_role(s, show, seed_.moderator) is ShowRole.MODERATOR
    assert await store.list_moderators(s, seed_.show) == [seed_.moderator]

    until = NOW + timedelta(minutes=10)
    await store.set_restriction(
        s, seed_.show, seed_.viewer, RestrictionKind.MUTE, until, "", seed_.host, NOW
    )
    await store.set_restriction(
        s, seed_.show, seed_.viewer, RestrictionKind.MUTE, None, "longer", seed_.host, NOW
    )
    await store.set_restriction(
        s, seed_.show, seed_.viewer, RestrictionKind.BAN, None, "", seed_.host, NOW
    )
    await s.commit()
    found = {r.kind: r.until for r in await store.restrictions_of(s, seed_.show, seed_.viewer)}
    assert found == {RestrictionKind.MUTE: None, RestrictionKind.BAN: None}
    assert await store.restrictions_of(s, seed_.other_show, seed_.viewer) == []
    assert await store.lift_restriction(s, seed_.show, seed_.viewer, RestrictionKind.BAN)
    assert not await store.lift_restriction(s, seed_.show, seed_.viewer, RestrictionKind.BAN)

    assert await store.slow_mode_seconds(s, seed_.show) == 0
    await store.set_slow_mode(s, seed_.show, 15, seed_.host, NOW)
    await store.set_slow_mode(s, seed_.show, 20, seed_.host, NOW)
    assert await store.slow_mode_seconds(s, seed_.show) == 20


async def test_highlights_and_product_ownership(db: tuple[AsyncSession, Seed]) -> None:
    s, seed_ = db
    assert await store.product_in_show(s, seed_.product, seed_.show)
    assert not await store.product_in_show(s, seed_.other_product, seed_.show)
    for i, pdt in enumerate((NOW + timedelta(seconds=5), NOW)):
        await store.insert_highlight(
            s,
            highlight_id=f"h{i}",
            show_id=seed_.show,
            product_id=seed_.product,
            program_date_time=pdt,
            clicked_at=pdt,
            captured_at=None,
            clock_offset_ms=12.5,
            created_by=seed_.host,
            now=NOW,
        )
    await store.set_highlight_event(s, "h0", 17)
    await s.commit()
    listed = await store.list_highlights(s, seed_.show)
    assert [h.highlight_id for h in listed] == ["h1", "h0"]
    assert listed[0].program_date_time == NOW


async def test_restriction_kinds_are_checked_by_the_schema(db: tuple[AsyncSession, Seed]) -> None:
    s, seed_ = db
    from sqlalchemy import insert

    from edge.tables import chat_restrictions

    with pytest.raises(IntegrityError):
        await s.execute(
            insert(chat_restrictions).values(
                show_id=seed_.show, user_id=seed_.viewer, kind="exile", created_at=NOW
            )
        )
    await s.rollback()
