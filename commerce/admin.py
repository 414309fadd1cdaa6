"""Account administration used by the ``showfloor user`` commands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from commerce.adapters import users_sql
from commerce.auth.passwords import PasswordHashing
from commerce.domain.errors import NotFound
from commerce.domain.users import (
    Role,
    User,
    check_display_name,
    check_password_policy,
    normalise_email,
)
from showfloor.db import create_engine, create_sessionmaker

if TYPE_CHECKING:
    from showfloor.settings import Settings


async def create_user(
    settings: Settings, *, email: str, password: str, display_name: str, role: str
) -> User:
    email = normalise_email(email)
    check_password_policy(password)
    name = check_display_name(display_name)
    password_hash = await PasswordHashing().hash(password)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            return await users_sql.insert_user(
                db, email=email, password_hash=password_hash, display_name=name,
                role=Role(role), now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()


async def set_user_role(settings: Settings, *, email: str, role: str) -> User:
    email = normalise_email(email)
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as db, db.begin():
            found = await users_sql.credentials_by_email(db, email)
            if found is None:
                raise NotFound(f"There is no account with the email {email}.")
            await users_sql.set_role(db, found[0].id, Role(role))
            return await users_sql.user_by_id(db, found[0].id) or found[0]
    finally:
        await engine.dispose()
