"""FLV framing (Adobe FLV specification 10.1, annex E): RTMP audio/video messages are FLV tag
bodies, so the listener rebuilds an FLV byte stream for the PyAV demuxer."""

from __future__ import annotations

import struct
from dataclasses import dataclass

TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18

VIDEO_CODEC_AVC = 7
AUDIO_FORMAT_AAC = 10
FRAME_TYPE_KEY = 1
AVC_SEQUENCE_HEADER = 0
AVC_NALU = 1
AAC_SEQUENCE_HEADER = 0
# Enhanced RTMP sets the top bit of the first video byte (ExVideoTagHeader): HEVC, AV1, VP9.
VIDEO_EX_HEADER = 0x80


class FlvError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class FlvHeader:
    has_audio: bool
    has_video: bool

    @classmethod
    def parse(cls, data: bytes) -> FlvHeader:
        if len(data) < 13 or data[:3] != b"FLV":
            raise FlvError("not an FLV header")
        flags = data[4]
        return cls(has_audio=bool(flags & 0x04), has_video=bool(flags & 0x01))

    def __bytes__(self) -> bytes:
        flags = (0x04 if self.has_audio else 0) | (0x01 if self.has_video else 0)
        # Signature, version 1, flags, header size 9, then PreviousTagSize0 = 0.
        return b"FLV\x01" + bytes([flags]) + struct.pack(">II", 9, 0)


@dataclass(frozen=True, slots=True)
class FlvTag:
    tag_type: int
    timestamp: int
    data: bytes

    @classmethod
    def parse(cls, data: bytes) -> FlvTag:
        """A tag followed by its PreviousTagSize field."""
        if len(data) < 15:
            raise FlvError("short FLV tag")
        tag_type = data[0] & 0x1F
        size = int.from_bytes(data[1:4], "big")
        timestamp = int.from_bytes(data[4:7], "big") | (data[7] << 24)
        body = bytes(data[11 : 11 + size])
        if len(body) != size:
            raise FlvError("truncated FLV tag")
        return cls(tag_type, timestamp, body)

    def __bytes__(self) -> bytes:
        size = len(self.data)
        if size > 0xFFFFFF:
            raise FlvError("FLV tag body larger than 16 MiB")
        ts = self.timestamp & 0xFFFFFFFF
        header = (
            bytes([self.tag_type])
            + size.to_bytes(3, "big")
            + (ts & 0xFFFFFF).to_bytes(3, "big")
            + bytes([ts >> 24])
            + b"\x00\x00\x00"
        )
        return header + self.data + struct.pack(">I", 11 + size)


@dataclass(frozen=True, slots=True)
class VideoTagInfo:
    frame_type: int
    codec_id: int
    extended: bool
    avc_packet_type: int | None
    composition_time: int

    @classmethod
    def parse(cls, data: bytes) -> VideoTagInfo:
        if not data:
            raise FlvError("empty video tag")
        first = data[0]
        extended = bool(first & VIDEO_EX_HEADER)
        frame_type = (first >> 4) & (0x07 if extended else 0x0F)
        codec_id = first & 0x0F
        packet_type: int | None = None
        cts = 0
        if not extended and codec_id == VIDEO_CODEC_AVC:
            if len(data) < 5:
                raise FlvError("short AVC video tag")
            packet_type = data[1]
            cts = int.from_bytes(data[2:5], "big", signed=True)
        return cls(frame_type, codec_id, extended, packet_type, cts)

    @property
    def is_avc(self) -> bool:
        return not self.extended and self.codec_id == VIDEO_CODEC_AVC

    @property
    def is_keyframe(self) -> bool:
        return self.frame_type == FRAME_TYPE_KEY

    @property
    def is_sequence_header(self) -> bool:
        return self.avc_packet_type == AVC_SEQUENCE_HEADER


@dataclass(frozen=True, slots=True)
class AudioTagInfo:
    sound_format: int
    aac_packet_type: int | None

    @classmethod
    def parse(cls, data: bytes) -> AudioTagInfo:
        if not data:
            raise FlvError("empty audio tag")
        sound_format = data[0] >> 4
        packet_type = None
        if sound_format == AUDIO_FORMAT_AAC:
            if len(data) < 2:
                raise FlvError("short AAC audio tag")
            packet_type = data[1]
        return cls(sound_format, packet_type)

    @property
    def is_aac(self) -> bool:
        return self.sound_format == AUDIO_FORMAT_AAC

    @property
    def is_sequence_header(self) -> bool:
        return self.aac_packet_type == AAC_SEQUENCE_HEADER
