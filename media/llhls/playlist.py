"""Rendering of LL-HLS media playlists (RFC 8216bis), live and VOD. Pure functions.

Section numbers below refer to draft-pantos-hls-rfc8216bis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from media.llhls.model import DateRange, PlaylistConfig, Segment, init_uri, part_uri

# 4.4.3.8 and 4.4.5.2: EXT-X-SKIP and the delivery directives need protocol version 9.
PROTOCOL_VERSION = 9


def format_date(timestamp: float) -> str:
    """ISO 8601 with milliseconds and a zone, as 4.4.4.6 requires for PROGRAM-DATE-TIME."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _decimal(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".") if value else "0"


def render_daterange(daterange: DateRange) -> str:
    # 4.4.5.1: ID and START-DATE are required; X- attributes carry application data.
    attrs = [f'ID="{daterange.id}"']
    if daterange.class_name is not None:
        attrs.append(f'CLASS="{daterange.class_name}"')
    attrs.append(f'START-DATE="{format_date(daterange.start_timestamp)}"')
    if daterange.end_date is not None:
        attrs.append(f'END-DATE="{format_date(daterange.end_date.timestamp())}"')
    if daterange.duration is not None:
        attrs.append(f"DURATION={_decimal(daterange.duration)}")
    if daterange.end_on_next:
        attrs.append("END-ON-NEXT=YES")
    for name, value in daterange.client_attributes:
        attrs.append(f'{name}="{value}"' if isinstance(value, str) else f"{name}={value!r}")
    return "#EXT-X-DATERANGE:" + ",".join(attrs)


@dataclass(frozen=True, slots=True)
class LiveView:
    """Everything a live playlist shows; ``segments`` ends with the open segment, if any."""

    config: PlaylistConfig
    segments: Sequence[Segment]
    discontinuity_sequence: int
    next_part_id: int
    dateranges: Sequence[DateRange]
    ended: bool
    # The end of the playlist on the wall clock of the PDTs, for the EXT-X-PART window.
    end_time: float


def skipped_segment_count(view: LiveView) -> int:
    """6.2.5.1: segments that start more than CAN-SKIP-UNTIL before the end may be skipped."""
    boundary = view.config.can_skip_until
    total = sum(s.duration for s in view.segments)
    skipped = 0
    elapsed = 0.0
    for segment in view.segments:
        if not segment.complete or total - elapsed <= boundary:
            break
        skipped += 1
        elapsed += segment.duration
    return skipped


def render_live(view: LiveView, *, skip: bool = False) -> str:
    config = view.config
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{PROTOCOL_VERSION}",
        # 4.4.3.1: every EXTINF rounded to an integer is at most this; segments are cut by then.
        f"#EXT-X-TARGETDURATION:{config.target_duration}",
        # 4.4.3.8: blocking reload and delta updates are offered; players hold back
        # PART-HOLD-BACK from the live edge.
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
        f"CAN-SKIP-UNTIL={_decimal(config.can_skip_until)},"
        f"PART-HOLD-BACK={_decimal(config.part_hold_back)}",
        # 4.4.3.7: every EXT-X-PART DURATION is at most PART-TARGET.
        f"#EXT-X-PART-INF:PART-TARGET={_decimal(config.part_target)}",
    ]
    segments = list(view.segments)
    first_msn = segments[0].msn if segments else 0
    # 4.4.3.2: the media sequence number of the first segment in the playlist.
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first_msn}")
    if view.discontinuity_sequence:
        # 4.4.3.3: discontinuities that slid out of the window are counted here.
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{view.discontinuity_sequence}")
    # 4.4.5.1: all date ranges still relevant to the window; with _HLS_skip=YES they are kept
    # too (only _HLS_skip=v2 lets a server omit them).
    lines.extend(render_daterange(d) for d in view.dateranges)
    skipped = skipped_segment_count(view) if skip else 0
    if skipped:
        # 4.4.5.2: EXT-X-SKIP stands in for the oldest segments the client already has.
        lines.append(f"#EXT-X-SKIP:SKIPPED-SEGMENTS={skipped}")
    parts_from = view.end_time - config.parts_window
    current_init: int | None = None
    for position, segment in enumerate(segments):
        if position < skipped:
            continue
        if segment.discontinuity and position > 0:
            # 4.4.4.3: the publisher reconnected; timestamps and codec parameters may change.
            lines.append("#EXT-X-DISCONTINUITY")
        if segment.init_id != current_init:
            # 4.4.4.5: EXT-X-MAP applies to every following segment until the next one. It is
            # repeated after EXT-X-SKIP so a delta update is self-contained.
            lines.append(f'#EXT-X-MAP:URI="{init_uri(segment.init_id)}"')
            current_init = segment.init_id
        # 4.4.4.6: a PROGRAM-DATE-TIME on every segment, not only the first.
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_date(segment.program_date_time)}")
        segment_end = segment.program_date_time + segment.duration
        if not segment.complete or segment_end >= parts_from:
            for part in segment.parts:
                # 4.4.4.9: INDEPENDENT=YES when the part starts with a sync sample.
                attrs = f'DURATION={_decimal(part.duration)},URI="{part.uri}"'
                if part.independent:
                    attrs += ",INDEPENDENT=YES"
                lines.append(f"#EXT-X-PART:{attrs}")
        if segment.complete:
            # 4.4.4.1: a segment's duration is the sum of its parts'.
            lines.append(f"#EXTINF:{_decimal(segment.duration)},")
            lines.append(segment.uri)
    if view.ended:
        # 4.4.3.4: no more segments will be added.
        lines.append("#EXT-X-ENDLIST")
    else:
        # 4.4.5.3: the next part's URI, so players request it before it exists.
        lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{part_uri(view.next_part_id)}"')
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class RecordedSegment:
    msn: int
    init_id: int
    discontinuity: bool
    program_date_time: float
    duration: float


def render_vod(
    segments: Sequence[RecordedSegment],
    dateranges: Sequence[DateRange],
    *,
    target_duration: int,
) -> str:
    longest = max((round(s.duration) for s in segments), default=0)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{PROTOCOL_VERSION}",
        f"#EXT-X-TARGETDURATION:{max(target_duration, longest)}",
        # 4.4.3.5: a VOD playlist never changes.
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-MEDIA-SEQUENCE:{segments[0].msn if segments else 0}",
    ]
    lines.extend(render_daterange(d) for d in dateranges)
    current_init: int | None = None
    for position, segment in enumerate(segments):
        if segment.discontinuity and position > 0:
            lines.append("#EXT-X-DISCONTINUITY")
        if segment.init_id != current_init:
            lines.append(f'#EXT-X-MAP:URI="{init_uri(segment.init_id)}"')
            current_init = segment.init_id
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_date(segment.program_date_time)}")
        lines.append(f"#EXTINF:{_decimal(segment.duration)},")
        lines.append(f"s{segment.msn}.m4s")
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
