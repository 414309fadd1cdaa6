"""Chat over the WebSocket, moderation over HTTP, and the CSV export (one worker, SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from commerce.domain.users import Role
from edge.events import ChatDeletedEvent, ChatEvent, Envelope, decode_batch
from edge.settings import EdgeSettings
from tests.edge.support import RunningApp, Seed, edge_server, token_for

pytestmark = pytest.mark.integration

LIMITS = EdgeSettings(chat_burst=3, chat_per_minute=6, chat_max_length=50)


class Client:
    """A chat client: sends messages, collects events and control messages."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[Envelope] = []
        self.controls: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read())
        self._refs = 0

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                assert isinstance(raw, str)
                async with self._changed:
                    if raw.startswith("["):
                        self.events.extend(decode_batch(raw))
                    else:
                        self.controls.append(msgspec.json.decode(raw))
                    self._changed.notify_all()

    async def wait(self, predicate: Any, timeout: float = 5.0) -> Any:
        async with asyncio.timeout(timeout), self._changed:
            while True:
                found = predicate()
                if found:
                    return found
                await self._changed.wait()

    async def chat(self, text: str) -> dict[str, Any]:
        self._refs += 1
        ref = f"r{self._refs}"
        await self.ws.send(msgspec.json.encode({"type": "chat", "text": text, "ref": ref}).decode())
        return await self.wait(  # type: ignore[no-any-return]
            lambda: next(
                (
                    c
                    for c in self.controls
                    if c.get("ref") == ref and c["type"] in ("chat_ack", "error")
                ),
                None,
            )
        )

    def chats(self) -> list[ChatEvent]:
        return [e.event for e in self.events if isinstance(e.event, ChatEvent)]

    def deleted(self) -> list[int]:
        return [
            i
            for e in self.events
            if isinstance(e.event, ChatDeletedEvent)
            for i in e.event.message_ids
        ]


@contextlib.asynccontextmanager
async def client(app: RunningApp, show: int, token: str | None = None) -> AsyncIterator[Client]:
    query = f"?token={token}" if token else ""
    async with connect(f"{app.ws}/ws/shows/{show}{query}") as ws:
        c = Client(ws)
        await c.wait(lambda: any(m["type"] == "hello" for m in c.controls))
        yield c
        c._task.cancel()


@pytest.fixture
async def app(sqlite_db: tuple[str, Seed]) -> AsyncIterator[RunningApp]:
    async with edge_server(sqlite_db[0], LIMITS) as running:
        yield running


@pytest.fixture
def seed(sqlite_db: tuple[str, Seed]) -> Seed:
    return sqlite_db[1]


def auth(user: int, role: Role = Role.VIEWER) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user, role)}"}


async def test_signed_in_viewers_chat_and_everyone_sees_it(app: RunningApp, seed: Seed) -> None:
    async with (
        client(app, seed.show, token_for(seed.viewer)) as alice,
        client(app, seed.show) as anon,
    ):
        ack = await alice.chat("  hello\n  everyone  ")
        assert ack["type"] == "chat_ack"
        seen = await anon.wait(anon.chats)
        assert seen[0].text == "hello everyone"
        assert (seen[0].user_id, seen[0].display_name, seen[0].role) == (
            seed.viewer,
            "Viewer",
            "viewer",
        )
        assert seen[0].message_id == ack["message_id"]
        refused = await anon.chat("hi")
        assert refused["code"] == "auth_required"


async def test_a_token_can_come_in_the_first_message(app: RunningApp, seed: Seed) -> None:
    async with client(app, seed.show) as c:
        await c.ws.send(
            msgspec.json.encode({"type": "auth", "token": token_for(seed.viewer)}).decode()
        )
        authed = await c.wait(lambda: [m for m in c.controls if m["type"] == "authenticated"])
        assert authed[0]["user_id"] == seed.viewer
        assert (await c.chat("now I can talk"))["type"] == "chat_ack"


async def test_text_is_checked(app: RunningApp, seed: Seed) -> None:
    async with client(app, seed.show, token_for(seed.viewer)) as c:
        assert (await c.chat("x" * 51))["code"] == "message_too_long"
        assert (await c.chat("   "))["code"] == "empty_message"
        assert (await c.chat("evil \u202e txt"))["code"] == "invalid_characters"
        assert (await c.chat("bell \x07"))["code"] == "invalid_characters"


async def test_rate_limit_allows_a_burst_then_refuses(app: RunningApp, seed: Seed) -> None:
    async with client(app, seed.show, token_for(seed.viewer)) as c:
        results = [await c.chat(f"m{i}") for i in range(4)]
        assert [r["type"] for r in results] == ["chat_ack"] * 3 + ["error"]
        assert results[3]["code"] == "rate_limited"
        assert 0 < results[3]["retry_after_ms"] <= 10_000
    async with client(app, seed.show, token_for(seed.host, Role.HOST)) as host:
        # The host is not rate limited.
        assert [(await host.chat(f"h{i}"))["type"] for i in range(5)] == ["chat_ack"] * 5


