"""Ingest latency and CPU of RTMP -> LL-HLS and WHIP -> LL-HLS, measured end to end here.

    .venv/bin/python tests/bench/ingest_latency.py [--size 1920x1080] [--seconds 20] [--streams 1]
    .venv/bin/python tests/bench/ingest_latency.py --path whip [--size 1280x720] [--codec H264]

RTMP: ffmpeg (Debian's CLI) first encodes a test file (testsrc2 + sine, H.264/AAC, 1 s GOP),
then publishes it in real time with ``-c copy`` to the media app (uvicorn, in this process), so
the publisher costs almost nothing and the CPU figure is the server's.

WHIP: Debian's Chromium (headless, driven by Playwright) publishes from a studio page, its fake
camera playing a y4m file of moving noise (what a real camera costs an encoder) at 30 fps, asked
for 2.5 Mbit/s; the server decodes (aiortc) and re-encodes (libx264 + AAC). Chromium is a child
process: its CPU is not counted. Frame times are the browser's capture times (RTCP sender
reports; the same clock here), so the latency runs from the camera frame to the listed part.

A client in this process follows each stream with blocking playlist reloads, as hls.js does, and
records when each part is first listed. Figures:

* listing latency: from the arrival at ingest (WHIP: the capture) of a part's last frame to the
  blocking playlist response that lists the part (what the issue's 400 ms aim is about);
* the same from the part's first frame (includes the part's own duration);
* part publish lag (server side, from the same last frame to the part being published);
* CPU of this process (RTMP, demux, mux, HTTP and the client; WHIP: also decoding and
  re-encoding) per stream, in % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import m3u8
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from media.app import create_app
from media.memory_showdirectory import MemoryShowDirectory
from media.service import MediaService
from media.settings import MediaSettings
from showfloor.settings import AuthSettings, Settings

WARMUP = 3.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def encode_source(path: Path, size: str, seconds: float, bitrate: str) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("Debian's ffmpeg CLI is needed: apt-get install ffmpeg")
    import subprocess

    subprocess.run(
        [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate,
            "-g", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(path),
        ],
        check=True,
    )


async def follow(
    http: httpx.AsyncClient,
    service: MediaService,
    show_id: int,
    measure_from: float,
    stop_at: float,
    after_last: list[float],
    after_first: list[float],
) -> None:
    """Blocking reloads part after part; note when each new part is first listed."""
    seen: set[str] = set()
    msn: int | None = None
    part = 0
    while time.time() < stop_at:
        params = {} if msn is None else {"_HLS_msn": msn, "_HLS_part": part}
        response = await http.get(f"/hls/{show_id}/index.m3u8", params=params)
        received = time.time()
        if response.status_code != 200:
            await asyncio.sleep(0.05)
            continue
        playlist = m3u8.loads(response.text)
        packager = service.packager(show_id)
        assert packager is not None
        last_msn = playlist.media_sequence
        last_index = -1
        for segment in playlist.segments:
            for index, listed in enumerate(segment.parts):
                last_index = index
                if listed.uri in seen:
                    continue
                seen.add(listed.uri)
                published = packager.part(int(listed.uri[1:].split(".")[0]))
                if published is None or received < measure_from:
                    continue
                after_last.append(received - published.last_arrival)
                after_first.append(received - published.first_arrival)
            if segment.uri is not None:
                last_msn += 1
                last_index = -1
        # The next part: the one after the last listed (a new segment when it just closed).
        msn, part = (last_msn, last_index + 1)


class RtmpPublishers:
    """ffmpeg, ``-c copy`` from a file encoded beforehand."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.source = work / "source.flv"
        self.processes: list[asyncio.subprocess.Process] = []

    def prepare(self) -> None:
        args = self.args
        print(f"encoding {args.seconds:.0f} s of {args.size}@30 ({args.bitrate}bit/s) ...")
        encode_source(self.source, args.size, args.seconds, args.bitrate)

    async def start(self, service: MediaService, port: int) -> None:
        ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        self.processes = [
            await asyncio.create_subprocess_exec(
                ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-i", str(self.source),
                "-c", "copy", "-f", "flv",
                f"rtmp://127.0.0.1:{service.rtmp_port}/live/bench-{show_id}",
            )
            for show_id in range(1, self.args.streams + 1)
        ]  # fmt: skip

    async def stop(self) -> None:
        for publisher in self.processes:
            with contextlib.suppress(ProcessLookupError):
                publisher.terminate()
            await publisher.wait()

    def describe(self) -> str:
        return f"{self.args.bitrate}bit/s, RTMP passthrough"


