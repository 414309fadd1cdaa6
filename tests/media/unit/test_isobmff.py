"""ISO BMFF readers against an init segment and a part the packager produced (PyAV's muxer)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from media.llhls.isobmff import (
    BoxError,
    BoxStreamSplitter,
    FragmentInfo,
    InitInfo,
    iter_boxes,
)

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"
INIT = (FIXTURES / "init.mp4").read_bytes()
PART = (FIXTURES / "part.m4s").read_bytes()


def _box(box_type: str, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), box_type.encode()) + body


def test_init_segment_tracks() -> None:
    assert [b.type for b in iter_boxes(INIT)] == ["ftyp", "moov"]
    info = InitInfo.parse(INIT)
    handlers = {t.handler for t in info.tracks.values()}
    assert handlers == {"vide", "soun"}
    assert sorted(info.tracks) == [1, 2]
    assert all(t.timescale > 0 for t in info.tracks.values())


def test_fragment_runs() -> None:
    assert [b.type for b in iter_boxes(PART)] == ["moof", "mdat"]
    init = InitInfo.parse(INIT)
    info = FragmentInfo.parse(PART, init)
    video = info.runs[1]
    audio = info.runs[2]
    # 10 fps video in a 0.2 s part: two frames starting with the keyframe.
    assert video.sample_count == 2
    assert video.first_sample_sync
    assert video.duration / init.tracks[1].timescale == pytest.approx(0.2, abs=0.002)
    assert audio.sample_count >= 1
    assert audio.duration > 0


def test_splitter_groups_init_and_fragments_across_arbitrary_writes() -> None:
    stream = INIT + PART + _box("mfra", b"\x00" * 8) + PART
    splitter = BoxStreamSplitter()
    pieces = []
    for i in range(0, len(stream), 100):
        pieces.extend(splitter.feed(stream[i : i + 100]))
    assert pieces == [("init", INIT), ("fragment", PART), ("fragment", PART)]


def test_splitter_keeps_boxes_before_moof_with_the_fragment() -> None:
    styp = _box("styp", b"msdh\x00\x00\x00\x00")
    pieces = BoxStreamSplitter().feed(styp + PART)
    assert pieces == [("fragment", styp + PART)]


def test_malformed_boxes_are_refused() -> None:
    with pytest.raises(BoxError):
        iter_boxes(struct.pack(">I4s", 4, b"moof"))
    with pytest.raises(BoxError):
        iter_boxes(_box("free", b"") + struct.pack(">I4s", 100, b"mdat"))
    with pytest.raises(BoxError):
        InitInfo.parse(_box("ftyp", b"isom"))
    with pytest.raises(BoxError):
        FragmentInfo.parse(_box("mdat", b""), InitInfo.parse(INIT))
