"""Reading and writing edge's rows (and the shows, users and products it needs to check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, func, insert, select, update

from commerce.adapters.tables import products, shows, users
from edge.domain.chat import Restriction, RestrictionKind, ShowRole
from edge.domain.export import ExportedMessage
from edge.domain.timeline import HighlightRecord
from edge.tables import (
    chat_messages,
    chat_restrictions,
    chat_settings,
    highlights,
    show_moderators,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

    from commerce.domain.users import Principal


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


@dataclass(frozen=True, slots=True)
class ShowInfo:
    id: int
    owner_id: int
    status: str


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    user_id: int
    display_name: str
    text: str
    sent_at: datetime


async def get_show(session: AsyncSession, show_id: int) -> ShowInfo | None:
    row = (
        await session.execute(
            select(shows.c.id, shows.c.owner_id, shows.c.status).where(shows.c.id == show_id)
        )
    ).one_or_none()
    return None if row is None else ShowInfo(int(row.id), int(row.owner_id), str(row.status))


async def get_display_name(session: AsyncSession, user_id: int) -> str | None:
    name = await session.scalar(select(users.c.display_name).where(users.c.id == user_id))
    return None if name is None else str(name)


async def user_exists(session: AsyncSession, user_id: int) -> bool:
    return await session.scalar(select(users.c.id).where(users.c.id == user_id)) is not None


async def product_in_show(session: AsyncSession, product_id: int, show_id: int) -> bool:
    found = await session.scalar(
        select(products.c.id).where(products.c.id == product_id, products.c.show_id == show_id)
    )
    return found is not None


async def show_role(
    session: AsyncSession, show: ShowInfo, user_id: int, is_admin: bool
) -> ShowRole:
    if is_admin or show.owner_id == user_id:
        return ShowRole.HOST
    found = await session.scalar(
        select(show_moderators.c.user_id).where(
            show_moderators.c.show_id == show.id, show_moderators.c.user_id == user_id
        )
    )
    return ShowRole.MODERATOR if found is not None else ShowRole.VIEWER


async def role_of(session: AsyncSession, show: ShowInfo, principal: Principal) -> ShowRole:
    return await show_role(session, show, principal.user_id, principal.is_admin)


async def target_role(session: AsyncSession, show: ShowInfo, user_id: int) -> ShowRole:
    role = await session.scalar(select(users.c.role).where(users.c.id == user_id))
    return await show_role(session, show, user_id, role == "admin")


# -- moderators ---------------------------------------------------------------------------------


async def list_moderators(session: AsyncSession, show_id: int) -> list[int]:
    rows = await session.scalars(
        select(show_moderators.c.user_id)
        .where(show_moderators.c.show_id == show_id)
        .order_by(show_moderators.c.user_id)
    )
    return [int(r) for r in rows]


async def add_moderator(
    session: AsyncSession, show_id: int, user_id: int, granted_by: int, now: datetime
) -> None:
    await session.execute(
        delete(show_moderators).where(
            show_moderators.c.show_id == show_id, show_moderators.c.user_id == user_id
        )
    )
    await session.execute(
        insert(show_moderators).values(
            show_id=show_id, user_id=user_id, granted_by=granted_by, created_at=now
        )
    )


async def remove_moderator(session: AsyncSession, show_id: int, user_id: int) -> bool:
    result = await session.execute(
        delete(show_moderators).where(
            show_moderators.c.show_id == show_id, show_moderators.c.user_id == user_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- restrictions and settings ----------------------------------------------------------------


async def restrictions_of(session: AsyncSession, show_id: int, user_id: int) -> list[Restriction]:
    rows = await session.execute(
        select(chat_restrictions.c.kind, chat_restrictions.c.until).where(
            chat_restrictions.c.show_id == show_id, chat_restrictions.c.user_id == user_id
        )
    )
    return [Restriction(RestrictionKind(r.kind), aware_or_none(r.until)) for r in rows]


async def set_restriction(
    session: AsyncSession,
    show_id: int,
    user_id: int,
    kind: RestrictionKind,
    until: datetime | None,
    reason: str,
    created_by: int,
    now: datetime,
) -> None:
    await lift_restriction(session, show_id, user_id, kind)
    await session.execute(
        insert(chat_restrictions).values(
            show_id=show_id,
            user_id=user_id,
            kind=kind.value,
            until=until,
            reason=reason,
            created_by=created_by,
            created_at=now,
        )
    )


async def lift_restriction(
    session: AsyncSession, show_id: int, user_id: int, kind: RestrictionKind
) -> bool:
    result = await session.execute(
        delete(chat_restrictions).where(
            chat_restrictions.c.show_id == show_id,
            chat_restrictions.c.user_id == user_id,
            chat_restrictions.c.kind == kind.value,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def slow_mode_seconds(session: AsyncSession, show_id: int) -> int:
    value = await session.scalar(
        select(chat_settings.c.slow_mode_seconds).where(chat_settings.c.show_id == show_id)
    )
    return int(value or 0)


async def set_slow_mode(
    session: AsyncSession, show_id: int, seconds: int, updated_by: int, now: datetime
) -> None:
    await session.execute(delete(chat_settings).where(chat_settings.c.show_id == show_id))
    await session.execute(
        insert(chat_settings).values(
            show_id=show_id, slow_mode_seconds=seconds, updated_by=updated_by, updated_at=now
        )
    )


# -- messages -----------------------------------------------------------------------------------


async def insert_message(
    session: AsyncSession, show_id: int, user_id: int, display_name: str, text: str, now: datetime
) -> int:
    result = await session.execute(
        insert(chat_messages)
        .values(
            show_id=show_id, user_id=user_id, display_name=display_name, body=text, created_at=now
        )
        .returning(chat_messages.c.id)
    )
    return int(result.scalar_one())


async def delete_messages(
    session: AsyncSession,
    show_id: int,
    deleted_by: int,
    now: datetime,
    *,
    message_id: int | None = None,
    user_id: int | None = None,
) -> list[int]:
    """Mark messages deleted (one, or all of a user); returns the ids newly deleted."""
    conditions = [chat_messages.c.show_id == show_id, chat_messages.c.deleted_at.is_(None)]
    if message_id is not None:
        conditions.append(chat_messages.c.id == message_id)
    if user_id is not None:
        conditions.append(chat_messages.c.user_id == user_id)
    ids = [
        int(i)
        for i in await session.scalars(
            select(chat_messages.c.id).where(and_(*conditions)).order_by(chat_messages.c.id)
        )
    ]
    if ids:
        await session.execute(
            update(chat_messages)
            .where(chat_messages.c.id.in_(ids))
            .values(deleted_at=now, deleted_by=deleted_by)
        )
    return ids


async def message_exists(session: AsyncSession, show_id: int, message_id: int) -> bool:
    found = await session.scalar(
        select(chat_messages.c.id).where(
            chat_messages.c.show_id == show_id, chat_messages.c.id == message_id
        )
    )
    return found is not None


async def recent_messages(session: AsyncSession, show_id: int, limit: int) -> list[StoredMessage]:
    rows = await session.execute(
        select(
            chat_messages.c.id,
            chat_messages.c.user_id,
            chat_messages.c.display_name,
            chat_messages.c.body,
            chat_messages.c.created_at,
        )
        .where(chat_messages.c.show_id == show_id, chat_messages.c.deleted_at.is_(None))
        .order_by(chat_messages.c.id.desc())
        .limit(limit)
    )
    found = [
        StoredMessage(int(r.id), int(r.user_id), r.display_name, r.body, aware(r.created_at))
        for r in rows
    ]
    found.reverse()
    return found


async def export_messages(
    session: AsyncSession, show_id: int, batch: int = 1000
) -> AsyncIterator[ExportedMessage]:
    """Every message of the show, deleted ones included, read in keyset-paginated batches so
    that a long show never sits in memory."""
    after = 0
    while True:
        rows = (
            await session.execute(
                select(chat_messages)
                .where(chat_messages.c.show_id == show_id, chat_messages.c.id > after)
                .order_by(chat_messages.c.id)
                .limit(batch)
            )
        ).all()
        for r in rows:
            yield ExportedMessage(
                message_id=int(r.id),
                sent_at=aware(r.created_at),
                user_id=int(r.user_id),
                display_name=r.display_name,
                text=r.body,
                deleted_at=aware_or_none(r.deleted_at),
                deleted_by=None if r.deleted_by is None else int(r.deleted_by),
            )
        if len(rows) < batch:
            return
        after = int(rows[-1].id)


async def count_messages(session: AsyncSession, show_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(chat_messages)
            .where(chat_messages.c.show_id == show_id)
        )
        or 0
    )


# -- highlights ---------------------------------------------------------------------------------


async def insert_highlight(
    session: AsyncSession,
    *,
    highlight_id: str,
    show_id: int,
    product_id: int,
    program_date_time: datetime,
    clicked_at: datetime,
    captured_at: datetime | None,
    clock_offset_ms: float | None,
    created_by: int,
    now: datetime,
) -> None:
    await session.execute(
        insert(highlights).values(
            id=highlight_id,
            show_id=show_id,
            product_id=product_id,
            program_date_time=program_date_time,
            clicked_at=clicked_at,
            captured_at=captured_at,
            clock_offset_ms=clock_offset_ms,
            created_by=created_by,
            created_at=now,
        )
    )


async def set_highlight_event(session: AsyncSession, highlight_id: str, event_id: int) -> None:
    await session.execute(
        update(highlights).where(highlights.c.id == highlight_id).values(event_id=event_id)
    )


async def delete_highlight(session: AsyncSession, highlight_id: str) -> None:
    await session.execute(delete(highlights).where(highlights.c.id == highlight_id))


async def list_highlights(session: AsyncSession, show_id: int) -> list[HighlightRecord]:
    rows = await session.execute(
        select(
            highlights.c.id,
            highlights.c.product_id,
            highlights.c.program_date_time,
            highlights.c.created_at,
        )
        .where(highlights.c.show_id == show_id)
        .order_by(highlights.c.program_date_time, highlights.c.created_at)
    )
    return [
        HighlightRecord(r.id, int(r.product_id), aware(r.program_date_time), aware(r.created_at))
        for r in rows
    ]
