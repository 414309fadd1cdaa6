"""``/api/v1/auth`` and ``/api/v1/me``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import JSONBody

from commerce.adapters import users_sql
from commerce.api.schemas import LoginIn, RefreshIn, RegisterIn, TokensOut, UserOut
from commerce.api.security import Caller, provide_caller
from commerce.domain.errors import NotFound
from commerce.services.accounts import Accounts, SignedIn
from showfloor.web import Db, Res, client_ip


def _accounts(resources: Res) -> Accounts:
    accounts: Accounts = resources.service("accounts")
    return accounts


def _tokens_out(signed_in: SignedIn) -> TokensOut:
    now = datetime.now(UTC)
    return TokensOut(
        access_token=signed_in.access_token,
        token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=max(0, int((signed_in.access_expires_at - now).total_seconds())),
        refresh_token=signed_in.refresh_token,
        refresh_expires_in=max(0, int((signed_in.refresh_expires_at - now).total_seconds())),
        user=UserOut.of(signed_in.user),
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create a viewer account")
    async def register(self, data: JSONBody[RegisterIn], db: Db, resources: Res) -> UserOut:
        user = await _accounts(resources).register(
            db, email=data.email, password=data.password, display_name=data.display_name
        )
        return UserOut.of(user)

    @post("/login", status_code=200, summary="Exchange email and password for tokens")
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginIn], db: Db,
        resources: Res,
    ) -> TokensOut:
        signed_in = await _accounts(resources).login(
            db, email=data.email, password=data.password, client_ip=client_ip(request)
        )
        return _tokens_out(signed_in)

    @post("/refresh", status_code=200, summary="Rotate a refresh token for new tokens")
    async def refresh(self, data: JSONBody[RefreshIn], db: Db, resources: Res) -> TokensOut:
        return _tokens_out(await _accounts(resources).refresh(db, data.refresh_token))

    @post("/logout", status_code=204, summary="Revoke a refresh token (and its rotations)")
    async def logout(self, data: JSONBody[RefreshIn], db: Db, resources: Res) -> None:
        await _accounts(resources).logout(db, data.refresh_token)


@get("/api/v1/me", tags=["auth"], dependencies={"caller": Provide(provide_caller)},
     summary="The signed-in user")
async def me(caller: Caller, db: Db) -> UserOut:
    async with db.begin():
        user = await users_sql.user_by_id(db, caller.user_id)
    if user is None:
        raise NotFound("This account no longer exists.")
    return UserOut.of(user)
