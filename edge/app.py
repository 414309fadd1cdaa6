"""The edge app: channels, highlights, timeline, chat and moderation.

``edge_component`` is what ``showfloor up`` mounts beside commerce and media; ``create_app`` is
the app of ``showfloor serve edge``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from commerce.auth.tokens import AccessTokens
from edge.api import ShowEdgeController
from edge.bus import shared_event_bus
from edge.channels import show_events, show_socket
from edge.metrics import EdgeMetrics
from edge.presence import (
    HostClocks,
    MemoryHostClocks,
    MemoryViewerCounts,
    RedisHostClocks,
    RedisViewerCounts,
    ViewerCounts,
)
from edge.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from edge.services import (
    ChatService,
    EdgeServices,
    HighlightService,
    ShowDirectory,
    ViewerPresence,
)
from edge.streamclock import HttpStreamClock, NoStreamClock, StreamClock
from showfloor.web import Component, Resources, build_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from litestar import Litestar

    from edge.settings import EdgeSettings
    from showfloor.settings import Settings

SERVICE_KEY = "edge"


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def edge_component(
    settings: Settings,
    edge_settings: EdgeSettings,
    *,
    stream_clock: StreamClock | None = None,
    stream_clock_factory: Callable[[Resources], StreamClock] | None = None,
) -> Component:
    """The edge routes and services.

    ``stream_clock`` (or ``stream_clock_factory``, given the app's resources) is media's mapping
    in the embedded mode (its in-process service); without it edge calls media over HTTP at
    ``SHOWFLOOR_MEDIA_INTERNAL_URL`` (one or several), and without that
    highlights are refused (``stream_time_unknown``).
    """

    @asynccontextmanager
    async def lifespan(resources: Resources) -> AsyncIterator[None]:
        metrics = EdgeMetrics(resources.registry)
        bus = shared_event_bus(
            resources,
            backlog=edge_settings.backlog,
            retention_seconds=edge_settings.retention_seconds,
            feed_linger_seconds=edge_settings.feed_linger_seconds,
        )
        counts: ViewerCounts
        host_clocks: HostClocks
        limiter: RateLimiter
        if resources.redis is None:
            counts, host_clocks, limiter = (
                MemoryViewerCounts(),
                MemoryHostClocks(),
                MemoryRateLimiter(),
            )
        else:
            prefix = settings.redis_prefix
            counts = RedisViewerCounts(resources.redis, prefix)
            host_clocks = RedisHostClocks(resources.redis, prefix)
            limiter = RedisRateLimiter(resources.redis, prefix)
        http_clock: HttpStreamClock | None = None
        clock: StreamClock
        if stream_clock is not None:
            clock = stream_clock
        elif stream_clock_factory is not None:
            clock = stream_clock_factory(resources)
        elif edge_settings.media_internal_urls:
            clock = http_clock = HttpStreamClock(
                edge_settings.media_internal_urls,
                settings.auth.jwt_secret,
                timeout=edge_settings.media_timeout_seconds,
            )
        else:
            clock = NoStreamClock()
        presence = ViewerPresence(
            counts,
            bus,
            worker_id=new_worker_id(),
            push_interval=edge_settings.viewers_push_interval_seconds,
            report_interval=edge_settings.viewers_report_interval_seconds,
            metrics=metrics,
        )
        services = EdgeServices(
            settings=settings,
            edge=edge_settings,
            sessions=resources.sessions,
            bus=bus,
            tokens=AccessTokens(settings.auth.jwt_secret, settings.auth.access_token_ttl_seconds),
            presence=presence,
            host_clocks=host_clocks,
            limiter=limiter,
            stream_clock=clock,
            directory=ShowDirectory(resources.sessions),
            chat=ChatService(resources.sessions, bus, limiter, edge_settings, metrics),
            highlights=HighlightService(
                resources.sessions, bus, host_clocks, clock, edge_settings, metrics
            ),
            metrics=metrics,
        )
        resources.services[SERVICE_KEY] = services
        ticker = asyncio.create_task(presence.run(), name="edge-viewer-presence")
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            with contextlib.suppress(Exception):
                await presence.withdraw()
            if http_clock is not None:
                await http_clock.aclose()
            resources.services.pop(SERVICE_KEY, None)

    return Component(
        name="edge",
        route_handlers=[show_socket, show_events, ShowEdgeController],
        lifespan=lifespan,
    )


def create_app(settings: Settings, edge_settings: EdgeSettings) -> Litestar:
    return build_app(settings, [edge_component(settings, edge_settings)], app_name="edge")
