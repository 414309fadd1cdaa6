"""Checks of RFC 8216bis rules on a live LL-HLS playlist, shared by the media tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import av
import m3u8

TOLERANCE = 0.0011  # durations are written with up to 5 decimals, computed from media timescales


@dataclass
class CheckedPlaylist:
    playlist: Any
    text: str
    part_target: float
    target_duration: int
    media_sequence: int
    # msn -> (uri, program-date-time, duration) of complete segments
    segments: dict[int, tuple[str, datetime, float]]
    # part uri -> (duration, independent)
    parts: dict[str, tuple[float, bool]]
    last_msn: int
    last_part_index: int | None
    preload_hint: str | None
    ended: bool


def _attrs(line: str) -> dict[str, str]:
    body = line.split(":", 1)[1]
    out: dict[str, str] = {}
    for item in body.split(","):
        if "=" in item:
            key, value = item.split("=", 1)
            out[key] = value.strip('"')
    return out


def check_live_playlist(text: str) -> CheckedPlaylist:
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    playlist = m3u8.loads(text)
    version = int(next(ln for ln in lines if ln.startswith("#EXT-X-VERSION:")).split(":")[1])
    assert version >= 9
    target = playlist.target_duration
    assert target is not None
    assert target >= 1
    part_inf = _attrs(next(ln for ln in lines if ln.startswith("#EXT-X-PART-INF:")))
    part_target = float(part_inf["PART-TARGET"])
    control = _attrs(next(ln for ln in lines if ln.startswith("#EXT-X-SERVER-CONTROL:")))
    assert control["CAN-BLOCK-RELOAD"] == "YES"
    assert float(control["PART-HOLD-BACK"]) >= 3 * part_target - 1e-9
    assert float(control["CAN-SKIP-UNTIL"]) >= 6 * target
    ended = playlist.is_endlist

    segments: dict[int, tuple[str, datetime, float]] = {}
    parts: dict[str, tuple[float, bool]] = {}
    msn = playlist.media_sequence
    last_msn = msn
    last_part_index: int | None = None
    previous_end: datetime | None = None
    pdt_count = sum(1 for ln in lines if ln.startswith("#EXT-X-PROGRAM-DATE-TIME:"))
    for segment in playlist.segments:
        for part in segment.parts:
            assert part.duration <= part_target + TOLERANCE, (part.uri, part.duration)
            parts[part.uri] = (part.duration, part.independent == "YES")
        if segment.uri is None:
            # The open segment: parts only.
            last_msn = msn
            last_part_index = len(segment.parts) - 1 if segment.parts else None
            continue
        assert round(segment.duration) <= target
        if segment.parts:
            assert abs(sum(p.duration for p in segment.parts) - segment.duration) <= TOLERANCE
        pdt = segment.program_date_time
        assert pdt is not None, f"segment {msn} without PROGRAM-DATE-TIME"
        if previous_end is not None:
            assert pdt > previous_end - timedelta(seconds=0.06), "PDT went backwards"
            if not segment.discontinuity:
                drift = abs((pdt - previous_end).total_seconds())
                assert drift < 0.06, f"PDT of segment {msn} is {drift:.3f}s off its predecessor"
        previous_end = pdt + timedelta(seconds=segment.duration)
        segments[msn] = (segment.uri, pdt, segment.duration)
        last_msn = msn
        last_part_index = len(segment.parts) - 1 if segment.parts else None
        msn += 1
    # Every segment, the open one included, carries a PROGRAM-DATE-TIME.
    open_segments = 1 if any(s.uri is None for s in playlist.segments) else 0
    assert pdt_count == len(segments) + open_segments
    hint = playlist.preload_hint.uri if playlist.preload_hint is not None else None
    if not ended:
        assert hint is not None
    return CheckedPlaylist(
        playlist=playlist,
        text=text,
        part_target=part_target,
        target_duration=int(target),
        media_sequence=playlist.media_sequence,
        segments=segments,
        parts=parts,
        last_msn=last_msn,
        last_part_index=last_part_index,
        preload_hint=hint,
        ended=ended,
    )


def assert_consistent(earlier: CheckedPlaylist, later: CheckedPlaylist) -> None:
    """Segments and parts never change between reloads; the media sequence only moves on."""
    assert later.media_sequence >= earlier.media_sequence
    for msn, entry in earlier.segments.items():
        if msn in later.segments:
            assert later.segments[msn] == entry, f"segment {msn} changed between reloads"
    for uri, entry in earlier.parts.items():
        if uri in later.parts:
            assert later.parts[uri] == entry, f"part {uri} changed between reloads"


@dataclass
class Decoded:
    video_frames: int
    audio_frames: int
    video_pts: list[float]
    first_is_keyframe: bool


def decode(data: bytes) -> Decoded:
    """Decode an init segment followed by parts/segments with PyAV."""
    video_frames = audio_frames = 0
    video_pts: list[float] = []
    first_key: bool | None = None
    with av.open(io.BytesIO(data), format="mp4") as container:
        for packet in container.demux():
            if packet.size == 0:
                continue
            if packet.stream.type == "video" and first_key is None:
                first_key = bool(packet.is_keyframe)
            for frame in packet.decode():
                if packet.stream.type == "video":
                    video_frames += 1
                    if frame.time is not None:
                        video_pts.append(float(frame.time))
                elif packet.stream.type == "audio":
                    audio_frames += 1
    return Decoded(video_frames, audio_frames, video_pts, bool(first_key))
