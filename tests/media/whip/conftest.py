"""A real media app (uvicorn, SQLite shows table) with WHIP ingest, and aiortc publishers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from media.app import create_app
from media.service import MediaService
from media.settings import MediaSettings
from media.whip.ingest import WhipIngest
from showfloor.settings import AuthSettings, Settings
from tests.media.integration.conftest import KEYS, MediaServer, _create_schema, _free_port

__all__ = ["KEYS", "WhipServer"]


@dataclass
class WhipServer(MediaServer):
    port: int = 0
    app: Any = None

    @property
    def ingest(self) -> WhipIngest:
        ingest: WhipIngest = self.app.state.resources.services["whip"]
        return ingest

    def metric(self, name: str, **labels: str) -> float | None:
        value = self.app.state.resources.registry.get_sample_value(name, labels)
        return None if value is None else float(value)


@pytest.fixture(scope="module")
async def whip_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WhipServer]:
    root = tmp_path_factory.mktemp("whip")
    settings = Settings(
        var_dir=root,
        database_url=f"sqlite+aiosqlite:///{root / 'showfloor.sqlite3'}",
        redis_url=None,
        redis_prefix="t:",
        auth=AuthSettings(jwt_secret="x" * 48),
    )
    await _create_schema(settings.database_url)
    media_settings = MediaSettings(
        rtmp_port=0,
        media_dir=root / "media",
        blocking_timeout=1.5,
        show_poll_interval=0.3,
        whip_idle_timeout=2.0,
        whip_connect_timeout=8.0,
        whip_video_size=(640, 360),
        whip_x264_preset="ultrafast",
        whip_encoder_threads=1,
    )
    app = create_app(settings, media_settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn failed to start"
        await asyncio.sleep(0.02)
    service: MediaService = app.state.resources.services["media"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=15.0) as http:
        yield WhipServer(
            http, service, service.rtmp_port, settings, media_settings, port=port, app=app
        )
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
