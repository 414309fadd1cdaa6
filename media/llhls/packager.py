"""The live LL-HLS packager of one show: a hub sink that turns units into parts and segments.

Runs on the event loop; the muxing itself happens in a :class:`~media.llhls.muxer.FragmentMuxer`
thread whose callbacks are handed back to the loop. Section numbers cite
draft-pantos-hls-rfc8216bis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from media.llhls.blocking import PlaylistPosition, PlaylistRequest, is_satisfied
from media.llhls.model import Part, PlaylistConfig, Segment
from media.llhls.muxer import MAX_BACKLOG, FragmentMuxer, MuxedFragment
from media.llhls.playlist import LiveView, RecordedSegment, render_live
from media.llhls.segmenter import fragment_duration, starts_new_segment
from media.llhls.timeline import StreamClock, StreamInstant
from media.units import TrackKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from media.hub import PublishSession
    from media.llhls.model import DateRange
    from media.llhls.recorder import Recorder
    from media.units import MediaUnit

logger = logging.getLogger("showfloor.media.packager")


class PackagerEvents(Protocol):
    def part_published(self, show_id: int, part: Part) -> None: ...


@dataclass(frozen=True, slots=True)
class PackagerSettings:
    config: PlaylistConfig
    min_segment: float


class _Session:
    """One publisher session as the packager sees it."""

    def __init__(self, session: PublishSession, video_track: int | None) -> None:
        self.session = session
        self.video_track = video_track
        self.muxer: FragmentMuxer | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.started = False  # the first keyframe has been seen
        self.anchor: float | None = None  # PDT - show time, frozen at the first part
        self.anchor_frozen = False
        self.early_frames: list[tuple[float, float]] = []
        self.held: list[MediaUnit] = []
        self.init_id: int | None = None
        self.first_part = True
        self.offset = 0.0  # added to the session's timestamps: the show's timeline


class LivePackager:
    def __init__(
        self,
        show_id: int,
        settings: PackagerSettings,
        recorder: Recorder,
        events: PackagerEvents | None = None,
        on_stalled: Callable[[int], None] | None = None,
    ) -> None:
        """``on_stalled(show_id)`` is called when the muxer died or fell far behind: the
        caller drops the publisher, whose reconnect starts a fresh muxer."""
        self.show_id = show_id
        self._settings = settings
        self._config = settings.config
        self._recorder = recorder
        self._events = events
        self._on_stalled = on_stalled
        state = recorder.load_state()
        self._next_msn = state.next_msn
        self._next_part_id = state.next_part_id
        self._next_init_id = state.next_init_id
        self._disc_seq = state.discontinuity_sequence
        self._had_media = bool(state.segments)
        self.dateranges: list[DateRange] = list(state.dateranges)
        self._segments: list[Segment] = []
        self._disc_seqs: dict[int, int] = {}
        self._parts: dict[int, Part] = {}
        self._inits: dict[int, bytes] = {}
        self._session: _Session | None = None
        self._previous: _Session | None = None
        self._timeline_end = 0.0  # show time where the last part ended
        self._changed = asyncio.Event()
        self._rendered: dict[bool, bytes] = {}
        self.clock = StreamClock()
        self.ended = False

    # -- hub sink -------------------------------------------------------------------------

    def session_started(self, session: PublishSession) -> None:
        if self.ended:
            return
        self._previous = self._session
        self._session = _Session(session, session.format.track_index(TrackKind.VIDEO))

    def unit(self, session: PublishSession, unit: MediaUnit) -> None:
        current = self._session
        if current is None or current.session.id != session.id or self.ended:
            return
        if not current.started:
            # A part, and a segment after a reconnect, must start with a keyframe.
            if current.video_track is not None and not (
                unit.kind is TrackKind.VIDEO and unit.keyframe
            ):
                return
            current.started = True
        muxer = current.muxer
        if muxer is None:
            previous = self._previous
            if previous is not None and not previous.closed.done():
                # The last session's muxer is still flushing; its parts come first.
                current.held.append(unit)
                if len(current.held) == 1:
                    previous.closed.add_done_callback(lambda _: self._resume(current))
                return
            muxer = self._start_muxer(current, first=unit)
        if muxer.backlog > MAX_BACKLOG:
            logger.warning("muxer_stalled", extra={"show_id": self.show_id})
            if self._on_stalled is not None:
                self._on_stalled(self.show_id)
            return
        self._track_frame(current, unit)
        muxer.push(unit)

    def session_ended(self, session: PublishSession) -> None:
        current = self._session
        if current is None or current.session.id != session.id:
            return
        if current.muxer is not None:
            current.muxer.close()
        elif not current.closed.done():
            current.held.clear()
            current.closed.set_result(None)

    # -- muxer plumbing -------------------------------------------------------------------

    def _resume(self, current: _Session) -> None:
        """The previous session's muxer has closed: mux what this session held meanwhile."""
        if self._session is current and not current.closed.done() and current.held:
            self._start_muxer(current)

    def _start_muxer(self, current: _Session, first: MediaUnit | None = None) -> FragmentMuxer:
        if current.muxer is not None:
            return current.muxer
        head = first if first is not None else current.held[0]
        # Keep the show's media timeline continuous across publisher sessions.
        offset = 0.0
        if self._timeline_end > 0:
            offset = self._timeline_end - head.dts_seconds
        current.offset = offset
        fmt = current.session.format
        video = fmt.track_index(TrackKind.VIDEO)
        audio = fmt.track_index(TrackKind.AUDIO)
        frame_rate = fmt.tracks[video].frame_rate if video is not None else None
        sample_rate = fmt.tracks[audio].sample_rate if audio is not None else None
        loop = asyncio.get_running_loop()

        def post(callback: Callable[..., None], *args: object) -> None:
            with contextlib.suppress(RuntimeError):  # loop closed at shutdown
                loop.call_soon_threadsafe(callback, *args)

        muxer = current.muxer = FragmentMuxer(
            fmt,
            frag_duration=fragment_duration(self._config.part_target, frame_rate, sample_rate),
            time_offset=offset,
            on_init=lambda data: post(self._on_init, current, data),
            on_fragment=lambda fragment: post(self._on_fragment, current, fragment),
            on_closed=lambda error: post(self._on_muxer_closed, current, error),
            name=f"mux-show-{self.show_id}",
        )
        held, current.held = current.held, []
        for unit in held:
            self._track_frame(current, unit)
            muxer.push(unit)
        return muxer

    def _track_frame(self, current: _Session, unit: MediaUnit) -> None:
        if current.video_track is not None and unit.kind is not TrackKind.VIDEO:
            return
        show_time = unit.pts_seconds + current.offset
        if not current.anchor_frozen:
            # The least-delayed arrival best relates stream time to the wall clock.
            candidate = unit.wall_clock - show_time
            if current.anchor is None or candidate < current.anchor:
                current.anchor = candidate
            current.early_frames.append((unit.wall_clock, show_time))
        elif current.anchor is not None:
            self.clock.add_frame(unit.wall_clock, show_time + current.anchor)

    def _on_init(self, current: _Session, data: bytes) -> None:
        init_id = self._next_init_id
        self._next_init_id += 1
        current.init_id = init_id
        self._inits[init_id] = data
        self._recorder.write_init(init_id, data)

    def _on_muxer_closed(self, current: _Session, error: str | None) -> None:
        if error is not None:
            logger.warning("muxer_stopped", extra={"show_id": self.show_id, "error": error})
            if self._session is current and self._on_stalled is not None:
                self._on_stalled(self.show_id)
        self._complete_open_segment()
        self._changed_now()
        if not current.closed.done():
            current.closed.set_result(None)

    def _on_fragment(self, current: _Session, fragment: MuxedFragment) -> None:
        if current.init_id is None:
            return
        now = time.time()
        video = current.video_track
        main = video if video is not None and video in fragment.durations else None
        if main is None:
            main = max(fragment.durations, key=lambda i: fragment.durations[i], default=None)
        if main is None:
            return
        duration = fragment.durations[main]
        independent = fragment.starts_with_sync.get(main, False) if video is not None else True
        stamps = [s for track in fragment.stamps.values() for s in track]
        main_stamps = fragment.stamps.get(main) or stamps
        if not main_stamps or duration <= 0:
            return
        stream_time = min(s.show_time for s in main_stamps)
        anchor = current.anchor
        if anchor is None:
            anchor = current.anchor = min(s.wall_clock for s in main_stamps) - stream_time
        if not current.anchor_frozen:
            current.anchor_frozen = True
            for wall, show_time in current.early_frames:
                self.clock.add_frame(wall, show_time + anchor)
            current.early_frames.clear()
        pdt = stream_time + anchor

        last = self._segments[-1] if self._segments else None
        open_segment = last if last is not None and not last.complete else None
        if current.first_part or open_segment is None or starts_new_segment(
            open_duration=open_segment.duration,
            part_duration=duration,
            independent=independent,
            min_segment=self._settings.min_segment,
            target_duration=float(self._config.target_duration),
        ):
            self._complete_open_segment()
            discontinuity = current.first_part and self._had_media
            if discontinuity:
                self._disc_seq += 1
            open_segment = Segment(
                msn=self._next_msn,
                init_id=current.init_id,
                discontinuity=discontinuity,
                program_date_time=pdt,
            )
            self._disc_seqs[open_segment.msn] = self._disc_seq
            self._next_msn += 1
            self._segments.append(open_segment)
        current.first_part = False
        self._had_media = True
        part = Part(
            part_id=self._next_part_id,
            msn=open_segment.msn,
            index=len(open_segment.parts),
            duration=duration,
            independent=independent,
            data=fragment.data,
            program_date_time=pdt,
            stream_time=stream_time,
            first_arrival=min(s.wall_clock for s in stamps),
            last_arrival=max(s.wall_clock for s in stamps),
            published_at=now,
        )
        self._next_part_id += 1
        open_segment.parts.append(part)
        self._parts[part.part_id] = part
        self._timeline_end = max(self._timeline_end, stream_time + duration)
        self.clock.add_part(pdt, pdt + duration, part.msn, part.index)
        self._trim_window()
        self._changed_now()
        if self._events is not None:
            self._events.part_published(self.show_id, part)

    def _complete_open_segment(self) -> None:
        if not self._segments or self._segments[-1].complete:
            return
        segment = self._segments[-1]
        if not segment.parts:
            self._segments.pop()
            return
        segment.complete = True
        self._recorder.write_segment(
            RecordedSegment(
                msn=segment.msn,
                init_id=segment.init_id,
                discontinuity=segment.discontinuity,
                program_date_time=segment.program_date_time,
                duration=segment.duration,
            ),
            b"".join(p.data for p in segment.parts),
            last_part_id=segment.parts[-1].part_id,
            disc_seq=self._disc_seqs.get(segment.msn, self._disc_seq),
        )

    def _trim_window(self) -> None:
        complete = [s for s in self._segments if s.complete]
        excess = len(complete) - self._config.window_segments
        while excess > 0 and self._segments and self._segments[0].complete:
            gone = self._segments.pop(0)
            self._disc_seqs.pop(gone.msn, None)
            for part in gone.parts:
                self._parts.pop(part.part_id, None)
            excess -= 1

    def _changed_now(self) -> None:
        self._rendered.clear()
        self._changed.set()
        self._changed = asyncio.Event()

    # -- what the HTTP side asks ----------------------------------------------------------

    @property
    def has_media(self) -> bool:
        return bool(self._segments)

    def position(self) -> PlaylistPosition | None:
        if not self._segments:
            return None
        last = self._segments[-1]
        complete = [s.msn for s in self._segments if s.complete]
        return PlaylistPosition(
            last_msn=last.msn,
            last_part_index=len(last.parts) - 1 if last.parts else None,
            last_complete_msn=complete[-1] if complete else None,
        )

    def satisfied(self, request: PlaylistRequest) -> bool:
        if self.ended:
            return True
        return is_satisfied(request, self.position())

    async def wait_for(self, check: Callable[[], bool], limit: float) -> bool:
        """Wait until ``check()`` holds (re-checked on every change) or ``limit`` s pass."""
        deadline = asyncio.get_running_loop().time() + limit
        while not check():
            if self.ended:
                return check()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            changed = self._changed
            try:
                async with asyncio.timeout(remaining):
                    await changed.wait()
            except TimeoutError:
                return check()
        return True

    def render(self, *, skip: bool) -> bytes:
        cached = self._rendered.get(skip)
        if cached is not None:
            return cached
        segments = self._segments
        first = segments[0] if segments else None
        end_time = (
            segments[-1].program_date_time + segments[-1].duration if segments else time.time()
        )
        window_start = first.program_date_time if first is not None else 0.0
        view = LiveView(
            config=self._config,
            segments=list(segments),
            discontinuity_sequence=self._disc_seqs.get(first.msn, 0) if first else 0,
            next_part_id=self._next_part_id,
            dateranges=[d for d in self.dateranges if _daterange_end(d) >= window_start],
            ended=self.ended,
            end_time=end_time,
        )
        text = render_live(view, skip=skip).encode()
        self._rendered[skip] = text
        return text

    @property
    def next_part_id(self) -> int:
        return self._next_part_id

    def part(self, part_id: int) -> Part | None:
        return self._parts.get(part_id)

    def segment_data(self, msn: int) -> bytes | None:
        for segment in self._segments:
            if segment.msn == msn:
                if not segment.complete:
                    return None
                return b"".join(p.data for p in segment.parts)
        return self._recorder.read_media(f"s{msn}.m4s")

    def init_data(self, init_id: int) -> bytes | None:
        data = self._inits.get(init_id)
        if data is not None:
            return data
        return self._recorder.read_media(f"init{init_id}.mp4")

    def segments(self) -> list[Segment]:
        return list(self._segments)

    def locate(self, wall_clock: float) -> StreamInstant | None:
        return self.clock.locate(wall_clock)

    # -- date ranges and the end ----------------------------------------------------------

    def add_daterange(self, daterange: DateRange) -> None:
        # 4.4.5.1: a DATERANGE with the ID of an earlier one must carry the same attributes;
        # re-adding an identical one is a no-op, a different one replaces it nowhere.
        for existing in self.dateranges:
            if existing.id == daterange.id:
                if existing == daterange:
                    return
                raise ValueError(f"a date range with ID {daterange.id!r} already exists")
        self.dateranges.append(daterange)
        self._recorder.write_daterange(daterange)
        self._changed_now()

    async def flush(self) -> None:
        """Wait for the current muxer to close (if it is closing) and for pending writes."""
        current = self._session
        if current is not None and current.muxer is not None and not current.closed.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await asyncio.shield(current.closed)
        await self._recorder.flush()

    async def end(self) -> None:
        """The show ended: flush the muxer, close the last segment, write the VOD playlist."""
        if self.ended:
            return
        current = self._session
        if current is not None:
            if current.muxer is not None:
                current.muxer.close()
            elif not current.closed.done():
                current.closed.set_result(None)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10.0):
                    await current.closed
        self._complete_open_segment()
        self.ended = True
        self._changed_now()
        await self._recorder.finalize(self._config.target_duration)


def _daterange_end(daterange: DateRange) -> float:
    if daterange.end_date is not None:
        return daterange.end_date.timestamp()
    return daterange.start_timestamp + (daterange.duration or 0.0)
