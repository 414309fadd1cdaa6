from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.backlog import Backlog, ResumeKind, ResumePlan, plan_resume

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("since", "oldest", "latest", "expected"),
    [
        (None, 1, 10, ResumePlan(ResumeKind.LIVE, None)),
        (10, 1, 10, ResumePlan(ResumeKind.COMPLETE, None)),
        (4, 1, 10, ResumePlan(ResumeKind.COMPLETE, 4)),
        (0, 1, 10, ResumePlan(ResumeKind.COMPLETE, 0)),
        (5, 6, 10, ResumePlan(ResumeKind.COMPLETE, 5)),
        (4, 6, 10, ResumePlan(ResumeKind.GAP, 4)),
        (4, None, 10, ResumePlan(ResumeKind.GAP, None)),
        (11, 1, 10, ResumePlan(ResumeKind.RESET, None)),
        (0, None, 0, ResumePlan(ResumeKind.COMPLETE, None)),
    ],
)
def test_resume_plans(
    since: int | None, oldest: int | None, latest: int, expected: ResumePlan
) -> None:
    assert plan_resume(since, oldest, latest) == expected


def test_a_negative_resume_point_is_refused() -> None:
    with pytest.raises(ValueError, match="event id"):
        plan_resume(-1, 1, 3)


@given(capacity=st.integers(1, 20), count=st.integers(0, 60), since=st.integers(0, 70))
def test_a_complete_resume_replays_exactly_the_missing_ids(
    capacity: int, count: int, since: int
) -> None:
    backlog: Backlog[int] = Backlog(capacity)
    for _ in range(count):
        backlog.append(backlog.next_id())
    plan = backlog.plan(since)
    replay = backlog.after(since)
    if plan.kind is ResumeKind.COMPLETE:
        assert replay == list(range(since + 1, count + 1))
    elif plan.kind is ResumeKind.GAP:
        assert replay == list(range(count - capacity + 1, count + 1))
        assert since < count - capacity
    else:
        assert plan.kind is ResumeKind.RESET
        assert since > count
        assert replay == []
    assert len(backlog) == min(capacity, count)


def test_ids_numbered_elsewhere_must_be_consecutive() -> None:
    backlog: Backlog[str] = Backlog(3, latest=10)
    assert backlog.append_with_id(11, "a")
    assert backlog.append_with_id(12, "b")
    assert not backlog.append_with_id(15, "e")  # 13 and 14 were lost
    assert backlog.oldest == 15
    assert backlog.after(12) == ["e"]
    assert backlog.plan(12).kind is ResumeKind.GAP
