"""The commerce app: its component (routes, services, readiness) and its factory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from commerce.api.auth import AuthController, me
from commerce.api.errors import handle_domain_error
from commerce.api.products import ProductController, ShowProductsController
from commerce.api.shows import ShowController
from commerce.auth.passwords import PasswordHashing
from commerce.auth.tokens import AccessTokens
from commerce.domain.errors import DomainError
from commerce.services.accounts import Accounts
from showfloor.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from showfloor.web import Component, Resources, build_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar

    from showfloor.settings import Settings


def open_rate_limiter(resources: Resources) -> RateLimiter:
    if resources.redis is not None:
        return RedisRateLimiter(resources.redis, resources.settings.redis_prefix)
    return MemoryRateLimiter()


def commerce_component(settings: Settings) -> Component:
    @asynccontextmanager
    async def lifespan(resources: Resources) -> AsyncIterator[None]:
        auth = settings.auth
        access_tokens = AccessTokens(auth.jwt_secret, auth.access_token_ttl_seconds)
        resources.services["access_tokens"] = access_tokens
        resources.services["accounts"] = Accounts(
            access_tokens=access_tokens,
            passwords=PasswordHashing(),
            limiter=open_rate_limiter(resources),
            refresh_ttl_seconds=auth.refresh_token_ttl_seconds,
            per_account=Limit(auth.login_attempts_per_account, auth.login_window_seconds),
            per_ip=Limit(auth.login_attempts_per_ip, auth.login_window_seconds),
        )
        yield

    return Component(
        name="commerce",
        route_handlers=[AuthController, me, ShowController, ShowProductsController,
                        ProductController],
        lifespan=lifespan,
        exception_handlers={DomainError: handle_domain_error},
    )


def create_app(settings: Settings) -> Litestar:
    return build_app(settings, [commerce_component(settings)], app_name="commerce",
                     title="showfloor commerce")
