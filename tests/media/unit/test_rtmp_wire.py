"""RTMP wire formats against bytes captured from Debian's ffmpeg publishing ``-f flv``.

The capture (``fixtures/ffmpeg_publish.bin``) is everything ffmpeg 5.1 sent to the listener for
``rtmp://127.0.0.1:PORT/live/k3y``: C0, C1, C2, then the chunk stream.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from media.rtmp import amf0
from media.rtmp.chunks import (
    HANDSHAKE_SIZE,
    ChunkDecoder,
    ChunkHeader,
    HandshakePacket,
    RtmpProtocolError,
    encode_message,
)
from media.rtmp.flv import (
    TAG_VIDEO,
    AudioTagInfo,
    FlvHeader,
    FlvTag,
    VideoTagInfo,
)
from media.rtmp.messages import (
    AUDIO,
    COMMAND_AMF0,
    DATA_AMF0,
    SET_CHUNK_SIZE,
    VIDEO,
    Acknowledgement,
    Command,
    DataMessage,
    SetChunkSize,
    SetPeerBandwidth,
    UserControl,
    WindowAckSize,
)
from media.rtmp.server import app_from_connect, stream_key_from_publish_name

pytestmark = pytest.mark.unit

CAPTURE = (Path(__file__).parent / "fixtures" / "ffmpeg_publish.bin").read_bytes()
AFTER_HANDSHAKE = CAPTURE[1 + 2 * HANDSHAKE_SIZE :]


def test_capture_starts_with_an_rtmp_handshake() -> None:
    assert CAPTURE[0] == 3
    c1 = HandshakePacket.parse(CAPTURE[1 : 1 + HANDSHAKE_SIZE])
    assert bytes(c1) == CAPTURE[1 : 1 + HANDSHAKE_SIZE]


def test_handshake_packet_round_trip_and_size_check() -> None:
    packet = HandshakePacket(time=7, time2=0, random=bytes(range(256)) * 5 + bytes(248))
    raw = bytes(packet)
    assert len(raw) == HANDSHAKE_SIZE
    assert HandshakePacket.parse(raw) == packet
    with pytest.raises(RtmpProtocolError):
        HandshakePacket.parse(raw[:-1])


def _messages() -> list:
    return ChunkDecoder().feed(AFTER_HANDSHAKE)


def test_decoder_reads_ffmpeg_publish_commands() -> None:
    commands = [Command.parse(m.payload) for m in _messages() if m.type_id == COMMAND_AMF0]
    names = [c.name for c in commands]
    assert names[:5] == ["connect", "releaseStream", "FCPublish", "createStream", "publish"]
    connect = commands[0]
    assert connect.transaction_id == 1.0
    assert app_from_connect(connect.command_object) == "live"
    assert isinstance(connect.command_object, dict)
    assert str(connect.command_object["tcUrl"]).endswith("/live")
    publish = commands[4]
    assert publish.string_argument(0) == "k3y"
    assert publish.string_argument(1) == "live"
    assert names[-2:] == ["FCUnpublish", "deleteStream"]


def test_decoder_applies_set_chunk_size_and_reads_media() -> None:
    decoder = ChunkDecoder()
    messages = decoder.feed(AFTER_HANDSHAKE)
    assert decoder.chunk_size == 4096
    assert messages[1].type_id == SET_CHUNK_SIZE
    assert SetChunkSize.parse(messages[1].payload).size == 4096
    data = [m for m in messages if m.type_id == DATA_AMF0]
    metadata = DataMessage.parse(data[0].payload).metadata
    assert metadata is not None
    assert metadata["videocodecid"] == 7.0
    assert metadata["audiocodecid"] == 10.0
    video = [m for m in messages if m.type_id == VIDEO]
    audio = [m for m in messages if m.type_id == AUDIO]
    first_video = VideoTagInfo.parse(video[0].payload)
    assert first_video.is_avc
    assert first_video.is_sequence_header
    assert first_video.is_keyframe
    assert VideoTagInfo.parse(video[1].payload).is_keyframe
    assert not VideoTagInfo.parse(video[2].payload).is_keyframe
    assert AudioTagInfo.parse(audio[0].payload).is_sequence_header
    assert AudioTagInfo.parse(audio[1].payload).is_aac
    # Timestamps are absolute milliseconds and never go backwards per track.
    video_ts = [m.timestamp for m in video]
    assert video_ts == sorted(video_ts)
    assert video_ts[-1] > 0


def test_decoder_is_incremental() -> None:
    whole = _messages()
    decoder = ChunkDecoder()
    pieces = []
    for i in range(0, len(AFTER_HANDSHAKE), 7):
        pieces.extend(decoder.feed(AFTER_HANDSHAKE[i : i + 7]))
    assert pieces == whole


@pytest.mark.parametrize(
    "header",
    [
        ChunkHeader(0, 3, 1000, 120, 20, 1),
        ChunkHeader(1, 4, 33, 500, 9),
        ChunkHeader(2, 6, 21),
        ChunkHeader(3, 6),
        ChunkHeader(0, 100, 5, 1, 8, 0),
        ChunkHeader(0, 1000, 5, 1, 8, 0),
        ChunkHeader(0, 5, 0x01000000, 10, 9, 1, extended=True),
    ],
)
def test_chunk_header_round_trip(header: ChunkHeader) -> None:
    raw = bytes(header)
    parsed = ChunkHeader.parse(raw, 0, fmt3_extended=False)
    assert parsed is not None
    assert parsed == (header, len(raw))
    assert ChunkHeader.parse(raw[:-1], 0, fmt3_extended=False) is None


def test_extended_timestamps_and_continuations() -> None:
    payload = bytes(range(256)) * 3
    ts = 0x01234567
    raw = encode_message(6, VIDEO, payload, stream_id=1, timestamp=ts, chunk_size=128)
    messages = ChunkDecoder().feed(raw)
    assert len(messages) == 1
    assert messages[0].timestamp == ts
    assert messages[0].payload == payload


def test_format_3_new_message_repeats_the_delta() -> None:
    first = encode_message(4, AUDIO, b"\xaf\x01aa", stream_id=1, timestamp=100)
    delta = bytes(ChunkHeader(2, 4, 21)) + b"\xaf\x01bb"
    again = bytes(ChunkHeader(3, 4)) + b"\xaf\x01cc"
    messages = ChunkDecoder().feed(first + delta + again)
    assert [m.timestamp for m in messages] == [100, 121, 142]


def test_decoder_rejects_a_stream_starting_with_format_3() -> None:
    with pytest.raises(RtmpProtocolError):
        ChunkDecoder().feed(bytes(ChunkHeader(3, 9)) + b"x" * 10)


def test_decoder_rejects_oversized_messages() -> None:
    decoder = ChunkDecoder(max_message_size=1000)
    with pytest.raises(RtmpProtocolError):
        decoder.feed(bytes(ChunkHeader(0, 4, 0, 5000, 9, 1)))


def test_control_messages_round_trip() -> None:
    for message in (
        SetChunkSize(4096),
        Acknowledgement(123456),
        WindowAckSize(2_500_000),
        SetPeerBandwidth(2_500_000, 2),
        UserControl(0, 1),
    ):
        assert type(message).parse(bytes(message)) == message


def test_command_round_trip_and_amf3_wrapper() -> None:
    command = Command("_result", 4.0, None, (1.0,))
    assert Command.parse(bytes(command)) == command
    assert Command.parse(b"\x00" + bytes(command), type_id=17) == command
    with pytest.raises(RtmpProtocolError):
        Command.parse(b"\x02\x00\x03abc")  # a name without a transaction id


def test_amf0_round_trip_of_every_type() -> None:
    values: list[amf0.AmfValue] = [
        1.5,
        True,
        "héllo",
        None,
        amf0.UNDEFINED_VALUE,
        {"a": 1.0, "b": {"c": "d"}},
        amf0.EcmaArray({"width": 320.0}),
        [1.0, "x"],
        amf0.AmfDate(1.0e12, 0),
        "x" * 70000,
    ]
    decoded = amf0.decode(amf0.encode(*values))
    assert decoded == values
    assert isinstance(decoded[6], amf0.EcmaArray)


@pytest.mark.parametrize(
    "raw",
    [b"\x02\x00\x05ab", b"\x03\x00\x01a\x00", b"\x11\x00", b"\x0a\xff\xff\xff\xff"],
)
def test_amf0_rejects_garbage(raw: bytes) -> None:
    with pytest.raises(amf0.AmfError):
        amf0.decode(raw)


def test_flv_framing_round_trip() -> None:
    header = FlvHeader(has_audio=True, has_video=False)
    assert FlvHeader.parse(bytes(header)) == header
    tag = FlvTag(TAG_VIDEO, 0x12345678, b"\x17\x01\x00\x00\x00data")
    raw = bytes(tag)
    assert raw[-4:] == (11 + len(tag.data)).to_bytes(4, "big")
    assert FlvTag.parse(raw) == tag


def test_video_tag_info_reads_composition_time_and_enhanced_rtmp() -> None:
    info = VideoTagInfo.parse(b"\x27\x01\xff\xff\xfe")
    assert info.is_avc
    assert not info.is_keyframe
    assert info.composition_time == -2
    hevc = VideoTagInfo.parse(b"\x90hvc1")  # ExVideoTagHeader: not AVC
    assert hevc.extended
    assert not hevc.is_avc
    assert not AudioTagInfo.parse(b"\x2f").is_aac  # MP3


def test_stream_key_and_app_normalisation() -> None:
    assert stream_key_from_publish_name("abc?token=1") == "abc"
    assert stream_key_from_publish_name(" abc ") == "abc"
    assert app_from_connect({"app": "live/"}) == "live"
    assert app_from_connect({"app": "live?x=1"}) == "live"
    assert app_from_connect({"app": 3.0}) is None
    assert app_from_connect(None) is None
