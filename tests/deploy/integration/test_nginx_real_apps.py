"""The production shape: nginx (the rendered config) in front of ``showfloor serve commerce``,
``edge`` and ``media`` on PostgreSQL and Redis, with the browser talking to one HTTPS origin.

The whole live-shopping story (tests/support/stack.py) runs through nginx: the API, the edge's
routes under ``/api`` (highlights), the WebSocket, LL-HLS through the cache and the recording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.deploy.nginx_runner import RunningNginx, options_under
from tests.support.services import fresh_postgres_database
from tests.support.stack import FFMPEG, Stack, shopping_story, split_stack

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.deploy.nginx_runner import Certificate

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(FFMPEG is None, reason="needs Debian's ffmpeg CLI"),
]


@pytest.fixture
async def fronted(tmp_path: Path, certificate: Certificate) -> AsyncIterator[Stack]:
    async with fresh_postgres_database("sf_front") as url:
        with split_stack(tmp_path / "apps", url) as apps:
            options = options_under(
                tmp_path / "nginx",
                certificate,
                commerce_servers=(apps.api.removeprefix("http://"),),
                edge_servers=(apps.edge.removeprefix("http://"),),
                media_servers=(apps.media.removeprefix("http://"),),
            )
            nginx = RunningNginx(options, tmp_path / "nginx")
            try:
                base = f"https://localhost:{options.https_port}"
                yield Stack(base, base, base, apps.rtmp_port, apps.env,
                            ssl=certificate.client_context())
            finally:
                nginx.stop()


async def test_live_shopping_through_nginx(fronted: Stack) -> None:
    await shopping_story(fronted)
    async with httpx.AsyncClient(verify=fronted.ssl or True, timeout=10) as http:
        # The recording's media is immutable: the second viewer is served from nginx's cache.
        playlist = (await http.get(f"{fronted.media}/vod/1/index.m3u8")).text
        segment = next(line for line in playlist.splitlines() if line.endswith(".m4s"))
        first = await http.get(f"{fronted.media}/vod/1/{segment}")
        second = await http.get(f"{fronted.media}/vod/1/{segment}")
        assert first.status_code == second.status_code == 200
        assert second.headers["x-cache-status"] == "HIT"
        assert "immutable" in second.headers["cache-control"]
        timeline = await http.get(f"{fronted.api}/api/v1/shows/1/timeline")
        assert timeline.status_code == 200
        assert len(timeline.json()["highlights"]) == 1
