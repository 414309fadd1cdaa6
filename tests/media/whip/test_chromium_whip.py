"""Debian's Chromium, headless with a fake camera, goes live over WHIP from a studio page.

The page is served from another origin than the media app (CORS preflight included), captures
1280x720, asks for 2.5 Mbit/s and to keep its resolution, and publishes to
``/whip/{show}?size=1280x720``. Driven by Playwright with ``executable_path=/usr/bin/chromium``
(no browser is downloaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import pytest

from tests.media.llhls_rules import check_live_playlist
from tests.media.whip.conftest import KEYS, WhipServer

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
STUDIO = (Path(__file__).parent / "studio.html").read_bytes()
FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
]


@contextlib.asynccontextmanager
async def studio_origin() -> AsyncIterator[str]:
    """The studio page on its own loopback origin (``localhost``, the app is on 127.0.0.1)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(STUDIO) + STUDIO
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://localhost:{port}/studio.html"
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def chromium(profile: Path, *extra: str) -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-debian-packages.sh)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=[*FLAGS, *extra],
        )
        try:
            yield context
        finally:
            await context.close()


async def received(server: WhipServer, show_id: int) -> dict[str, float | None]:
    label = str(show_id)
    return {
        "width": server.metric("showfloor_media_whip_received_video_width_pixels", show_id=label),
        "height": server.metric(
            "showfloor_media_whip_received_video_height_pixels", show_id=label
        ),
        "bitrate": server.metric(
            "showfloor_media_whip_received_bitrate_bits_per_second", show_id=label, kind="video"
        ),
    }


@pytest.mark.parametrize(("show_id", "codec"), [(1, "video/H264"), (2, "video/VP8")])
async def test_chromium_goes_live_at_the_requested_resolution(
    whip_server: WhipServer, tmp_path: Path, show_id: int, codec: str
) -> None:
    server = whip_server
    url = f"http://127.0.0.1:{server.port}/whip/{show_id}?size=1280x720"
    async with (
        studio_origin() as studio,
        chromium(tmp_path / "profile", "--use-fake-device-for-media-stream=fps=30") as browser,
    ):
        page = await browser.new_page()
        await page.goto(studio)
        started = time.monotonic()
        result = await page.evaluate(
            "([url, key, options]) => whipPublish(url, key, options)",
            [url, KEYS[show_id], {"width": 1280, "height": 720, "codec": codec}],
        )
        assert result["status"] == 201, result
        assert result["location"].startswith(f"http://127.0.0.1:{server.port}/whip/{show_id}/")

        # Within 10 s: in the playlist, at 1280x720, sent as 1280x720 by the browser.
        while True:
            elapsed = time.monotonic() - started
            assert elapsed < 10.0, await received(server, show_id)
            packager = server.service.packager(show_id)
            seen = await received(server, show_id)
            if packager is not None and packager.has_media and seen["width"] == 1280:
                break
            await asyncio.sleep(0.2)
        response = await server.http.get(f"/hls/{show_id}/index.m3u8")
        assert response.status_code == 200
        playlist = check_live_playlist(response.text)
        assert playlist.parts
        init = (await server.http.get(f"/hls/{show_id}/init0.mp4")).content
        first_part = next(uri for uri, (_, independent) in playlist.parts.items() if independent)
        part = (await server.http.get(f"/hls/{show_id}/{first_part}")).content
        with av.open(io.BytesIO(init + part), format="mp4") as container:
            video = container.streams.video[0]
            assert (video.codec_context.width, video.codec_context.height) == (1280, 720)
            assert container.streams.audio, "no audio track"
            frames = list(container.decode(video))
            assert frames
            assert (frames[0].width, frames[0].height) == (1280, 720)
        assert seen["height"] == 720
        stats = await page.evaluate("whipStats()")
        assert (stats["width"], stats["height"]) == (1280, 720), stats

        metrics = (await server.http.get("/metrics")).text
        assert f'showfloor_media_whip_received_video_width_pixels{{show_id="{show_id}"}}' in metrics
        assert "showfloor_media_whip_received_bitrate_bits_per_second" in metrics

        assert await page.evaluate("whipStop()") == 200
        await server.wait_status(show_id, "idle")


async def test_chromium_reaches_the_chosen_bitrate(
    whip_server: WhipServer, tmp_path: Path
) -> None:
    """A picture that costs bits (moving noise, as from a real camera): the browser sends
    720p at about the 2.5 Mbit/s it was asked for within seconds, not 360p at 0.3-0.4."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("Debian's ffmpeg CLI is needed to make the camera file")
    camera = tmp_path / "camera.y4m"
    process = await asyncio.create_subprocess_exec(
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
        "-vf", "noise=alls=25:allf=t+u", "-t", "2", "-pix_fmt", "yuv420p", str(camera),
    )  # fmt: skip
    assert await process.wait() == 0
    server = whip_server
    show_id = 3
    url = f"http://127.0.0.1:{server.port}/whip/{show_id}?size=1280x720"
    async with (
        studio_origin() as studio,
        chromium(
            tmp_path / "profile",
            "--use-fake-device-for-media-stream=fps=30",
            f"--use-file-for-fake-video-capture={camera}",
        ) as browser,
    ):
        page = await browser.new_page()
        await page.goto(studio)
        result = await page.evaluate(
            "([url, key, options]) => whipPublish(url, key, options)",
            [url, KEYS[show_id], {"width": 1280, "height": 720, "codec": "video/H264"}],
        )
        assert result["status"] == 201, result
        await asyncio.sleep(3.0)
        first = await page.evaluate("whipStats()")
        began = time.monotonic()
        await asyncio.sleep(4.0)
        last = await page.evaluate("whipStats()")
        sent = (last["bytes"] - first["bytes"]) * 8 / (time.monotonic() - began)
        assert (last["width"], last["height"]) == (1280, 720), last
        assert sent > 1_800_000, f"{sent / 1e6:.2f} Mbit/s"
        seen = await received(server, show_id)
        assert seen["bitrate"] is not None
        assert seen["bitrate"] > 1_500_000, seen
        assert (seen["width"], seen["height"]) == (1280, 720)
        assert await page.evaluate("whipStop()") == 200
        await server.wait_status(show_id, "idle")
