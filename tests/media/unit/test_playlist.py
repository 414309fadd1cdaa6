from __future__ import annotations

from datetime import UTC, datetime

import m3u8
import pytest

from media.llhls.model import DateRange, DateRangeError, Part, PlaylistConfig, Segment
from media.llhls.playlist import (
    LiveView,
    RecordedSegment,
    format_date,
    render_daterange,
    render_live,
    render_vod,
    skipped_segment_count,
)

pytestmark = pytest.mark.unit

T0 = 1_700_000_000.0
CONFIG = PlaylistConfig(target_duration=2, part_target=0.3, window_segments=20)


def make_segments(
    count: int, *, first_msn: int = 0, open_parts: int = 2, reconnect_at: int | None = None
) -> list[Segment]:
    segments = []
    part_id = first_msn * 4
    now = T0
    for n in range(count + 1):
        msn = first_msn + n
        disc = reconnect_at is not None and msn == reconnect_at
        segment = Segment(
            msn=msn, init_id=1 if disc or (reconnect_at and msn > reconnect_at) else 0,
            discontinuity=disc, program_date_time=now,
        )
        parts = 4 if n < count else open_parts
        for i in range(parts):
            duration = 0.2 if i == 3 else 0.25
            segment.parts.append(
                Part(
                    part_id=part_id, msn=msn, index=i, duration=duration,
                    independent=i == 0, data=b"", program_date_time=now,
                    stream_time=now - T0, first_arrival=now, last_arrival=now,
                    published_at=now,
                )
            )
            part_id += 1
            now += duration
        segment.complete = n < count
        segments.append(segment)
    return segments


def view(segments: list[Segment], **kwargs: object) -> LiveView:
    last = segments[-1]
    params: dict[str, object] = {
        "config": CONFIG,
        "segments": segments,
        "discontinuity_sequence": 0,
        "next_part_id": last.parts[-1].part_id + 1,
        "dateranges": [],
        "ended": False,
        "end_time": last.program_date_time + last.duration,
    }
    params.update(kwargs)
    return LiveView(**params)  # type: ignore[arg-type]


