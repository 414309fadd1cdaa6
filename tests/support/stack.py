"""The three apps running together, and one live-shopping story told against them.

Used by tests/showfloor/integration/test_stack.py (``showfloor up``, and the three apps as
separate processes on PostgreSQL and Redis) and by tests/deploy (the same, behind nginx).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from ssl import SSLContext
from typing import Any

import httpx
import m3u8
import msgspec
from websockets.asyncio.client import ClientConnection, connect

from tests.support.processes import SHOWFLOOR, free_port, showfloor_server
from tests.support.services import REDIS_URL, unique_redis_prefix

FFMPEG = shutil.which("ffmpeg")

FAST_MEDIA = {
    "SHOWFLOOR_MEDIA_SHOW_POLL_INTERVAL": "0.3",
    "SHOWFLOOR_RTMP_IDLE_TIMEOUT": "3",
    "SHOWFLOOR_LOG_LEVEL": "WARNING",
}


@dataclass
class Stack:
    api: str
    edge: str
    media: str
    rtmp_port: int
    env: dict[str, str]
    ssl: SSLContext | None = None

    @property
    def edge_ws(self) -> str:
        return "ws" + self.edge.removeprefix("http")


def _cli(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [*SHOWFLOOR, *args], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr


@contextlib.contextmanager
def embedded_stack(tmp: Path) -> Iterator[Stack]:
    port, rtmp = free_port(), free_port()
    env = {
        **FAST_MEDIA,
        "SHOWFLOOR_VAR_DIR": str(tmp),
        "SHOWFLOOR_FRONTEND_DIR": str(tmp / "none"),
        "SHOWFLOOR_RTMP_PORT": str(rtmp),
    }
    with showfloor_server(["up", "--port", str(port)], env=env, port=port, log_dir=tmp,
                          ready_path="/readyz"):
        base = f"http://127.0.0.1:{port}"
        yield Stack(base, base, base, rtmp, env)


@contextlib.contextmanager
def split_stack(tmp: Path, database_url: str) -> Iterator[Stack]:
    """Commerce and edge with two workers each and two media apps; the show streams into the
    second one listed in edge's SHOWFLOOR_MEDIA_INTERNAL_URL, so edge has to find it."""
    commerce, edge, media, rtmp = free_port(), free_port(), free_port(), free_port()
    other_media, other_rtmp = free_port(), free_port()
    env = {
        **FAST_MEDIA,
        "SHOWFLOOR_VAR_DIR": str(tmp),
        "SHOWFLOOR_DATABASE_URL": database_url,
        "SHOWFLOOR_REDIS_URL": REDIS_URL,
        "SHOWFLOOR_REDIS_PREFIX": unique_redis_prefix("stack"),
        "SHOWFLOOR_RTMP_PORT": str(rtmp),
        "SHOWFLOOR_MEDIA_INTERNAL_URL":
            f"http://127.0.0.1:{other_media},http://127.0.0.1:{media}",
    }
    other_env = {**env, "SHOWFLOOR_RTMP_PORT": str(other_rtmp),
                 "SHOWFLOOR_MEDIA_DIR": str(tmp / "other-media")}
    _cli(["db", "upgrade"], env)
    with (
        showfloor_server(["serve", "media", "--port", str(media)], env=env, port=media,
                         log_dir=tmp, ready_path="/readyz"),
        showfloor_server(["serve", "media", "--port", str(other_media)], env=other_env,
                         port=other_media, log_dir=tmp, ready_path="/readyz"),
        showfloor_server(["serve", "commerce", "--port", str(commerce), "--workers", "2"],
                         env=env, port=commerce, log_dir=tmp, ready_path="/readyz"),
        showfloor_server(["serve", "edge", "--port", str(edge), "--workers", "2"], env=env,
                         port=edge, log_dir=tmp, ready_path="/readyz"),
    ):
        yield Stack(f"http://127.0.0.1:{commerce}", f"http://127.0.0.1:{edge}",
                    f"http://127.0.0.1:{media}", rtmp, env)


def _parts(playlist: str) -> list[tuple[float, float]]:
    """Each listed part's program-date-time range (RFC 8216bis 4.4.4.6, 4.4.4.9)."""
    ranges, cursor = [], 0.0
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            cursor = datetime.fromisoformat(line.split(":", 1)[1]).timestamp()
        elif line.startswith("#EXT-X-PART:"):
            duration = float(re.search(r"DURATION=([0-9.]+)", line).group(1))  # type: ignore[union-attr]
            ranges.append((cursor, cursor + duration))
            cursor += duration
    return ranges


def _dateranges(playlist: str) -> list[dict[str, str]]:
    found = []
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-DATERANGE:"):
            pairs = re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1])
            found.append({k: v.strip('"') for k, v in pairs})
    return found


