"""Helpers for edge's integration tests: a seeded schema, tokens, and real servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

import edge.tables  # noqa: F401  (registers edge's tables on the metadata)
from commerce.adapters.tables import products, shows, users
from commerce.auth.tokens import AccessTokens
from commerce.domain.users import Principal, Role
from edge.app import edge_component
from edge.settings import EdgeSettings
from edge.streamclock import StreamClock
from showfloor.db import create_engine, metadata
from showfloor.settings import AuthSettings, Settings
from showfloor.web import build_app

JWT_SECRET = "edge-tests-secret-" + "x" * 32


@dataclass(frozen=True)
class Seed:
    host: int
    viewer: int
    viewer2: int
    moderator: int
    admin: int
    show: int
    other_show: int
    product: int
    product2: int
    other_product: int


async def create_schema(url: str) -> AsyncEngine:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


async def seed(engine: AsyncEngine) -> Seed:
    now = datetime.now(UTC)
    async with engine.begin() as conn:

        async def user(name: str, role: str) -> int:
            result = await conn.execute(
                insert(users)
                .values(
                    email=f"{name}@example.test",
                    password_hash="x",
                    display_name=name.capitalize(),
                    role=role,
                    created_at=now,
                )
                .returning(users.c.id)
            )
            return int(result.scalar_one())

        async def show(owner: int, key: str) -> int:
            result = await conn.execute(
                insert(shows)
                .values(
                    owner_id=owner,
                    title="Show",
                    status="live",
                    stream_key=key,
                    created_at=now,
                    updated_at=now,
                )
                .returning(shows.c.id)
            )
            return int(result.scalar_one())

        async def product(show_id: int, sku: str) -> int:
            result = await conn.execute(
                insert(products)
                .values(
                    show_id=show_id,
                    sku=sku,
                    title=sku,
                    price_minor=1000,
                    currency="EUR",
                    stock=10,
                    created_at=now,
                    updated_at=now,
                )
                .returning(products.c.id)
            )
            return int(result.scalar_one())

        host = await user("host", "host")
        viewer = await user("viewer", "viewer")
        viewer2 = await user("viewer2", "viewer")
        moderator = await user("moderator", "viewer")
        admin = await user("admin", "admin")
        other_host = await user("otherhost", "host")
        show_id = await show(host, "key-1")
        other_show = await show(other_host, "key-2")
        return Seed(
            host=host,
            viewer=viewer,
            viewer2=viewer2,
            moderator=moderator,
            admin=admin,
            show=show_id,
            other_show=other_show,
            product=await product(show_id, "sku-1"),
            product2=await product(show_id, "sku-2"),
            other_product=await product(other_show, "sku-x"),
        )


def make_settings(database_url: str, redis_url: str | None = None, prefix: str = "sf:") -> Settings:
    return Settings(
        var_dir=Path(tempfile.gettempdir()),
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        auth=AuthSettings(jwt_secret=JWT_SECRET),
    )


def token_for(user_id: int, role: Role = Role.VIEWER, ttl: int = 900) -> str:
    return AccessTokens(JWT_SECRET, ttl).issue(Principal(user_id, role)).token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningApp:
    app: Litestar
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def services(self) -> Any:
        return self.app.state.resources.services["edge"]


@contextlib.asynccontextmanager
async def serve(app: Litestar, send_buffer: int | None = None) -> AsyncIterator[RunningApp]:
    """Run the app on a real uvicorn server (as production does) on a free port.

    ``send_buffer`` caps the kernel's send buffer of accepted connections (they inherit it from
    the listening socket), so that a client that stops reading pushes back after kilobytes
    rather than megabytes.
    """
    sock = socket.socket()
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        yield RunningApp(app, port)
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def edge_server(
    database_url: str,
    edge_settings: EdgeSettings,
    *,
    stream_clock: StreamClock | None = None,
    redis_url: str | None = None,
    prefix: str = "sf:",
    send_buffer: int | None = None,
) -> AsyncIterator[RunningApp]:
    settings = make_settings(database_url, redis_url, prefix)
    app = build_app(
        settings,
        [edge_component(settings, edge_settings, stream_clock=stream_clock)],
        app_name="edge",
    )
    async with serve(app, send_buffer) as running:
        yield running


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


async def start_worker(env: dict[str, str], *, send_buffer: int | None = None) -> Worker:
    """An edge worker in its own process (uvicorn, as in production) on a socket made here."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "showfloor.entrypoints:edge_app",
            "--fd",
            str(sock.fileno()),
            "--ws",
            "websockets-sansio",
            "--ws-per-message-deflate",
            "false",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        cwd=str(Path(__file__).resolve().parents[2]),
        pass_fds=(sock.fileno(),),
    )
    sock.close()
    worker = Worker(process, port)
    async with httpx.AsyncClient(base_url=worker.http) as client:
        async with asyncio.timeout(20):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"edge worker exited with {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        return worker
                await asyncio.sleep(0.1)


def stop_worker(worker: Worker) -> None:
    worker.process.terminate()
    try:
        worker.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()


async def close_code_after_draining(ws: Any, timeout: float = 10.0) -> int | None:
    """Read whatever the server had sent until the connection closes; return the close code."""
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    return ws.close_code  # type: ignore[no-any-return]
