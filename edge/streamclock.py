"""What edge needs from media: the stream's program-date-time at a wall-clock instant, and a
highlight daterange in the live playlist.

Media implements :class:`StreamClock` in process (the embedded mode passes its service to
:func:`edge.app.edge_component`); in production edge reaches the media app over HTTP with
:class:`HttpStreamClock`, against these internal endpoints (served by media, not routed by nginx):

``GET {media}/internal/v1/shows/{show_id}/clock?at=<RFC 3339 instant>``
    200 ``{"program_date_time": "<RFC 3339>"}`` — the program-date-time of the media unit that
    was being ingested at ``at`` (server wall clock); ``null`` or 404/409 when the show is not
    streaming or ``at`` is outside what media still maps.

``POST {media}/internal/v1/shows/{show_id}/dateranges``
    body ``{"id": "<highlight id>", "class": "com.showfloor.highlight", "product_id": 7,
    "start_date": "<RFC 3339>"}``; 204 once the ``EXT-X-DATERANGE`` is in the live playlist
    (media ends the previous highlight's range at this one's START-DATE, RFC 8216bis 4.4.5.1).

Both carry ``Authorization: Bearer <internal_token(jwt_secret, "media")>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import httpx
import msgspec

from edge.domain.timeline import HIGHLIGHT_CLASS
from showfloor.internal import internal_token

if TYPE_CHECKING:
    from collections.abc import Sequence


@runtime_checkable
class StreamClock(Protocol):
    async def program_date_time_at(self, show_id: int, wall_clock: datetime) -> datetime | None:
        """The program-date-time of what was being ingested at ``wall_clock`` (server clock),
        or None when the show's stream does not cover that instant."""
        ...

    async def add_highlight_daterange(
        self, show_id: int, highlight_id: str, product_id: int, start: datetime
    ) -> None:
        """Add ``EXT-X-DATERANGE`` (``CLASS="com.showfloor.highlight"``, ``X-PRODUCT-ID``,
        ``START-DATE``) to the show's live playlist, ending the previous highlight there.
        Raises ``LookupError`` when the show no longer streams."""
        ...


class StreamClockUnavailable(Exception):
    """Media could not be reached or refused the request."""


class _ClockReply(msgspec.Struct):
    program_date_time: datetime | None = None


class _DateRange(msgspec.Struct):
    id: str
    product_id: int
    start_date: datetime
    class_: str = msgspec.field(name="class", default=HIGHLIGHT_CLASS)


class HttpStreamClock:
    """Media over HTTP. With several media apps, each show streams into one of them: the clock
    asks them all and remembers which one answered, for the date range that follows."""

    def __init__(self, base_urls: Sequence[str], secret: str, *, timeout: float = 2.0) -> None:
        if not base_urls:
            raise ValueError("HttpStreamClock needs at least one media URL")
        token = internal_token(secret, "media")
        self._clients = [
            httpx.AsyncClient(
                base_url=url.rstrip("/"),
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
            for url in base_urls
        ]
        self._home: dict[int, httpx.AsyncClient] = {}

    async def program_date_time_at(self, show_id: int, wall_clock: datetime) -> datetime | None:
        home = self._home.get(show_id)
        candidates = [home] if home is not None else []
        candidates += [c for c in self._clients if c is not home]
        failures: list[str] = []
        for client in candidates:
            try:
                pdt = await self._ask_clock(client, show_id, wall_clock)
            except StreamClockUnavailable as exc:
                failures.append(str(exc))
                continue
            if pdt is not None:
                if len(self._home) > 10_000:
                    self._home.clear()
                self._home[show_id] = client
                return pdt
        if failures:
            # The show may stream into the media app that did not answer.
            raise StreamClockUnavailable("; ".join(failures))
        return None

    @staticmethod
    async def _ask_clock(client: httpx.AsyncClient, show_id: int, wall_clock: datetime
                         ) -> datetime | None:
        try:
            response = await client.get(
                f"/internal/v1/shows/{show_id}/clock", params={"at": wall_clock.isoformat()}
            )
        except httpx.HTTPError as exc:
            raise StreamClockUnavailable(f"{client.base_url}: {exc}") from exc
        if response.status_code in (404, 409):
            return None
        if response.status_code != 200:
            raise StreamClockUnavailable(f"{client.base_url} answered {response.status_code}")
        try:
            return msgspec.json.decode(response.content, type=_ClockReply).program_date_time
        except msgspec.DecodeError as exc:
            raise StreamClockUnavailable(f"media answered an unreadable clock: {exc}") from exc

    async def add_highlight_daterange(
        self, show_id: int, highlight_id: str, product_id: int, start: datetime
    ) -> None:
        client = self._home.get(show_id)
        if client is None:
            raise LookupError(f"show {show_id} streams into no media app this edge knows")
        body = msgspec.json.encode(_DateRange(highlight_id, product_id, start))
        try:
            response = await client.post(
                f"/internal/v1/shows/{show_id}/dateranges",
                content=body,
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise StreamClockUnavailable(str(exc)) from exc
        if response.status_code in (404, 409):
            self._home.pop(show_id, None)
            raise LookupError(f"show {show_id} no longer streams")
        if response.status_code not in (200, 201, 204):
            raise StreamClockUnavailable(f"media answered {response.status_code}")

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


class NoStreamClock:
    """The clock of an app without media: no instant maps to the stream."""

    async def program_date_time_at(self, show_id: int, wall_clock: datetime) -> datetime | None:
        return None

    async def add_highlight_daterange(
        self, show_id: int, highlight_id: str, product_id: int, start: datetime
    ) -> None:
        raise StreamClockUnavailable("media is not connected to this edge app")
