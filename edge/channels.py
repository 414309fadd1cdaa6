"""The per-show channels: ``/ws/shows/{id}`` (WebSocket, also chat and the host's clock pings)
and ``/sse/shows/{id}`` (server-sent events, read-only). See :mod:`edge.protocol`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, WebSocket, get, websocket
from litestar.params import FromPath
from litestar.response import Stream

from commerce.auth.tokens import InvalidToken
from edge import store
from edge.bus import BusClosed, Delivery, SlowConsumer, Subscription, SubscriptionEnded
from edge.domain.chat import ChatRejected, ShowRole
from edge.domain.clocksync import ClockFilter, ClockSample, InvalidSample
from edge.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_NOT_FOUND,
    CLOSE_RESUME,
    CLOSE_SERVICE_RESTART,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHORIZED,
    Authenticated,
    AuthMessage,
    ChatAck,
    ChatMessage,
    ClockPing,
    ClockPong,
    ErrorMessage,
    Hello,
    PingMessage,
    Pong,
    client_message_decoder,
)
from edge.wsdirect import direct_sender, expose_server_protocol
from showfloor.problems import ProblemError
from showfloor.web import resources_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from litestar.types import ReceiveMessage, WebSocketCloseEvent, WebSocketSendEvent

    from commerce.domain.users import Principal
    from edge.services import EdgeServices

logger = logging.getLogger("showfloor.edge.channels")

_encode = msgspec.json.Encoder().encode


def services_of(connection: Request[Any, Any, Any] | WebSocket[Any, Any, Any]) -> EdgeServices:
    edge: EdgeServices = resources_of(connection.app.state).service("edge")
    return edge


def frame_of(batch: list[Delivery]) -> str:
    """The text of one WebSocket frame: a JSON array of the batch's envelopes."""
    if len(batch) == 1:
        return "[" + batch[0].text + "]"
    return "[" + ",".join(d.text for d in batch) + "]"


