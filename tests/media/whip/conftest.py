"""A real media app (uvicorn, SQLite shows table) with WHIP ingest, and aiortc publishers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from media.service import MediaService
from media.settings import MediaSettings
from media.whip.ingest import WhipIngest
from tests.media.integration.conftest import (
    KEYS,
    MediaServer,
    media_test_settings,
    serving_media,
)

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
    settings = media_test_settings(root)
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
    async with serving_media(settings, media_settings, timeout=15.0) as (app, port, http):
        service: MediaService = app.state.resources.services["media"]
        yield WhipServer(
            http, service, service.rtmp_port, settings, media_settings, port=port, app=app
        )
