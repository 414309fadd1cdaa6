"""The RTMP listener: ``rtmp://HOST:PORT/live/{stream_key}``, publishing only.

PyAV's own RTMP listen mode accepts any path and any key, so the server speaks the start of the
protocol itself: it does the handshake, reads ``connect``/``createStream``/``publish`` with its
chunk stream and AMF0 readers, and asks the hub for the show of the stream key. A wrong key is
answered with ``NetStream.Publish.BadName`` and the connection is closed before any media byte is
read. After ``NetStream.Publish.Start`` the audio/video messages (FLV tag bodies) are rebuilt into
an FLV stream and demuxed by PyAV in a thread (:mod:`media.rtmp.demux`), with no re-encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from media.hub import PublishRefused, RefusalReason
from media.rtmp import amf0
from media.rtmp.chunks import (
    HANDSHAKE_SIZE,
    RTMP_VERSION,
    ChunkDecoder,
    HandshakePacket,
    RtmpMessage,
    RtmpProtocolError,
    encode_message,
)
from media.rtmp.demux import ArrivalLog, ByteFeed, run_flv_demuxer
from media.rtmp.flv import (
    TAG_AUDIO,
    TAG_SCRIPT,
    TAG_VIDEO,
    AudioTagInfo,
    FlvError,
    FlvHeader,
    FlvTag,
    VideoTagInfo,
)
from media.rtmp.messages import (
    AUDIO,
    COMMAND_AMF0,
    COMMAND_AMF3,
    CSID_COMMAND,
    CSID_PROTOCOL,
    CSID_STATUS,
    DATA_AMF0,
    DATA_AMF3,
    USER_CONTROL_STREAM_BEGIN,
    VIDEO,
    WINDOW_ACK_SIZE,
    Acknowledgement,
    Command,
    DataMessage,
    SetChunkSize,
    SetPeerBandwidth,
    UserControl,
    WindowAckSize,
)
from media.units import MediaUnit, StreamFormat, TrackKind

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("showfloor.media.rtmp")

APP_NAME = "live"
OUT_CHUNK_SIZE = 4096
WINDOW_SIZE = 2_500_000
STREAM_ID = 1
READ_SIZE = 64 * 1024
# Without metadata naming the tracks, media is held this long (by its timestamps) to learn
# whether both audio and video are coming before the FLV header is written.
TRACK_DISCOVERY_MS = 1000


class RtmpPublisher(Protocol):
    def start(self, fmt: StreamFormat) -> None: ...

    def push(self, unit: MediaUnit) -> None: ...

    async def close(self) -> None: ...


class PublishGate(Protocol):
    """What the RTMP listener needs from the stream hub."""

    async def open_publisher(
        self, stream_key: str, *, protocol: str, remote: str, disconnect: Callable[[], None]
    ) -> RtmpPublisher: ...


class RtmpEvents(Protocol):
    """Counters the listener reports (implemented by the media metrics)."""

    def connection_refused(self, reason: str) -> None: ...


class _Closed(Exception):
    """The session is over (peer left, was refused, or unpublished)."""


def stream_key_from_publish_name(name: str) -> str:
    """OBS and FFmpeg send the key as the publish name; drop any query string after it."""
    return name.split("?", 1)[0].strip()


def app_from_connect(command_object: amf0.AmfValue) -> str | None:
    if not isinstance(command_object, dict):
        return None
    app = command_object.get("app")
    if not isinstance(app, str):
        return None
    return app.split("?", 1)[0].strip("/")


def _status(code: str, description: str, level: str = "status") -> Command:
    return Command(
        "onStatus",
        0.0,
        None,
        ({"level": level, "code": code, "description": description},),
    )


@dataclass(eq=False)
class _MediaState:
    """The FLV side of a publishing session."""

    feed: ByteFeed = field(default_factory=ByteFeed)
    arrivals: ArrivalLog = field(default_factory=ArrivalLog)
    metadata: dict[str, amf0.AmfValue] | None = None
    header_written: bool = False
    held: list[FlvTag] = field(default_factory=list)
    seen_audio: bool = False
    seen_video: bool = False
    first_ts: int | None = None
    demuxer: asyncio.Future[str | None] | None = None


class RtmpConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        gate: PublishGate,
        *,
        handshake_timeout: float,
        idle_timeout: float,
        events: RtmpEvents | None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._gate = gate
        self._handshake_timeout = handshake_timeout
        self._idle_timeout = idle_timeout
        self._events = events
        self._decoder = ChunkDecoder()
        self._pending: deque[RtmpMessage] = deque()
        self._out_chunk_size = 128
        self._peer_window: int | None = None
        self._last_ack = 0
        self._publisher: RtmpPublisher | None = None
        self._media = _MediaState()
        peer = writer.get_extra_info("peername")
        self.remote = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self._loop = asyncio.get_running_loop()

    # -- connection lifecycle -------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.timeout(self._handshake_timeout):
                await self._handshake()
                publisher = await self._negotiate()
            self._publisher = publisher
            await self._receive_media()
        except _Closed:
            pass
        except (RtmpProtocolError, FlvError) as exc:
            logger.info("rtmp_protocol_error", extra={"remote": self.remote, "error": str(exc)})
            self._refused("protocol_error")
        except TimeoutError:
            logger.info("rtmp_timeout", extra={"remote": self.remote})
            if self._publisher is None:
                self._refused("timeout")
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            await self._finish()

    def disconnect(self) -> None:
        """Called by the hub when the show ends: drop the peer now."""
        self._media.feed.abort()
        transport = self._writer.transport
        if not transport.is_closing():
            transport.abort()

    async def _finish(self) -> None:
        media = self._media
        media.feed.close()
        if media.demuxer is not None:
            # Let the demuxer hand over what was already received (the last frames).
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                async with asyncio.timeout(5.0):
                    await asyncio.shield(media.demuxer)
        media.feed.abort()
        if self._publisher is not None:
            await self._publisher.close()
        transport = self._writer.transport
        if not transport.is_closing():
            transport.close()

    def _refused(self, reason: str) -> None:
        if self._events is not None:
            self._events.connection_refused(reason)

    # -- I/O ----------------------------------------------------------------------------

    async def _read_messages(self) -> None:
        async with asyncio.timeout(self._idle_timeout):
            data = await self._reader.read(READ_SIZE)
        if not data:
            raise _Closed
        self._pending.extend(self._decoder.feed(data))
        if self._peer_window:
            received = self._decoder.bytes_received
            if received - self._last_ack >= self._peer_window:
                self._last_ack = received
                self._send(CSID_PROTOCOL, Acknowledgement(received & 0xFFFFFFFF))

    async def _next_message(self) -> RtmpMessage:
        while not self._pending:
            await self._read_messages()
        return self._pending.popleft()

    def _send(
        self,
        csid: int,
        message: (
            Command
            | Acknowledgement
            | WindowAckSize
            | SetPeerBandwidth
            | SetChunkSize
            | UserControl
        ),
        stream_id: int = 0,
    ) -> None:
        self._writer.write(
            encode_message(
                csid,
                message.type_id,
                bytes(message),
                stream_id=stream_id,
                chunk_size=self._out_chunk_size,
            )
        )

    # -- handshake and commands -----------------------------------------------------------

    async def _handshake(self) -> None:
        c0 = await self._reader.readexactly(1)
        if c0[0] != RTMP_VERSION:
            # Not RTMP (an HTTP request, a port scanner, TLS): refuse without a reply.
            raise RtmpProtocolError(f"not an RTMP client (first byte 0x{c0[0]:02x})")
        c1 = HandshakePacket.parse(await self._reader.readexactly(HANDSHAKE_SIZE))
        now = int(time.monotonic() * 1000)
        # The simple handshake: S1 with a zero version field (so clients skip the digest
        # check), S2 echoing C1.
        s1 = HandshakePacket(time=now, time2=0, random=os.urandom(HANDSHAKE_SIZE - 8))
        s2 = HandshakePacket(time=c1.time, time2=now, random=c1.random)
        self._writer.write(bytes([RTMP_VERSION]) + bytes(s1) + bytes(s2))
        await self._writer.drain()
        await self._reader.readexactly(HANDSHAKE_SIZE)  # C2, the echo of S1

    async def _negotiate(self) -> RtmpPublisher:
        connected = False
        while True:
            message = await self._next_message()
            if message.type_id in (AUDIO, VIDEO, DATA_AMF0, DATA_AMF3):
                raise RtmpProtocolError("media before a successful publish")
            if message.type_id == WINDOW_ACK_SIZE:
                self._peer_window = WindowAckSize.parse(message.payload).size or None
                continue
            if message.type_id not in (COMMAND_AMF0, COMMAND_AMF3):
                continue
            command = Command.parse(message.payload, message.type_id)
            if command.name == "connect":
                app = app_from_connect(command.command_object)
                if app != APP_NAME:
                    self._send(
                        CSID_COMMAND,
                        Command(
                            "_error",
                            command.transaction_id,
                            None,
                            (
                                {
                                    "level": "error",
                                    "code": "NetConnection.Connect.Rejected",
                                    "description": f"Unknown application; publish to "
                                    f"rtmp://HOST/{APP_NAME}/STREAM_KEY.",
                                },
                            ),
                        ),
                    )
                    await self._writer.drain()
                    self._refused("bad_app")
                    raise _Closed
                self._accept_connect(command)
                connected = True
            elif command.name == "createStream":
                self._send(
                    CSID_COMMAND, Command("_result", command.transaction_id, None, (STREAM_ID,))
                )
            elif command.name == "publish":
                if not connected:
                    raise RtmpProtocolError("publish before connect")
                return await self._publish(command, message.stream_id or STREAM_ID)
            elif command.name in ("deleteStream", "closeStream", "FCUnpublish"):
                raise _Closed
            # releaseStream, FCPublish, _checkbw and other courtesy calls need no answer.
            await self._writer.drain()

    def _accept_connect(self, command: Command) -> None:
        self._send(CSID_PROTOCOL, WindowAckSize(WINDOW_SIZE))
        self._send(CSID_PROTOCOL, SetPeerBandwidth(WINDOW_SIZE, 2))
        self._send(CSID_PROTOCOL, SetChunkSize(OUT_CHUNK_SIZE))
        self._out_chunk_size = OUT_CHUNK_SIZE
        self._send(
            CSID_COMMAND,
            Command(
                "_result",
                command.transaction_id,
                {"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0},
                (
                    {
                        "level": "status",
                        "code": "NetConnection.Connect.Success",
                        "description": "Connection succeeded.",
                        "objectEncoding": 0.0,
                    },
                ),
            ),
        )

    async def _publish(self, command: Command, stream_id: int) -> RtmpPublisher:
        key = stream_key_from_publish_name(command.string_argument(0) or "")
        try:
            publisher = await self._gate.open_publisher(
                key, protocol="rtmp", remote=self.remote, disconnect=self.disconnect
            )
        except PublishRefused as refusal:
            code = (
                "NetStream.Publish.Failed"
                if refusal.reason is RefusalReason.UNAVAILABLE
                else "NetStream.Publish.BadName"
            )
            self._send(CSID_STATUS, _status(code, refusal.detail, "error"), stream_id)
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()
            logger.info(
                "rtmp_publish_refused",
                extra={"remote": self.remote, "reason": refusal.reason.value},
            )
            self._refused(refusal.reason.value)
            raise _Closed from None
        self._send(CSID_PROTOCOL, UserControl(USER_CONTROL_STREAM_BEGIN, stream_id))
        self._send(
            CSID_STATUS,
            _status("NetStream.Publish.Start", "Publishing; the show is live."),
            stream_id,
        )
        await self._writer.drain()
        return publisher

    # -- media ----------------------------------------------------------------------------

    async def _receive_media(self) -> None:
        while True:
            message = await self._next_message()
            type_id = message.type_id
            if type_id in (AUDIO, VIDEO):
                self._on_media(message)
            elif type_id in (DATA_AMF0, DATA_AMF3):
                data = DataMessage.parse(message.payload, type_id)
                metadata = data.metadata
                if metadata is not None:
                    self._on_metadata(metadata, message.timestamp)
            elif type_id == WINDOW_ACK_SIZE:
                self._peer_window = WindowAckSize.parse(message.payload).size or None
            elif type_id in (COMMAND_AMF0, COMMAND_AMF3):
                command = Command.parse(message.payload, type_id)
                if command.name in ("deleteStream", "closeStream", "FCUnpublish"):
                    raise _Closed

    def _on_metadata(self, metadata: dict[str, amf0.AmfValue], timestamp: int) -> None:
        media = self._media
        media.metadata = metadata
        tag = FlvTag(TAG_SCRIPT, timestamp, amf0.encode("onMetaData", amf0.EcmaArray(metadata)))
        if media.header_written:
            self._write_tag(tag)
        else:
            media.held.append(tag)

    def _on_media(self, message: RtmpMessage) -> None:
        media = self._media
        payload = message.payload
        if not payload:
            return
        now = time.time()
        if message.type_id == VIDEO:
            video = VideoTagInfo.parse(payload)
            if not video.is_avc:
                raise RtmpProtocolError(
                    f"unsupported video codec {video.codec_id}: publish H.264 (AVC)"
                )
            media.seen_video = True
            if not video.is_sequence_header:
                media.arrivals.record(TrackKind.VIDEO, message.timestamp, now)
            tag = FlvTag(TAG_VIDEO, message.timestamp, payload)
        else:
            audio = AudioTagInfo.parse(payload)
            if not audio.is_aac:
                raise RtmpProtocolError(
                    f"unsupported audio format {audio.sound_format}: publish AAC"
                )
            media.seen_audio = True
            if not audio.is_sequence_header:
                media.arrivals.record(TrackKind.AUDIO, message.timestamp, now)
            tag = FlvTag(TAG_AUDIO, message.timestamp, payload)
        if media.header_written:
            self._write_tag(tag)
            return
        media.held.append(tag)
        if media.first_ts is None:
            media.first_ts = message.timestamp
        header = self._decide_header(message.timestamp)
        if header is not None:
            self._start_demuxer(header)

    def _decide_header(self, timestamp: int) -> FlvHeader | None:
        media = self._media
        if media.metadata is not None and (
            "videocodecid" in media.metadata or "audiocodecid" in media.metadata
        ):
            return FlvHeader(
                has_audio="audiocodecid" in media.metadata,
                has_video="videocodecid" in media.metadata,
            )
        both = media.seen_audio and media.seen_video
        waited = media.first_ts is not None and timestamp - media.first_ts >= TRACK_DISCOVERY_MS
        if both or waited:
            return FlvHeader(has_audio=media.seen_audio, has_video=media.seen_video)
        return None

    def _start_demuxer(self, header: FlvHeader) -> None:
        media = self._media
        media.header_written = True
        if not media.feed.write(bytes(header)):
            raise _Closed
        for tag in media.held:
            self._write_tag(tag)
        media.held.clear()
        publisher = self._publisher
        if publisher is None:  # pragma: no cover - media is only read after publish
            raise _Closed
        loop = self._loop

        def on_format(fmt: StreamFormat) -> None:
            loop.call_soon_threadsafe(publisher.start, fmt)

        def on_unit(unit: MediaUnit) -> None:
            loop.call_soon_threadsafe(publisher.push, unit)

        done: asyncio.Future[str | None] = loop.create_future()
        media.demuxer = done
        done.add_done_callback(self._demuxer_done)

        def settle(result: str | None) -> None:
            if not done.done():
                done.set_result(result)

        def demux() -> None:
            # A dedicated thread, not the loop's executor: it lives as long as the session.
            try:
                result = run_flv_demuxer(media.feed, media.arrivals, on_format, on_unit)
            except Exception as exc:
                logger.exception("rtmp_demuxer_crashed")
                result = f"demuxer crashed: {exc!r}"
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(settle, result)

        threading.Thread(target=demux, name=f"rtmp-demux-{self.remote}", daemon=True).start()

    def _demuxer_done(self, future: asyncio.Future[str | None]) -> None:
        if future.cancelled():
            return
        reason = future.result()
        if reason is not None:
            logger.warning("rtmp_demux_stopped", extra={"remote": self.remote, "error": reason})
            # The demuxer cannot continue: drop the connection, the publisher may reconnect.
            self.disconnect()

    def _write_tag(self, tag: FlvTag) -> None:
        if not self._media.feed.write(bytes(tag)):
            logger.warning("rtmp_demux_behind", extra={"remote": self.remote})
            self.disconnect()
            raise _Closed


class RtmpServer:
    def __init__(
        self,
        gate: PublishGate,
        *,
        host: str,
        port: int,
        handshake_timeout: float = 10.0,
        idle_timeout: float = 10.0,
        events: RtmpEvents | None = None,
    ) -> None:
        self._gate = gate
        self._host = host
        self._port = port
        self._handshake_timeout = handshake_timeout
        self._idle_timeout = idle_timeout
        self._events = events
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self._host, self._port)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("rtmp_listening", extra={"host": self._host, "port": self.port})

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            connection = RtmpConnection(
                reader,
                writer,
                self._gate,
                handshake_timeout=self._handshake_timeout,
                idle_timeout=self._idle_timeout,
                events=self._events,
            )
            await connection.run()
        except Exception:
            # One broken connection must never take the listener down.
            logger.exception("rtmp_connection_failed")
        finally:
            if task is not None:
                self._tasks.discard(task)
