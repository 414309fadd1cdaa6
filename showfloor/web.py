"""The web shell every showfloor app is built from.

An app is a list of :class:`Component` (commerce, edge, media, and in the embedded mode the home
page and the frontend) put together by :func:`build_app`, which adds what every app has:
``/healthz``, ``/readyz``, ``/metrics``, problem-details errors, access logs and request metrics.
``showfloor serve commerce`` builds an app from one component; ``showfloor up`` from all of them,
so both modes run the same handlers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap
from prometheus_client import CollectorRegistry
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.sentinel import Sentinel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from showfloor.db import create_engine, create_sessionmaker
from showfloor.metrics import (
    METRICS_CONTENT_TYPE,
    AccessMiddleware,
    HttpMetrics,
    render_metrics,
)
from showfloor.problems import EXCEPTION_HANDLERS
from showfloor.settings import Settings

logger = logging.getLogger("showfloor.web")

ReadinessCheck = Callable[["Resources"], Awaitable[str | None]]
"""Returns None when ready, or a short reason when not."""


@dataclass
class Resources:
    """Connections shared by the components of one app, opened at startup, closed at shutdown."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    registry: CollectorRegistry
    app_name: str
    services: dict[str, Any] = field(default_factory=dict)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def close_at_shutdown(self, close: Callable[[], Awaitable[None]]) -> None:
        """Run ``close`` after every component has stopped (for something components share,
        opened by whichever needs it first)."""
        self._closers.append(close)

    async def close_shared(self) -> None:
        while self._closers:
            close = self._closers.pop()
            try:
                await close()
            except Exception:
                logger.exception("shared_resource_close_failed")

    def service(self, name: str) -> Any:
        try:
            return self.services[name]
        except KeyError:
            raise LookupError(f"service {name!r} is not running in this app") from None


Res = NamedDependency[Resources]
"""The app's shared resources (inject as ``resources: Res``)."""


@dataclass(frozen=True)
class Component:
    name: str
    route_handlers: Sequence[ControllerRouterHandler] = ()
    lifespan: Callable[[Resources], AbstractAsyncContextManager[None]] | None = None
    readiness: Sequence[tuple[str, ReadinessCheck]] = ()
    dependencies: dict[str, Provide] = field(default_factory=dict)
    exception_handlers: ExceptionHandlersMap = field(default_factory=dict)


Db = NamedDependency[AsyncSession]
"""A database session for one request (inject as ``db: Db``)."""


class Readiness(msgspec.Struct):
    status: str
    checks: dict[str, str]


def resources_of(state: State) -> Resources:
    resources: Resources = state.resources
    return resources


async def provide_resources(state: State) -> Resources:
    return resources_of(state)


async def provide_db(state: State) -> AsyncIterator[AsyncSession]:
    async with resources_of(state).sessions() as session:
        yield session


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "alive"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[Readiness]:
    resources = resources_of(state)
    checks = {"database": _database_check(resources), "redis": _redis_check(resources)}
    for component in state.components:
        for name, check in component.readiness:
            checks[f"{component.name}.{name}"] = check(resources)
    results: dict[str, str] = {}
    for name, pending in checks.items():
        try:
            reason = await asyncio.wait_for(pending, timeout=2.0)
        except Exception as exc:  # a failing dependency is a "not ready", never a 500
            reason = f"{type(exc).__name__}: {exc}"
        results[name] = "ok" if reason is None else reason
    ready = all(v == "ok" for v in results.values())
    return Response(
        Readiness(status="ready" if ready else "not_ready", checks=results),
        status_code=200 if ready else 503,
    )


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response[bytes]:
    return Response(
        render_metrics(resources_of(state).registry), media_type=METRICS_CONTENT_TYPE
    )


async def _database_check(resources: Resources) -> str | None:
    async with resources.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return None


async def _redis_check(resources: Resources) -> str | None:
    if resources.redis is None:
        return None
    await resources.redis.ping()
    return None


def open_redis(settings: Settings) -> Redis | None:
    if settings.redis_url is None:
        return None
    if settings.redis_sentinels:
        return connect_redis_sentinel(
            settings.redis_sentinels, settings.redis_sentinel_master, settings.redis_url
        )
    return connect_redis(settings.redis_url)


def connect_redis_sentinel(
    sentinels: Sequence[tuple[str, int]], master: str, url: str, *, max_connections: int = 256
) -> Redis:
    """A client of the primary the Sentinels name; after a failover it reconnects to the new
    one. ``url`` gives the password and the database number (its host is not used)."""
    parts = urlsplit(url)
    database = int(parts.path.lstrip("/") or 0)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(sentinels),
        socket_timeout=2,
        password=parts.password,
        db=database,
        socket_connect_timeout=2,
        health_check_interval=15,
    )
    client: Redis = sentinel.master_for(master, redis_class=Redis, max_connections=max_connections,
                                        socket_timeout=5)
    return client


def connect_redis(url: str, *, max_connections: int = 256) -> Redis:
    """A client whose pool makes callers wait for a connection instead of failing at a burst."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=5, socket_connect_timeout=2,
        socket_timeout=5, health_check_interval=15,
    )
    return Redis(connection_pool=pool)


def build_app(
    settings: Settings,
    components: Sequence[Component],
    *,
    app_name: str,
    title: str = "showfloor",
) -> Litestar:
    registry = CollectorRegistry()
    http_metrics = HttpMetrics(registry, app_name)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        redis = open_redis(settings)
        resources = Resources(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            redis=redis,
            registry=registry,
            app_name=app_name,
        )
        app.state.resources = resources
        async with AsyncExitStack() as stack:
            stack.push_async_callback(engine.dispose)
            if redis is not None:
                stack.push_async_callback(redis.aclose)
            stack.push_async_callback(resources.close_shared)
            for component in components:
                if component.lifespan is not None:
                    await stack.enter_async_context(component.lifespan(resources))
            logger.info(
                "app_started",
                extra={
                    "app": app_name,
                    "components": [c.name for c in components],
                    "database": settings.database_kind,
                    "redis": settings.uses_redis,
                },
            )
            yield
            logger.info("app_stopping", extra={"app": app_name})

    handlers: list[ControllerRouterHandler] = [healthz, readyz, metrics]
    dependencies: dict[str, Provide] = {
        "db": Provide(provide_db),
        "resources": Provide(provide_resources),
    }
    exception_handlers: ExceptionHandlersMap = dict(EXCEPTION_HANDLERS)
    for component in components:
        handlers.extend(component.route_handlers)
        dependencies.update(component.dependencies)
        exception_handlers.update(component.exception_handlers)

    cors = (
        CORSConfig(allow_origins=list(settings.http.cors_origins), allow_credentials=True)
        if settings.http.cors_origins
        else None
    )
    return Litestar(
        route_handlers=handlers,
        dependencies=dependencies,
        lifespan=[lifespan],
        exception_handlers=exception_handlers,
        middleware=[DefineMiddleware(AccessMiddleware, metrics=http_metrics)],
        openapi_config=OpenAPIConfig(
            title=f"{title} API",
            version="1",
            path="/schema",
            render_plugins=[RedocRenderPlugin()],
        ),
        cors_config=cors,
        state=State({"components": list(components)}),
        request_max_body_size=1024 * 1024,
        logging_config=None,
        debug=False,
    )


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The caller's address; behind nginx, the one nginx saw (uvicorn applies X-Forwarded-For
    only from trusted proxies, see ``--forwarded-allow-ips``)."""
    client = request.client
    return client.host if client is not None else "unknown"