class Channel:
    """A viewer's WebSocket on the show: collects events by type."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    async def wait_for(
        self, kind: str, match: Any = lambda e: True, timeout: float = 15.0
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for envelope in self.events:
                    event = envelope["event"]
                    if event["type"] == kind and match(event):
                        return dict(event)
                raw = await self.ws.recv()
                message = msgspec.json.decode(raw)
                if isinstance(message, list):
                    self.events.extend(message)


async def _account(http: httpx.AsyncClient, stack: Stack, email: str, role: str | None) -> str:
    body = {"email": email, "password": "a long password", "display_name": email[:email.index("@")]}
    assert (await http.post(f"{stack.api}/api/v1/auth/register", json=body)).status_code == 201
    if role is not None:
        await asyncio.to_thread(
            _cli, ["user", "set-role", "--email", email, "--role", role], stack.env
        )
    login = await http.post(f"{stack.api}/api/v1/auth/login",
                            json={"email": email, "password": body["password"]})
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


async def _playlist_when(
    http: httpx.AsyncClient, url: str, check: Any, timeout: float = 20.0
) -> str:
    async with asyncio.timeout(timeout):
        while True:
            response = await http.get(url)
            if response.status_code == 200 and check(response.text):
                return response.text
            await asyncio.sleep(0.3)


async def shopping_story(stack: Stack) -> None:
    """A hold, a live stream, a highlight and the recording, seen by a viewer's channel."""
    async with httpx.AsyncClient(timeout=20.0, verify=stack.ssl or True) as http:
        host = {"Authorization": f"Bearer {await _account(http, stack, 'h@x.test', 'host')}"}
        viewer = {"Authorization": f"Bearer {await _account(http, stack, 'v@x.test', None)}"}
        show = (await http.post(f"{stack.api}/api/v1/shows/", json={"title": "Drop"},
                                headers=host)).json()
        product = (await http.post(
            f"{stack.api}/api/v1/shows/{show['id']}/products",
            json={"sku": "MUG", "title": "Mug", "price_minor": 1500, "currency": "EUR",
                  "stock": 5},
            headers=host,
        )).json()
        opened = await http.post(f"{stack.api}/api/v1/products/{product['id']}/sale/open",
                                 headers=host)
        assert opened.status_code == 200, opened.text

        async with connect(f"{stack.edge_ws}/ws/shows/{show['id']}", ssl=stack.ssl) as ws:
            channel = Channel(ws)
            hello = msgspec.json.decode(await ws.recv())
            assert hello["type"] == "hello"

            # The sale's state → channel: viewers' buy buttons follow the host's switch.
            for action, is_open in (("close", False), ("open", True)):
                switched = await http.post(
                    f"{stack.api}/api/v1/products/{product['id']}/sale/{action}", headers=host)
                assert switched.status_code == 200, switched.text
                sale = await channel.wait_for("sale", lambda e, o=is_open: e["sale_open"] is o)
                assert (sale["product_id"], sale["sale_mode"]) == (product["id"], "open")

            # Inventory → channel: a hold shows up as a stock event.
            hold = await http.post(f"{stack.api}/api/v1/products/{product['id']}/holds",
                                   json={"quantity": 1}, headers=viewer)
            assert hold.status_code == 201, hold.text
            stock = await channel.wait_for("stock", lambda e: e["held"] == 1)
            assert (stock["product_id"], stock["available"], stock["sold"]) == (product["id"], 4, 0)

            # Media → channel: publishing marks the show live.
            assert FFMPEG is not None
            ffmpeg = await asyncio.create_subprocess_exec(
                FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", "30", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                "-f", "flv", f"rtmp://127.0.0.1:{stack.rtmp_port}/live/{show['stream_key']}",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                await channel.wait_for("show", lambda e: e["status"] == "live")
                live_url = f"{stack.media}/hls/{show['id']}/index.m3u8"
                await _playlist_when(http, live_url, lambda text: text.count("#EXTINF") >= 1)

                # Edge → media → channel: the highlight lands in the playlist and on the channel.
                clicked = datetime.now(UTC)
                highlight = await http.post(
                    f"{stack.edge}/api/v1/shows/{show['id']}/highlights",
                    json={"product_id": product["id"], "captured_at": clicked.isoformat()},
                    headers=host,
                )
                assert highlight.status_code == 201, highlight.text
                event = await channel.wait_for("highlight")
                assert event["product_id"] == product["id"]
                # The highlight's program-date-time is that of the part being ingested at the
                # click (RTMP stamps each frame with its arrival): listed, and within a part.
                pdt = datetime.fromisoformat(event["program_date_time"]).timestamp()
                assert abs(pdt - clicked.timestamp()) < 1.0
                listed = await _playlist_when(
                    http, live_url, lambda text: any(a <= pdt < b for a, b in _parts(text))
                )
                assert any(b - a <= 0.35 for a, b in _parts(listed) if a <= pdt < b)
                text = await _playlist_when(
                    http, live_url, lambda text: "com.showfloor.highlight" in text
                )
                ranges = _dateranges(text)
                assert len(ranges) == 1
                assert ranges[0]["CLASS"] == "com.showfloor.highlight"
                assert ranges[0]["END-ON-NEXT"] == "YES"
                assert ranges[0]["X-PRODUCT-ID"] == str(product["id"])
                assert ranges[0]["START-DATE"].startswith(event["program_date_time"][:19])
            finally:
                with contextlib.suppress(ProcessLookupError):
                    ffmpeg.terminate()
                await ffmpeg.wait()

            # Commerce → channel and media: ending the show tells viewers and finalises the VOD.
            ended = await http.post(f"{stack.api}/api/v1/shows/{show['id']}/end", headers=host)
            assert ended.status_code == 200, ended.text
            await channel.wait_for("show", lambda e: e["status"] == "ended")

        vod = m3u8.loads(await _playlist_when(
            http, f"{stack.media}/vod/{show['id']}/index.m3u8",
            lambda text: "#EXT-X-ENDLIST" in text,
        ))
        assert vod.playlist_type == "vod"
        assert [d["CLASS"] for d in _dateranges(vod.dumps())] == ["com.showfloor.highlight"]
