"""A media process restarted mid-show continues the show's numbering and recording."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import m3u8
import pytest
from prometheus_client import CollectorRegistry

from media.memory_showdirectory import MemoryShowDirectory
from media.metrics import MediaMetrics
from media.service import MediaService
from media.settings import MediaSettings
from tests.media.integration.conftest import FFMPEG, finish, start_publisher

pytestmark = pytest.mark.integration


async def publish_once(service: MediaService, key: str, seconds: float) -> None:
    publisher = await start_publisher(
        f"rtmp://127.0.0.1:{service.rtmp_port}/live/{key}", seconds=seconds
    )
    code, stderr = await finish(publisher)
    assert code == 0, stderr


async def test_restart_mid_show_then_end(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("Debian's ffmpeg CLI is not installed")
    directory = MemoryShowDirectory()
    directory.add_show(8, "key-8")
    settings = MediaSettings(rtmp_port=0, media_dir=tmp_path, show_poll_interval=0.2)

    first = MediaService(settings, directory, MediaMetrics(CollectorRegistry()))
    await first.start()
    await publish_once(first, "key-8", 2.0)
    packager = first.packager(8)
    assert packager is not None
    await packager.flush()
    before = [s.msn for s in packager.segments()]
    await first.stop()

    second = MediaService(settings, directory, MediaMetrics(CollectorRegistry()))
    await second.start()
    try:
        await publish_once(second, "key-8", 2.0)
        resumed = second.packager(8)
        assert resumed is not None
        await resumed.flush()
        after = resumed.segments()
        assert after[0].msn == before[-1] + 1
        assert after[0].discontinuity
        assert after[0].init_id == 1
        assert after[0].parts[0].part_id > 0

        # Ended elsewhere while this process runs: the poller finalises the recording.
        directory.end_show(8)
        deadline = time.monotonic() + 5
        while (vod := second.vod_playlist(8)) is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        playlist = m3u8.loads(vod.decode())
        assert [s.uri for s in playlist.segments] == [
            f"s{msn}.m4s" for msn in [*before, *(s.msn for s in after)]
        ]
        assert sum(1 for s in playlist.segments if s.discontinuity) == 1
    finally:
        await second.stop()


async def test_an_unfinished_recording_is_finalised_after_a_restart(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("Debian's ffmpeg CLI is not installed")
    directory = MemoryShowDirectory()
    directory.add_show(9, "key-9")
    settings = MediaSettings(rtmp_port=0, media_dir=tmp_path, show_poll_interval=0.2)
    first = MediaService(settings, directory, MediaMetrics(CollectorRegistry()))
    await first.start()
    await publish_once(first, "key-9", 1.5)
    await first.stop()
    directory.end_show(9)  # while no media process was running

    second = MediaService(settings, directory, MediaMetrics(CollectorRegistry()))
    await second.start()
    try:
        deadline = time.monotonic() + 5
        while (vod := second.vod_playlist(9)) is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        assert m3u8.loads(vod.decode()).is_endlist
    finally:
        await second.stop()
