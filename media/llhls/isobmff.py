"""The few ISO BMFF (ISO/IEC 14496-12) boxes the packager reads from the muxer's output.

The muxer decides where fragments end; reading each ``moof`` back tells the packager what a part
holds: per track, its first decode time, sample count, duration and whether it starts with a
sync sample (RFC 8216bis 4.4.4.9, ``INDEPENDENT=YES``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

NON_SYNC_SAMPLE = 0x00010000


class BoxError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Box:
    type: str
    start: int
    header_size: int
    size: int

    @property
    def body_start(self) -> int:
        return self.start + self.header_size

    @property
    def end(self) -> int:
        return self.start + self.size


def read_box_header(data: bytes | bytearray | memoryview, offset: int) -> Box | None:
    """The box header at ``offset``, or None when fewer than its header bytes are present."""
    if offset + 8 > len(data):
        return None
    size = int.from_bytes(data[offset : offset + 4], "big")
    box_type = bytes(data[offset + 4 : offset + 8]).decode("latin-1")
    header = 8
    if size == 1:
        if offset + 16 > len(data):
            return None
        size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        header = 16
    elif size == 0:
        raise BoxError(f"box {box_type!r} extends to the end of the file; not streamable")
    if size < header:
        raise BoxError(f"box {box_type!r} with impossible size {size}")
    return Box(box_type, offset, header, size)


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[Box]:
    end = len(data) if end is None else end
    boxes: list[Box] = []
    pos = start
    while pos < end:
        box = read_box_header(data, pos)
        if box is None or box.end > end:
            raise BoxError(f"truncated box at byte {pos}")
        boxes.append(box)
        pos = box.end
    return boxes


def _child(data: bytes, parent: Box, box_type: str) -> Box | None:
    for box in iter_boxes(data, parent.body_start, parent.end):
        if box.type == box_type:
            return box
    return None


def _children(data: bytes, parent: Box, box_type: str) -> list[Box]:
    return [b for b in iter_boxes(data, parent.body_start, parent.end) if b.type == box_type]


def _full_box(data: bytes, box: Box) -> tuple[int, int]:
    word = int.from_bytes(data[box.body_start : box.body_start + 4], "big")
    return word >> 24, word & 0xFFFFFF


@dataclass(frozen=True, slots=True)
class TrackInfo:
    track_id: int
    handler: str
    timescale: int
    default_sample_duration: int = 0
    default_sample_flags: int = 0


@dataclass(frozen=True, slots=True)
class InitInfo:
    tracks: dict[int, TrackInfo]

    @classmethod
    def parse(cls, data: bytes) -> InitInfo:
        moov = next((b for b in iter_boxes(data) if b.type == "moov"), None)
        if moov is None:
            raise BoxError("init segment without a moov box")
        defaults: dict[int, tuple[int, int]] = {}
        mvex = _child(data, moov, "mvex")
        if mvex is not None:
            for trex in _children(data, mvex, "trex"):
                p = trex.body_start + 4
                track_id, _, duration, _, flags = struct.unpack(">IIIII", data[p : p + 20])
                defaults[track_id] = (duration, flags)
        tracks: dict[int, TrackInfo] = {}
        for trak in _children(data, moov, "trak"):
            tkhd = _child(data, trak, "tkhd")
            mdia = _child(data, trak, "mdia")
            if tkhd is None or mdia is None:
                raise BoxError("trak without tkhd or mdia")
            version, _ = _full_box(data, tkhd)
            p = tkhd.body_start + 4 + (16 if version == 1 else 8)
            track_id = int.from_bytes(data[p : p + 4], "big")
            mdhd = _child(data, mdia, "mdhd")
            hdlr = _child(data, mdia, "hdlr")
            if mdhd is None or hdlr is None:
                raise BoxError("mdia without mdhd or hdlr")
            version, _ = _full_box(data, mdhd)
            p = mdhd.body_start + 4 + (16 if version == 1 else 8)
            timescale = int.from_bytes(data[p : p + 4], "big")
            p = hdlr.body_start + 8
            handler = bytes(data[p : p + 4]).decode("latin-1")
            duration, flags = defaults.get(track_id, (0, 0))
            tracks[track_id] = TrackInfo(track_id, handler, timescale, duration, flags)
        return cls(tracks)


@dataclass(frozen=True, slots=True)
class TrackRun:
    """What one ``traf`` of a fragment holds."""

    track_id: int
    base_decode_time: int
    sample_count: int
    duration: int
    first_sample_sync: bool


@dataclass(frozen=True, slots=True)
class FragmentInfo:
    runs: dict[int, TrackRun] = field(default_factory=dict)

    @classmethod
    def parse(cls, moof: bytes, init: InitInfo) -> FragmentInfo:
        boxes = iter_boxes(moof)
        if not boxes or boxes[0].type != "moof":
            raise BoxError("fragment does not start with a moof box")
        runs: dict[int, TrackRun] = {}
        for traf in _children(moof, boxes[0], "traf"):
            run = _parse_traf(moof, traf, init)
            runs[run.track_id] = run
        return cls(runs)


def _parse_traf(data: bytes, traf: Box, init: InitInfo) -> TrackRun:  # noqa: PLR0912, PLR0915
    tfhd = _child(data, traf, "tfhd")
    if tfhd is None:
        raise BoxError("traf without tfhd")
    _, flags = _full_box(data, tfhd)
    p = tfhd.body_start + 4
    track_id = int.from_bytes(data[p : p + 4], "big")
    p += 4
    track = init.tracks.get(track_id)
    default_duration = track.default_sample_duration if track else 0
    default_flags = track.default_sample_flags if track else 0
    if flags & 0x01:
        p += 8
    if flags & 0x02:
        p += 4
    if flags & 0x08:
        default_duration = int.from_bytes(data[p : p + 4], "big")
        p += 4
    if flags & 0x10:
        p += 4
    if flags & 0x20:
        default_flags = int.from_bytes(data[p : p + 4], "big")
        p += 4
    base = 0
    tfdt = _child(data, traf, "tfdt")
    if tfdt is not None:
        version, _ = _full_box(data, tfdt)
        p = tfdt.body_start + 4
        base = int.from_bytes(data[p : p + (8 if version == 1 else 4)], "big")
    count = 0
    duration = 0
    first_flags: int | None = None
    for trun in _children(data, traf, "trun"):
        _, tflags = _full_box(data, trun)
        p = trun.body_start + 4
        n = int.from_bytes(data[p : p + 4], "big")
        p += 4
        if tflags & 0x01:
            p += 4
        run_first_flags = None
        if tflags & 0x04:
            run_first_flags = int.from_bytes(data[p : p + 4], "big")
            p += 4
        per_sample = sum(4 for bit in (0x100, 0x200, 0x400, 0x800) if tflags & bit)
        if p + per_sample * n > trun.end:
            raise BoxError("trun longer than its box")
        for i in range(n):
            sample_duration = default_duration
            sample_flags = default_flags
            q = p
            if tflags & 0x100:
                sample_duration = int.from_bytes(data[q : q + 4], "big")
                q += 4
            if tflags & 0x200:
                q += 4
            if tflags & 0x400:
                sample_flags = int.from_bytes(data[q : q + 4], "big")
            if i == 0 and count == 0:
                first_flags = run_first_flags if run_first_flags is not None else sample_flags
            duration += sample_duration
            p += per_sample
        count += n
    sync = first_flags is not None and not first_flags & NON_SYNC_SAMPLE
    return TrackRun(track_id, base, count, duration, sync)


@dataclass(slots=True)
class BoxStreamSplitter:
    """Cuts a muxer's fragmented-MP4 byte stream into the init segment and fragments.

    ``ftyp``+``moov`` form the init segment; every ``moof`` and the ``mdat`` after it (with any
    ``styp``/``prft`` before it) form one fragment. Trailing index boxes (``mfra``) are dropped.
    """

    _buffer: bytearray = field(default_factory=bytearray)
    _pending: list[tuple[str, bytes]] = field(default_factory=list)

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        """Complete pieces found so far, as ``("init", bytes)`` or ``("fragment", bytes)``."""
        self._buffer += data
        out: list[tuple[str, bytes]] = []
        pos = 0
        while True:
            box = read_box_header(self._buffer, pos)
            if box is None or box.end > len(self._buffer):
                break
            raw = bytes(self._buffer[box.start : box.end])
            pos = box.end
            self._pending.append((box.type, raw))
            if box.type == "moov":
                out.append(("init", b"".join(r for _, r in self._pending)))
                self._pending.clear()
            elif box.type == "mdat":
                out.append(("fragment", b"".join(r for _, r in self._pending)))
                self._pending.clear()
            elif box.type in ("mfra", "free", "skip"):
                self._pending.pop()
        del self._buffer[:pos]
        return out
