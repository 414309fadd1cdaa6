"""Recordings on disk: the index lets a restarted process continue numbering."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import m3u8
import pytest

from media.llhls.model import DateRange
from media.llhls.playlist import RecordedSegment
from media.llhls.recorder import Recorder, is_media_name

pytestmark = pytest.mark.integration


async def test_segments_index_and_vod(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, 7)
    recorder.write_init(0, b"init-0")
    recorder.write_segment(
        RecordedSegment(0, 0, False, 1_700_000_000.0, 1.0), b"seg-0", last_part_id=3, disc_seq=0
    )
    recorder.write_init(1, b"init-1")
    recorder.write_segment(
        RecordedSegment(1, 1, True, 1_700_000_010.0, 0.8), b"seg-1", last_part_id=6, disc_seq=1
    )
    recorder.write_daterange(
        DateRange(id="h", start_date=datetime.fromtimestamp(1_700_000_000.5, UTC))
    )
    await recorder.flush()

    state = Recorder(tmp_path, 7).load_state()
    assert (state.next_msn, state.next_part_id, state.next_init_id) == (2, 7, 2)
    assert state.discontinuity_sequence == 1
    assert [d.id for d in state.dateranges] == ["h"]
    assert not state.ended
    assert recorder.read_media("s1.m4s") == b"seg-1"
    assert recorder.read_media("init0.mp4") == b"init-0"
    assert recorder.read_media("../../etc/passwd") is None
    assert recorder.read_vod() is None

    await recorder.finalize(target_duration=2)
    vod = m3u8.loads((recorder.read_vod() or b"").decode())
    assert vod.is_endlist
    assert [s.uri for s in vod.segments] == ["s0.m4s", "s1.m4s"]
    assert vod.segments[1].discontinuity
    assert Recorder(tmp_path, 7).load_state().ended


def test_media_names() -> None:
    assert is_media_name("s12.m4s")
    assert is_media_name("init3.mp4")
    for bad in ("s.m4s", "p1.m4s", "../s1.m4s", "s1.m4s/", "vod.m3u8", "recording.jsonl"):
        assert not is_media_name(bad)


async def test_unfinished_recordings_are_found(tmp_path: Path) -> None:
    from media.llhls.recorder import unfinished_recordings

    assert unfinished_recordings(tmp_path) == set()
    open_one = Recorder(tmp_path, 3)
    open_one.write_init(0, b"i")
    finished = Recorder(tmp_path, 4)
    finished.write_init(0, b"i")
    await open_one.flush()
    await finished.finalize(target_duration=2)
    assert unfinished_recordings(tmp_path) == {3}
