"""Users and refresh tokens in SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from commerce.adapters.tables import refresh_tokens, users
from commerce.domain.errors import EmailTaken
from commerce.domain.users import Role, User

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=Role(row.role),
        created_at=row.created_at,
    )


async def insert_user(
    db: AsyncSession,
    *,
    email: str,
    password_hash: str,
    display_name: str,
    role: Role,
    now: datetime,
) -> User:
    try:
        async with db.begin_nested():
            result = await db.execute(
                insert(users)
                .values(
                    email=email,
                    password_hash=password_hash,
                    display_name=display_name,
                    role=role.value,
                    created_at=now,
                )
                .returning(users)
            )
    except IntegrityError:
        raise EmailTaken("An account with this email already exists; log in instead.",
                         field="email") from None
    return _user(result.one())


async def user_by_id(db: AsyncSession, user_id: int) -> User | None:
    row = (await db.execute(select(users).where(users.c.id == user_id))).one_or_none()
    return None if row is None else _user(row)


async def credentials_by_email(db: AsyncSession, email: str) -> tuple[User, str] | None:
    row = (await db.execute(select(users).where(users.c.email == email))).one_or_none()
    return None if row is None else (_user(row), row.password_hash)


async def set_role(db: AsyncSession, user_id: int, role: Role) -> None:
    await db.execute(update(users).where(users.c.id == user_id).values(role=role.value))


async def set_password_hash(db: AsyncSession, user_id: int, password_hash: str) -> None:
    await db.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash)
    )


async def insert_refresh_token(
    db: AsyncSession,
    *,
    user_id: int,
    digest: str,
    family: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await db.execute(
        insert(refresh_tokens).values(
            user_id=user_id,
            token_digest=digest,
            family=family,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def refresh_token_by_digest(db: AsyncSession, digest: str) -> Any | None:
    stmt = select(refresh_tokens).where(refresh_tokens.c.token_digest == digest)
    return (await db.execute(stmt)).one_or_none()


async def revoke_refresh_token(db: AsyncSession, token_id: int, now: datetime) -> bool:
    """Revoke one token; False when it was already revoked (a concurrent refresh won)."""
    result = await db.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.id == token_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_family(db: AsyncSession, family: str, now: datetime) -> None:
    await db.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family == family, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
