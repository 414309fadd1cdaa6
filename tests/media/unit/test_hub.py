from __future__ import annotations

import asyncio
from fractions import Fraction

import pytest

from media.hub import PublishRefused, PublishSession, RefusalReason, StreamHub
from media.memory_showdirectory import MemoryShowDirectory
from media.units import MediaUnit, StreamFormat, TrackFormat, TrackKind

pytestmark = pytest.mark.unit

FORMAT = StreamFormat(
    tracks=(TrackFormat(TrackKind.VIDEO, "h264", Fraction(1, 1000), template=None),),
    protocol="test",
)


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def session_started(self, session: PublishSession) -> None:
        self.events.append(("start", session.id))

    def unit(self, session: PublishSession, unit: MediaUnit) -> None:
        self.events.append(("unit", unit.pts))

    def session_ended(self, session: PublishSession) -> None:
        self.events.append(("end", session.id))


def unit(pts: int) -> MediaUnit:
    return MediaUnit(0, TrackKind.VIDEO, pts, pts, 33, Fraction(1, 1000), True, 0.0, 10, None)


class Setup:
    def __init__(self) -> None:
        self.directory = MemoryShowDirectory()
        self.directory.add_show(1, "key-1")
        self.directory.add_show(2, "key-2")
        self.sinks: dict[int, RecordingSink] = {}
        self.publishers = 0

        def sinks_for(show_id: int) -> list[RecordingSink]:
            return [self.sinks.setdefault(show_id, RecordingSink())]

        def changed(protocol: str, delta: int) -> None:
            self.publishers += delta

        self.hub = StreamHub(self.directory, sinks_for, on_publishers_changed=changed)
        self.disconnected: list[int] = []

    async def publish(self, key: str, tag: int = 0):  # type: ignore[no-untyped-def]
        return await self.hub.open_publisher(
            key, protocol="rtmp", remote="test", disconnect=lambda: self.disconnected.append(tag)
        )


async def test_unknown_key_is_refused() -> None:
    setup = Setup()
    with pytest.raises(PublishRefused) as refused:
        await setup.publish("nope")
    assert refused.value.reason is RefusalReason.UNKNOWN_KEY
    assert setup.hub.stream(1) is None


async def test_publish_marks_live_and_fans_out_then_idle() -> None:
    setup = Setup()
    publisher = await setup.publish("key-1")
    assert setup.directory.status[1] == "live"
    assert setup.publishers == 1
    publisher.push(unit(0))  # before start: ignored
    publisher.start(FORMAT)
    publisher.push(unit(33))
    await publisher.close()
    publisher.push(unit(66))  # after close: ignored
    assert setup.sinks[1].events == [("start", 1), ("unit", 33), ("end", 1)]
    assert setup.directory.status[1] == "idle"
    assert setup.publishers == 0
    assert setup.hub.live_show_ids() == [1]


async def test_racing_publishers_for_one_show_only_one_wins() -> None:
    setup = Setup()
    results = await asyncio.gather(
        *(setup.publish("key-1", i) for i in range(5)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, PublishRefused)]
    assert len(winners) == 1
    assert len(losers) == 4
    assert all(r.reason is RefusalReason.BUSY for r in losers)


async def test_several_shows_live_at_once_and_reconnect() -> None:
    setup = Setup()
    first = await setup.publish("key-1")
    second = await setup.publish("key-2")
    assert setup.publishers == 2
    await first.close()
    again = await setup.publish("key-1")
    again.start(FORMAT)
    assert setup.hub.stream(1) is again.stream
    await second.close()
    await again.close()


async def test_end_stream_disconnects_and_refuses_later_publishers() -> None:
    setup = Setup()
    publisher = await setup.publish("key-1", tag=7)
    publisher.start(FORMAT)
    await setup.hub.end_stream(1)
    assert setup.disconnected == [7]
    assert publisher.closed
    assert setup.hub.live_show_ids() == []
    with pytest.raises(PublishRefused):
        await setup.publish("key-1")


async def test_directory_failure_is_a_clean_refusal() -> None:
    setup = Setup()

    async def broken(key: str) -> int | None:
        raise ConnectionError("database down")

    setup.directory.show_for_stream_key = broken  # type: ignore[method-assign]
    with pytest.raises(PublishRefused) as refused:
        await setup.publish("key-1")
    assert refused.value.reason is RefusalReason.UNAVAILABLE