async def test_slow_mode_holds_viewers_but_not_moderators(app: RunningApp, seed: Seed) -> None:
    async with httpx.AsyncClient(base_url=app.http) as http:
        base = f"/api/v1/shows/{seed.show}"
        assert (
            await http.put(
                f"{base}/moderators/{seed.moderator}", headers=auth(seed.host, Role.HOST)
            )
        ).status_code == 204
        refused = await http.put(
            f"{base}/chat/settings", json={"slow_mode_seconds": 30}, headers=auth(seed.viewer)
        )
        assert refused.status_code == 403
        r = await http.put(
            f"{base}/chat/settings", json={"slow_mode_seconds": 30}, headers=auth(seed.moderator)
        )
        assert r.status_code == 200
        assert (await http.get(f"{base}/chat/settings")).json() == {"slow_mode_seconds": 30}
    async with (
        client(app, seed.show, token_for(seed.viewer)) as v,
        client(app, seed.show, token_for(seed.moderator)) as m,
    ):
        assert (await v.chat("one"))["type"] == "chat_ack"
        slowed = await v.chat("two")
        assert slowed["code"] == "rate_limited"
        assert "Slow mode" in slowed["detail"]
        assert 25_000 < slowed["retry_after_ms"] <= 30_000
        assert (await m.chat("one"))["type"] == "chat_ack"
        assert (await m.chat("two"))["type"] == "chat_ack"


async def test_moderators_delete_and_mute_but_not_the_host(app: RunningApp, seed: Seed) -> None:
    base = f"/api/v1/shows/{seed.show}"
    async with (
        httpx.AsyncClient(base_url=app.http) as http,
        client(app, seed.show, token_for(seed.viewer)) as v,
    ):
        ack = await v.chat("something rude")
        # Not a moderator yet.
        r = await http.delete(
            f"{base}/chat/messages/{ack['message_id']}", headers=auth(seed.moderator)
        )
        assert (r.status_code, r.json()["code"]) == (403, "not_a_moderator")
        await http.put(f"{base}/moderators/{seed.moderator}", headers=auth(seed.host, Role.HOST))
        assert (await http.get(f"{base}/moderators")).json() == {"user_ids": [seed.moderator]}
        r = await http.delete(
            f"{base}/chat/messages/{ack['message_id']}", headers=auth(seed.moderator)
        )
        assert r.status_code == 204
        assert await v.wait(v.deleted) == [ack["message_id"]]
        r = await http.put(
            f"{base}/chat/mutes/{seed.viewer}",
            json={"duration_seconds": 60},
            headers=auth(seed.moderator),
        )
        assert r.status_code == 200
        assert (await v.chat("let me speak"))["code"] == "muted"
        r = await http.put(f"{base}/chat/bans/{seed.host}", json={}, headers=auth(seed.moderator))
        assert (r.status_code, r.json()["code"]) == (403, "target_is_host")
        r = await http.put(f"{base}/chat/bans/{seed.viewer2}", json={}, headers=auth(seed.viewer))
        assert r.status_code == 403
        r = await http.delete(f"{base}/chat/mutes/{seed.viewer}", headers=auth(seed.moderator))
        assert r.status_code == 204
        assert (await v.chat("thanks"))["type"] == "chat_ack"
        # A moderator from another show has no power here.
        r = await http.delete(f"{base}/chat/messages/999", headers=auth(seed.moderator))
        assert r.status_code == 404


async def test_a_ban_survives_reconnects_and_new_tabs(app: RunningApp, seed: Seed) -> None:
    base = f"/api/v1/shows/{seed.show}"
    token = token_for(seed.viewer2)
    async with httpx.AsyncClient(base_url=app.http) as http:
        async with client(app, seed.show, token) as tab1, client(app, seed.show) as watcher:
            first = await tab1.chat("spam 1")
            second = await tab1.chat("spam 2")
            r = await http.put(
                f"{base}/chat/bans/{seed.viewer2}",
                json={"reason": "spam", "purge": True},
                headers=auth(seed.host, Role.HOST),
            )
            assert r.status_code == 200
            assert r.json()["until"] is None
            assert (await tab1.chat("still here"))["code"] == "banned"
            purged = await watcher.wait(lambda: len(watcher.deleted()) >= 2 and watcher.deleted())
            assert purged == [first["message_id"], second["message_id"]]
        for _ in range(2):  # reconnect, then a new tab
            async with client(app, seed.show, token) as again:
                assert (await again.chat("hello?"))["code"] == "banned"
        history = (await http.get(f"{base}/chat/messages")).json()["messages"]
        assert all(m["user_id"] != seed.viewer2 for m in history)
        await http.delete(f"{base}/chat/bans/{seed.viewer2}", headers=auth(seed.host, Role.HOST))
        async with client(app, seed.show, token) as forgiven:
            assert (await forgiven.chat("sorry"))["type"] == "chat_ack"


async def test_the_host_exports_the_chat_as_csv(app: RunningApp, seed: Seed) -> None:
    base = f"/api/v1/shows/{seed.show}"
    async with httpx.AsyncClient(base_url=app.http) as http:
        async with client(app, seed.show, token_for(seed.viewer)) as v:
            kept = await v.chat('=HYPERLINK("http://evil")')
            gone = await v.chat("oops, a typo")
        await http.delete(
            f"{base}/chat/messages/{gone['message_id']}", headers=auth(seed.host, Role.HOST)
        )
        r = await http.get(f"{base}/chat/export.csv", headers=auth(seed.viewer))
        assert r.status_code == 403
        r = await http.get(f"{base}/chat/export.csv", headers=auth(seed.host, Role.HOST))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(row["message_id"]) for row in rows] == [kept["message_id"], gone["message_id"]]
    assert rows[0]["text"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["display_name"] == "Viewer"
    assert rows[0]["deleted_at"] == ""
    assert rows[1]["deleted_at"].endswith("Z")
    assert rows[1]["deleted_by"] == str(seed.host)
