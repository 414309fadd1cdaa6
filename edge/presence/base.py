from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.domain.clocksync import ClockEstimate
    from edge.domain.viewers import ViewerReport


class ViewerCounts(ABC):
    """Each worker reports its own viewers of a show; the total is the sum over the workers
    that reported within ``ttl`` (a crashed worker's viewers vanish after it)."""

    @abstractmethod
    async def report(
        self, show_id: int, worker_id: str, count: int, *, ttl: float, push_interval: float
    ) -> ViewerReport:
        """Record this worker's count; the answer says whether this worker pushes the total now
        (at most one worker per interval, and only when the total changed)."""

    @abstractmethod
    async def withdraw(self, worker_id: str, show_ids: list[int]) -> None:
        """Forget this worker's counts (on shutdown)."""


class HostClocks(ABC):
    """The latest clock offset measured for a host of a show, readable from any worker."""

    @abstractmethod
    async def put(self, show_id: int, user_id: int, estimate: ClockEstimate, ttl: int) -> None: ...

    @abstractmethod
    async def get(self, show_id: int, user_id: int) -> ClockEstimate | None: ...