def test_live_playlist_header_and_parts() -> None:
    text = render_live(view(make_segments(8)))
    lines = text.splitlines()
    assert lines[:6] == [
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,PART-HOLD-BACK=0.9",
        "#EXT-X-PART-INF:PART-TARGET=0.3",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    assert lines[-1] == '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p34.m4s"'
    playlist = m3u8.loads(text)
    assert playlist.version == 9
    assert playlist.server_control.can_block_reload == "YES"
    assert len(playlist.segments) == 9  # 8 complete + the open one (parts only)
    assert playlist.preload_hint.uri == "p34.m4s"
    complete = [s for s in playlist.segments if s.uri]
    assert all(s.program_date_time is not None for s in complete)
    # The open segment gets its PROGRAM-DATE-TIME too (the m3u8 package drops it: check text).
    tail = text.split("s7.m4s\n", 1)[1].splitlines()
    assert tail[0].startswith("#EXT-X-PROGRAM-DATE-TIME:")
    # Parts are listed for the last three target durations only (6 s here).
    with_parts = [s for s in complete if s.parts]
    assert 5 <= len(with_parts) < 8
    for segment in with_parts:
        assert sum(p.duration for p in segment.parts) == pytest.approx(segment.duration)
        assert segment.parts[0].independent == "YES"
        assert all(p.duration <= CONFIG.part_target for p in segment.parts)


def test_part_hold_back_is_three_part_targets() -> None:
    assert CONFIG.part_hold_back == pytest.approx(3 * CONFIG.part_target)
    assert CONFIG.advance_part_limit == 10


def test_discontinuity_and_new_map_after_a_reconnect() -> None:
    text = render_live(view(make_segments(5, reconnect_at=3)))
    lines = text.splitlines()
    index = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[index + 1] == '#EXT-X-MAP:URI="init1.mp4"'
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    playlist = m3u8.loads(text)
    assert [s.discontinuity for s in playlist.segments].count(True) == 1


def test_discontinuity_sequence_is_announced() -> None:
    text = render_live(view(make_segments(3, first_msn=40), discontinuity_sequence=2))
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:2" in text
    assert "#EXT-X-MEDIA-SEQUENCE:40" in text


def test_delta_update_skips_old_segments_only() -> None:
    segments = make_segments(20)
    full = view(segments)
    skipped = skipped_segment_count(full)
    # 20 segments of 0.95 s + 0.5 s open; those starting over 12 s before the end go.
    assert skipped == 8
    delta = render_live(full, skip=True)
    assert f"#EXT-X-SKIP:SKIPPED-SEGMENTS={skipped}" in delta
    assert "s7.m4s" not in delta
    assert "s8.m4s" in delta
    # The MAP is repeated so the delta update stands alone.
    assert '#EXT-X-MAP:URI="init0.mp4"' in delta
    assert skipped_segment_count(view(make_segments(5))) == 0


def test_ended_playlist_has_endlist_and_no_hint() -> None:
    text = render_live(view(make_segments(3), ended=True))
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    assert "PRELOAD-HINT" not in text


def test_program_date_time_format() -> None:
    assert format_date(T0 + 0.1234) == "2023-11-14T22:13:20.123Z"


def test_dateranges_in_live_and_vod() -> None:
    highlight = DateRange(
        id="highlight-7",
        class_name="com.showfloor.product",
        start_date=datetime.fromtimestamp(T0 + 1.5, UTC),
        duration=30.0,
        client_attributes=(("X-PRODUCT-ID", "42"), ("X-PRICE", 19.5)),
    )
    assert render_daterange(highlight) == (
        '#EXT-X-DATERANGE:ID="highlight-7",CLASS="com.showfloor.product",'
        'START-DATE="2023-11-14T22:13:21.500Z",DURATION=30,X-PRODUCT-ID="42",X-PRICE=19.5'
    )
    text = render_live(view(make_segments(3), dateranges=[highlight]))
    playlist = m3u8.loads(text)
    dateranges = [
        d
        for s in playlist.segments
        for d in [*(s.dateranges or []), *(d for p in s.parts for d in (p.dateranges or []))]
    ]
    assert [d.id for d in dateranges] == ["highlight-7"]
    vod = render_vod(
        [RecordedSegment(0, 0, False, T0, 1.0), RecordedSegment(1, 1, True, T0 + 5, 1.0)],
        [highlight],
        target_duration=2,
    )
    parsed = m3u8.loads(vod)
    assert parsed.playlist_type == "vod"
    assert parsed.is_endlist
    assert [s.uri for s in parsed.segments] == ["s0.m4s", "s1.m4s"]
    assert parsed.segments[1].discontinuity
    assert "#EXT-X-DATERANGE:ID=\"highlight-7\"" in vod


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": 'a"b'},
        {"id": ""},
        {"start_date": datetime(2024, 1, 1)},  # noqa: DTZ001 - naive on purpose
        {"client_attributes": (("PRODUCT", "1"),)},
        {"client_attributes": (("X-A", "line\nbreak"),)},
        {"duration": -1.0},
        {"end_date": datetime.fromtimestamp(T0 - 10, UTC)},
    ],
)
def test_daterange_validation(kwargs: dict[str, object]) -> None:
    params: dict[str, object] = {"id": "x", "start_date": datetime.fromtimestamp(T0, UTC)}
    params.update(kwargs)
    with pytest.raises(DateRangeError):
        DateRange(**params)  # type: ignore[arg-type]


def test_daterange_record_round_trip() -> None:
    highlight = DateRange(
        id="h", start_date=datetime.fromtimestamp(T0, UTC), duration=3.0,
        client_attributes=(("X-A", "1"), ("X-B", 2.5)),
    )
    assert DateRange.from_record(highlight.to_record()) == highlight
