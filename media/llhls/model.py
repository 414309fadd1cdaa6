"""The packager's data: parts, segments, date ranges and the playlist configuration."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ATTR_NAME = re.compile(r"^X-[A-Z0-9-]+$")
_QUOTED_FORBIDDEN = re.compile(r'["\r\n]')


class DateRangeError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PlaylistConfig:
    target_duration: int
    part_target: float
    window_segments: int
    # RFC 8216bis 4.4.3.8: PART-HOLD-BACK MUST be at least twice the Part Target Duration and
    # SHOULD be at least three times it.
    part_hold_back_factor: float = 3.0

    @property
    def part_hold_back(self) -> float:
        return self.part_hold_back_factor * self.part_target

    @property
    def can_skip_until(self) -> float:
        # RFC 8216bis 4.4.3.8: CAN-SKIP-UNTIL MUST be at least six times the Target Duration.
        return 6.0 * self.target_duration

    @property
    def advance_part_limit(self) -> int:
        # RFC 8216bis 6.2.5.2: three divided by the Part Target Duration when it is under one
        # second, three otherwise.
        if self.part_target < 1.0:
            return math.ceil(3.0 / self.part_target)
        return 3

    @property
    def parts_window(self) -> float:
        # RFC 8216bis 6.2.2: EXT-X-PART tags older than three Target Durations from the end of
        # the Playlist are removed.
        return 3.0 * self.target_duration


@dataclass(frozen=True, slots=True)
class Part:
    part_id: int
    msn: int
    index: int
    duration: float
    independent: bool
    data: bytes
    program_date_time: float
    # The show timeline (seconds) of the first frame, and wall-clock arrival of the first and
    # last frame it holds.
    stream_time: float
    first_arrival: float
    last_arrival: float
    published_at: float

    @property
    def uri(self) -> str:
        return part_uri(self.part_id)


def part_uri(part_id: int) -> str:
    return f"p{part_id}.m4s"


def segment_uri(msn: int) -> str:
    return f"s{msn}.m4s"


def init_uri(init_id: int) -> str:
    return f"init{init_id}.mp4"


@dataclass(slots=True)
class Segment:
    msn: int
    init_id: int
    discontinuity: bool
    program_date_time: float
    parts: list[Part] = field(default_factory=list)
    complete: bool = False
    # Set once complete: the whole segment (its parts' bytes, in order).
    data: bytes | None = None

    @property
    def duration(self) -> float:
        return sum(p.duration for p in self.parts)

    @property
    def uri(self) -> str:
        return segment_uri(self.msn)


@dataclass(frozen=True, slots=True)
class DateRange:
    """An ``EXT-X-DATERANGE`` (RFC 8216bis 4.4.5.1), e.g. a product highlight.

    ``client_attributes`` are the ``X-`` attributes; values are strings (quoted) or numbers.
    """

    id: str
    start_date: datetime
    class_name: str | None = None
    duration: float | None = None
    end_date: datetime | None = None
    client_attributes: tuple[tuple[str, str | float], ...] = ()
    # END-ON-NEXT=YES: the range ends where the next one of its CLASS starts.
    end_on_next: bool = False

    def __post_init__(self) -> None:
        if not self.id or _QUOTED_FORBIDDEN.search(self.id):
            raise DateRangeError("ID must be non-empty and contain no quote or line break")
        if self.end_on_next and (
            self.class_name is None or self.duration is not None or self.end_date is not None
        ):
            # 4.4.5.1: END-ON-NEXT needs a CLASS and excludes DURATION and END-DATE.
            raise DateRangeError("END-ON-NEXT needs a CLASS and no DURATION or END-DATE")
        if self.class_name is not None and _QUOTED_FORBIDDEN.search(self.class_name):
            raise DateRangeError("CLASS must contain no quote or line break")
        if self.start_date.tzinfo is None:
            raise DateRangeError("START-DATE must be timezone-aware")
        if self.end_date is not None:
            if self.end_date.tzinfo is None:
                raise DateRangeError("END-DATE must be timezone-aware")
            if self.end_date < self.start_date:
                raise DateRangeError("END-DATE must not be before START-DATE")
        if self.duration is not None and not (self.duration >= 0 and math.isfinite(self.duration)):
            raise DateRangeError("DURATION must be a non-negative number")
        for name, value in self.client_attributes:
            if not _ATTR_NAME.match(name):
                raise DateRangeError(
                    f"client attribute {name!r} must start with X- and use A-Z, 0-9 and '-'"
                )
            if isinstance(value, str) and _QUOTED_FORBIDDEN.search(value):
                raise DateRangeError(f"{name} must contain no quote or line break")
            if isinstance(value, float) and not math.isfinite(value):
                raise DateRangeError(f"{name} must be a finite number")

    @property
    def start_timestamp(self) -> float:
        return self.start_date.timestamp()

    def to_record(self) -> dict[str, object]:
        return {
            "id": self.id,
            "start_date": self.start_date.isoformat(),
            "class": self.class_name,
            "duration": self.duration,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "x": [[k, v] for k, v in self.client_attributes],
            "end_on_next": self.end_on_next,
        }

    @classmethod
    def from_record(cls, record: dict[str, object]) -> DateRange:
        end = record.get("end_date")
        duration = record.get("duration")
        attrs = record.get("x") or []
        if not isinstance(attrs, list):
            raise DateRangeError("client attributes must be a list")
        return cls(
            id=str(record["id"]),
            start_date=datetime.fromisoformat(str(record["start_date"])).astimezone(UTC),
            class_name=str(record["class"]) if record.get("class") is not None else None,
            duration=float(duration) if isinstance(duration, int | float) else None,
            end_date=datetime.fromisoformat(str(end)).astimezone(UTC) if end else None,
            client_attributes=tuple(
                (str(k), v if isinstance(v, str) else float(v)) for k, v in attrs
            ),
            end_on_next=record.get("end_on_next") is True,
        )
