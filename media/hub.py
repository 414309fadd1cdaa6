"""The stream hub: one live stream per show, fed by any ingest, fanned out to sinks.

Ingest modules (RTMP now, WHIP later) ask the hub for a :class:`Publisher` with the stream key;
the hub checks the key with the :class:`~media.showdirectory.ShowDirectory`, refuses a second
publisher for a show that already has one, and forwards every unit to the show's sinks (the
LL-HLS packager, the ingest statistics). Everything here runs on the event loop.
"""

from __future__ import annotations

import enum
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from media.units import StreamFormat

if TYPE_CHECKING:

    from media.showdirectory import ShowDirectory
    from media.units import MediaUnit

logger = logging.getLogger("showfloor.media.hub")


class RefusalReason(enum.StrEnum):
    UNKNOWN_KEY = "unknown_key"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


class PublishRefused(Exception):
    def __init__(self, reason: RefusalReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PublishSession:
    """One publisher connection for a show, from accept to disconnect."""

    id: int
    show_id: int
    protocol: str
    remote: str
    started_at: float
    format: StreamFormat


class StreamSink(Protocol):
    """Receives a show's media; called on the event loop, must not block."""

    def session_started(self, session: PublishSession) -> None: ...

    def unit(self, session: PublishSession, unit: MediaUnit) -> None: ...

    def session_ended(self, session: PublishSession) -> None: ...


@dataclass(eq=False)
class LiveStream:
    show_id: int
    sinks: Sequence[StreamSink]
    publisher: Publisher | None = None
    ended: bool = False
    sessions: int = 0


@dataclass(eq=False)
class Publisher:
    """The handle an ingest holds while it publishes; ``start`` once, ``push`` units, ``close``."""

    hub: StreamHub
    stream: LiveStream
    protocol: str
    remote: str
    disconnect: Callable[[], None]
    session: PublishSession | None = None
    closed: bool = False
    _units: int = field(default=0)

    @property
    def show_id(self) -> int:
        return self.stream.show_id

    def start(self, fmt: StreamFormat) -> None:
        if self.closed or self.session is not None:
            return
        self.session = PublishSession(
            id=next(self.hub.session_ids),
            show_id=self.stream.show_id,
            protocol=self.protocol,
            remote=self.remote,
            started_at=time.time(),
            format=fmt,
        )
        self.stream.sessions += 1
        for sink in self.stream.sinks:
            sink.session_started(self.session)

    def push(self, unit: MediaUnit) -> None:
        if self.closed or self.session is None:
            return
        for sink in self.stream.sinks:
            sink.unit(self.session, unit)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.hub.release(self)


class StreamHub:
    def __init__(
        self,
        directory: ShowDirectory,
        sinks_for_show: Callable[[int], Sequence[StreamSink]],
        on_publishers_changed: Callable[[str, int], None] | None = None,
    ) -> None:
        self._directory = directory
        self._sinks_for_show = sinks_for_show
        self._streams: dict[int, LiveStream] = {}
        self._on_publishers_changed = on_publishers_changed
        self.session_ids = itertools.count(1)

    def stream(self, show_id: int) -> LiveStream | None:
        return self._streams.get(show_id)

    def live_show_ids(self) -> list[int]:
        """Shows with a stream in this process that has not ended (publishing or idle)."""
        return [s.show_id for s in self._streams.values() if not s.ended]

    def publisher_count(self) -> int:
        return sum(1 for s in self._streams.values() if s.publisher is not None)

    async def show_for_key(
        self, stream_key: str, *, protocol: str, expected_show_id: int | None = None
    ) -> int:
        """The show a stream key publishes to, without claiming it; raises
        :class:`PublishRefused` (also when it is not ``expected_show_id``)."""
        try:
            show_id = await self._directory.show_for_stream_key(stream_key)
        except Exception:
            logger.exception("show_lookup_failed", extra={"protocol": protocol})
            raise PublishRefused(
                RefusalReason.UNAVAILABLE, "Shows cannot be looked up right now; retry shortly."
            ) from None
        if show_id is None or (expected_show_id is not None and show_id != expected_show_id):
            raise PublishRefused(
                RefusalReason.UNKNOWN_KEY, "Unknown stream key, or the show has ended."
            )
        return show_id

    def is_busy(self, show_id: int) -> bool:
        stream = self._streams.get(show_id)
        return stream is not None and stream.publisher is not None

    async def open_publisher(
        self,
        stream_key: str,
        *,
        protocol: str,
        remote: str,
        disconnect: Callable[[], None],
        expected_show_id: int | None = None,
    ) -> Publisher:
        """Check the key and claim the show; raises :class:`PublishRefused`."""
        show_id = await self.show_for_key(
            stream_key, protocol=protocol, expected_show_id=expected_show_id
        )
        stream = self._streams.get(show_id)
        if stream is not None and stream.ended:
            # Ended here (its recording is final) before the directory heard of it.
            raise PublishRefused(RefusalReason.UNKNOWN_KEY, "This show has ended.")
        if stream is None:
            stream = LiveStream(show_id=show_id, sinks=self._sinks_for_show(show_id))
            self._streams[show_id] = stream
        if stream.publisher is not None:
            raise PublishRefused(
                RefusalReason.BUSY, "This show already has a publisher; stop it first."
            )
        # Claimed synchronously after the only await: two racing publishers cannot both win.
        publisher = Publisher(
            hub=self, stream=stream, protocol=protocol, remote=remote, disconnect=disconnect
        )
        stream.publisher = publisher
        try:
            await self._directory.mark_live(show_id)
        except Exception:
            stream.publisher = None
            publisher.closed = True
            logger.exception("mark_live_failed", extra={"show_id": show_id})
            raise PublishRefused(
                RefusalReason.UNAVAILABLE, "The show cannot go live right now; retry shortly."
            ) from None
        self._changed(protocol, +1)
        logger.info(
            "publisher_accepted",
            extra={"show_id": show_id, "protocol": protocol, "remote": remote},
        )
        return publisher

    async def release(self, publisher: Publisher) -> None:
        stream = publisher.stream
        if stream.publisher is not publisher:
            return
        stream.publisher = None
        self._changed(publisher.protocol, -1)
        if publisher.session is not None:
            for sink in stream.sinks:
                sink.session_ended(publisher.session)
        logger.info(
            "publisher_gone",
            extra={"show_id": stream.show_id, "protocol": publisher.protocol},
        )
        if not stream.ended:
            try:
                await self._directory.mark_idle(stream.show_id)
            except Exception:
                logger.exception("mark_idle_failed", extra={"show_id": stream.show_id})

    async def end_stream(self, show_id: int) -> LiveStream | None:
        """Stop the show's stream: disconnect its publisher; no sink gets more units."""
        stream = self._streams.get(show_id)
        if stream is None:
            return None
        stream.ended = True
        publisher = stream.publisher
        if publisher is not None:
            publisher.disconnect()
            await publisher.close()
        return stream

    def _changed(self, protocol: str, delta: int) -> None:
        if self._on_publishers_changed is not None:
            self._on_publishers_changed(protocol, delta)