def parse_since(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    value = int(raw)  # ValueError for the caller
    if value < 0:
        raise ValueError("negative")
    return value


def now_ms() -> float:
    return time.time() * 1000.0


class _Closing(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ShowSocket:
    """One WebSocket connection to one show."""

    def __init__(self, edge: EdgeServices, socket: WebSocket[Any, Any, Any], show_id: int) -> None:
        self.edge = edge
        self.socket = socket
        self.show_id = show_id
        self.principal: Principal | None = None
        self.token: str | None = None
        self.display_name = ""
        self.role: ShowRole | None = None
        self.sub: Subscription | None = None
        self._clock_filter = ClockFilter()
        self._pings: dict[int, float] = {}
        self._ping_seq = 0
        self._pinger: asyncio.Task[None] | None = None
        self._send = socket.send

    async def send_control(self, message: msgspec.Struct) -> None:
        event: WebSocketSendEvent = {
            "type": "websocket.send",
            "text": _encode(message).decode(),
            "bytes": None,
        }
        await self._send(event)

    async def close(self, code: int, reason: str) -> None:
        self.edge.metrics.closed.labels("ws", reason).inc()
        try:
            async with asyncio.timeout(self.edge.edge.close_timeout_seconds):
                event: WebSocketCloseEvent = {
                    "type": "websocket.close",
                    "code": code,
                    "reason": reason,
                }
                await self._send(event)
        except Exception:  # a stalled or vanished client: the server stops waiting for it
            logger.debug("edge_ws_close_failed", exc_info=True)

    async def run(self) -> None:
        edge = self.edge
        await self.socket.accept()
        params = self.socket.query_params
        try:
            since = parse_since(params.get("since"))
        except ValueError:
            await self.close(CLOSE_BAD_REQUEST, "since must be an event id")
            return
        show = await edge.directory.get(self.show_id)
        if show is None:
            await self.close(CLOSE_NOT_FOUND, "not_found")
            return
        token = params.get("token")
        if token:
            try:
                await self.authenticate(show, token)
            except InvalidToken:
                await self.close(CLOSE_UNAUTHORIZED, "unauthorized")
                return
        edge.metrics.connections.labels("ws").inc()
        try:
            with edge.presence.watching(self.show_id):
                async with edge.bus.subscribe(
                    self.show_id, since, max_pending=edge.edge.queue_size
                ) as sub:
                    self.sub = sub
                    edge.metrics.connections_total.labels("ws", sub.plan.kind.value).inc()
                    await self.send_control(
                        Hello(
                            show_id=self.show_id,
                            last_event_id=sub.last_queued,
                            resume=sub.plan.kind.value,
                            user_id=None if self.principal is None else self.principal.user_id,
                            role=None if self.role is None else self.role.value,
                            server_time=now_ms(),
                        )
                    )
                    reader = asyncio.create_task(self._read(show))
                    try:
                        await self._write(sub)
                    finally:
                        reader.cancel()
                        if self._pinger is not None:
                            self._pinger.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await reader
        except _Closing as closing:
            await self.close(closing.code, closing.reason)
        finally:
            edge.metrics.connections.labels("ws").dec()

    async def _write(self, sub: Subscription) -> None:
        send = self._send
        try:
            direct = direct_sender(self.socket.scope, self.edge.edge.ws_send_buffer_bytes)
            if direct is not None:
                # Batches are written as the bus delivers them; next_batch() only waits for
                # the end of the subscription.
                sub.attach(direct.push)
            while True:
                batch = await sub.next_batch()
                event: WebSocketSendEvent = {
                    "type": "websocket.send",
                    "text": frame_of(batch),
                    "bytes": None,
                }
                await send(event)
        except SlowConsumer:
            self.edge.metrics.slow_consumers.inc()
            raise _Closing(CLOSE_RESUME, "slow_consumer") from None
        except BusClosed:
            raise _Closing(CLOSE_SERVICE_RESTART, "shutting_down") from None
        except SubscriptionEnded as ended:
            if ended.reason == "client_gone":
                return
            if ended.reason.startswith("close:"):
                _, code, reason = ended.reason.split(":", 2)
                raise _Closing(int(code), reason) from None
            raise _Closing(CLOSE_RESUME, ended.reason) from None
        except Exception:  # the client went away mid-send
            logger.debug("edge_ws_send_failed", exc_info=True)

    def _stop(self, reason: str) -> None:
        if self.sub is not None:
            self.sub.end(SubscriptionEnded(reason, self.sub.last_delivered))

    async def _read(self, show: store.ShowInfo) -> None:
        limit = self.edge.edge.ws_max_message_bytes
        try:
            while True:
                message: ReceiveMessage = await self.socket.receive()
                if message["type"] != "websocket.receive":
                    break
                data: str | bytes = message.get("text") or message.get("bytes") or ""
                if len(data) > limit:
                    self._stop(f"close:{CLOSE_TOO_BIG}:message_too_big")
                    return
                try:
                    command = client_message_decoder.decode(data)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    await self.send_control(ErrorMessage("invalid_message", str(exc)))
                    continue
                await self._handle(show, command)
        except _Closing as closing:
            self._stop(f"close:{closing.code}:{closing.reason}")
            return
        except Exception:
            logger.debug("edge_ws_receive_failed", exc_info=True)
        self._stop("client_gone")

    async def _handle(
        self, show: store.ShowInfo, command: AuthMessage | ChatMessage | ClockPong | PingMessage
    ) -> None:
        if isinstance(command, PingMessage):
            await self.send_control(Pong(t0=command.t0, server_time=now_ms()))
        elif isinstance(command, ClockPong):
            self._on_clock_pong(command)
        elif isinstance(command, AuthMessage):
            try:
                await self.authenticate(show, command.token)
            except InvalidToken:
                raise _Closing(CLOSE_UNAUTHORIZED, "unauthorized") from None
            if self.principal is not None and self.role is not None:
                await self.send_control(Authenticated(self.principal.user_id, self.role.value))
        else:
            await self._chat(show, command)

    async def authenticate(self, show: store.ShowInfo, token: str) -> None:
        principal = self.edge.tokens.verify(token)
        async with self.edge.sessions() as session:
            name = await store.get_display_name(session, principal.user_id)
            if name is None:
                raise InvalidToken("unknown user")
            role = await store.role_of(session, show, principal)
        self.principal, self.token, self.display_name, self.role = principal, token, name, role
        if role is ShowRole.HOST and self._pinger is None and show.owner_id == principal.user_id:
            self._pinger = asyncio.create_task(self._ping_host())

    async def _chat(self, show: store.ShowInfo, command: ChatMessage) -> None:
        if self.principal is None or self.token is None:
            await self.send_control(
                ErrorMessage("auth_required", "Sign in to chat.", ref=command.ref)
            )
            return
        try:
            self.edge.tokens.verify(self.token)
        except InvalidToken:
            await self.send_control(
                ErrorMessage(
                    "token_expired",
                    "Your session expired: send a fresh token in an auth message.",
                    ref=command.ref,
                )
            )
            return
        try:
            posted = await self.edge.chat.post(
                show, self.principal, self.display_name, command.text
            )
        except ChatRejected as exc:
            await self.send_control(
                ErrorMessage(
                    exc.code,
                    exc.detail,
                    ref=command.ref,
                    retry_after_ms=None
                    if exc.retry_after is None
                    else max(1, round(exc.retry_after * 1000)),
                )
            )
            return
        await self.send_control(ChatAck(command.ref, posted.message_id, posted.event_id))

    # -- the host's clock ------------------------------------------------------------------------

    async def _ping_host(self) -> None:
        # A quick burst gives a usable estimate within a second of connecting; then a ping now
        # and then follows drift and route changes.
        delays = [0.0, 0.15, 0.15, 0.15, 0.15]
        interval = self.edge.edge.clock_ping_interval_seconds
        with contextlib.suppress(asyncio.CancelledError):
            index = 0
            while True:
                await asyncio.sleep(delays[index] if index < len(delays) else interval)
                index += 1
                self._ping_seq += 1
                sent = now_ms()
                self._pings[self._ping_seq] = sent
                if len(self._pings) > 16:
                    del self._pings[min(self._pings)]
                try:
                    await self.send_control(ClockPing(seq=self._ping_seq, server_time=sent))
                except Exception:
                    return

    def _on_clock_pong(self, pong: ClockPong) -> None:
        sent = self._pings.pop(pong.seq, None)
        if sent is None or self.principal is None:
            return
        sample = ClockSample(sent / 1000.0, pong.client_time / 1000.0, time.time())
        try:
            estimate = self._clock_filter.add(sample)
        except InvalidSample:
            return
        principal = self.principal
        task = asyncio.create_task(
            self.edge.host_clocks.put(
                self.show_id, principal.user_id, estimate, self.edge.edge.clock_offset_ttl_seconds
            )
        )
        task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("edge_clock_store_failed", exc_info=task.exception())


@websocket("/ws/shows/{show_id:int}", middleware=[expose_server_protocol])
async def show_socket(socket: WebSocket[Any, Any, Any], show_id: FromPath[int]) -> None:
    await ShowSocket(services_of(socket), socket, show_id).run()


# -- server-sent events -----------------------------------------------------------------------

_SSE_KEEPALIVE_SECONDS = 15.0


def sse_chunk(d: Delivery) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (d.id, d.event_type.encode(), d.wire)


def _sse_since(headers: Mapping[str, str], query: Mapping[str, str]) -> int | None:
    raw = headers.get("last-event-id") or query.get("since")
    return parse_since(raw)


async def _sse_stream(edge: EdgeServices, show_id: int, since: int | None) -> AsyncIterator[bytes]:
    edge.metrics.connections.labels("sse").inc()
    try:
        with edge.presence.watching(show_id):
            async with edge.bus.subscribe(show_id, since, max_pending=edge.edge.queue_size) as sub:
                edge.metrics.connections_total.labels("sse", sub.plan.kind.value).inc()
                hello = Hello(
                    show_id=show_id,
                    last_event_id=sub.last_queued,
                    resume=sub.plan.kind.value,
                    user_id=None,
                    role=None,
                    server_time=now_ms(),
                )
                yield b"retry: 2000\nevent: hello\ndata: " + _encode(hello) + b"\n\n"
                while True:
                    try:
                        async with asyncio.timeout(_SSE_KEEPALIVE_SECONDS):
                            batch = await sub.next_batch()
                    except TimeoutError:
                        yield b": keepalive\n\n"
                        continue
                    except SubscriptionEnded as ended:
                        # EventSource reconnects by itself with Last-Event-ID and resumes.
                        if isinstance(ended, SlowConsumer):
                            edge.metrics.slow_consumers.inc()
                        edge.metrics.closed.labels("sse", ended.reason).inc()
                        return
                    yield b"".join(sse_chunk(d) for d in batch)
    finally:
        edge.metrics.connections.labels("sse").dec()


@get("/sse/shows/{show_id:int}", summary="A show's events as server-sent events")
async def show_events(request: Request[Any, Any, Any], show_id: FromPath[int]) -> Stream:
    """Read-only channel of a show. Resumes after the ``Last-Event-ID`` header (or ``since``)."""
    edge = services_of(request)
    try:
        since = _sse_since(request.headers, request.query_params)
    except ValueError:
        raise ProblemError(400, "invalid_since", "Last-Event-ID must be an event id.") from None
    if await edge.directory.get(show_id) is None:
        raise ProblemError(404, "show_not_found", "There is no such show.")
    return Stream(
        _sse_stream(edge, show_id, since),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            # nginx must not buffer an event stream.
            "X-Accel-Buffering": "no",
        },
    )
