"""RTMP messages the listener reads or writes (Adobe RTMP specification 1.0, sections 5.4, 6, 7).

Each message is a dataclass with ``parse(payload)`` and ``__bytes__`` (the message payload; the
chunk stream framing is in :mod:`media.rtmp.chunks`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from media.rtmp import amf0
from media.rtmp.chunks import RtmpProtocolError

SET_CHUNK_SIZE = 1
ABORT = 2
ACKNOWLEDGEMENT = 3
USER_CONTROL = 4
WINDOW_ACK_SIZE = 5
SET_PEER_BANDWIDTH = 6
AUDIO = 8
VIDEO = 9
DATA_AMF3 = 15
COMMAND_AMF3 = 17
DATA_AMF0 = 18
COMMAND_AMF0 = 20

# Chunk stream ids the server writes on (the ones FFmpeg and nginx-rtmp use).
CSID_PROTOCOL = 2
CSID_COMMAND = 3
CSID_STATUS = 5

USER_CONTROL_STREAM_BEGIN = 0


def _u32(payload: bytes, name: str) -> int:
    if len(payload) < 4:
        raise RtmpProtocolError(f"short {name} message")
    return int.from_bytes(payload[:4], "big")


@dataclass(frozen=True, slots=True)
class SetChunkSize:
    size: int
    type_id = SET_CHUNK_SIZE

    @classmethod
    def parse(cls, payload: bytes) -> SetChunkSize:
        return cls(_u32(payload, "Set Chunk Size") & 0x7FFFFFFF)

    def __bytes__(self) -> bytes:
        return struct.pack(">I", self.size & 0x7FFFFFFF)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    sequence_number: int
    type_id = ACKNOWLEDGEMENT

    @classmethod
    def parse(cls, payload: bytes) -> Acknowledgement:
        return cls(_u32(payload, "Acknowledgement"))

    def __bytes__(self) -> bytes:
        return struct.pack(">I", self.sequence_number & 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class WindowAckSize:
    size: int
    type_id = WINDOW_ACK_SIZE

    @classmethod
    def parse(cls, payload: bytes) -> WindowAckSize:
        return cls(_u32(payload, "Window Acknowledgement Size"))

    def __bytes__(self) -> bytes:
        return struct.pack(">I", self.size)


@dataclass(frozen=True, slots=True)
class SetPeerBandwidth:
    size: int
    limit_type: int = 2  # dynamic
    type_id = SET_PEER_BANDWIDTH

    @classmethod
    def parse(cls, payload: bytes) -> SetPeerBandwidth:
        if len(payload) < 5:
            raise RtmpProtocolError("short Set Peer Bandwidth message")
        return cls(int.from_bytes(payload[:4], "big"), payload[4])

    def __bytes__(self) -> bytes:
        return struct.pack(">IB", self.size, self.limit_type)


@dataclass(frozen=True, slots=True)
class UserControl:
    event: int
    value: int
    type_id = USER_CONTROL

    @classmethod
    def parse(cls, payload: bytes) -> UserControl:
        if len(payload) < 6:
            raise RtmpProtocolError("short User Control message")
        event, value = struct.unpack(">HI", payload[:6])
        return cls(event, value)

    def __bytes__(self) -> bytes:
        return struct.pack(">HI", self.event, self.value)


@dataclass(frozen=True, slots=True)
class Command:
    """A NetConnection/NetStream command: name, transaction id, command object, arguments."""

    name: str
    transaction_id: float
    command_object: amf0.AmfValue = None
    arguments: tuple[amf0.AmfValue, ...] = field(default=())
    type_id = COMMAND_AMF0

    @classmethod
    def parse(cls, payload: bytes, type_id: int = COMMAND_AMF0) -> Command:
        if type_id == COMMAND_AMF3:
            # An AMF3 command message starts with a format selector byte and is AMF0 after it
            # for every command a publisher sends.
            payload = payload[1:]
        try:
            values = amf0.decode(payload)
        except amf0.AmfError as exc:
            raise RtmpProtocolError(f"bad command: {exc}") from None
        if len(values) < 2 or not isinstance(values[0], str):
            raise RtmpProtocolError("command without a name and transaction id")
        txn = values[1]
        if not isinstance(txn, float) or isinstance(txn, bool):
            raise RtmpProtocolError("command transaction id is not a number")
        command_object = values[2] if len(values) > 2 else None
        return cls(values[0], txn, command_object, tuple(values[3:]))

    def __bytes__(self) -> bytes:
        return amf0.encode(self.name, self.transaction_id, self.command_object, *self.arguments)

    def string_argument(self, index: int) -> str | None:
        value = self.arguments[index] if index < len(self.arguments) else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class DataMessage:
    """``@setDataFrame``/``onMetaData`` and friends."""

    values: tuple[amf0.AmfValue, ...]
    type_id = DATA_AMF0

    @classmethod
    def parse(cls, payload: bytes, type_id: int = DATA_AMF0) -> DataMessage:
        if type_id == DATA_AMF3:
            payload = payload[1:]
        try:
            return cls(tuple(amf0.decode(payload)))
        except amf0.AmfError as exc:
            raise RtmpProtocolError(f"bad data message: {exc}") from None

    def __bytes__(self) -> bytes:
        return amf0.encode(*self.values)

    @property
    def metadata(self) -> dict[str, amf0.AmfValue] | None:
        """The ``onMetaData`` object, with or without the ``@setDataFrame`` wrapper."""
        values = list(self.values)
        if values and values[0] == "@setDataFrame":
            values = values[1:]
        if len(values) >= 2 and values[0] == "onMetaData" and isinstance(values[1], dict):
            return values[1]
        return None
