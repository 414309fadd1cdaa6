"""Debian's ffmpeg publishes over RTMP; the playlist, parts, blocking reload and VOD are checked.

Everything is real: ffmpeg CLI ``-f flv`` (what OBS speaks), the RTMP listener, PyAV, uvicorn,
SQLite's ``shows`` table.
"""

from __future__ import annotations

import asyncio
import time

import m3u8
import pytest

from tests.media.integration.conftest import KEYS, MediaServer, finish, start_publisher
from tests.media.llhls_rules import (
    CheckedPlaylist,
    assert_consistent,
    check_live_playlist,
    decode,
)

pytestmark = pytest.mark.integration

PUBLISH_SECONDS = 5.0


async def get_playlist(server: MediaServer, show_id: int, **params: object) -> CheckedPlaylist:
    response = await server.http.get(f"/hls/{show_id}/index.m3u8", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    return check_live_playlist(response.text)


async def wait_for_stream(server: MediaServer, show_id: int, within: float = 8.0) -> None:
    deadline = time.monotonic() + within
    while server.service.packager(show_id) is None:
        assert time.monotonic() < deadline, f"show {show_id} never started streaming"
        await asyncio.sleep(0.05)


async def test_live_stream_end_to_end(media_server: MediaServer) -> None:
    server = media_server
    main = await start_publisher(server.rtmp_url(KEYS[1]), seconds=PUBLISH_SECONDS)
    other = await start_publisher(server.rtmp_url(KEYS[2]), seconds=3.0)
    await wait_for_stream(server, 1)
    first = await get_playlist(server, 1)  # waits for the first part
    assert await server.status(1) == "live"

    # A second publisher for a live show is refused; the first one keeps going.
    intruder = await start_publisher(server.rtmp_url(KEYS[1]), seconds=2.0)
    code, stderr = await finish(intruder)
    assert code != 0, stderr

    # Blocking reloads, following the playlist part by part.
    reloads = [first]
    latest = first
    waits = []
    while len(latest.segments) < 3 or len(reloads) < 8:
        if latest.last_part_index is None:
            msn, part = latest.last_msn, 0
        else:
            msn, part = latest.last_msn, latest.last_part_index + 1
        started = time.monotonic()
        reloaded = await get_playlist(server, 1, _HLS_msn=msn, _HLS_part=part)
        waits.append(time.monotonic() - started)
        assert (reloaded.last_msn, reloaded.last_part_index or 0) >= (msn, 0)
        # The request is satisfied by part `part` of `msn`, or by the next segment.
        assert reloaded.last_msn > msn or (reloaded.last_part_index or -1) >= part
        assert_consistent(latest, reloaded)
        reloads.append(reloaded)
        latest = reloaded
    # Each blocking reload waited about one part, never the 1.5 s limit.
    assert max(waits) < 1.0, waits
    assert max(m.media_sequence for m in reloads) == latest.media_sequence

    # Every segment starts with an independent part; parts add up (checked on each reload).
    independent_uris = [u for u, (_, ind) in latest.parts.items() if ind]
    assert independent_uris
    for segment in latest.playlist.segments:
        if segment.uri and segment.parts:
            assert segment.parts[0].independent == "YES"

    # Delta update: the skip directive is accepted and the answer still passes the checks.
    delta = await get_playlist(server, 1, _HLS_skip="YES")
    assert_consistent(latest, delta)

    # Bad blocking requests are answered at once with 400.
    response = await server.http.get("/hls/1/index.m3u8", params={"_HLS_part": 0})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_blocking_request"
    response = await server.http.get(
        "/hls/1/index.m3u8", params={"_HLS_msn": latest.last_msn + 3}
    )
    assert response.status_code == 400
    response = await server.http.get("/hls/99/index.m3u8")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_show"

    # The preload-hinted part blocks until it is complete, then is immutable.
    hint = latest.preload_hint
    assert hint is not None
    started = time.monotonic()
    response = await server.http.get(f"/hls/1/{hint}")
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["content-type"] == "video/mp4"
    after = await get_playlist(server, 1)
    assert hint in after.parts

    # Parts and segments decode with PyAV, with audio.
    init = await server.http.get("/hls/1/init0.mp4")
    assert init.status_code == 200
    msn, (uri, _, duration) = sorted(after.segments.items())[-1]
    segment = await server.http.get(f"/hls/1/{uri}")
    assert segment.status_code == 200
    decoded = decode(init.content + segment.content)
    assert decoded.first_is_keyframe
    assert decoded.video_frames == pytest.approx(duration * 30, abs=1.5)
    assert decoded.audio_frames > 0
    part_uri = next(u for u, (_, ind) in after.parts.items() if ind)
    part = await server.http.get(f"/hls/1/{part_uri}")
    decoded_part = decode(init.content + part.content)
    assert decoded_part.video_frames > 0
    assert decoded_part.audio_frames > 0

    # Several shows live at once.
    other_playlist = await get_playlist(server, 2)
    assert other_playlist.segments or other_playlist.parts
    assert (await finish(other))[0] == 0

    # Publisher done: the show is idle and a blocking request ahead times out with 503.
    code, stderr = await finish(main)
    assert code == 0, stderr
    await server.wait_status(1, "idle")
    idle = await get_playlist(server, 1)
    started = time.monotonic()
    response = await server.http.get(
        "/hls/1/index.m3u8", params={"_HLS_msn": idle.last_msn + 1, "_HLS_part": 0}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "part_not_ready"
    assert 1.3 < time.monotonic() - started < 3.0

    # Ending the show (in the database, as commerce does) finalises the recording.
    await server.set_status(1, "ended")
    deadline = time.monotonic() + 10
    while (response := await server.http.get("/vod/1/index.m3u8")).status_code != 200:
        assert time.monotonic() < deadline, "the VOD playlist never appeared"
        await asyncio.sleep(0.2)
    vod = m3u8.loads(response.text)
    assert vod.playlist_type == "vod"
    assert vod.is_endlist
    assert all(s.program_date_time is not None for s in vod.segments)
    total = sum(s.duration for s in vod.segments)
    assert total == pytest.approx(PUBLISH_SECONDS, abs=0.5)
    vod_init = await server.http.get(f"/vod/1/{vod.segments[0].init_section.uri}")
    body = vod_init.content
    for vod_segment in vod.segments:
        got = await server.http.get(f"/vod/1/{vod_segment.uri}")
        assert got.status_code == 200
        body += got.content
    played = decode(body)
    # The VOD plays from start to end: every frame, in order, with audio.
    assert played.video_frames == pytest.approx(total * 30, abs=3)
    assert played.audio_frames > total * 40
    assert played.video_pts == sorted(played.video_pts)
    ended = await get_playlist(server, 1)
    assert ended.ended
    # A publisher for an ended show is refused.
    late = await start_publisher(server.rtmp_url(KEYS[1]), seconds=1.0)
    assert (await finish(late))[0] != 0

    metrics = (await server.http.get("/metrics")).text
    assert "showfloor_media_parts_published_total" in metrics
    assert 'showfloor_media_publish_refusals_total{reason="busy"}' in metrics
    assert 'showfloor_media_blocking_wait_seconds_count{kind="playlist",outcome="ready"}' in metrics
    assert 'showfloor_media_served_bytes_total{kind="part"}' in metrics
    assert 'showfloor_media_active_publishers{protocol="rtmp"} 0.0' in metrics
    assert "showfloor_media_part_publish_lag_seconds_bucket" in metrics
