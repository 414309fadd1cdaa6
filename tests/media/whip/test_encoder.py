"""The re-encoder: H.264 with keyframes on schedule and AAC, from decoded frames."""

from __future__ import annotations

import threading
from fractions import Fraction

import av
import pytest

from media.units import MediaUnit, StreamFormat, TrackKind
from media.whip.encoder import EncoderSettings, KeyframeSchedule, ReEncoder
from tests.media.whip.publisher import frame_number

pytestmark = pytest.mark.unit


def test_keyframe_schedule_counts_ticks() -> None:
    schedule = KeyframeSchedule(1.0, Fraction(1, 90_000))
    due = [pts for pts in range(0, 3 * 90_000 + 1, 3000) if schedule.due(pts)]
    # Never a hair under the interval: the frame after the one-second mark.
    assert due == [0, 93_000, 186_000]


def _video(number: int, width: int = 320, height: int = 240) -> av.VideoFrame:
    from tests.media.whip.publisher import _band_row

    frame = av.VideoFrame(width, height, "yuv420p")
    band = int(height * 0.16)
    luma = _band_row(number, width) * band + bytes([90]) * (width * (height - band))
    frame.planes[0].update(luma)
    for plane in frame.planes[1:]:
        plane.update(bytes([128]) * plane.buffer_size)
    return frame


def _audio(samples: int = 960) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
    frame.sample_rate = 48_000
    frame.planes[0].update(bytes(frame.planes[0].buffer_size))
    return frame


def test_encodes_scaled_h264_and_aac_off_the_calling_thread() -> None:
    formats: list[StreamFormat] = []
    units: list[MediaUnit] = []
    threads: set[str] = set()
    closed = threading.Event()
    errors: list[str | None] = []

    def on_unit(unit: MediaUnit) -> None:
        threads.add(threading.current_thread().name)
        units.append(unit)

    def on_closed(error: str | None) -> None:
        errors.append(error)
        closed.set()

    encoder = ReEncoder(
        EncoderSettings(width=640, height=360, preset="ultrafast", threads=1,
                        keyframe_interval=1.0, max_video_backlog=100),
        on_format=formats.append,
        on_unit=on_unit,
        on_closed=on_closed,
        name="test-encoder",
    )  # fmt: skip
    for i in range(75):  # 2.5 s at 30 fps, audio alongside
        encoder.push_video(_video(i), i / 30, 1000.0 + i / 30)
        if i % 3 == 0:
            for j in range(2):
                encoder.push_audio(_audio(), (i / 30) + j * 0.02, 1000.0 + i / 30)
    encoder.close()
    assert closed.wait(10)
    assert errors == [None]
    assert threads == {"test-encoder"}
    (fmt,) = formats
    video, audio = fmt.tracks
    assert (video.kind, video.codec, video.width, video.height) == (TrackKind.VIDEO, "h264",
                                                                    640, 360)  # fmt: skip
    assert (audio.kind, audio.codec, audio.sample_rate) == (TrackKind.AUDIO, "aac", 48_000)
    assert video.template.codec_context.extradata  # SPS/PPS for the packager's init segment

    video_units = [u for u in units if u.kind is TrackKind.VIDEO]
    audio_units = [u for u in units if u.kind is TrackKind.AUDIO]
    assert len(video_units) == 75
    keyframes = [u.pts_seconds for u in video_units if u.keyframe]
    assert keyframes == pytest.approx([0, 31 / 30, 62 / 30])
    assert [u.dts for u in video_units] == sorted(u.dts for u in video_units)
    assert video_units[10].wall_clock == pytest.approx(1000.0 + 10 / 30)
    assert audio_units
    assert all(u.pts >= 0 for u in audio_units)
    assert [u.pts for u in audio_units] == sorted(u.pts for u in audio_units)

    # The packets decode to the right pictures, scaled to the session's size.
    decoder = av.CodecContext.create("h264", "r")
    decoder.extradata = video.template.codec_context.extradata
    numbers = []
    for unit in video_units:
        for frame in decoder.decode(unit.packet):
            assert (frame.width, frame.height) == (640, 360)
            numbers.append(frame_number(frame))
    assert numbers[:5] == [0, 1, 2, 3, 4]


def test_drops_video_when_behind_and_late_frames() -> None:
    dropped: list[tuple[str, str]] = []
    done = threading.Event()
    encoder = ReEncoder(
        EncoderSettings(width=320, height=240, audio=False, preset="ultrafast", threads=1,
                        max_video_backlog=2),
        on_format=lambda fmt: None,
        on_unit=lambda unit: None,
        on_closed=lambda error: done.set(),
        on_dropped=lambda kind, reason: dropped.append((kind, reason)),
    )  # fmt: skip
    accepted = sum(encoder.push_video(_video(i), i / 30, 0.0) for i in range(50))
    encoder.push_video(_video(0), 0.0, 0.0)  # earlier than what was encoded
    encoder.close()
    assert done.wait(10)
    assert accepted < 50
    assert ("video", "encoder_behind") in dropped
