"""Per-show event ids and the bounded backlog clients resume from.

Ids of one show are consecutive integers starting at 1, so a subscriber knows it lost nothing when
every id it receives is the previous one plus one, and a client resumes by naming the last id it
processed. The backlog keeps the most recent ``capacity`` events.
"""

from __future__ import annotations

import enum
import itertools
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class ResumeKind(enum.StrEnum):
    LIVE = "live"  # no resume point: start with the next event
    COMPLETE = "complete"  # every event after the resume point is replayed
    GAP = "gap"  # some events after the resume point are no longer kept
    RESET = "reset"  # the resume point is ahead of the show's ids (its counter restarted)


@dataclass(frozen=True, slots=True)
class ResumePlan:
    kind: ResumeKind
    # Replay events with ids > replay_after; None means replay nothing.
    replay_after: int | None


def plan_resume(since: int | None, oldest: int | None, latest: int) -> ResumePlan:
    """Decide what a subscriber resuming after ``since`` receives from a backlog holding the ids
    ``oldest..latest`` (``oldest`` is None when it holds nothing)."""
    if since is None:
        return ResumePlan(ResumeKind.LIVE, None)
    if since < 0:
        raise ValueError("a resume point is an event id >= 0")
    if since > latest:
        return ResumePlan(ResumeKind.RESET, None)
    if since == latest:
        return ResumePlan(ResumeKind.COMPLETE, None)
    if oldest is not None and since >= oldest - 1:
        return ResumePlan(ResumeKind.COMPLETE, since)
    return ResumePlan(ResumeKind.GAP, since if oldest is not None else None)


class Backlog(Generic[T]):
    """The last ``capacity`` items of a show, each under its id."""

    __slots__ = ("_items", "_latest", "capacity")

    def __init__(self, capacity: int, latest: int = 0) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._items: deque[tuple[int, T]] = deque(maxlen=capacity)
        self._latest = latest

    @property
    def latest(self) -> int:
        """The id of the last event of the show (0 before the first)."""
        return self._latest

    @property
    def oldest(self) -> int | None:
        return self._items[0][0] if self._items else None

    def next_id(self) -> int:
        return self._latest + 1

    def append(self, item: T) -> int:
        self._latest += 1
        self._items.append((self._latest, item))
        return self._latest

    def append_with_id(self, event_id: int, item: T) -> bool:
        """Record an item numbered elsewhere. Returns False (and restarts the backlog at this id)
        when ids are not consecutive, i.e. events were lost in between."""
        contiguous = event_id == self._latest + 1
        if not contiguous:
            self._items.clear()
        self._latest = event_id
        self._items.append((event_id, item))
        return contiguous

    def after(self, since: int) -> list[T]:
        """Items with ids greater than ``since``, oldest first."""
        if not self._items or since >= self._latest:
            return []
        oldest = self._items[0][0]
        start = max(0, since - oldest + 1)
        return [item for _, item in itertools.islice(self._items, start, None)]

    def plan(self, since: int | None) -> ResumePlan:
        return plan_resume(since, self.oldest, self._latest)

    def __len__(self) -> int:
        return len(self._items)
