"""The :class:`~media.showdirectory.ShowDirectory` on the ``shows`` table (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from commerce.adapters.tables import shows

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from sqlalchemy.ext.asyncio import AsyncEngine

_ENDED = "ended"


class SqlShowDirectory:
    def __init__(
        self, engine: AsyncEngine, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    async def show_for_stream_key(self, key: str) -> int | None:
        if not key:
            return None
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(shows.c.id, shows.c.status).where(shows.c.stream_key == key)
                )
            ).one_or_none()
        if row is None or row.status == _ENDED:
            return None
        return int(row.id)

    async def mark_live(self, show_id: int) -> None:
        now = self._clock()
        async with self._engine.begin() as conn:
            # started_at records the first time the show went live; later reconnects keep it.
            await conn.execute(
                update(shows)
                .where(shows.c.id == show_id, shows.c.status.in_(("scheduled", "idle", "live")))
                .values(status="live", updated_at=now)
            )
            await conn.execute(
                update(shows)
                .where(shows.c.id == show_id, shows.c.started_at.is_(None))
                .values(started_at=now)
            )

    async def mark_idle(self, show_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(shows)
                .where(shows.c.id == show_id, shows.c.status == "live")
                .values(status="idle", updated_at=self._clock())
            )

    async def ended_shows(self, show_ids: Collection[int]) -> set[int]:
        ids = list(show_ids)
        if not ids:
            return set()
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(shows.c.id).where(shows.c.id.in_(ids), shows.c.status == _ENDED)
            )
            return {int(r.id) for r in rows}
