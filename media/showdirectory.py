"""What media needs to know about shows, declared here so media never imports commerce."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Collection


class ShowDirectory(Protocol):
    async def show_for_stream_key(self, key: str) -> int | None:
        """The show this key publishes to; None for unknown keys and ended shows."""
        ...

    async def mark_live(self, show_id: int) -> None: ...

    async def mark_idle(self, show_id: int) -> None: ...

    async def ended_shows(self, show_ids: Collection[int]) -> set[int]:
        """Which of ``show_ids`` have ended (possibly ended by another process)."""
        ...
