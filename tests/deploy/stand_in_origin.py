"""A small stand-in for commerce, edge or media that counts what reaches it.

nginx's routing, caching and limits are properties of the config, so they are checked against
origins whose every request is counted. The behaviours mirror the real apps' contracts: blocking
playlist reloads are held, the first request for a part is held until the part "exists", SSE
events trickle out, WebSockets echo.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]

PRIVATE_PATHS = ("/healthz", "/readyz", "/metrics")


def part_body(path: str, size: int = 32 * 1024) -> bytes:
    seed = path.encode()
    return (seed * (size // len(seed) + 1))[:size]


class StandInOrigin:
    def __init__(self, app_name: str, *, part_delay: float = 0.5, hold_delay: float = 0.5) -> None:
        self.app_name = app_name
        self.part_delay = part_delay
        self.hold_delay = hold_delay
        self.hits: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int) -> None:
        self.port = port
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError(f"stand-in {self.app_name} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def count(self, path: str) -> int:
        with self._lock:
            return self.hits[path]

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    def _record(self, scope: Scope) -> int:
        key = scope["path"]
        query = scope["query_string"].decode()
        with self._lock:
            self.hits[key] += 1
            if query:
                self.hits[f"{key}?{query}"] += 1
            self.last_headers[key] = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            return self.hits[key]

    async def _websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        self._record(scope)
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": f"hello from {self.app_name}"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": message.get("text") or ""})

    async def _http(self, scope: Scope, receive: Any, send: Any) -> None:
        nth = self._record(scope)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        method: str = scope["method"]
        query = parse_qs(scope["query_string"].decode())

        if path.startswith(PRIVATE_PATHS):
            await _respond(send, 200, b"private to the origin", "text/plain")
        elif path.startswith("/sse/"):
            await self._sse(send)
        elif path.startswith("/whip/") and method == "POST":
            await _respond(
                send,
                201,
                b"v=0\r\n",
                "application/sdp",
                [(b"location", f"{path}/session-1".encode())],
            )
        elif path.startswith("/whip/") and method == "DELETE":
            await _respond(send, 204, b"", "text/plain")
        elif path.startswith(("/hls/", "/vod/")) and path.endswith(".m3u8"):
            if "_HLS_msn" in query:
                await asyncio.sleep(self.hold_delay)  # held until that part exists
            playlist = (
                "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n"
                f"# {self.app_name} {path} {scope['query_string'].decode()} #{nth}\n"
            )
            await _respond(
                send,
                200,
                playlist.encode(),
                "application/vnd.apple.mpegurl",
                [(b"cache-control", b"no-cache")],
            )
        elif path.startswith(("/hls/", "/vod/")):
            if "missing" in path:
                await _respond(send, 404, b"no such part", "text/plain")
                return
            if nth == 1:
                await asyncio.sleep(self.part_delay)  # the part is still being written
            await _respond(
                send, 200, part_body(path), "video/iso.segment", [(b"cache-control", b"no-cache")]
            )
        else:
            payload = {
                "app": self.app_name,
                "method": method,
                "path": path,
                "body_bytes": len(body),
            }
            await _respond(send, 200, json.dumps(payload).encode(), "application/json")

    async def _sse(self, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                    (b"x-stand-in-app", self.app_name.encode()),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"id: 1\ndata: first\n\n", "more_body": True}
        )
        await asyncio.sleep(1.0)
        await send(
            {"type": "http.response.body", "body": b"id: 2\ndata: second\n\n", "more_body": False}
        )


async def _respond(
    send: Any,
    status: int,
    body: bytes,
    content_type: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        # An app's own security header: nginx must replace it, not send two.
        (b"x-frame-options", b"SAMEORIGIN"),
    ]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})
