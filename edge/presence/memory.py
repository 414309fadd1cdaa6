from __future__ import annotations

import time
from typing import TYPE_CHECKING

from edge.domain.viewers import PushState, ViewerReport, decide_push
from edge.presence.base import HostClocks, ViewerCounts

if TYPE_CHECKING:
    from collections.abc import Callable

    from edge.domain.clocksync import ClockEstimate


class MemoryViewerCounts(ViewerCounts):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[int, dict[str, tuple[int, float]]] = {}  # show -> worker -> (n, until)
        self._pushed: dict[int, PushState] = {}

    async def report(
        self, show_id: int, worker_id: str, count: int, *, ttl: float, push_interval: float
    ) -> ViewerReport:
        now = self._clock()
        workers = self._counts.setdefault(show_id, {})
        if count > 0:
            workers[worker_id] = (count, now + ttl)
        else:
            workers.pop(worker_id, None)
        for worker in [w for w, (_, until) in workers.items() if until <= now]:
            del workers[worker]
        total = sum(n for n, _ in workers.values())
        report = decide_push(
            self._pushed.get(show_id, PushState(None, None)), total, now, push_interval
        )
        if report.push:
            self._pushed[show_id] = PushState(now, total)
        return report

    async def withdraw(self, worker_id: str, show_ids: list[int]) -> None:
        for show_id in show_ids:
            self._counts.get(show_id, {}).pop(worker_id, None)


class MemoryHostClocks(HostClocks):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._estimates: dict[tuple[int, int], tuple[ClockEstimate, float]] = {}

    async def put(self, show_id: int, user_id: int, estimate: ClockEstimate, ttl: int) -> None:
        self._estimates[(show_id, user_id)] = (estimate, self._clock() + ttl)

    async def get(self, show_id: int, user_id: int) -> ClockEstimate | None:
        entry = self._estimates.get((show_id, user_id))
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]
