from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from edge.bus.base import Batch, Delivery, SlowConsumer, Subscription
from edge.bus.fanout import ShowFeed
from edge.channels import frame_of, sse_chunk
from edge.events import (
    HighlightEvent,
    StockEvent,
    decode_batch,
    decode_envelope,
    encode_event,
    envelope_bytes,
    event_type,
)
from edge.settings import EdgeSettings
from edge.wsframes import events_frame, events_payload, text_frame
from showfloor.settings import SettingsError

pytestmark = pytest.mark.unit


def delivery(i: int, show: int = 1) -> Delivery:
    event = StockEvent(product_id=1, available=i, held=0, sold=0, version=i)
    return Delivery(i, show, "stock", envelope_bytes(i, show, encode_event(event)))


def test_envelopes_are_built_around_the_encoded_event() -> None:
    event = HighlightEvent(
        "h1", 7, datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    )
    raw = envelope_bytes(42, 3, encode_event(event))
    assert msgspec.json.decode(raw)["event"]["type"] == "highlight"
    envelope = decode_envelope(raw)
    assert (envelope.id, envelope.show_id, envelope.event) == (42, 3, event)
    assert event_type(event) == "highlight"


def test_frames_are_arrays_and_sse_chunks_carry_the_id() -> None:
    batch = [delivery(1), delivery(2)]
    assert [e.id for e in decode_batch(frame_of(batch))] == [1, 2]
    assert [e.id for e in decode_batch(frame_of(batch[:1]))] == [1]
    chunk = sse_chunk(batch[1])
    assert chunk.startswith(b"id: 2\nevent: stock\ndata: {")
    assert chunk.endswith(b"\n\n")


async def test_a_subscriber_over_its_limit_is_ended_alone() -> None:
    feed = ShowFeed(1)
    slow, fast = Subscription(1, 3), Subscription(1, 3)
    feed.add(slow)
    feed.add(fast)
    for i in range(1, 4):
        feed.deliver([delivery(i)])
    assert [d.id for d in await fast.next_batch()] == [1, 2, 3]
    feed.deliver([delivery(4)])
    assert slow not in feed.subscribers
    assert fast in feed.subscribers
    with pytest.raises(SlowConsumer):
        await slow.next_batch()
    assert [d.id for d in await fast.next_batch()] == [4]


async def test_a_replay_may_exceed_the_limit_once_and_duplicates_are_dropped() -> None:
    sub = Subscription(1, 2)
    sub.hold()
    sub.offer([delivery(5), delivery(6)])  # live, while the backlog is fetched
    sub.release([delivery(i) for i in range(1, 7)])
    assert [d.id for d in await sub.next_batch()] == [1, 2, 3, 4, 5, 6]
    sub.offer([delivery(6), delivery(7)])
    assert [d.id for d in await sub.next_batch()] == [7]
    sub.offer([delivery(i) for i in range(8, 11)])
    with pytest.raises(SlowConsumer) as cut:
        await sub.next_batch()
    assert cut.value.last_id == 7


async def test_a_waiting_consumer_wakes_on_delivery() -> None:
    sub = Subscription(1, 10)
    waiting = asyncio.create_task(sub.next_batch())
    await asyncio.sleep(0)
    sub.offer([delivery(1)])
    assert [d.id for d in await asyncio.wait_for(waiting, 1)] == [1]


def test_edge_settings_from_env() -> None:
    settings = EdgeSettings.from_env(
        {
            "SHOWFLOOR_EDGE_BACKLOG": "500",
            "SHOWFLOOR_EDGE_QUEUE_SIZE": "64",
            "SHOWFLOOR_EDGE_CHAT_BURST": "3",
            "SHOWFLOOR_EDGE_WS_SEND_BUFFER_BYTES": "65536",
            "SHOWFLOOR_MEDIA_INTERNAL_URL": "http://media-1:8083/, http://media-2:8083",
        }
    )
    assert (settings.backlog, settings.queue_size, settings.chat_burst) == (500, 64, 3)
    assert settings.ws_send_buffer_bytes == 65536
    assert settings.media_internal_urls == ("http://media-1:8083", "http://media-2:8083")
    assert EdgeSettings.from_env({}) == EdgeSettings()
    with pytest.raises(SettingsError, match="SHOWFLOOR_EDGE_BACKLOG"):
        EdgeSettings.from_env({"SHOWFLOOR_EDGE_BACKLOG": "0"})
    with pytest.raises(SettingsError, match="MEDIA_INTERNAL_URL"):
        EdgeSettings.from_env({"SHOWFLOOR_MEDIA_INTERNAL_URL": "media:8081"})


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_event_frames_are_final_unmasked_text_frames(size: int) -> None:
    payload = b"x" * size
    reader = StreamReader()
    reader.feed_data(text_frame(payload))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:  # pragma: no cover
        raise AssertionError("incomplete frame")
    assert (frame.opcode, frame.fin, bytes(frame.data)) == (Opcode.TEXT, True, payload)
    assert not reader.buffer  # nothing after the frame


def test_an_event_frame_carries_the_batch_as_an_array() -> None:
    batch = Batch([delivery(1), delivery(2)])
    assert events_frame(batch).endswith(events_payload(batch))
    assert [e.id for e in decode_batch(events_payload(batch))] == [1, 2]
    assert events_payload(batch).decode() == frame_of(list(batch))


async def test_attached_sinks_share_each_batch_and_its_encoding() -> None:
    feed = ShowFeed(1)
    encodings: list[Batch] = []

    def encode(batch: Batch) -> bytes:
        encodings.append(batch)
        return events_payload(batch)

    written: dict[str, list[bytes]] = {"a": [], "b": []}

    def sink(name: str) -> Callable[[Batch], bool]:
        def write(batch: Batch) -> bool:
            written[name].append(batch.encoded(encode))
            return True

        return write

    a, b = Subscription(1, 8), Subscription(1, 8)
    feed.add(a)
    feed.add(b)
    feed.deliver([delivery(1)])  # queued while the connections say hello
    a.attach(sink("a"))
    b.attach(sink("b"))
    feed.deliver([delivery(2), delivery(3)])
    assert written["a"] == written["b"]
    assert [[e.id for e in decode_batch(raw)] for raw in written["a"]] == [[1], [2, 3]]
    assert len(encodings) == 3  # the queued batch of each, then one for the shared one
    assert a.pending() == 0
    assert (a.last_delivered, b.last_delivered) == (3, 3)
    feed.deliver([delivery(3), delivery(4)])  # a repeated id is dropped
    assert [e.id for e in decode_batch(written["a"][-1])] == [4]


async def test_a_sink_that_refuses_ends_its_subscription_alone() -> None:
    feed = ShowFeed(1)
    taken: list[int] = []
    full = False

    def slow(batch: Batch) -> bool:
        if full:
            return False
        taken.extend(d.id for d in batch)
        return True

    slow_sub, fast_sub = Subscription(1, 8), Subscription(1, 8)
    for sub in (slow_sub, fast_sub):
        feed.add(sub)
    slow_sub.attach(slow)
    fast_sub.attach(lambda batch: True)
    waiting = asyncio.create_task(slow_sub.next_batch())  # returns nothing: waits for the end
    feed.deliver([delivery(1)])
    await asyncio.sleep(0)
    assert not waiting.done()
    full = True
    feed.deliver([delivery(2)])
    assert slow_sub not in feed.subscribers
    assert fast_sub in feed.subscribers
    with pytest.raises(SlowConsumer) as cut:
        await asyncio.wait_for(waiting, 1)
    assert cut.value.last_id == 1 == taken[-1]
    assert fast_sub.last_delivered == 2
