"""A :class:`~media.showdirectory.ShowDirectory` that also tells viewers when the show goes
live or idle, after the directory has recorded it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Collection

    from media.showdirectory import ShowDirectory


class StatusAnnouncer(Protocol):
    async def __call__(
        self, show_id: int, status: Literal["live", "idle"], at: datetime
    ) -> None: ...


class AnnouncingShowDirectory:
    def __init__(self, inner: ShowDirectory, announce: StatusAnnouncer) -> None:
        self._inner = inner
        self._announce = announce

    async def show_for_stream_key(self, key: str) -> int | None:
        return await self._inner.show_for_stream_key(key)

    async def mark_live(self, show_id: int) -> None:
        await self._inner.mark_live(show_id)
        await self._announce(show_id, "live", datetime.now(UTC))

    async def mark_idle(self, show_id: int) -> None:
        await self._inner.mark_idle(show_id)
        await self._announce(show_id, "idle", datetime.now(UTC))

    async def ended_shows(self, show_ids: Collection[int]) -> set[int]:
        return await self._inner.ended_shows(show_ids)
