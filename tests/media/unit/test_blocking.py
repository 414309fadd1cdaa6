from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media.llhls.blocking import (
    InvalidBlockingRequest,
    PlaylistPosition,
    PlaylistRequest,
    check_not_too_far,
    is_satisfied,
    parse_playlist_request,
)

pytestmark = pytest.mark.unit

LIMIT = 10  # ceil(3 / 0.3)


def test_parse_plain_and_blocking_requests() -> None:
    assert parse_playlist_request({}) == PlaylistRequest()
    assert parse_playlist_request({"_HLS_msn": "12", "_HLS_part": "3"}) == PlaylistRequest(12, 3)
    assert parse_playlist_request({"_HLS_skip": "YES"}).skip
    assert parse_playlist_request({"_HLS_skip": "v2"}).skip
    assert not parse_playlist_request({"_HLS_skip": "no"}).skip


@pytest.mark.parametrize(
    "query",
    [
        {"_HLS_part": "1"},
        {"_HLS_msn": "-1"},
        {"_HLS_msn": "1.5"},
        {"_HLS_msn": ""},
        {"_HLS_msn": "٣"},  # a non-ASCII digit
        {"_HLS_msn": "1", "_HLS_part": "x"},
        {"_HLS_msn": str(2**64)},
    ],
)
def test_parse_rejects_bad_directives(query: dict[str, str]) -> None:
    with pytest.raises(InvalidBlockingRequest):
        parse_playlist_request(query)


POSITION = PlaylistPosition(last_msn=10, last_part_index=2, last_complete_msn=9)


@pytest.mark.parametrize(
    ("msn", "part", "too_far"),
    [
        (12, None, False),
        (13, None, True),
        (10, 2 + LIMIT, False),
        (10, 3 + LIMIT, True),
        (11, LIMIT - 1, False),
        (11, LIMIT, True),
        (5, 100, False),  # already in the past: answered at once
    ],
)
def test_too_far_ahead(msn: int, part: int | None, too_far: bool) -> None:
    request = PlaylistRequest(msn, part)
    if too_far:
        with pytest.raises(InvalidBlockingRequest):
            check_not_too_far(request, POSITION, LIMIT)
    else:
        check_not_too_far(request, POSITION, LIMIT)


def test_satisfied_by_the_part_or_anything_later() -> None:
    assert is_satisfied(PlaylistRequest(10, 2), POSITION)
    assert not is_satisfied(PlaylistRequest(10, 3), POSITION)
    # Segment 10 may end before part 7: the first part of 11 satisfies the request.
    later = PlaylistPosition(last_msn=11, last_part_index=0, last_complete_msn=10)
    assert is_satisfied(PlaylistRequest(10, 7), later)
    assert not is_satisfied(PlaylistRequest(11, 1), later)


def test_satisfied_without_part_needs_the_complete_segment() -> None:
    assert is_satisfied(PlaylistRequest(9), POSITION)
    assert not is_satisfied(PlaylistRequest(10), POSITION)
    assert not is_satisfied(PlaylistRequest(0), None)
    assert is_satisfied(PlaylistRequest(), POSITION)
    assert not is_satisfied(PlaylistRequest(), None)


@given(
    msn=st.integers(0, 50),
    part=st.integers(0, 20),
    last_msn=st.integers(0, 50),
    last_part=st.integers(0, 20),
)
def test_satisfied_is_monotonic(msn: int, part: int, last_msn: int, last_part: int) -> None:
    """Once satisfied, a request stays satisfied as the playlist grows."""
    request = PlaylistRequest(msn, part)
    now = PlaylistPosition(last_msn, last_part, last_msn - 1 if last_msn else None)
    grown_part = PlaylistPosition(last_msn, last_part + 1, now.last_complete_msn)
    grown_segment = PlaylistPosition(last_msn + 1, 0, last_msn)
    if is_satisfied(request, now):
        assert is_satisfied(request, grown_part)
        assert is_satisfied(request, grown_segment)
