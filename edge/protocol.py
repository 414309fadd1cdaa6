"""The WebSocket protocol of a show channel, beside the events themselves.

Server to client, every text frame is either a JSON **array** of event envelopes (see
:mod:`edge.events`; several when the client was briefly behind) or a JSON **object**, a control
message with a ``type``: ``hello``, ``authenticated``, ``chat_ack``, ``error``, ``clock_ping``,
``pong``.

Client to server, every frame is an object: ``auth`` (a commerce access token, for browsers that
cannot set headers on a WebSocket), ``chat``, ``clock_pong`` (the answer to ``clock_ping``) and
``ping``.

Close codes: :data:`CLOSE_RESUME` (4001) means "reconnect with ``since`` = the last event id you
processed": the connection fell behind (slow consumer) or the show's stream was interrupted.
1012 (service restart) means the same on a worker shutdown. 4400: bad request (e.g. ``since``);
4401: the token is invalid or expired; 4404: no such show; 1009: message too big.
"""

from __future__ import annotations

import msgspec

CLOSE_RESUME = 4001
CLOSE_SERVICE_RESTART = 1012
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_BIG = 1009


# -- client to server ---------------------------------------------------------------------------


class AuthMessage(msgspec.Struct, frozen=True, tag="auth", tag_field="type"):
    token: str


class ChatMessage(msgspec.Struct, frozen=True, tag="chat", tag_field="type"):
    text: str
    ref: str | None = None  # echoed in the ack or error, to match them to the message


class ClockPong(msgspec.Struct, frozen=True, tag="clock_pong", tag_field="type"):
    seq: int
    client_time: float  # the host's clock when it answered, ms since the epoch


class PingMessage(msgspec.Struct, frozen=True, tag="ping", tag_field="type"):
    t0: float | None = None


ClientMessage = AuthMessage | ChatMessage | ClockPong | PingMessage

client_message_decoder: msgspec.json.Decoder[ClientMessage] = msgspec.json.Decoder(ClientMessage)


# -- server to client ---------------------------------------------------------------------------


class Hello(msgspec.Struct, frozen=True, tag="hello", tag_field="type"):
    show_id: int
    last_event_id: int
    resume: str  # live, complete, gap (resync from the APIs), reset (ditto)
    user_id: int | None
    role: str | None
    server_time: float  # ms since the epoch


class Authenticated(msgspec.Struct, frozen=True, tag="authenticated", tag_field="type"):
    user_id: int
    role: str


class ChatAck(msgspec.Struct, frozen=True, tag="chat_ack", tag_field="type"):
    ref: str | None
    message_id: int
    event_id: int


class ErrorMessage(msgspec.Struct, frozen=True, omit_defaults=True, tag="error", tag_field="type"):
    code: str
    detail: str
    ref: str | None = None
    retry_after_ms: int | None = None


class ClockPing(msgspec.Struct, frozen=True, tag="clock_ping", tag_field="type"):
    seq: int
    server_time: float  # ms since the epoch


class Pong(msgspec.Struct, frozen=True, tag="pong", tag_field="type"):
    t0: float | None
    server_time: float


ServerMessage = Hello | Authenticated | ChatAck | ErrorMessage | ClockPing | Pong

server_message_decoder: msgspec.json.Decoder[ServerMessage] = msgspec.json.Decoder(ServerMessage)
