"""WHIP ingest: negotiates publishing sessions and keeps them until they end.

Order of the checks in :meth:`WhipIngest.publish`, so that a refused request changes nothing:
the key (and that it is this show's), a show already publishing, the offer's shape, capacity,
then aiortc's negotiation; only after all of them is the show claimed in the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)

from media.hub import PublishRefused, RefusalReason
from media.whip.encoder import EncoderSettings
from media.whip.sdp import (
    AUDIO_CODECS,
    VIDEO_CODECS,
    InvalidOffer,
    parse_offer,
    with_bitrate_hints,
    with_public_address,
)
from media.whip.session import EndReason, SessionLimits, WhipSession

if TYPE_CHECKING:
    from aiortc import RTCRtpTransceiver

    from media.hub import StreamHub
    from media.metrics import MediaMetrics
    from media.settings import MediaSettings
    from media.whip.sdp import Offer

logger = logging.getLogger("showfloor.media.whip")

_NEGOTIATION_TIMEOUT = 10.0


class IngestFull(Exception):
    """This process already re-encodes as many publishers as it is allowed to."""


@dataclass(frozen=True, slots=True)
class IceServer:
    url: str
    username: str | None = None
    credential: str | None = None

    @classmethod
    def parse(cls, raw: str) -> IceServer:
        """``stun:host:port``, or ``turn:user:password@host:port?transport=udp``."""
        scheme, _, rest = raw.partition(":")
        if "@" in rest and scheme in ("turn", "turns"):
            credentials, _, host = rest.rpartition("@")
            username, _, credential = credentials.partition(":")
            return cls(f"{scheme}:{host}", username or None, credential or None)
        return cls(raw)

    def link(self) -> str:
        """RFC 9725 4.6: a ``Link`` header value offering this server to the client."""
        value = f'<{self.url}>; rel="ice-server"'
        if self.username is not None and self.credential is not None:
            value += (
                f'; username="{self.username}"; credential="{self.credential}"; '
                'credential-type="password"'
            )
        return value


class WhipIngest:
    def __init__(self, settings: MediaSettings, hub: StreamHub, metrics: MediaMetrics) -> None:
        self.settings = settings
        self._hub = hub
        self.metrics = metrics
        self.ice_servers = tuple(IceServer.parse(url) for url in settings.whip_ice_servers)
        self._sessions: dict[str, WhipSession] = {}
        self._negotiating = 0

    def session(self, session_id: str) -> WhipSession | None:
        return self._sessions.get(session_id)

    def sessions(self) -> list[WhipSession]:
        return list(self._sessions.values())

    async def publish(
        self,
        *,
        show_id: int,
        stream_key: str,
        offer_sdp: str,
        remote: str,
        size: tuple[int, int] | None = None,
    ) -> WhipSession:
        """Negotiate and start a session; raises :class:`PublishRefused`,
        :class:`InvalidOffer` or :class:`IngestFull`."""
        hub = self._hub
        await hub.show_for_key(stream_key, protocol="whip", expected_show_id=show_id)
        if hub.is_busy(show_id):
            raise PublishRefused(
                RefusalReason.BUSY, "This show already has a publisher; stop it first."
            )
        offer = parse_offer(offer_sdp)
        if len(self._sessions) + self._negotiating >= self.settings.whip_max_sessions:
            raise IngestFull
        width, height = size or self.settings.whip_video_size
        max_width, max_height = self.settings.whip_max_video_size
        if width > max_width or height > max_height:
            raise InvalidOffer(
                "size_too_large", f"The largest picture accepted is {max_width}x{max_height}."
            )
        self._negotiating += 1
        pc = RTCPeerConnection(
            RTCConfiguration(
                iceServers=[
                    RTCIceServer(urls=s.url, username=s.username, credential=s.credential)
                    for s in self.ice_servers
                ]
            )
        )
        session_id = secrets.token_urlsafe(16)
        try:
            answer = await self._negotiate(pc, offer_sdp)
            session = WhipSession(
                id=session_id,
                show_id=show_id,
                stream_key=stream_key,
                remote=remote,
                pc=pc,
                offer=offer,
                encoder_settings=self._encoder_settings(width, height, offer),
                limits=SessionLimits(
                    idle_timeout=self.settings.whip_idle_timeout,
                    connect_timeout=self.settings.whip_connect_timeout,
                ),
                metrics=self.metrics,
                answer=answer,
            )
            # Claimed last: a lost race for the show is a 409 and nothing else changed.
            publisher = await hub.open_publisher(
                stream_key,
                protocol="whip",
                remote=remote,
                disconnect=session.disconnect,
                expected_show_id=show_id,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await pc.close()
            raise
        finally:
            self._negotiating -= 1
        session.attach(publisher)
        self._sessions[session_id] = session
        session.on_ended(self._forget)
        session.start()
        logger.info(
            "whip_session_started",
            extra={"show_id": show_id, "session": session_id, "remote": remote},
        )
        return session

    async def _negotiate(self, pc: RTCPeerConnection, offer_sdp: str) -> str:
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except Exception as exc:
            # aiortc's parser fails on bad input with whatever it trips over (AttributeError
            # included); the offer was already checked, so anything here is about the offer.
            logger.info("whip_offer_refused_by_aiortc", extra={"error": repr(exc)})
            raise InvalidOffer("invalid_sdp", "The SDP offer cannot be used.") from None
        for transceiver in pc.getTransceivers():
            _receive_only(transceiver)
        try:
            async with asyncio.timeout(_NEGOTIATION_TIMEOUT):
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            logger.info("whip_answer_failed", extra={"error": repr(exc)})
            raise InvalidOffer(
                "unsupported_offer", "No answer can be made to this offer."
            ) from None
        sdp = pc.localDescription.sdp
        settings = self.settings
        sdp = with_bitrate_hints(
            sdp,
            start=settings.whip_video_bitrate,
            minimum=settings.whip_min_video_bitrate,
            maximum=settings.whip_max_video_bitrate,
        )
        if settings.whip_public_ip is not None:
            sdp = with_public_address(sdp, settings.whip_public_ip)
        return sdp

    def _encoder_settings(self, width: int, height: int, offer: Offer) -> EncoderSettings:
        settings = self.settings
        return EncoderSettings(
            width=width,
            height=height,
            video=offer.has_video,
            audio=offer.has_audio,
            video_bitrate=settings.whip_video_bitrate * 1000,
            audio_bitrate=settings.whip_audio_bitrate * 1000,
            preset=settings.whip_x264_preset,
            threads=settings.whip_encoder_threads,
            keyframe_interval=settings.whip_keyframe_every,
        )

    async def end(self, session_id: str, reason: EndReason = EndReason.DELETED) -> bool:
        session = self._sessions.get(session_id)
        if session is None:
            return False
        await session.close(reason)
        return True

    def _forget(self, session: WhipSession) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    async def close(self) -> None:
        sessions = list(self._sessions.values())
        await asyncio.gather(
            *(s.close(EndReason.SHUTDOWN) for s in sessions), return_exceptions=True
        )


def _receive_only(transceiver: RTCRtpTransceiver) -> None:
    """Receive, never send; accept only the codecs the re-encoder is meant for."""
    transceiver.direction = "recvonly"
    kind = transceiver.kind
    capabilities = RTCRtpReceiver.getCapabilities(kind)
    if capabilities is None:
        return
    wanted = {c.lower() for c in (VIDEO_CODECS if kind == "video" else AUDIO_CODECS)}
    wanted.add("rtx")
    codecs = [c for c in capabilities.codecs if c.mimeType.split("/")[1].lower() in wanted]
    transceiver.setCodecPreferences(codecs)
