"""RTMP handshake packets and the chunk stream (Adobe RTMP specification 1.0, sections 5.2-5.3).

The decoder is sans-I/O: bytes in, complete messages out, so it is tested against captured
bytes without sockets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

RTMP_VERSION = 3
HANDSHAKE_SIZE = 1536
DEFAULT_CHUNK_SIZE = 128
MAX_CHUNK_SIZE = 0x7FFFFFFF
EXTENDED_TIMESTAMP = 0xFFFFFF
# A single message larger than this is not media a publisher would send (a 4K keyframe is a few
# MB); refusing it bounds the memory one peer can hold.
MAX_MESSAGE_SIZE = 16 * 1024 * 1024
TYPE_SET_CHUNK_SIZE = 1
TYPE_ABORT = 2


class RtmpProtocolError(ValueError):
    """The peer broke the RTMP protocol; the connection is closed."""


@dataclass(frozen=True, slots=True)
class HandshakePacket:
    """C1/S1/C2/S2: ``time`` (4 bytes), ``time2`` (4 bytes, zero in C1/S1), 1528 random bytes."""

    time: int
    time2: int
    random: bytes

    @classmethod
    def parse(cls, data: bytes) -> HandshakePacket:
        if len(data) != HANDSHAKE_SIZE:
            raise RtmpProtocolError(f"handshake packet of {len(data)} bytes, expected 1536")
        time, time2 = struct.unpack(">II", data[:8])
        return cls(time=time, time2=time2, random=bytes(data[8:]))

    def __bytes__(self) -> bytes:
        if len(self.random) != HANDSHAKE_SIZE - 8:
            raise ValueError("handshake random must be 1528 bytes")
        return struct.pack(">II", self.time & 0xFFFFFFFF, self.time2 & 0xFFFFFFFF) + self.random


@dataclass(frozen=True, slots=True)
class ChunkHeader:
    """Basic header plus message header (format 0-3) plus the optional extended timestamp.

    ``timestamp`` is the raw field: absolute for format 0, a delta for formats 1 and 2, absent
    (None) for format 3, whose extended timestamp presence follows the previous header.
    """

    fmt: int
    csid: int
    timestamp: int | None = None
    length: int | None = None
    type_id: int | None = None
    stream_id: int | None = None
    extended: bool = False

    @classmethod
    def parse(
        cls, data: bytes | bytearray | memoryview, offset: int, fmt3_extended: bool
    ) -> tuple[ChunkHeader, int] | None:
        """The header at ``offset`` and the offset after it; None if ``data`` ends inside it."""
        end = len(data)
        if offset >= end:
            return None
        first = data[offset]
        fmt = first >> 6
        csid = first & 0x3F
        pos = offset + 1
        if csid == 0:
            if pos + 1 > end:
                return None
            csid = 64 + data[pos]
            pos += 1
        elif csid == 1:
            if pos + 2 > end:
                return None
            csid = 64 + data[pos] + data[pos + 1] * 256
            pos += 2
        timestamp = length = type_id = stream_id = None
        size = (11, 7, 3, 0)[fmt]
        if pos + size > end:
            return None
        if fmt <= 2:
            timestamp = int.from_bytes(data[pos : pos + 3], "big")
        if fmt <= 1:
            length = int.from_bytes(data[pos + 3 : pos + 6], "big")
            type_id = data[pos + 6]
        if fmt == 0:
            stream_id = int.from_bytes(data[pos + 7 : pos + 11], "little")
        pos += size
        extended = timestamp == EXTENDED_TIMESTAMP if fmt <= 2 else fmt3_extended
        if extended:
            if pos + 4 > end:
                return None
            ext = int.from_bytes(data[pos : pos + 4], "big")
            if fmt <= 2:
                timestamp = ext
            pos += 4
        header = cls(fmt, csid, timestamp, length, type_id, stream_id, extended)
        return header, pos

    def __bytes__(self) -> bytes:
        if self.csid < 2 or self.csid > 65599:
            raise ValueError("chunk stream id must be in 2..65599")
        if self.csid < 64:
            out = bytearray([(self.fmt << 6) | self.csid])
        elif self.csid < 320:
            out = bytearray([self.fmt << 6, self.csid - 64])
        else:
            rest = self.csid - 64
            out = bytearray([(self.fmt << 6) | 1, rest & 0xFF, rest >> 8])
        ts = self.timestamp or 0
        extended = ts >= EXTENDED_TIMESTAMP if self.fmt <= 2 else self.extended
        if self.fmt <= 2:
            out += min(ts, EXTENDED_TIMESTAMP).to_bytes(3, "big")
        if self.fmt <= 1:
            out += (self.length or 0).to_bytes(3, "big")
            out.append(self.type_id or 0)
        if self.fmt == 0:
            out += (self.stream_id or 0).to_bytes(4, "little")
        if extended:
            out += (ts & 0xFFFFFFFF).to_bytes(4, "big")
        return bytes(out)


@dataclass(frozen=True, slots=True)
class RtmpMessage:
    csid: int
    timestamp: int
    type_id: int
    stream_id: int
    payload: bytes


@dataclass(slots=True)
class _ChunkStreamState:
    timestamp: int = 0
    # The raw timestamp field of the last header (a delta unless it came from format 0); format 3
    # repeats it, as FFmpeg and librtmp do.
    ts_field: int = 0
    extended: bool = False
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    seen: bool = False
    payload: bytearray | None = None


@dataclass(slots=True)
class ChunkDecoder:
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_message_size: int = MAX_MESSAGE_SIZE
    bytes_received: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _streams: dict[int, _ChunkStreamState] = field(default_factory=dict)

    def feed(self, data: bytes) -> list[RtmpMessage]:  # noqa: PLR0912, PLR0915 - one pass
        self.bytes_received += len(data)
        self._buffer += data
        messages: list[RtmpMessage] = []
        pos = 0
        buf = self._buffer
        while True:
            if pos >= len(buf):
                break
            # Peek the csid to learn whether a format-3 header carries an extended timestamp.
            peek = ChunkHeader.parse(buf, pos, False)
            if peek is None:
                break
            state = self._streams.get(peek[0].csid)
            parsed = (
                ChunkHeader.parse(buf, pos, state.extended)
                if peek[0].fmt == 3 and state is not None
                else peek
            )
            if parsed is None:
                break
            header, body_start = parsed
            if state is None:
                # Format 1 carries the length and type, enough to start a chunk stream; some
                # librtmp-based encoders open their media chunk streams with it.
                if header.fmt > 1:
                    raise RtmpProtocolError(
                        f"chunk stream {header.csid} starts with a format {header.fmt} header"
                    )
                state = self._streams[header.csid] = _ChunkStreamState()
            new_message = state.payload is None
            length = header.length if header.length is not None else state.length
            if length > self.max_message_size:
                raise RtmpProtocolError(f"message of {length} bytes is too large")
            have = 0 if state.payload is None else len(state.payload)
            take = min(self.chunk_size, length - have)
            if body_start + take > len(buf):
                break
            # The whole chunk is here: commit the header to the chunk stream state.
            if new_message:
                if header.fmt == 0:
                    state.timestamp = header.timestamp or 0
                    state.ts_field = header.timestamp or 0
                elif header.fmt in (1, 2):
                    state.ts_field = header.timestamp or 0
                    state.timestamp = (state.timestamp + state.ts_field) & 0xFFFFFFFF
                else:
                    state.timestamp = (state.timestamp + state.ts_field) & 0xFFFFFFFF
                state.payload = bytearray()
            elif header.fmt != 3:
                raise RtmpProtocolError(
                    f"chunk stream {header.csid}: new header in the middle of a message"
                )
            if header.fmt <= 2:
                state.extended = header.extended
            if header.length is not None:
                state.length = header.length
            if header.type_id is not None:
                state.type_id = header.type_id
            if header.stream_id is not None:
                state.stream_id = header.stream_id
            state.seen = True
            payload = state.payload
            if payload is None:  # pragma: no cover - set above for every message
                raise RtmpProtocolError("chunk without a message")
            payload += buf[body_start : body_start + take]
            pos = body_start + take
            if len(payload) == state.length:
                state.payload = None
                message = RtmpMessage(
                    csid=header.csid,
                    timestamp=state.timestamp,
                    type_id=state.type_id,
                    stream_id=state.stream_id,
                    payload=bytes(payload),
                )
                self._on_protocol_control(message)
                messages.append(message)
        del buf[:pos]
        return messages

    def _on_protocol_control(self, message: RtmpMessage) -> None:
        # Chunk-level control takes effect at once, for the very next chunk (spec 5.4.1, 5.4.2).
        if message.type_id == TYPE_SET_CHUNK_SIZE:
            if len(message.payload) < 4:
                raise RtmpProtocolError("short Set Chunk Size message")
            size = int.from_bytes(message.payload[:4], "big") & MAX_CHUNK_SIZE
            if size < 1:
                raise RtmpProtocolError("chunk size must be positive")
            self.chunk_size = size
        elif message.type_id == TYPE_ABORT and len(message.payload) >= 4:
            csid = int.from_bytes(message.payload[:4], "big")
            state = self._streams.get(csid)
            if state is not None:
                state.payload = None


def encode_message(
    csid: int,
    type_id: int,
    payload: bytes,
    *,
    stream_id: int = 0,
    timestamp: int = 0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> bytes:
    """One message as a format-0 chunk followed by format-3 continuation chunks."""
    first = ChunkHeader(0, csid, timestamp, len(payload), type_id, stream_id)
    out = bytearray(bytes(first))
    out += payload[:chunk_size]
    continuation = bytes(
        ChunkHeader(3, csid, extended=timestamp >= EXTENDED_TIMESTAMP, timestamp=timestamp)
    )
    for start in range(chunk_size, len(payload), chunk_size):
        out += continuation
        out += payload[start : start + chunk_size]
    return bytes(out)
