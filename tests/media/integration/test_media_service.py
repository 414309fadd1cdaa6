"""The MediaService API other apps use: stream-time mapping, date ranges, ending a show."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import m3u8
import pytest

from media.llhls.model import DateRange
from media.service import UnknownShow
from tests.media.integration.conftest import KEYS, MediaServer, finish, start_publisher

pytestmark = pytest.mark.integration


async def test_highlights_are_stamped_and_kept_in_the_recording(
    media_server: MediaServer,
) -> None:
    server = media_server
    service = server.service
    show = 3
    publisher = await start_publisher(server.rtmp_url(KEYS[show]), seconds=3.0)
    deadline = time.monotonic() + 8
    while (packager := service.packager(show)) is None or len(packager.segments()) < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)

    # A click 1 s ago: that frame has arrived and is already in a published part.
    clicked = datetime.now(UTC) - timedelta(seconds=1.0)
    instant = service.locate(show, clicked)
    assert instant is not None
    assert instant.exact, instant
    assert instant.in_part, instant
    assert instant.msn is not None
    # For RTMP the program-date-time is the arrival clock: it differs from the click only by
    # how much later than the best-delivered frames this frame arrived (publisher jitter).
    offset = (clicked - instant.program_date_time).total_seconds()
    assert 0 <= offset < 0.35, offset
    with pytest.raises(ValueError, match="timezone"):
        service.locate(show, datetime(2024, 1, 1))  # noqa: DTZ001 - naive on purpose
    assert service.locate(99, clicked) is None

    highlight = DateRange(
        id="highlight-1",
        class_name="com.showfloor.highlight",
        start_date=instant.program_date_time,
        duration=10.0,
        client_attributes=(("X-PRODUCT-ID", "17"),),
    )
    service.add_daterange(show, highlight)
    service.add_daterange(show, highlight)  # idempotent
    with pytest.raises(ValueError, match="already exists"):
        service.add_daterange(show, DateRange(id="highlight-1", start_date=clicked))
    with pytest.raises(UnknownShow):
        service.add_daterange(99, highlight)
    live = (await server.http.get(f"/hls/{show}/index.m3u8")).text
    assert live.count('#EXT-X-DATERANGE:ID="highlight-1"') == 1
    assert 'X-PRODUCT-ID="17"' in live

    metrics = (await server.http.get("/metrics")).text
    prefix = f'showfloor_media_ingest_bitrate_bits_per_second{{show_id="{show}"}}'
    bitrate = [line for line in metrics.splitlines() if line.startswith(prefix)]
    assert bitrate, metrics
    assert float(bitrate[0].split()[-1]) > 10_000

    assert (await finish(publisher))[0] == 0
    await service.end_show(show)
    await service.end_show(show)  # idempotent
    vod = (await server.http.get(f"/vod/{show}/index.m3u8")).text
    parsed = m3u8.loads(vod)
    assert parsed.is_endlist
    assert '#EXT-X-DATERANGE:ID="highlight-1"' in vod
    with pytest.raises(UnknownShow):
        service.add_daterange(show, DateRange(id="late", start_date=clicked))
    # Media does not end shows in the directory: commerce does.
    assert await server.status(show) == "idle"
