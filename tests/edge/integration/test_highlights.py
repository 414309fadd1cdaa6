"""Highlights: the host's clock is corrected, the click is mapped to the stream's
program-date-time, the playlist gets a daterange, viewers get the event, the timeline keeps it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from commerce.domain.users import Role
from edge.events import HighlightEvent, decode_batch
from edge.settings import EdgeSettings
from edge.streamclock import StreamClock
from tests.edge.streamclocks import PartClock
from tests.edge.support import Seed, edge_server, token_for

pytestmark = pytest.mark.integration

HOST_CLOCK_AHEAD = 3.7  # seconds: the host's clock runs this far ahead of the server's


@contextlib.asynccontextmanager
async def host_connection(
    ws_base: str, show_id: int, token: str, skew: float
) -> AsyncIterator[ClientConnection]:
    """A host studio's connection that answers the server's clock pings with its own clock."""
    async with connect(f"{ws_base}/ws/shows/{show_id}?token={token}") as ws:
        answered = 0

        async def answer() -> None:
            nonlocal answered
            async for raw in ws:
                if isinstance(raw, str) and raw.startswith("{"):
                    message = msgspec.json.decode(raw)
                    if message["type"] == "clock_ping":
                        pong = {
                            "type": "clock_pong",
                            "seq": message["seq"],
                            "client_time": (time.time() + skew) * 1000,
                        }
                        await ws.send(msgspec.json.encode(pong).decode())
                        answered += 1

        task = asyncio.create_task(answer())
        async with asyncio.timeout(5):
            while answered < 4:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # the last sample reaches the shared store
        try:
            yield ws
        finally:
            task.cancel()


async def wait_for_mid_part(clock: PartClock) -> float:
    """Sleep until the middle of a part, so that only a gross error could change the part."""
    while True:
        now = time.time()
        phase = ((now - clock.ingest_start) % clock.part_seconds) / clock.part_seconds
        if 0.45 <= phase <= 0.55:
            return now
        await asyncio.sleep(0.005)


async def test_a_highlight_lands_in_the_part_ingested_at_the_corrected_click(
    sqlite_db: tuple[str, Seed],
) -> None:
    url, seed = sqlite_db
    clock = PartClock(ingest_start=time.time() - 30)
    host_token = token_for(seed.host, Role.HOST)
    async with (
        edge_server(url, EdgeSettings(), stream_clock=clock) as app,
        host_connection(app.ws, seed.show, host_token, HOST_CLOCK_AHEAD),
        connect(f"{app.ws}/ws/shows/{seed.show}") as viewer,
        httpx.AsyncClient(base_url=app.http, timeout=5) as client,
    ):
        await viewer.recv()  # hello
        clicked = await wait_for_mid_part(clock)
        captured_at = datetime.fromtimestamp(clicked + HOST_CLOCK_AHEAD, UTC)
        response = await client.post(
            f"/api/v1/shows/{seed.show}/highlights",
            json={"product_id": seed.product, "captured_at": captured_at.isoformat()},
            headers={"Authorization": f"Bearer {host_token}"},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        pdt = datetime.fromisoformat(body["program_date_time"])
        start, end = clock.part_pdt_range(clock.part_at(clicked))
        assert start <= pdt < end
        assert abs(body["clock_offset_ms"] - HOST_CLOCK_AHEAD * 1000) < 50
        assert abs(datetime.fromisoformat(body["clicked_at"]).timestamp() - clicked) < 0.05

        assert clock.dateranges == [(seed.show, body["highlight_id"], seed.product, pdt)]

        async with asyncio.timeout(5):
            while True:
                raw = await viewer.recv()
                if isinstance(raw, str) and raw.startswith("["):
                    pushed = [e for e in decode_batch(raw) if isinstance(e.event, HighlightEvent)]
                    if pushed:
                        break
        event = pushed[0].event
        assert isinstance(event, HighlightEvent)
        assert event.program_date_time == pdt
        assert event.product_id == seed.product
        assert pushed[0].id == body["event_id"]

        # A second highlight ends the first one in the timeline.
        second = await client.post(
            f"/api/v1/shows/{seed.show}/highlights",
            json={"product_id": seed.product2},
            headers={"Authorization": f"Bearer {host_token}"},
        )
        assert second.status_code == 201, second.text
        timeline = (await client.get(f"/api/v1/shows/{seed.show}/timeline")).json()
    entries = timeline["highlights"]
    assert [e["product_id"] for e in entries] == [seed.product, seed.product2]
    assert entries[0]["end"] == entries[1]["start"]
    assert entries[1]["end"] is None


async def test_highlights_are_for_the_show_host_and_its_products(
    sqlite_db: tuple[str, Seed],
) -> None:
    url, seed = sqlite_db
    clock = PartClock(ingest_start=time.time() - 30)
    async with (
        edge_server(url, EdgeSettings(), stream_clock=clock) as app,
        httpx.AsyncClient(base_url=app.http, timeout=5) as client,
    ):
        path = f"/api/v1/shows/{seed.show}/highlights"

        async def attempt(token: str | None, product: int) -> httpx.Response:
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            return await client.post(path, json={"product_id": product}, headers=headers)

        assert (await attempt(None, seed.product)).status_code == 401
        forbidden = await attempt(token_for(seed.viewer), seed.product)
        assert (forbidden.status_code, forbidden.json()["code"]) == (403, "not_show_host")
        foreign = await attempt(token_for(seed.host, Role.HOST), seed.other_product)
        assert (foreign.status_code, foreign.json()["code"]) == (404, "product_not_in_show")
        assert (await attempt(token_for(seed.admin, Role.ADMIN), seed.product)).status_code == 201
        stale = await client.post(
            path,
            json={"product_id": seed.product, "captured_at": "2001-01-01T00:00:00Z"},
            headers={"Authorization": f"Bearer {token_for(seed.host, Role.HOST)}"},
        )
        assert (stale.status_code, stale.json()["code"]) == (422, "captured_at_out_of_range")
        naive = await client.post(
            path,
            json={"product_id": seed.product, "captured_at": "2030-01-01T00:00:00"},
            headers={"Authorization": f"Bearer {token_for(seed.host, Role.HOST)}"},
        )
        assert naive.status_code == 400


async def test_nothing_is_kept_when_media_fails_or_the_stream_is_not_mapped(
    sqlite_db: tuple[str, Seed],
) -> None:
    url, seed = sqlite_db
    failing = PartClock(ingest_start=time.time() - 30, fail_dateranges=True)
    not_live = PartClock(ingest_start=time.time() + 3600)
    host = {"Authorization": f"Bearer {token_for(seed.host, Role.HOST)}"}
    cases = ((failing, 503, "media_unavailable"), (not_live, 409, "stream_time_unknown"))
    for clock, status, code in cases:
        async with (
            edge_server(url, EdgeSettings(), stream_clock=clock) as app,
            httpx.AsyncClient(base_url=app.http, timeout=5) as client,
        ):
            response = await client.post(
                f"/api/v1/shows/{seed.show}/highlights",
                json={"product_id": seed.product},
                headers=host,
            )
            assert (response.status_code, response.json()["code"]) == (status, code)
            timeline = (await client.get(f"/api/v1/shows/{seed.show}/timeline")).json()
            assert timeline["highlights"] == []
            assert await app.services().bus.last_event_id(seed.show) == 0


async def test_media_provides_the_stream_clock() -> None:
    """Media's in-process clock is what ``showfloor up`` gives edge; the live-stream proof (a
    highlight lands in the part ingested at the click) is in tests/showfloor/integration/
    test_stack.py, in process and over media's internal HTTP endpoints."""
    from media.stream_clock import ServiceStreamClock

    clock = ServiceStreamClock(lambda: None)
    assert isinstance(clock, StreamClock)
    assert await clock.program_date_time_at(1, datetime.now(UTC)) is None
