"""The events carried on a show's channel, as they cross processes and the network.

Publishers (commerce, media, edge itself) build one of the :data:`Event` structs and hand it to
:meth:`edge.bus.EventBus.publish`; the bus assigns the per-show monotonic id. On the wire every
event travels in an envelope ``{"id": 12, "show_id": 3, "event": {"type": "stock", ...}}``; the
bytes of an envelope are built once per worker and written to every subscriber as they are.

This module is imported by other packages to publish: it depends on msgspec only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec


class StockEvent(msgspec.Struct, frozen=True, tag="stock", tag_field="type"):
    """A product's inventory after a change; ``version`` grows with every change of the product,
    so a client keeps the highest version it has seen."""

    product_id: int
    available: int
    held: int
    sold: int
    version: int


class HighlightEvent(msgspec.Struct, frozen=True, tag="highlight", tag_field="type"):
    """A product card to show when the player's playhead reaches ``program_date_time``."""

    highlight_id: str
    product_id: int
    program_date_time: datetime
    created_at: datetime


class ChatEvent(msgspec.Struct, frozen=True, tag="chat", tag_field="type"):
    message_id: int
    user_id: int
    display_name: str
    text: str
    sent_at: datetime
    # "host", "moderator" or "viewer": lets clients badge messages without another lookup.
    role: str = "viewer"


class ChatDeletedEvent(msgspec.Struct, frozen=True, tag="chat_deleted", tag_field="type"):
    message_ids: list[int]


class ViewersEvent(msgspec.Struct, frozen=True, tag="viewers", tag_field="type"):
    count: int


ShowStatus = Literal["live", "idle", "ended"]


class ShowEvent(msgspec.Struct, frozen=True, tag="show", tag_field="type"):
    status: ShowStatus
    at: datetime | None = None


class SaleEvent(msgspec.Struct, frozen=True, tag="sale", tag_field="type"):
    """A product's sale opened or closed, or its mode changed: what the buy button offers."""

    product_id: int
    sale_open: bool
    sale_mode: Literal["open", "queue", "raffle"]


class QueueEvent(msgspec.Struct, frozen=True, tag="queue", tag_field="type"):
    """A product's waiting room: tickets ranked up to ``served`` have been admitted, so a
    waiting ticket's position is its rank minus ``served``; ``sold_out`` tells everyone still
    waiting at once."""

    product_id: int
    phase: Literal["waiting", "open"]
    joined: int
    served: int
    sold_out: bool
    admission_seconds: int


class RaffleEvent(msgspec.Struct, frozen=True, tag="raffle", tag_field="type"):
    """A product's raffle: entries open (``seed_digest`` commits to the seed), drawn (``seed``
    revealed), and the users given a hold by this step (winners, then runners-up)."""

    product_id: int
    status: Literal["open", "drawn"]
    entries: int
    seed_digest: str
    closes_at: datetime | None = None
    seed: str | None = None
    granted_user_ids: list[int] = []


Event = (StockEvent | HighlightEvent | ChatEvent | ChatDeletedEvent | ViewersEvent | ShowEvent
         | SaleEvent | QueueEvent | RaffleEvent)

EVENT_TYPES: tuple[str, ...] = ("stock", "highlight", "chat", "chat_deleted", "viewers", "show",
                                "sale", "queue", "raffle")


class Envelope(msgspec.Struct, frozen=True):
    """What a subscriber receives: the event with its per-show id."""

    id: int
    show_id: int
    event: Event


_encoder = msgspec.json.Encoder()
_event_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_envelope_decoder = msgspec.json.Decoder(Envelope)
_batch_decoder = msgspec.json.Decoder(list[Envelope])


def event_type(event: Event) -> str:
    return str(type(event).__struct_config__.tag)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> Event:
    return _event_decoder.decode(data)


def envelope_bytes(event_id: int, show_id: int, event_json: bytes) -> bytes:
    """The wire form of an envelope, built around an already encoded event without re-encoding."""
    return b'{"id":%d,"show_id":%d,"event":%s}' % (event_id, show_id, event_json)


def decode_envelope(data: bytes | str) -> Envelope:
    return _envelope_decoder.decode(data)


def decode_batch(data: bytes | str) -> list[Envelope]:
    """A WebSocket event frame: a JSON array of envelopes."""
    return _batch_decoder.decode(data)
