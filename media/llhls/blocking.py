"""Blocking playlist reload requests (RFC 8216bis 6.2.5.2): parsing, validation, readiness.

Pure functions; the HTTP handler maps :class:`InvalidBlockingRequest` to a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_DIRECTIVE = 2**63


class InvalidBlockingRequest(ValueError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PlaylistRequest:
    msn: int | None = None
    part: int | None = None
    skip: bool = False

    @property
    def blocking(self) -> bool:
        return self.msn is not None


@dataclass(frozen=True, slots=True)
class PlaylistPosition:
    """Where the live playlist is: its last segment (open or complete) and its last part."""

    last_msn: int
    last_part_index: int | None
    last_complete_msn: int | None


def _directive(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    # 6.2.5: directive values are decimal integers.
    if not raw.isascii() or not raw.isdigit():
        raise InvalidBlockingRequest(f"{name} must be a non-negative decimal integer")
    value = int(raw)
    if value >= MAX_DIRECTIVE:
        raise InvalidBlockingRequest(f"{name} is out of range")
    return value


def parse_playlist_request(params: Mapping[str, str]) -> PlaylistRequest:
    msn = _directive(params, "_HLS_msn")
    part = _directive(params, "_HLS_part")
    if part is not None and msn is None:
        # 6.2.5.2: _HLS_part without _HLS_msn is a bad request.
        raise InvalidBlockingRequest("_HLS_part requires _HLS_msn")
    # 6.2.5.1: YES asks for a delta update; v2 also allows skipping date ranges, which this
    # server never does, so it gets the same answer.
    skip = params.get("_HLS_skip") in ("YES", "v2")
    return PlaylistRequest(msn=msn, part=part, skip=skip)


def check_not_too_far(
    request: PlaylistRequest, position: PlaylistPosition, advance_part_limit: int
) -> None:
    """6.2.5.2: an msn more than two past the last segment, or a part more than the Advance
    Part Limit past the last part, is answered with 400 at once rather than held."""
    if request.msn is None:
        return
    if request.msn > position.last_msn + 2:
        raise InvalidBlockingRequest(
            f"_HLS_msn={request.msn} is too far ahead of the playlist "
            f"(last media sequence number {position.last_msn})"
        )
    if request.part is None:
        return
    last_part = position.last_part_index if position.last_part_index is not None else -1
    if request.msn == position.last_msn:
        ahead = request.part - last_part
    elif request.msn > position.last_msn:
        # At least the parts of the segments still to come; a lower bound.
        ahead = request.part + 1
    else:
        return
    if ahead > advance_part_limit:
        raise InvalidBlockingRequest(
            f"_HLS_part={request.part} is more than {advance_part_limit} parts ahead of the "
            "playlist"
        )


def is_satisfied(request: PlaylistRequest, position: PlaylistPosition | None) -> bool:
    """Whether the playlist now holds what a blocking request waits for.

    With ``_HLS_part``: part P of segment M *or later* (a segment that ended before part P
    satisfies it with the first part of M+1). Without: segment M is complete.
    """
    if request.msn is None:
        return position is not None
    if position is None:
        return False
    if request.part is None:
        return position.last_complete_msn is not None and position.last_complete_msn >= request.msn
    if position.last_msn > request.msn:
        return True
    return (
        position.last_msn == request.msn
        and position.last_part_index is not None
        and position.last_part_index >= request.part
    )
