"""A real media app (uvicorn, SQLite shows table, RTMP listener on a free port) and ffmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar
from sqlalchemy import insert, update

from commerce.adapters.tables import shows, users
from media.app import create_app
from media.service import MediaService
from media.settings import MediaSettings
from showfloor.db import create_engine, metadata
from showfloor.settings import AuthSettings, Settings

FFMPEG = shutil.which("ffmpeg")

KEYS = {1: "key-show-1", 2: "key-show-2", 3: "key-show-3", 4: "key-show-4", 5: "key-show-5"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MediaServer:
    http: httpx.AsyncClient
    service: MediaService
    rtmp_port: int
    settings: Settings
    media_settings: MediaSettings

    def rtmp_url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{key}"

    async def set_status(self, show_id: int, status: str) -> None:
        engine = create_engine(self.settings.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    update(shows).where(shows.c.id == show_id).values(status=status)
                )
        finally:
            await engine.dispose()

    async def status(self, show_id: int) -> str:
        engine = create_engine(self.settings.database_url)
        try:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(shows.select().where(shows.c.id == show_id))
                ).one()
                return str(row.status)
        finally:
            await engine.dispose()

    async def wait_status(self, show_id: int, status: str, within: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while await self.status(show_id) != status:
            assert asyncio.get_running_loop().time() < deadline, f"show {show_id} not {status}"
            await asyncio.sleep(0.1)


async def _create_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(
                lambda sync: metadata.create_all(sync, tables=[users, shows])
            )
            await conn.execute(
                insert(users).values(
                    id=1, email="host@example.com", password_hash="x",
                    display_name="Host", role="host", created_at=now,
                )
            )
            for show_id, key in KEYS.items():
                await conn.execute(
                    insert(shows).values(
                        id=show_id, owner_id=1, title=f"Show {show_id}", stream_key=key,
                        created_at=now, updated_at=now,
                    )
                )
    finally:
        await engine.dispose()


def media_test_settings(root: Path) -> Settings:
    return Settings(
        var_dir=root,
        database_url=f"sqlite+aiosqlite:///{root / 'showfloor.sqlite3'}",
        redis_url=None,
        redis_prefix="t:",
        auth=AuthSettings(jwt_secret="x" * 48),
    )


@contextlib.asynccontextmanager
async def serving_media(
    settings: Settings, media_settings: MediaSettings, *, timeout: float = 10.0
) -> AsyncIterator[tuple[Litestar, int, httpx.AsyncClient]]:
    """The media app under uvicorn on a free port, with the shows table seeded (KEYS)."""
    await _create_schema(settings.database_url)
    app = create_app(settings, media_settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn failed to start"
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as http:
            yield app, port, http
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout)


@pytest.fixture(scope="module")
async def media_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MediaServer]:
    if FFMPEG is None:
        pytest.skip("Debian's ffmpeg CLI is not installed (apt-get install ffmpeg)")
    root = tmp_path_factory.mktemp("media")
    settings = media_test_settings(root)
    media_settings = MediaSettings(
        rtmp_port=0,
        media_dir=root / "media",
        blocking_timeout=1.5,
        show_poll_interval=0.3,
        rtmp_idle_timeout=3.0,
        rtmp_handshake_timeout=3.0,
    )
    async with serving_media(settings, media_settings) as (app, _, http):
        service: MediaService = app.state.resources.services["media"]
        yield MediaServer(http, service, service.rtmp_port, settings, media_settings)


def ffmpeg_publish_args(
    url: str, *, seconds: float, size: str = "320x240", fps: int = 30, realtime: bool = True
) -> list[str]:
    assert FFMPEG is not None
    return [
        FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
        *(["-re"] if realtime else []),
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-g", str(fps), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k",
        "-f", "flv", url,
    ]  # fmt: skip


async def start_publisher(
    url: str, *, seconds: float, **kwargs: object
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *ffmpeg_publish_args(url, seconds=seconds, **kwargs),  # type: ignore[arg-type]
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process, within: float = 15.0) -> tuple[int, str]:
    _, stderr = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode is not None
    return process.returncode, stderr.decode(errors="replace")


ROOT = Path(__file__).parent
