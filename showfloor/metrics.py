"""Prometheus exposition and the per-request HTTP metrics.

Each app owns a ``CollectorRegistry`` (no global registry). When several uvicorn workers serve
one app, ``PROMETHEUS_MULTIPROC_DIR`` is set by the CLI before the workers start and every scrape
aggregates all workers through ``MultiProcessCollector``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("showfloor.access")

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry, app_name: str) -> None:
        self.app_name = app_name
        self.requests = Counter(
            "showfloor_http_requests_total",
            "HTTP requests handled, by route template, method and status.",
            ["app", "method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "showfloor_http_request_duration_seconds",
            "Time from request start to the end of the response body, by route template.",
            ["app", "method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )


def render_metrics(registry: CollectorRegistry) -> bytes:
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        aggregate = CollectorRegistry()
        MultiProcessCollector(aggregate, path=multiproc_dir)  # type: ignore[no-untyped-call]
        return generate_latest(aggregate)
    return generate_latest(registry)


class AccessMiddleware:
    """Counts, times and logs every HTTP request; adds an ``X-Request-ID`` to the response.

    Long-lived streams (SSE, blocking playlist reloads) are timed to their last byte, which is
    what a client experiences.
    """

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        request_id = _request_id(scope)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("path_template") or "<unmatched>"
            method = scope.get("method", "GET")
            self.metrics.requests.labels(self.metrics.app_name, method, route, str(status)).inc()
            self.metrics.latency.labels(self.metrics.app_name, method, route).observe(elapsed)
            if route not in ("/healthz", "/metrics"):
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope.get("path", ""),
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": request_id,
                    },
                )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id" and 0 < len(value) <= 64:
            return value.decode("latin-1")
    return uuid.uuid4().hex
