"""The WebSocket and SSE channels of one edge worker (in-process bus, SQLite)."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from edge.bus import Batch
from edge.events import ChatEvent, Envelope, StockEvent, ViewersEvent, decode_batch
from edge.protocol import CLOSE_NOT_FOUND, CLOSE_RESUME, CLOSE_UNAUTHORIZED
from edge.settings import EdgeSettings
from edge.wsdirect import DirectSender
from tests.edge.support import Seed, close_code_after_draining, edge_server

pytestmark = pytest.mark.integration

FAST = EdgeSettings(viewers_report_interval_seconds=0.1, viewers_push_interval_seconds=0.3)


def stock(v: int) -> StockEvent:
    return StockEvent(product_id=1, available=100 - v, held=0, sold=v, version=v)


async def hello(ws: ClientConnection) -> dict[str, Any]:
    message = msgspec.json.decode(await ws.recv())
    assert message["type"] == "hello"
    return dict(message)


async def events(ws: ClientConnection, count: int, timeout: float = 5.0) -> list[Envelope]:
    got: list[Envelope] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            raw = await ws.recv()
            if raw.startswith("["):
                got.extend(decode_batch(raw))
    return got


async def test_anonymous_viewers_receive_typed_events_in_order(sqlite_db: tuple[str, Seed]) -> None:
    url, seed = sqlite_db
    async with edge_server(url, EdgeSettings()) as app:
        bus = app.services().bus
        async with connect(f"{app.ws}/ws/shows/{seed.show}") as ws:
            greeting = await hello(ws)
            assert greeting["resume"] == "live"
            assert greeting["user_id"] is None
            for v in range(1, 6):
                await bus.publish(seed.show, stock(v))
            got = await events(ws, 5)
    assert [e.id for e in got] == [1, 2, 3, 4, 5]
    assert got[2].event == stock(3)
    assert all(e.show_id == seed.show for e in got)


async def test_event_frames_are_written_straight_to_the_transport(
    sqlite_db: tuple[str, Seed], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seed = sqlite_db
    pushed: list[list[int]] = []
    push = DirectSender.push

    def spy(self: DirectSender, batch: Batch) -> bool:
        pushed.append([d.id for d in batch])
        return push(self, batch)

    monkeypatch.setattr(DirectSender, "push", spy)
    async with edge_server(url, EdgeSettings()) as app:
        bus = app.services().bus
        for v in range(1, 4):
            await bus.publish(seed.show, stock(v))
        async with (
            connect(f"{app.ws}/ws/shows/{seed.show}?since=1") as a,
            connect(f"{app.ws}/ws/shows/{seed.show}") as b,
        ):
            await hello(a)
            await hello(b)
            await bus.publish(seed.show, stock(4))
            got_a, got_b = await events(a, 3), await events(b, 1)
    assert [e.id for e in got_a] == [2, 3, 4]
    assert [e.id for e in got_b] == [4]
    assert sorted(pushed) == [[2, 3], [4], [4]]


async def test_a_reconnecting_client_resumes_without_loss(sqlite_db: tuple[str, Seed]) -> None:
    url, seed = sqlite_db
    async with edge_server(url, EdgeSettings()) as app:
        bus = app.services().bus
        async with connect(f"{app.ws}/ws/shows/{seed.show}") as ws:
            await hello(ws)
            for v in range(1, 4):
                await bus.publish(seed.show, stock(v))
            first = await events(ws, 3)
        for v in range(4, 9):  # published while the client is away
            await bus.publish(seed.show, stock(v))
        async with connect(f"{app.ws}/ws/shows/{seed.show}?since={first[-1].id}") as ws:
            greeting = await hello(ws)
            assert greeting["resume"] == "complete"
            await bus.publish(seed.show, stock(9))
            second = await events(ws, 6)
    assert [e.id for e in first + second] == list(range(1, 10))


async def test_sse_resumes_after_last_event_id(sqlite_db: tuple[str, Seed]) -> None:
    url, seed = sqlite_db
    async with edge_server(url, EdgeSettings()) as app:
        bus = app.services().bus
        for v in range(1, 6):
            await bus.publish(seed.show, stock(v))
        async with (
            httpx.AsyncClient(base_url=app.http, timeout=5) as client,
            client.stream(
                "GET", f"/sse/shows/{seed.show}", headers={"Last-Event-ID": "2"}
            ) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            blocks: list[dict[str, str]] = []
            buffer = ""
            async with asyncio.timeout(5):
                async for chunk in response.aiter_text():
                    buffer += chunk
                    while "\n\n" in buffer:
                        block, buffer = buffer.split("\n\n", 1)
                        fields = dict(
                            line.split(": ", 1) for line in block.splitlines() if ": " in line
                        )
                        if fields.get("event") == "stock":
                            blocks.append(fields)
                    if len(blocks) == 3:
                        break
    assert [b["id"] for b in blocks] == ["3", "4", "5"]
    assert msgspec.json.decode(blocks[0]["data"], type=Envelope).event == stock(3)


async def test_sse_unknown_show_is_a_404_problem(sqlite_db: tuple[str, Seed]) -> None:
    url, _ = sqlite_db
    async with edge_server(url, EdgeSettings()) as app, httpx.AsyncClient(base_url=app.http) as c:
        response = await c.get("/sse/shows/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "show_not_found"


async def test_bad_token_and_unknown_show_close_with_their_codes(
    sqlite_db: tuple[str, Seed],
) -> None:
    url, seed = sqlite_db
    async with edge_server(url, EdgeSettings()) as app:
        async with connect(f"{app.ws}/ws/shows/{seed.show}?token=nope") as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
        assert ws.close_code == CLOSE_UNAUTHORIZED
        async with connect(f"{app.ws}/ws/shows/424242") as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
        assert ws.close_code == CLOSE_NOT_FOUND


async def test_a_slow_client_is_cut_with_resume_and_others_are_not_delayed(
    sqlite_db: tuple[str, Seed],
) -> None:
    url, seed = sqlite_db
    async with edge_server(
        url, EdgeSettings(queue_size=32, close_timeout_seconds=1), send_buffer=16384
    ) as app:
        bus = app.services().bus
        # max_queue=1 and a tiny read buffer: this client stops reading and TCP pushes back.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", app.port))
        slow = await connect(f"{app.ws}/ws/shows/{seed.show}", sock=raw, max_queue=1)
        async with connect(f"{app.ws}/ws/shows/{seed.show}") as fast:
            await hello(fast)
            latencies: list[float] = []
            text = "x" * 4000
            received = 0
            for batch in range(60):
                sent = time.perf_counter()
                for i in range(10):
                    await bus.publish(
                        seed.show,
                        ChatEvent(
                            message_id=batch * 10 + i,
                            user_id=1,
                            display_name="Flood",
                            text=text,
                            sent_at=datetime.now(UTC),
                        ),
                    )
                got = await events(fast, 10)
                received += len(got)
                latencies.append(time.perf_counter() - sent)
            assert bus.subscriber_count(seed.show) == 1  # the slow one was cut
        assert received == 600
        assert max(latencies) < 0.5
        # The slow client, once it reads what was buffered, finds the resume close code.
        assert await close_code_after_draining(slow) == CLOSE_RESUME
        assert app.services().metrics.slow_consumers._value.get() >= 1


async def test_viewer_counts_are_pushed_on_the_channel(sqlite_db: tuple[str, Seed]) -> None:
    url, seed = sqlite_db
    async with (
        edge_server(url, FAST) as app,
        connect(f"{app.ws}/ws/shows/{seed.show}") as a,
        connect(f"{app.ws}/ws/shows/{seed.show}") as b,
        connect(f"{app.ws}/ws/shows/{seed.show}") as c,
    ):
        await hello(a)
        counts: list[int] = []
        async with asyncio.timeout(5):
            while not counts or counts[-1] != 3:
                for e in await events(a, 1):
                    if isinstance(e.event, ViewersEvent):
                        counts.append(e.event.count)
        await b.close()
        await c.close()
        async with asyncio.timeout(5):
            while counts[-1] != 1:
                for e in await events(a, 1):
                    if isinstance(e.event, ViewersEvent):
                        counts.append(e.event.count)
    assert counts[-1] == 1
