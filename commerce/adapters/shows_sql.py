"""Shows in SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from commerce.adapters.tables import shows
from commerce.domain.shows import Show, ShowStatus

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


def _show(row: Any) -> Show:
    return Show(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        description=row.description,
        status=ShowStatus(row.status),
        stream_key=row.stream_key,
        scheduled_at=row.scheduled_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_show(
    db: AsyncSession,
    *,
    owner_id: int,
    title: str,
    description: str,
    scheduled_at: datetime | None,
    stream_key: str,
    now: datetime,
) -> Show:
    result = await db.execute(
        insert(shows)
        .values(
            owner_id=owner_id,
            title=title,
            description=description,
            status=ShowStatus.SCHEDULED.value,
            stream_key=stream_key,
            scheduled_at=scheduled_at,
            created_at=now,
            updated_at=now,
        )
        .returning(shows)
    )
    return _show(result.one())


async def show_by_id(db: AsyncSession, show_id: int, *, for_update: bool = False) -> Show | None:
    stmt = select(shows).where(shows.c.id == show_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).one_or_none()
    return None if row is None else _show(row)


async def list_shows(
    db: AsyncSession,
    *,
    owner_id: int | None,
    statuses: list[ShowStatus] | None,
    limit: int,
    before_id: int | None,
) -> list[Show]:
    stmt = select(shows).order_by(shows.c.id.desc()).limit(limit)
    if owner_id is not None:
        stmt = stmt.where(shows.c.owner_id == owner_id)
    if statuses:
        stmt = stmt.where(shows.c.status.in_([s.value for s in statuses]))
    if before_id is not None:
        stmt = stmt.where(shows.c.id < before_id)
    return [_show(row) for row in await db.execute(stmt)]


async def update_show(db: AsyncSession, show_id: int, values: dict[str, Any]) -> Show:
    result = await db.execute(
        update(shows).where(shows.c.id == show_id).values(**values).returning(shows)
    )
    return _show(result.one())


async def count_shows(db: AsyncSession) -> int:
    return int((await db.execute(select(func.count()).select_from(shows))).scalar_one())
