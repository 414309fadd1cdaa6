"""SqlShowDirectory on a real SQLite ``shows`` table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from commerce.adapters.tables import shows, users
from media.sql_showdirectory import SqlShowDirectory
from showfloor.db import create_engine, metadata

pytestmark = pytest.mark.integration


async def test_lookup_and_status_changes(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    now = datetime(2025, 1, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: metadata.create_all(sync, tables=[users, shows]))
        await conn.execute(
            insert(users).values(
                id=1, email="h@example.com", password_hash="x", display_name="H",
                role="host", created_at=now,
            )
        )
        for show_id, status in ((1, "scheduled"), (2, "ended")):
            await conn.execute(
                insert(shows).values(
                    id=show_id, owner_id=1, title="t", stream_key=f"k{show_id}",
                    status=status, created_at=now, updated_at=now,
                )
            )
    directory = SqlShowDirectory(engine, clock=lambda: now)
    try:
        assert await directory.show_for_stream_key("k1") == 1
        assert await directory.show_for_stream_key("k2") is None  # ended
        assert await directory.show_for_stream_key("nope") is None
        assert await directory.show_for_stream_key("") is None

        await directory.mark_live(1)
        await directory.mark_idle(1)
        await directory.mark_live(1)
        await directory.mark_live(2)  # an ended show stays ended
        async with engine.connect() as conn:
            rows = {r.id: r for r in await conn.execute(select(shows))}
        assert rows[1].status == "live"
        assert rows[1].started_at is not None
        assert rows[2].status == "ended"

        assert await directory.ended_shows([1, 2, 3]) == {2}
        assert await directory.ended_shows([]) == set()
    finally:
        await engine.dispose()
