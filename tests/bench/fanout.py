"""Fan-out benchmark: N WebSocket viewers of one show on ONE edge worker, stock updates at 10/s.

    .venv/bin/python tests/bench/fanout.py                     # 5,000 viewers
    .venv/bin/python tests/bench/fanout.py --viewers 10000

The edge worker runs as in production (uvicorn, websockets-sansio, uvloop, Redis event bus) in
its own process; events are published to Redis from this process, as commerce does. Viewers are
lean raw-socket WebSocket clients in separate processes (they share the machine's cores with the
server, so the figures are lower bounds). Each stock event's ``version`` is the publish instant
(CLOCK_MONOTONIC, shared by the processes of one machine), so every viewer measures the delivery
latency of every event it receives.

Printed: delivery latency p50/p99/max over all deliveries, deliveries missing, server CPU during
the broadcast, server memory per connection (RSS growth / connections), connect time.
Needs the Redis of ``SHOWFLOOR_TEST_REDIS_URL`` (default: local).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import resource
import secrets
import socket
import struct
import sys
import tempfile
import time
from array import array
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# -- the viewer side (runs in client processes) -------------------------------------------------


class _Stock(msgspec.Struct):
    version: int = -1


class _Envelope(msgspec.Struct):
    id: int
    event: _Stock


_batch = msgspec.json.Decoder(list[_Envelope])


class Viewer(asyncio.Protocol):
    """A minimal WebSocket client: handshake, unmasked server frames, pongs; nothing else."""

    def __init__(self, host: str, port: int, path: str, sink: array, done: asyncio.Future[None]):
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: "
            f"{base64.b64encode(secrets.token_bytes(16)).decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.buffer = bytearray()
        self.upgraded = False
        self.sink = sink
        self.connected = done
        self.transport: asyncio.Transport | None = None
        self.frames = 0
        self.closed_code: int | None = None
        self.last_id = 0
        self.out_of_order = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.connected.set_exception(RuntimeError(bytes(self.buffer[:80]).decode()))
                return
            del self.buffer[: end + 4]
            self.upgraded = True
        self._frames()

    def _frames(self) -> None:
        buf = self.buffer
        now = time.monotonic()
        pos, end = 0, len(buf)
        while end - pos >= 2:
            opcode = buf[pos] & 0x0F
            length = buf[pos + 1] & 0x7F
            offset = pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, pos + 2)[0]
                offset = pos + 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, pos + 2)[0]
                offset = pos + 10
            if end < offset + length:
                break
            payload = bytes(buf[offset : offset + length])
            pos = offset + length
            if opcode == 0x1:
                self.frames += 1
                if payload[:1] == b"[":
                    for envelope in _batch.decode(payload):
                        if envelope.id <= self.last_id:
                            self.out_of_order += 1
                        self.last_id = envelope.id
                        if envelope.event.version > 0:
                            self.sink.append(now - envelope.event.version / 1e6)
                elif not self.connected.done():
                    self.connected.set_result(None)  # hello: subscribed
            elif opcode == 0x9 and self.transport is not None:  # ping -> masked pong
                mask = secrets.token_bytes(4)
                body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.transport.write(bytes([0x8A, 0x80 | len(body)]) + mask + body)
            elif opcode == 0x8:
                self.closed_code = (
                    struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
                )
        del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(exc or ConnectionError("closed"))


async def _open(loop: asyncio.AbstractEventLoop, viewer: Viewer, port: int) -> None:
    # A socket made here rather than create_connection(host, port), which resolves the address
    # in a thread pool and makes connecting thousands of viewers slow.
    sock = socket.socket()
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.create_connection(lambda: viewer, sock=sock)


async def run_viewers(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    sink: array = array("d")
    viewers: list[Viewer] = []
    started = time.monotonic()
    path = f"/ws/shows/{args.show}"
    for start in range(0, args.count, 200):
        batch = []
        for _ in range(min(200, args.count - start)):
            done: asyncio.Future[None] = loop.create_future()
            v = Viewer("127.0.0.1", args.port, path, sink, done)
            viewers.append(v)
            batch.append(_open(loop, v, args.port))
        await asyncio.gather(*batch)
        await asyncio.gather(*(v.connected for v in viewers[start:]))
    connect_seconds = time.monotonic() - started
    print(f"ready {connect_seconds:.3f}", flush=True)
    # Wait for the end of the run (stdin closes), then report.
    await loop.run_in_executor(None, sys.stdin.read)
    Path(args.out).write_bytes(sink.tobytes())
    cut = sum(1 for v in viewers if v.closed_code is not None)
    disorder = sum(v.out_of_order for v in viewers)
    frames = sum(v.frames for v in viewers)
    print(f"done {cut} {disorder} {frames}", flush=True)
    for v in viewers:
        if v.transport is not None:
            v.transport.abort()


# -- the driver ---------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _percentile(sorted_values: array, q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def drive(args: argparse.Namespace) -> None:
    from redis.asyncio import Redis

    from edge.bus import RedisEventBus
    from edge.events import StockEvent
    from tests.edge.support import JWT_SECRET, create_schema, seed, start_worker, stop_worker
    from tests.support.services import REDIS_URL, unique_redis_prefix

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.viewers + 1000:
        print(f"warning: open-files limit {hard} is low for {args.viewers} viewers")

    workdir = Path(tempfile.mkdtemp(prefix="sf-bench-"))
    db_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    engine = await create_schema(db_url)
    show = (await seed(engine)).show
    await engine.dispose()
    prefix = unique_redis_prefix("bench")
    env = {
        "SHOWFLOOR_DATABASE_URL": db_url,
        "SHOWFLOOR_REDIS_URL": REDIS_URL,
        "SHOWFLOOR_REDIS_PREFIX": prefix,
        "SHOWFLOOR_JWT_SECRET": JWT_SECRET,
        "SHOWFLOOR_VAR_DIR": str(workdir),
        "SHOWFLOOR_LOG_LEVEL": "WARNING",
    }
    worker = await start_worker(env)
    pid = worker.process.pid
    redis = Redis.from_url(REDIS_URL)
    bus = RedisEventBus(redis, prefix=prefix)
    clients: list[asyncio.subprocess.Process] = []
    try:
        await asyncio.sleep(1.0)
        rss_before = _rss_bytes(pid)
        per = [args.viewers // args.client_procs] * args.client_procs
        per[0] += args.viewers - sum(per)
        outs = [workdir / f"latencies-{i}.bin" for i in range(args.client_procs)]
        for count, out in zip(per, outs, strict=True):
            clients.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--viewer-process",
                    "--count",
                    str(count),
                    "--port",
                    str(worker.port),
                    "--show",
                    str(show),
                    "--out",
                    str(out),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    cwd=str(ROOT),
                )
            )
        connect_times = []
        for c in clients:
            assert c.stdout is not None
            line = (await c.stdout.readline()).decode().split()
            if not line or line[0] != "ready":
                raise RuntimeError(f"viewer process failed: {line}")
            connect_times.append(float(line[1]))
        await asyncio.sleep(3.0)  # let the connections settle (viewer counts, allocations)
        rss_after = _rss_bytes(pid)

        ticks = int(args.duration * args.rate)
        cpu_start, wall_start = _cpu_seconds(pid), time.monotonic()
        client_start = [sum(_cpu_seconds(c.pid)) for c in clients]
        slips: list[float] = []
        for i in range(ticks):
            due = wall_start + i / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            slips.append(now - due)
            await bus.publish(
                show,
                StockEvent(
                    product_id=1, available=ticks - i, held=0, sold=i, version=int(now * 1e6)
                ),
            )
        await asyncio.sleep(2.0)  # the tail of the deliveries

        elapsed = time.monotonic() - wall_start
        cpu_end = _cpu_seconds(pid)
        client_cpu = (
            sum(
                sum(_cpu_seconds(c.pid)) - start
                for c, start in zip(clients, client_start, strict=True)
            )
            / elapsed
        )
        user = (cpu_end[0] - cpu_start[0]) / elapsed
        system = (cpu_end[1] - cpu_start[1]) / elapsed

        cut = disorder = frames = 0
        for c in clients:
            assert c.stdin is not None
            assert c.stdout is not None
            c.stdin.close()
            parts = (await c.stdout.readline()).decode().split()
            cut, disorder, frames = (
                cut + int(parts[1]),
                disorder + int(parts[2]),
                frames + int(parts[3]),
            )
            await c.wait()
        latencies = array("d")
        for out in outs:
            chunk = array("d")
            chunk.frombytes(out.read_bytes())
            latencies.extend(chunk)
        ordered = array("d", sorted(latencies))
        expected = ticks * args.viewers
        report = [
            f"edge fan-out: {args.viewers} WebSocket viewers, one worker, "
            f"{args.rate:g} stock events/s for {args.duration:g} s (Redis bus)",
            f"  connect: all viewers subscribed in {max(connect_times):.1f} s",
            f"  deliveries: {len(latencies)} of {expected} "
            f"(missing {expected - len(latencies)}, out of order {disorder}, "
            f"connections cut {cut}, frames {frames})",
            f"  latency publish->viewer: p50 {_percentile(ordered, 0.50) * 1000:.1f} ms, "
            f"p99 {_percentile(ordered, 0.99) * 1000:.1f} ms, "
            f"max {(ordered[-1] if ordered else float('nan')) * 1000:.1f} ms",
            f"  publisher tick slip: max {max(slips) * 1000:.1f} ms",
            f"  server CPU during broadcast: {(user + system) * 100:.0f}% of one core "
            f"(user {user * 100:.0f}%, system {system * 100:.0f}%); "
            f"viewer processes {client_cpu * 100:.0f}% (same 2 cores)",
            f"  server memory: {rss_before / 2**20:.0f} MiB idle -> "
            f"{rss_after / 2**20:.0f} MiB with viewers = "
            f"{(rss_after - rss_before) / args.viewers / 1024:.1f} KiB per connection",
        ]
        sys.stdout.write("\n".join(report) + "\n")
    finally:
        for c in clients:
            if c.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    c.kill()
        stop_worker(worker)
        await bus.aclose()
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=10.0, help="stock events per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of broadcast")
    parser.add_argument("--client-procs", type=int, default=1, help="viewer processes")
    parser.add_argument("--viewer-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--show", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    if args.viewer_process:
        runner(run_viewers(args))
    else:
        runner(drive(args))


if __name__ == "__main__":
    main()
