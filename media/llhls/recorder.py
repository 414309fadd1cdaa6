"""Recordings: every complete segment and init segment on disk, an index, and the VOD playlist.

Layout under ``{media_dir}/shows/{show_id}/``: ``init{n}.mp4``, ``s{msn}.m4s``,
``recording.jsonl`` (one JSON record per init, segment and date range, in order) and, once the
show has ended, ``vod.m3u8``. The index also lets a restarted process continue a show's
numbering, so no URL ever names two different bytes (caches treat them as immutable).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from media.llhls.model import DateRange
from media.llhls.playlist import RecordedSegment, render_vod

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

logger = logging.getLogger("showfloor.media.recorder")

INDEX_FILE = "recording.jsonl"
VOD_FILE = "vod.m3u8"
_MEDIA_NAME = re.compile(r"^(?:s\d{1,18}\.m4s|init\d{1,9}\.mp4)$")


@dataclass(slots=True)
class RecordingState:
    segments: list[RecordedSegment] = field(default_factory=list)
    dateranges: list[DateRange] = field(default_factory=list)
    next_msn: int = 0
    next_part_id: int = 0
    next_init_id: int = 0
    discontinuity_sequence: int = 0
    ended: bool = False


def is_media_name(name: str) -> bool:
    return _MEDIA_NAME.match(name) is not None


def unfinished_recordings(media_dir: Path) -> set[int]:
    """Shows with a recording but no VOD playlist yet (the process stopped mid-show)."""
    found: set[int] = set()
    shows_dir = media_dir / "shows"
    if not shows_dir.is_dir():
        return found
    for entry in shows_dir.iterdir():
        index, vod = entry / INDEX_FILE, entry / VOD_FILE
        if entry.name.isdigit() and index.exists() and not vod.exists():
            found.add(int(entry.name))
    return found


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class Recorder:
    def __init__(self, media_dir: Path, show_id: int) -> None:
        self.directory = media_dir / "shows" / str(show_id)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- reading (sync, small files) ------------------------------------------------------

    def load_state(self) -> RecordingState:
        state = RecordingState()
        index = self.directory / INDEX_FILE
        if not index.exists():
            return state
        for line in index.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            kind = record.get("type")
            if kind == "init":
                state.next_init_id = max(state.next_init_id, int(record["init_id"]) + 1)
            elif kind == "segment":
                segment = RecordedSegment(
                    msn=int(record["msn"]),
                    init_id=int(record["init_id"]),
                    discontinuity=bool(record["discontinuity"]),
                    program_date_time=float(record["pdt"]),
                    duration=float(record["duration"]),
                )
                state.segments.append(segment)
                state.next_msn = segment.msn + 1
                state.next_part_id = int(record["last_part_id"]) + 1
                state.discontinuity_sequence = int(record.get("disc_seq", 0))
            elif kind == "daterange":
                state.dateranges.append(DateRange.from_record(record["daterange"]))
            elif kind == "end":
                state.ended = True
        return state

    def read_media(self, name: str) -> bytes | None:
        if not is_media_name(name):
            return None
        try:
            return (self.directory / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read_vod(self) -> bytes | None:
        try:
            return (self.directory / VOD_FILE).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    # -- writing (in a thread, in order) ---------------------------------------------------

    def write_init(self, init_id: int, data: bytes) -> None:
        self._schedule(self._write_media, f"init{init_id}.mp4", data,
                       {"type": "init", "init_id": init_id})

    def write_segment(
        self, segment: RecordedSegment, data: bytes, *, last_part_id: int, disc_seq: int
    ) -> None:
        record = {
            "type": "segment",
            "msn": segment.msn,
            "init_id": segment.init_id,
            "discontinuity": segment.discontinuity,
            "disc_seq": disc_seq,
            "pdt": segment.program_date_time,
            "duration": segment.duration,
            "last_part_id": last_part_id,
        }
        self._schedule(self._write_media, f"s{segment.msn}.m4s", data, record)

    def write_daterange(self, daterange: DateRange) -> None:
        self._schedule(self._append, {"type": "daterange", "daterange": daterange.to_record()})

    async def finalize(self, target_duration: int) -> None:
        """Wait for pending writes, then write the VOD playlist from the index."""
        await self.flush()
        async with self._lock:
            await asyncio.to_thread(self._write_vod, target_duration)

    async def flush(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _schedule(self, fn: Callable[..., None], *args: object) -> None:
        async def run() -> None:
            async with self._lock:
                try:
                    await asyncio.to_thread(fn, *args)
                except OSError:
                    logger.exception("recording_write_failed", extra={"dir": str(self.directory)})

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _write_media(self, name: str, data: bytes, record: dict[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.directory / name, data)
        self._append(record)

    def _append(self, record: dict[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / INDEX_FILE).open("a") as fh:
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")

    def _write_vod(self, target_duration: int) -> None:
        state = self.load_state()
        if not state.ended:
            self._append({"type": "end"})
        text = render_vod(state.segments, state.dateranges, target_duration=target_duration)
        self.directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.directory / VOD_FILE, text.encode())
