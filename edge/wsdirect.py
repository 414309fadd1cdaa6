"""Writing a show's event frames straight into a WebSocket's transport.

Through ASGI, each frame to each connection costs an awaited ``send`` (a coroutine, a wait for
the transport to be writable, a frame built by the protocol object): at thousands of viewers
that, not the network, is the cost of a broadcast. When the server is uvicorn's
``websockets-sansio`` protocol without compression (how edge is served), the frame bytes of a
batch are built once (:mod:`edge.wsframes`) and written to each connection's transport as they
are, without waiting: a connection whose send buffer already holds more than a bound is
refused the batch and cut as a slow consumer instead. Anything else (another server, another
protocol, compression negotiated) keeps the ASGI path; control messages and the close always
take it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edge.wsframes import events_frame

if TYPE_CHECKING:
    import asyncio

    from litestar.types import ASGIApp, Receive, Scope, Send

    from edge.bus import Batch


class DirectSender:
    """Writes event batches to one connection's transport; see :meth:`push`."""

    __slots__ = ("_limit", "_protocol", "_transport")

    def __init__(self, protocol: Any, transport: asyncio.WriteTransport, limit: int) -> None:
        self._protocol = protocol
        self._transport = transport
        self._limit = limit
        # The protocol's own sends (control messages, the close) wait while the transport is
        # over its high-water mark. Above the cut bound plus a frame, so that a connection
        # that is cut still gets its close frame at once, behind what it was sent.
        transport.set_write_buffer_limits(high=2 * limit, low=limit // 2)

    def push(self, batch: Batch) -> bool:
        """Write the batch's frame; False (nothing written) when the connection is behind."""
        transport = self._transport
        if transport.get_write_buffer_size() > self._limit:
            return False
        if not (self._protocol.close_sent or transport.is_closing()):
            transport.write(batch.encoded(events_frame))
        # else the connection is closing: its reader ends the subscription
        return True


_SCOPE_KEY = "edge.server_protocol"


def expose_server_protocol(app: ASGIApp) -> ASGIApp:
    """Middleware of the channel route: note the server's protocol object of the connection in
    the scope's extensions, for :func:`direct_sender`.

    It is the owner of the ASGI ``receive`` as the server passed it (middleware leaves
    ``receive`` alone on WebSockets, while ``send`` is wrapped by the framework).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        extensions = scope.get("extensions")
        owner = getattr(receive, "__self__", None)
        if extensions is not None and owner is not None:
            extensions[_SCOPE_KEY] = {"protocol": owner}
        await app(scope, receive, send)

    return middleware


def direct_sender(scope: Scope, limit: int) -> DirectSender | None:
    """A direct sender for the connection of ``scope``, if its server allows one."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # pragma: no cover  (another server)
        return None
    noted = (scope.get("extensions") or {}).get(_SCOPE_KEY)
    protocol = None if noted is None else noted.get("protocol")
    if type(protocol) is not WebSocketsSansIOProtocol:
        return None
    if not protocol.handshake_complete or protocol.close_sent or protocol.conn.extensions:
        return None
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return None
    return DirectSender(protocol, transport, limit)
