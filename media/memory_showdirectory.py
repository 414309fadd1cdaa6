"""An in-process :class:`~media.showdirectory.ShowDirectory`, for tests and tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection


class MemoryShowDirectory:
    def __init__(self) -> None:
        self._keys: dict[str, int] = {}
        self.status: dict[int, str] = {}

    def add_show(self, show_id: int, stream_key: str, status: str = "scheduled") -> None:
        self._keys[stream_key] = show_id
        self.status[show_id] = status

    def end_show(self, show_id: int) -> None:
        self.status[show_id] = "ended"

    async def show_for_stream_key(self, key: str) -> int | None:
        show_id = self._keys.get(key)
        if show_id is None or self.status.get(show_id) == "ended":
            return None
        return show_id

    async def mark_live(self, show_id: int) -> None:
        if self.status.get(show_id) != "ended":
            self.status[show_id] = "live"

    async def mark_idle(self, show_id: int) -> None:
        if self.status.get(show_id) == "live":
            self.status[show_id] = "idle"

    async def ended_shows(self, show_ids: Collection[int]) -> set[int]:
        return {i for i in show_ids if self.status.get(i) == "ended"}
