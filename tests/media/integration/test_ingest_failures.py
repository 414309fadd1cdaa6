"""Wrong keys, garbage and vanishing publishers: clean refusals or clean discontinuities."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from media.rtmp.chunks import HANDSHAKE_SIZE, ChunkDecoder, HandshakePacket, encode_message
from media.rtmp.messages import COMMAND_AMF0, Command
from tests.media.integration.conftest import KEYS, MediaServer, finish, start_publisher
from tests.media.llhls_rules import assert_consistent, check_live_playlist, decode

pytestmark = pytest.mark.integration


def ingest_bytes(server: MediaServer) -> float:
    total = 0.0
    for metric in server.service.metrics.ingest_bytes.collect():
        total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


async def closed_by_server(reader: asyncio.StreamReader, within: float = 3.0) -> bool:
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


@pytest.mark.parametrize("key", ["wrong-key", ""])
async def test_wrong_or_missing_key_is_refused_before_any_media(
    media_server: MediaServer, key: str
) -> None:
    server = media_server
    before = ingest_bytes(server)
    started = time.monotonic()
    publisher = await start_publisher(server.rtmp_url(key), seconds=3.0)
    code, _ = await finish(publisher)
    assert code != 0
    assert time.monotonic() - started < 3.0  # refused at publish, not after streaming
    assert ingest_bytes(server) == before
    assert server.service.packager(5) is None


async def test_publish_status_on_the_wire_for_a_wrong_key(media_server: MediaServer) -> None:
    """Speak RTMP by hand: a wrong key gets NetStream.Publish.BadName, then the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", media_server.rtmp_port)
    c1 = HandshakePacket(0, 0, os.urandom(HANDSHAKE_SIZE - 8))
    writer.write(b"\x03" + bytes(c1))
    s0s1s2 = await reader.readexactly(1 + 2 * HANDSHAKE_SIZE)
    assert s0s1s2[0] == 3
    assert HandshakePacket.parse(s0s1s2[1 + HANDSHAKE_SIZE :]).random == c1.random  # S2 echo
    writer.write(s0s1s2[1 : 1 + HANDSHAKE_SIZE])  # C2
    connect = Command("connect", 1.0, {"app": "live", "tcUrl": "rtmp://x/live"})
    create = Command("createStream", 2.0, None)
    publish = Command("publish", 3.0, None, ("nope", "live"))
    for command, stream in ((connect, 0), (create, 0), (publish, 1)):
        writer.write(encode_message(3, COMMAND_AMF0, bytes(command), stream_id=stream))
    await writer.drain()
    decoder = ChunkDecoder()
    statuses: list[str] = []
    while not statuses:
        data = await asyncio.wait_for(reader.read(65536), 3)
        assert data, "closed before answering publish"
        for message in decoder.feed(data):
            if message.type_id == COMMAND_AMF0:
                command = Command.parse(message.payload)
                if command.name == "onStatus":
                    info = command.arguments[0]
                    assert isinstance(info, dict)
                    statuses.append(str(info["code"]))
    assert statuses == ["NetStream.Publish.BadName"]
    assert await closed_by_server(reader)
    writer.close()


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 300,  # a TLS ClientHello
        b"\x03" + b"\x00" * HANDSHAKE_SIZE + b"\xff" * (HANDSHAKE_SIZE + 4000),
        b"\x03" + b"\x00" * 10,  # a handshake cut short
    ],
)
async def test_garbage_on_the_rtmp_port_is_dropped(
    media_server: MediaServer, garbage: bytes
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", media_server.rtmp_port)
    writer.write(garbage)
    await writer.drain()
    if len(garbage) < 20:
        writer.write_eof()
    assert await closed_by_server(reader, within=5.0)
    writer.close()


async def test_publisher_vanishing_mid_part_then_returning(media_server: MediaServer) -> None:
    server = media_server
    show = 4
    first = await start_publisher(server.rtmp_url(KEYS[show]), seconds=30.0)
    deadline = time.monotonic() + 8
    while (packager := server.service.packager(show)) is None or len(packager.segments()) < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    before = check_live_playlist((await server.http.get(f"/hls/{show}/index.m3u8")).text)
    # Mid-part (parts are ~0.27 s): SIGKILL, no FCUnpublish, no TCP goodbye from ffmpeg.
    await asyncio.sleep(0.13)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    await server.wait_status(show, "idle")
    assert (await server.http.get("/healthz")).status_code == 200

    again = await start_publisher(server.rtmp_url(KEYS[show]), seconds=2.5)
    code, stderr = await finish(again)
    assert code == 0, stderr
    await server.wait_status(show, "idle")
    after = check_live_playlist((await server.http.get(f"/hls/{show}/index.m3u8")).text)
    assert_consistent(before, after)
    lines = after.text.splitlines()
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    index = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[index + 1] == '#EXT-X-MAP:URI="init1.mp4"'
    segments = after.playlist.segments
    resumed = next(i for i, s in enumerate(segments) if s.discontinuity)
    assert segments[resumed].program_date_time > segments[resumed - 1].program_date_time
    assert segments[resumed].parts[0].independent == "YES"
    # Both sides of the discontinuity decode.
    sides = (("init0.mp4", segments[resumed - 1]), ("init1.mp4", segments[resumed]))
    for init_uri, segment in sides:
        init = (await server.http.get(f"/hls/{show}/{init_uri}")).content
        data = (await server.http.get(f"/hls/{show}/{segment.uri}")).content
        decoded = decode(init + data)
        assert decoded.video_frames > 0
        assert decoded.audio_frames > 0
