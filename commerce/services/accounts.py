"""Registering, logging in, refreshing and revoking sessions."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from commerce.adapters import users_sql
from commerce.auth.tokens import AccessTokens, new_refresh_token, refresh_token_digest
from commerce.domain.errors import InvalidCredentials
from commerce.domain.users import (
    Principal,
    Role,
    User,
    check_display_name,
    check_password_policy,
    normalise_email,
)
from showfloor.problems import ProblemError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from commerce.auth.passwords import PasswordHashing
    from showfloor.ratelimit import Limit, RateLimiter

logger = logging.getLogger("showfloor.commerce.accounts")


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


class Accounts:
    def __init__(
        self,
        *,
        access_tokens: AccessTokens,
        passwords: PasswordHashing,
        limiter: RateLimiter,
        refresh_ttl_seconds: int,
        per_account: Limit,
        per_ip: Limit,
    ) -> None:
        self._access = access_tokens
        self._passwords = passwords
        self._limiter = limiter
        self._refresh_ttl = timedelta(seconds=refresh_ttl_seconds)
        self._per_account = per_account
        self._per_ip = per_ip

    async def register(
        self, db: AsyncSession, *, email: str, password: str, display_name: str
    ) -> User:
        email = normalise_email(email)
        check_password_policy(password)
        name = check_display_name(display_name)
        password_hash = await self._passwords.hash(password)
        async with db.begin():
            user = await users_sql.insert_user(
                db,
                email=email,
                password_hash=password_hash,
                display_name=name,
                role=Role.VIEWER,
                now=datetime.now(UTC),
            )
        logger.info("user_registered", extra={"user_id": user.id})
        return user

    async def login(
        self, db: AsyncSession, *, email: str, password: str, client_ip: str
    ) -> SignedIn:
        normalised = email.strip().lower()
        # Both limits are checked before the password is: a locked-out guesser learns nothing.
        for key, limit in ((f"login:ip:{client_ip}", self._per_ip),
                           (f"login:acct:{normalised}", self._per_account)):
            decision = await self._limiter.hit(key, limit)
            if not decision.allowed:
                logger.warning("login_rate_limited", extra={"key": key.split(":")[1]})
                raise ProblemError(
                    429,
                    "too_many_attempts",
                    "Too many login attempts. Wait before trying again.",
                    retry_after=decision.retry_after_header,
                )
        async with db.begin():
            found = await users_sql.credentials_by_email(db, normalised)
        password_hash = found[1] if found else None
        if found is None or not await self._passwords.verify(password_hash, password):
            raise InvalidCredentials("The email or the password is wrong.")
        user, stored_hash = found
        async with db.begin():
            if self._passwords.needs_rehash(stored_hash):
                await users_sql.set_password_hash(
                    db, user.id, await self._passwords.hash(password)
                )
            signed_in = await self._issue(db, user, family=secrets.token_hex(16))
        logger.info("user_logged_in", extra={"user_id": user.id})
        return signed_in

    async def refresh(self, db: AsyncSession, refresh_token: str) -> SignedIn:
        now = datetime.now(UTC)
        async with db.begin():
            row = await users_sql.refresh_token_by_digest(db, refresh_token_digest(refresh_token))
            if row is None or row.expires_at <= now:
                raise InvalidCredentials("This refresh token is unknown or expired; log in again.")
            if row.revoked_at is not None or not await users_sql.revoke_refresh_token(
                db, row.id, now
            ):
                # A revoked token presented again means it was copied: end the whole family.
                await users_sql.revoke_family(db, row.family, now)
                logger.warning("refresh_token_reused", extra={"user_id": row.user_id})
                reused = True
            else:
                reused = False
                user = await users_sql.user_by_id(db, row.user_id)
                if user is None:
                    raise InvalidCredentials("This account no longer exists.")
                signed_in = await self._issue(db, user, family=row.family)
        if reused:
            raise InvalidCredentials("This refresh token was already used; log in again.")
        return signed_in

    async def logout(self, db: AsyncSession, refresh_token: str) -> None:
        now = datetime.now(UTC)
        async with db.begin():
            row = await users_sql.refresh_token_by_digest(db, refresh_token_digest(refresh_token))
            if row is not None:
                await users_sql.revoke_family(db, row.family, now)

    async def _issue(self, db: AsyncSession, user: User, *, family: str) -> SignedIn:
        now = datetime.now(UTC)
        access = self._access.issue(Principal(user.id, user.role), now=now)
        token, digest = new_refresh_token()
        expires = now + self._refresh_ttl
        await users_sql.insert_refresh_token(
            db, user_id=user.id, digest=digest, family=family, now=now, expires_at=expires
        )
        return SignedIn(user, access.token, access.expires_at, token, expires)

