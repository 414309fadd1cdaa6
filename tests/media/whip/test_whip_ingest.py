"""aiortc publishes generated frames and a tone over WHIP; the LL-HLS playlist, parts, refusals,
conflicts, vanishing publishers and the capture clock are checked against the real app
(uvicorn, SQLite shows, aiortc on both sides, PyAV)."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime
from typing import Any

import aiortc.clock
import av
import pytest

from media.whip.clock import NTP_UNIX_OFFSET
from tests.media.llhls_rules import CheckedPlaylist, assert_consistent, check_live_playlist, decode
from tests.media.whip.conftest import KEYS, WhipServer
from tests.media.whip.publisher import NumberedFrames, Tone, WhipPublisher, frame_number, publish

pytestmark = pytest.mark.integration

SDP = "application/sdp"


async def get_playlist(server: WhipServer, show_id: int, **params: object) -> CheckedPlaylist:
    response = await server.http.get(f"/hls/{show_id}/index.m3u8", params=params)
    assert response.status_code == 200, response.text
    return check_live_playlist(response.text)


async def wait_for_segments(
    server: WhipServer, show_id: int, count: int, within: float = 15.0
) -> CheckedPlaylist:
    deadline = time.monotonic() + within
    while True:
        packager = server.service.packager(show_id)
        if packager is not None and packager.has_media:
            playlist = await get_playlist(server, show_id)
            if len(playlist.segments) >= count:
                return playlist
        assert time.monotonic() < deadline, f"show {show_id}: fewer than {count} segments"
        await asyncio.sleep(0.1)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": SDP}


async def close(*publishers: WhipPublisher) -> None:
    for publisher in publishers:
        await publisher.pc.close()


@pytest.mark.parametrize(("show_id", "codec"), [(1, "video/VP8"), (2, "video/H264")])
async def test_publish_to_llhls(whip_server: WhipServer, show_id: int, codec: str) -> None:
    server = whip_server
    key = KEYS[show_id]
    video, audio = NumberedFrames(), Tone()
    publisher = await publish(server.http, show_id, key, video=video, audio=audio, codec=codec)
    assert publisher.status == 201, publisher.response.text
    response = publisher.response
    assert response.headers["content-type"].startswith(SDP)
    assert publisher.location is not None
    assert publisher.location.startswith(f"/whip/{show_id}/")
    assert response.headers["etag"]
    # Chromium is asked to start at the chosen bitrate, not at its 300 kbit/s default.
    assert "x-google-start-bitrate=2500" in response.text
    await publisher.wait_connected()
    started = time.monotonic()

    first = await wait_for_segments(server, show_id, 1)
    assert time.monotonic() - started < 4.0
    assert await server.status(show_id) == "live"

    # Blocking reloads part after part, as a player follows the live edge.
    latest = first
    waits = []
    while len(latest.segments) < 4:
        msn = latest.last_msn
        part = 0 if latest.last_part_index is None else latest.last_part_index + 1
        began = time.monotonic()
        reloaded = await get_playlist(server, show_id, _HLS_msn=msn, _HLS_part=part)
        waits.append(time.monotonic() - began)
        assert reloaded.last_msn > msn or (reloaded.last_part_index or -1) >= part
        assert_consistent(latest, reloaded)
        latest = reloaded
    assert max(waits) < 1.0, waits
    for segment in latest.playlist.segments:
        if segment.uri and segment.parts:
            assert segment.parts[0].independent == "YES"
    # Segments are cut on the keyframe schedule: 1 s of stream time plus at most a frame.
    durations = [d for _, (_, _, d) in sorted(latest.segments.items())][1:]
    assert all(1.0 <= d <= 1.0 + 1 / 30 + 0.002 for d in durations), durations

    init = await server.http.get(f"/hls/{show_id}/init0.mp4")
    assert init.status_code == 200
    msn, (uri, _, duration) = sorted(latest.segments.items())[-1]
    segment_body = (await server.http.get(f"/hls/{show_id}/{uri}")).content
    decoded = decode(init.content + segment_body)
    assert decoded.first_is_keyframe
    assert decoded.video_frames == pytest.approx(duration * 30, abs=2)
    assert decoded.audio_frames > duration * 40  # AAC: 46.9 frames per second
    assert decoded.video_pts == sorted(decoded.video_pts)

    # The picture is the publisher's, in order, scaled to the session's size.
    with av.open(io.BytesIO(init.content + segment_body), format="mp4") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
        numbers = [frame_number(f) for f in container.decode(stream)]
    assert numbers == sorted(numbers)
    assert numbers[-1] - numbers[0] <= len(numbers) + 1

    metrics = (await server.http.get("/metrics")).text
    label = f'show_id="{show_id}"'
    assert f"showfloor_media_whip_received_video_width_pixels{{{label}}} 320.0" in metrics
    assert f"showfloor_media_whip_received_video_height_pixels{{{label}}} 240.0" in metrics
    fps = server.metric("showfloor_media_whip_received_video_frames_per_second", show_id=str(
        show_id))  # fmt: skip
    assert fps is not None
    assert 20 < fps < 40
    estimate = server.metric(
        "showfloor_media_whip_bandwidth_estimate_bits_per_second", show_id=str(show_id)
    )
    assert estimate is not None
    assert estimate >= 2_500_000
    assert 'showfloor_media_active_publishers{protocol="whip"}' in metrics

    # DELETE ends publishing; the show is idle; the resource is gone.
    assert publisher.location is not None
    response = await publisher.delete(server.http, key)
    assert response.status_code == 200
    await server.wait_status(show_id, "idle")
    again = await server.http.delete(publisher.location, headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 404
    assert server.metric("showfloor_media_whip_sessions_ended_total", reason="deleted")


async def test_refusals_change_nothing(whip_server: WhipServer) -> None:
    server = whip_server
    show_id, key = 3, KEYS[3]
    good = await publish(server.http, 3, key, video=NumberedFrames(), audio=Tone())
    assert good.status == 201
    offer = good.pc.localDescription.sdp
    response = await good.delete(server.http, key)
    assert response.status_code == 200
    await server.wait_status(show_id, "idle")
    await server.set_status(show_id, "scheduled")
    before = server.metric("showfloor_media_active_publishers", protocol="whip")

    cases: list[tuple[dict[str, str], bytes, int, str]] = [
        (auth("wrong-key"), offer.encode(), 401, "invalid_stream_key"),
        (auth(KEYS[4]), offer.encode(), 401, "invalid_stream_key"),  # another show's key
        ({"Content-Type": SDP}, offer.encode(), 401, "missing_stream_key"),
        ({**auth(key), "Authorization": f"Basic {key}"}, offer.encode(), 401,
         "missing_stream_key"),
        ({**auth(key), "Content-Type": "application/json"}, b"{}", 415,
         "unsupported_media_type"),
        (auth(key), b"", 400, "invalid_sdp"),
        (auth(key), b"\xff\xfe not text", 400, "invalid_sdp"),
        (auth(key), b"v=0\r\nthis is not sdp\r\n", 400, "invalid_sdp"),
        (auth(key), offer[: len(offer) // 2].encode(), 400, "invalid_sdp"),
        (auth(key), offer.replace("a=sendonly", "a=recvonly").encode(), 400,
         "nothing_to_publish"),
        (auth(key), offer.replace("a=fingerprint:sha-256 ", "a=fingerprint:sha-256 ZZ").encode(),
         400, "invalid_sdp"),
        (auth(key), offer.replace("a=setup:actpass", "a=setup:bogus").encode(), 400,
         "invalid_sdp"),
        (auth(key), offer.replace("a=ice-ufrag:", "a=ice-ufrag:x y ").encode(), 400,
         "invalid_sdp"),
    ]  # fmt: skip
    for headers, body, status, code in cases:
        response = await server.http.post(f"/whip/{show_id}", content=body, headers=headers)
        assert response.status_code == status, (code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
    response = await server.http.post("/whip/999", content=offer.encode(), headers=auth(key))
    assert response.status_code == 401
    response = await server.http.post(f"/whip/{show_id}?size=123x45", content=offer.encode(),
                                      headers=auth(key))  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_size"
    # Nothing was claimed or marked by any of them.
    assert await server.status(show_id) == "scheduled"
    assert server.metric("showfloor_media_active_publishers", protocol="whip") == before
    assert not [s for s in server.ingest.sessions() if s.show_id == show_id]
    assert server.metric("showfloor_media_publish_refusals_total", reason="unknown_key")

    # OPTIONS (CORS preflight from another origin) and PATCH (no trickle ICE here).
    response = await server.http.options(
        f"/whip/{show_id}",
        headers={
            "Origin": "https://studio.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["accept-post"] == SDP
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "Authorization" in response.headers["access-control-allow-headers"]
    response = await server.http.patch(
        f"/whip/{show_id}/abcdefghijkl", content=b"a=end-of-candidates", headers=auth(key)
    )
    assert response.status_code == 405
    assert response.json()["code"] == "trickle_ice_unsupported"


async def test_second_publisher_is_refused(whip_server: WhipServer) -> None:
    server = whip_server
    show_id, key = 4, KEYS[4]
    first = await publish(server.http, show_id, key, video=NumberedFrames(), audio=Tone())
    assert first.status == 201
    await first.wait_connected()
    await wait_for_segments(server, show_id, 1)
    second = await publish(server.http, show_id, key, video=NumberedFrames(), audio=Tone())
    assert second.status == 409
    assert second.response.json()["code"] == "show_busy"
    assert second.response.headers["retry-after"]
    # The first one is untouched and keeps publishing.
    playlist = await get_playlist(server, show_id)
    later = await wait_for_segments(server, show_id, len(playlist.segments) + 1)
    assert_consistent(playlist, later)
    await first.delete(server.http, key)
    await server.wait_status(show_id, "idle")

    # Two publishers racing for an idle show: exactly one wins.
    racers = await asyncio.gather(
        *(publish(server.http, show_id, key, video=NumberedFrames(), audio=Tone())
          for _ in range(2))
    )  # fmt: skip
    assert sorted(r.status for r in racers) == [201, 409]
    winner = next(r for r in racers if r.status == 201)
    await winner.delete(server.http, key)
    await server.wait_status(show_id, "idle")


async def test_vanished_publisher_goes_idle_then_resumes(whip_server: WhipServer) -> None:
    server = whip_server
    show_id, key = 5, KEYS[5]
    publisher = await publish(server.http, show_id, key, video=NumberedFrames(), audio=Tone())
    assert publisher.status == 201
    await publisher.wait_connected()
    before = await wait_for_segments(server, show_id, 2)
    assert await server.status(show_id) == "live"

    # The network goes: no DELETE, no BYE, no DTLS close.
    await publisher.vanish()
    gone = time.monotonic()
    await server.wait_status(show_id, "idle", within=6.0)
    detected = time.monotonic() - gone
    assert detected < server.media_settings.whip_idle_timeout + 2.0, detected
    assert server.metric("showfloor_media_whip_sessions_ended_total", reason="publisher_lost")
    assert not [s for s in server.ingest.sessions() if s.show_id == show_id]
    await publisher.pc.close()

    # The host comes back: the show resumes after a discontinuity, same playlist.
    back = await publish(server.http, show_id, key, video=NumberedFrames(), audio=Tone())
    assert back.status == 201, back.response.text
    await back.wait_connected()
    deadline = time.monotonic() + 10
    while True:
        after = await get_playlist(server, show_id)
        if any(s.discontinuity for s in after.playlist.segments) and len(after.segments) > len(
            before.segments
        ) + 1:
            break
        assert time.monotonic() < deadline, after.text
        await asyncio.sleep(0.2)
    assert_consistent(before, after)
    assert "#EXT-X-DISCONTINUITY" in after.text
    assert await server.status(show_id) == "live"
    await back.delete(server.http, key)
    await server.wait_status(show_id, "idle")


async def test_capture_clock_maps_the_hosts_time_to_its_frame(
    whip_server: WhipServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host's clock runs 7.5 s ahead of the server's: the host's local time of a frame
    still finds that frame (from RTCP sender reports), not the one that arrived then."""
    server = whip_server
    show_id, key = 1, KEYS[1]
    skew = 7.5
    real_ntp = aiortc.clock.current_ntp_time

    def skewed_ntp() -> int:
        return real_ntp() + (int(skew * 1000) << 32) // 1000

    # Only the publishing side reads it (sender reports); receivers use other clocks.
    monkeypatch.setattr(aiortc.clock, "current_ntp_time", skewed_ntp)
    video = NumberedFrames()
    video.clock_offset = skew
    await server.set_status(show_id, "scheduled")
    packager = server.service.packager(show_id)
    earlier = len(packager.segments()) if packager is not None else 0
    publisher = await publish(server.http, show_id, key, video=video, audio=Tone())
    assert publisher.status == 201
    await publisher.wait_connected()
    await wait_for_segments(server, show_id, min(earlier + 5, 20))
    capture_delay = server.metric("showfloor_media_whip_capture_to_decode_seconds",
                                  show_id=str(show_id))  # fmt: skip
    assert capture_delay is not None, "no sender report reached the capture clock"
    assert capture_delay == pytest.approx(-skew, abs=0.3)

    packager = server.service.packager(show_id)
    assert packager is not None
    init = packager.init_data(max(s.init_id for s in packager.segments()))
    assert init is not None
    checked = 0
    newest = max(video.captured)
    for number in range(newest - 75, newest - 15, 7):
        captured_at = video.captured[number]
        instant = server.service.locate(show_id, datetime.fromtimestamp(captured_at, UTC))
        assert instant is not None
        assert instant.exact
        assert instant.in_part, instant
        segment = next(s for s in packager.segments() if s.msn == instant.msn)
        part = segment.parts[instant.part or 0]
        # Decoded from the segment's keyframe; PDT - stream time is the same for every part.
        upto = b"".join(p.data for p in segment.parts[: (instant.part or 0) + 1])
        shown = _frame_at(init + upto, part, instant.program_date_time.timestamp())
        assert abs(shown - number) <= 1, (number, shown)
        checked += 1
    assert checked >= 5
    await publisher.delete(server.http, key)
    await server.wait_status(show_id, "idle")
    assert NTP_UNIX_OFFSET  # (the same epoch both sides use)


def _frame_at(data: bytes, part: Any, pdt: float) -> int:
    """The number on the frame of ``part`` showing at program-date-time ``pdt``."""
    best: tuple[float, int] | None = None
    with av.open(io.BytesIO(data), format="mp4") as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            frame_pdt = part.program_date_time + (float(frame.time) - part.stream_time)
            distance = abs(frame_pdt - pdt)
            if frame_pdt <= pdt + 0.001 and (best is None or distance < best[0]):
                best = (distance, frame_number(frame))
    assert best is not None
    return best[1]
