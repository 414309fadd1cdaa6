"""A WHIP publisher made of aiortc: generated frames carrying their number, and a tone.

Each frame shows its number as 16 black/white blocks across the top (read back with
:func:`frame_number` after any re-encode and scaling) and records its capture time, so tests
can check which frame a wall-clock instant maps to.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import os
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

BITS = 16
VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000
AUDIO_SAMPLES = 960  # 20 ms


def _band_row(number: int, width: int) -> bytes:
    block = width // BITS
    row = bytearray()
    for bit in range(BITS):
        on = (number >> (BITS - 1 - bit)) & 1
        row += bytes([235 if on else 16]) * block
    row += bytes([128]) * (width - len(row))
    return bytes(row)


def frame_number(frame: Any) -> int:
    """Read the number off a decoded frame (any size: positions are relative)."""
    plane = frame.planes[0]
    data = bytes(plane)
    stride = plane.line_size
    width, height = frame.width, frame.height
    row = int(height * 0.08)
    number = 0
    for bit in range(BITS):
        x = int((bit + 0.5) * width / BITS)
        value = data[row * stride + x]
        number = (number << 1) | (1 if value > 128 else 0)
    return number


class NumberedFrames(MediaStreamTrack):
    """30 fps frames; the number band on top, the rest moving noise (``noise=True``) or a
    moving gradient."""

    kind = "video"

    def __init__(
        self, width: int = 320, height: int = 240, fps: int = 30, *, noise: bool = False
    ) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.noise = noise
        self.captured: dict[int, float] = {}  # frame number -> wall clock at capture
        self.clock_offset = 0.0  # added to this side's wall clock (a skewed sender)
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            wait = self._start + self._count / self.fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        number = self._count
        self._count += 1
        width, height = self.width, self.height
        band = int(height * 0.16)
        body_rows = height - band
        if self.noise:
            body = os.urandom(width * body_rows)
        else:
            shade = bytes([(number * 3 + x // 4) % 200 + 28 for x in range(width)])
            body = shade * body_rows
        luma = _band_row(number, width) * band + body
        frame = VideoFrame(width, height, "yuv420p")
        self._fill(frame.planes[0], luma, width, height)
        chroma = bytes([128]) * ((width // 2) * (height // 2))
        self._fill(frame.planes[1], chroma, width // 2, height // 2)
        self._fill(frame.planes[2], chroma, width // 2, height // 2)
        frame.pts = round(number * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.captured[number] = time.time() + self.clock_offset
        return frame

    @staticmethod
    def _fill(plane: Any, data: bytes, width: int, height: int) -> None:
        stride = plane.line_size
        if stride == width:
            plane.update(data)
            return
        padded = bytearray(stride * height)
        for row in range(height):
            padded[row * stride : row * stride + width] = data[row * width : (row + 1) * width]
        plane.update(bytes(padded))


class Tone(MediaStreamTrack):
    """A 440 Hz sine, stereo, 48 kHz, in 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0) -> None:
        super().__init__()
        self.frequency = frequency
        self._start: float | None = None
        self._samples = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            wait = self._start + self._samples / AUDIO_RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        samples = array("h")
        for i in range(AUDIO_SAMPLES):
            value = int(8000 * math.sin(2 * math.pi * self.frequency * (self._samples + i)
                                        / AUDIO_RATE))  # fmt: skip
            samples.extend((value, value))
        frame = AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES)
        frame.planes[0].update(samples.tobytes())
        frame.pts = self._samples
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._samples += AUDIO_SAMPLES
        return frame


@dataclass
class WhipPublisher:
    pc: RTCPeerConnection
    video: NumberedFrames | None
    audio: Tone | None
    response: httpx.Response
    location: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return self.response.status_code

    async def wait_connected(self, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while self.pc.connectionState != "connected":
            assert time.monotonic() < deadline, f"not connected: {self.pc.connectionState}"
            await asyncio.sleep(0.05)

    async def delete(self, http: httpx.AsyncClient, key: str) -> httpx.Response:
        assert self.location is not None
        response = await http.delete(self.location, headers={"Authorization": f"Bearer {key}"})
        await self.pc.close()
        return response

    async def vanish(self) -> None:
        """Stop sending without a goodbye: no DELETE, no RTCP BYE, no DTLS close."""
        for transceiver in self.pc.getTransceivers():
            sender = transceiver.sender
            if sender.track is not None:
                sender.track.stop()
        transport = self.pc.getTransceivers()[0].sender.transport
        ice = transport.transport
        # Drop the ICE connection's sockets: the peer just stops hearing from us.
        connection = ice._connection
        for protocol in list(connection._protocols):
            if protocol.transport is not None:
                protocol.transport.abort()


def prefer(pc: RTCPeerConnection, mime: str) -> None:
    for transceiver in pc.getTransceivers():
        if transceiver.kind != mime.split("/", maxsplit=1)[0]:
            continue
        capabilities = RTCRtpSender.getCapabilities(transceiver.kind)
        assert capabilities is not None
        chosen = [c for c in capabilities.codecs if c.mimeType.lower() == mime.lower()]
        rtx = [c for c in capabilities.codecs if c.mimeType.lower().endswith("/rtx")]
        transceiver.setCodecPreferences(chosen + rtx)


async def publish(
    http: httpx.AsyncClient,
    show_id: int,
    key: str,
    *,
    video: NumberedFrames | None = None,
    audio: Tone | None = None,
    codec: str = "video/VP8",
    query: str = "",
    mutate_offer: Any = None,
) -> WhipPublisher:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    if video is not None:
        pc.addTransceiver(video, direction="sendonly")
    if audio is not None:
        pc.addTransceiver(audio, direction="sendonly")
    prefer(pc, codec)
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    if mutate_offer is not None:
        sdp = mutate_offer(sdp)
    response = await http.post(
        f"/whip/{show_id}{query}",
        content=sdp.encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
    )
    publisher = WhipPublisher(pc, video, audio, response)
    if response.status_code == 201:
        publisher.location = response.headers["location"]
        await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
    else:
        await pc.close()
    return publisher