STUDIO = Path(__file__).resolve().parents[1] / "media" / "whip" / "studio.html"
CHROMIUM = "/usr/bin/chromium"


class WhipPublishers:
    """Chromium pages publishing over WHIP, a fake camera playing moving noise."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.camera = work / "camera.y4m"
        self.profile = work / "chromium"
        self._stack = contextlib.AsyncExitStack()
        self.pages: list[Any] = []

    def prepare(self) -> None:
        import subprocess

        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise SystemExit("Debian's ffmpeg CLI is needed: apt-get install ffmpeg")
        if not Path(CHROMIUM).exists():
            raise SystemExit("Debian's chromium is needed: scripts/ensure-debian-packages.sh")
        print(f"making a {self.args.size} noise camera file ...")
        subprocess.run(
            [
                ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc2=size={self.args.size}:rate=30",
                "-vf", "noise=alls=25:allf=t+u", "-t", "2", "-pix_fmt", "yuv420p",
                str(self.camera),
            ],
            check=True,
        )  # fmt: skip

    async def start(self, service: MediaService, port: int) -> None:
        from playwright.async_api import async_playwright

        stack = self._stack
        page_body = STUDIO.read_bytes()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await reader.readuntil(b"\r\n\r\n")
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                    b"Connection: close\r\n\r\n" % len(page_body) + page_body
                )
                await writer.drain()
            writer.close()

        static = await asyncio.start_server(serve, "127.0.0.1", 0)
        stack.push_async_callback(static.wait_closed)
        stack.callback(static.close)
        studio = f"http://localhost:{static.sockets[0].getsockname()[1]}/studio.html"
        playwright = await stack.enter_async_context(async_playwright())
        browser = await playwright.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30",
                f"--use-file-for-fake-video-capture={self.camera}",
            ],
        )  # fmt: skip
        stack.push_async_callback(browser.close)
        width, height = (int(v) for v in self.args.size.split("x"))
        for show_id in range(1, self.args.streams + 1):
            page = await browser.new_page()
            await page.goto(studio)
            result = await page.evaluate(
                "([url, key, options]) => whipPublish(url, key, options)",
                [
                    f"http://127.0.0.1:{port}/whip/{show_id}?size={self.args.size}",
                    f"bench-{show_id}",
                    {"width": width, "height": height, "codec": f"video/{self.args.codec}"},
                ],
            )
            if result.get("status") != 201:
                raise SystemExit(f"WHIP publish refused: {result}")
            self.pages.append(page)

    async def stop(self) -> None:
        for page in self.pages:
            with contextlib.suppress(Exception):
                await page.evaluate("whipStop()")
        await self._stack.aclose()

    def describe(self) -> str:
        return f"WHIP from Chromium ({self.args.codec}, noise camera), re-encoded"


def whip_figures(service: MediaService, registry: Any, streams: int) -> list[str]:
    def sample(name: str, **labels: str) -> float:
        value = registry.get_sample_value(name, labels)
        return float("nan") if value is None else float(value)

    lines = []
    for show_id in range(1, streams + 1):
        label = str(show_id)
        width = sample("showfloor_media_whip_received_video_width_pixels", show_id=label)
        height = sample("showfloor_media_whip_received_video_height_pixels", show_id=label)
        fps = sample("showfloor_media_whip_received_video_frames_per_second", show_id=label)
        bitrate = sample(
            "showfloor_media_whip_received_bitrate_bits_per_second", show_id=label, kind="video"
        )
        lines.append(
            f"show {show_id} as received: {width:.0f}x{height:.0f} at {fps:.1f} fps, "
            f"video {bitrate / 1e6:.2f} Mbit/s (sender reports)"
        )
    count = sample("showfloor_media_whip_encode_seconds_count")
    total = sample("showfloor_media_whip_encode_seconds_sum")
    lines.append(f"re-encode per video frame, mean: {total / max(count, 1) * 1000:.1f} ms")
    dropped = sum(
        s.value
        for metric in service.metrics.whip_dropped_frames.collect()
        for s in metric.samples
        if s.name.endswith("_total")
    )
    lines.append(f"frames dropped before re-encoding: {dropped:.0f}")
    return lines


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="showfloor-bench-"))
    if args.size is None:
        args.size = "1280x720" if args.path == "whip" else "1920x1080"
    publishers: RtmpPublishers | WhipPublishers = (
        WhipPublishers(args, work) if args.path == "whip" else RtmpPublishers(args, work)
    )
    publishers.prepare()

    directory = MemoryShowDirectory()
    for show_id in range(1, args.streams + 1):
        directory.add_show(show_id, f"bench-{show_id}")
    settings = Settings(
        var_dir=work,
        database_url=f"sqlite+aiosqlite:///{work / 'db.sqlite3'}",
        redis_url=None,
        redis_prefix="b:",
        auth=AuthSettings(jwt_secret="b" * 48),
    )
    media_settings = MediaSettings(
        rtmp_port=0,
        media_dir=work / "media",
        whip_x264_preset=args.preset,
        whip_max_sessions=max(args.streams, 1),
    )
    app = create_app(settings, media_settings, directory_factory=lambda _: directory)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    service: MediaService = app.state.resources.services["media"]

    await publishers.start(service, port)
    start_time = time.time()
    stop_at = start_time + args.seconds - 1.0
    after_last: list[float] = []
    after_first: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        followers = [
            asyncio.create_task(
                follow(
                    http, service, show_id, start_time + WARMUP, stop_at, after_last, after_first
                )
            )
            for show_id in range(1, args.streams + 1)
        ]
        await asyncio.sleep(WARMUP)
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await asyncio.gather(*followers)
        cpu1, wall1 = cpu_seconds(), time.monotonic()
    extra = (
        whip_figures(service, app.state.resources.registry, args.streams)
        if args.path == "whip"
        else []
    )
    await publishers.stop()

    lag = service.metrics.part_publish_lag.collect()[0]
    lag_count = next(s.value for s in lag.samples if s.name.endswith("_count"))
    lag_sum = next(s.value for s in lag.samples if s.name.endswith("_sum"))
    server.should_exit = True
    await serving
    shutil.rmtree(work, ignore_errors=True)

    cpu_share = (cpu1 - cpu0) / (wall1 - wall0) * 100
    print(f"streams: {args.streams} x {args.size}@30, {publishers.describe()}")
    print(f"parts measured: {len(after_last)} (after a {WARMUP:.0f} s warm-up)")
    frame = "capture of" if args.path == "whip" else "arrival of"
    print(
        f"listing latency after the {frame} the part's last frame:  "
        f"p50 {percentile(after_last, 50) * 1000:.0f} ms, "
        f"p99 {percentile(after_last, 99) * 1000:.0f} ms, "
        f"max {max(after_last, default=float('nan')) * 1000:.0f} ms"
    )
    print(
        f"listing latency after the {frame} the part's first frame: "
        f"p50 {percentile(after_first, 50) * 1000:.0f} ms, "
        f"p99 {percentile(after_first, 99) * 1000:.0f} ms"
    )
    print(f"part publish lag (server side), mean: {lag_sum / max(lag_count, 1) * 1000:.0f} ms")
    print(
        f"CPU of the media process: {cpu_share:.1f}% of one core in total, "
        f"{cpu_share / args.streams:.1f}% per stream (includes the HTTP client)"
    )
    print(f"mean of listing latency after last frame: {statistics.fmean(after_last) * 1000:.0f} ms")
    for line in extra:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", choices=("rtmp", "whip"), default="rtmp")
    parser.add_argument("--size", default=None, help="1920x1080 (RTMP), 1280x720 (WHIP)")
    parser.add_argument("--codec", choices=("H264", "VP8"), default="H264", help="WHIP only")
    parser.add_argument("--preset", default="veryfast", help="WHIP re-encode x264 preset")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bitrate", default="4.5M")
    parser.add_argument("--streams", type=int, default=1)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
