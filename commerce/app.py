"""The commerce app: its component (routes, services, readiness) and its factory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from commerce.api.auth import AuthController, me
from commerce.api.errors import handle_domain_error
from commerce.api.fairness import QueueController, RaffleController, ShowLimitController
from commerce.api.products import ProductController, ShowProductsController
from commerce.api.sales import HoldController, OrderController, SaleController
from commerce.api.shows import ShowController
from commerce.auth.passwords import PasswordHashing
from commerce.auth.tokens import AccessTokens
from commerce.domain.errors import DomainError
from commerce.fairness.events import EdgeBusFairnessSink
from commerce.fairness.metrics import FairnessMetrics
from commerce.fairness.rooms.memory import MemoryWaitingRooms
from commerce.fairness.rooms.redis import RedisWaitingRooms
from commerce.fairness.service import Fairness, FairnessConfig
from commerce.gate.memory import MemoryGate
from commerce.gate.redis import RedisGate
from commerce.payments import default_providers
from commerce.services.accounts import Accounts
from commerce.services.sales import Sales, SalesConfig
from commerce.services.sales_metrics import SalesMetrics
from commerce.stock_events import CoalescingStockEvents, StockSink
from showfloor.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from showfloor.web import Component, Resources, build_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from litestar import Litestar

    from commerce.fairness.rooms.base import WaitingRooms
    from commerce.gate.base import InventoryGate
    from showfloor.settings import Settings


def open_rate_limiter(resources: Resources) -> RateLimiter:
    if resources.redis is not None:
        return RedisRateLimiter(resources.redis, resources.settings.redis_prefix)
    return MemoryRateLimiter()


def open_gate(resources: Resources) -> InventoryGate:
    if resources.redis is not None:
        return RedisGate(resources.redis, resources.settings.redis_prefix)
    return MemoryGate()


def open_waiting_rooms(resources: Resources) -> WaitingRooms:
    if resources.redis is not None:
        return RedisWaitingRooms(resources.redis, resources.settings.redis_prefix)
    return MemoryWaitingRooms()


async def _gate_ready(resources: Resources) -> str | None:
    sales: Sales = resources.service("sales")
    if await sales.gate_ready():
        return None
    return "inventory gate is being rebuilt from the database"


def commerce_component(
    settings: Settings, *, stock_sink: Callable[[Resources], StockSink] | None = None
) -> Component:
    """``stock_sink`` delivers stock changes to the real-time channels (the edge event bus)."""

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
        sink = stock_sink(resources) if stock_sink is not None else _default_sink(resources)
        events = CoalescingStockEvents(sink)
        limits = settings.sale_limits
        per_user = Limit(limits.attempts_per_user, limits.window_seconds)
        sales = Sales(
            gate=open_gate(resources),
            sessions=resources.sessions,
            limiter=open_rate_limiter(resources),
            events=events,
            payments=default_providers(),
            metrics=SalesMetrics(resources.registry),
            config=SalesConfig(hold_attempts=per_user),
        )
        fairness = Fairness(
            sessions=resources.sessions,
            rooms=open_waiting_rooms(resources),
            sales=sales,
            limiter=open_rate_limiter(resources),
            sink=EdgeBusFairnessSink(resources),
            metrics=FairnessMetrics(resources.registry),
            config=FairnessConfig(per_user=per_user,
                                  per_ip=Limit(limits.attempts_per_ip, limits.window_seconds)),
        )
        sales.use_rules(fairness)
        resources.services["sales"] = sales
        resources.services["fairness"] = fairness
        await events.start()
        await sales.start()
        await fairness.start()
        try:
            yield
        finally:
            await fairness.stop()
            await sales.stop()
            await events.stop()

    return Component(
        name="commerce",
        route_handlers=[AuthController, me, ShowController, ShowProductsController,
                        ProductController, HoldController, OrderController, SaleController,
                        QueueController, RaffleController, ShowLimitController],
        lifespan=lifespan,
        readiness=[("inventory_gate", _gate_ready)],
        exception_handlers={DomainError: handle_domain_error},
    )


def create_app(settings: Settings) -> Litestar:
    return build_app(settings, [commerce_component(settings)], app_name="commerce",
                     title="showfloor commerce")


def _default_sink(resources: Resources) -> StockSink:
    from commerce.stock_events import EdgeBusSink

    return EdgeBusSink(resources)
