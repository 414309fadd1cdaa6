"""WHIP over HTTP (RFC 9725): ``POST /whip/{show_id}`` with the stream key as Bearer token.

* ``POST`` an SDP offer (``application/sdp``): ``201 Created``, the SDP answer, ``Location``
  of the session resource, ``Link`` headers for the ICE servers (4.6);
* ``DELETE`` the session resource: publishing ends (4.2);
* ``PATCH``: no trickle ICE or ICE restart here (aiortc gathers before answering): ``405``;
* ``OPTIONS`` and CORS headers, for browsers on another origin (4.1). The key is a bearer
  token, never a cookie, so any origin may be allowed.
"""

from __future__ import annotations

import hmac
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Controller, Request, Response, delete, patch, post, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import PathParameter

from media.hub import PublishRefused, RefusalReason
from media.settings import video_size
from media.whip.ingest import IngestFull, WhipIngest
from media.whip.sdp import InvalidOffer
from media.whip.session import EndReason
from showfloor.problems import ProblemError
from showfloor.web import Resources, client_ip

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from media.service import MediaService

logger = logging.getLogger("showfloor.media.whip")

SDP_TYPE = "application/sdp"
_ALLOW = "OPTIONS, POST"
_SESSION_ALLOW = "OPTIONS, DELETE, PATCH"

ShowId = Annotated[int, PathParameter(ge=1, le=2**62)]
SessionId = Annotated[str, PathParameter(min_length=8, max_length=64)]
Res = NamedDependency[Resources]
AnyRequest = Request[Any, Any, Any]


def _ingest(resources: Resources) -> WhipIngest:
    try:
        ingest: WhipIngest = resources.service("whip")
    except LookupError:
        raise ProblemError(
            503, "ingest_unavailable", "WHIP ingest is not running here.", retry_after=2
        ) from None
    return ingest


def _cors(ingest: WhipIngest, request: AnyRequest) -> dict[str, str]:
    origin = request.headers.get("origin")
    allowed = ingest.settings.whip_cors_origins
    if origin is None or not allowed:
        return {}
    if "*" in allowed:
        value = "*"
    elif origin in allowed:
        value = origin
    else:
        return {}
    headers = {
        "Access-Control-Allow-Origin": value,
        "Access-Control-Expose-Headers": "Location, Link, ETag, Accept-Post",
    }
    if value != "*":
        headers["Vary"] = "Origin"
    return headers


def _preflight(ingest: WhipIngest, request: AnyRequest, allow: str) -> dict[str, str]:
    headers = _cors(ingest, request)
    if headers:
        headers["Access-Control-Allow-Methods"] = allow
        headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
        headers["Access-Control-Max-Age"] = "600"
    return headers


def _bearer(request: AnyRequest, cors: dict[str, str]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ProblemError(
            401,
            "missing_stream_key",
            "Send the show's stream key as 'Authorization: Bearer <stream key>'.",
            headers={**cors, "WWW-Authenticate": 'Bearer realm="whip"'},
        )
    return token


def _refusal(refusal: PublishRefused, cors: dict[str, str]) -> ProblemError:
    if refusal.reason is RefusalReason.UNKNOWN_KEY:
        return ProblemError(
            401,
            "invalid_stream_key",
            "This stream key does not publish to this show, or the show has ended.",
            headers={**cors, "WWW-Authenticate": 'Bearer realm="whip", error="invalid_token"'},
        )
    if refusal.reason is RefusalReason.BUSY:
        return ProblemError(409, "show_busy", refusal.detail, headers=cors, retry_after=3)
    return ProblemError(503, "ingest_unavailable", refusal.detail, headers=cors, retry_after=2)


class WhipController(Controller):
    path = "/whip"
    include_in_schema = False

    @post("/{show_id:int}", status_code=201)
    async def publish(self, show_id: ShowId, request: AnyRequest, resources: Res) -> Response[str]:
        ingest = _ingest(resources)
        cors = _cors(ingest, request)
        key = _bearer(request, cors)
        content_type = request.headers.get("content-type", "").partition(";")[0].strip()
        if content_type.lower() != SDP_TYPE:
            raise ProblemError(
                415,
                "unsupported_media_type",
                f"POST an SDP offer as {SDP_TYPE}.",
                headers={**cors, "Accept-Post": SDP_TYPE},
            )
        size = self._size(request, cors)
        body = await request.body()
        try:
            offer = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProblemError(400, "invalid_sdp", "The SDP offer is not UTF-8 text.",
                               headers=cors) from None  # fmt: skip
        try:
            session = await ingest.publish(
                show_id=show_id,
                stream_key=key,
                offer_sdp=offer,
                remote=client_ip(request),
                size=size,
            )
        except PublishRefused as refusal:
            ingest.metrics.connection_refused(refusal.reason.value)
            raise _refusal(refusal, cors) from None
        except InvalidOffer as invalid:
            ingest.metrics.connection_refused(invalid.code)
            raise ProblemError(400, invalid.code, invalid.detail, headers=cors) from None
        except IngestFull:
            ingest.metrics.connection_refused("ingest_full")
            raise ProblemError(
                503,
                "ingest_full",
                "This media server re-encodes as many publishers as it can; retry later.",
                headers=cors,
                retry_after=10,
            ) from None
        headers = {
            **cors,
            "Location": f"/whip/{show_id}/{session.id}",
            "ETag": f'"{session.id}"',
        }
        links = [server.link() for server in ingest.ice_servers]
        if links:
            headers["Link"] = ", ".join(links)
        return Response(session.answer, status_code=201, media_type=SDP_TYPE, headers=headers)

    @staticmethod
    def _size(request: AnyRequest, cors: dict[str, str]) -> tuple[int, int] | None:
        raw = request.query_params.get("size")
        if raw is None:
            return None
        try:
            return video_size(raw)
        except ValueError as exc:
            raise ProblemError(400, "invalid_size", f"size={raw!r}: {exc}.",
                               headers=cors) from None  # fmt: skip

    @delete("/{show_id:int}/{session_id:str}", status_code=200)
    async def stop(
        self, show_id: ShowId, session_id: SessionId, request: AnyRequest, resources: Res
    ) -> Response[bytes]:
        ingest = _ingest(resources)
        cors = _cors(ingest, request)
        session = ingest.session(session_id)
        if session is None or session.show_id != show_id:
            raise ProblemError(
                404, "session_not_found", "No such WHIP session (it may have ended).",
                headers=cors,
            )  # fmt: skip
        key = _bearer(request, cors)
        if not hmac.compare_digest(key.encode(), session.stream_key.encode()):
            raise _refusal(PublishRefused(RefusalReason.UNKNOWN_KEY, ""), cors)
        await ingest.end(session_id, EndReason.DELETED)
        return Response(b"", status_code=200, headers=cors)

    @patch("/{show_id:int}/{session_id:str}", status_code=405)
    async def update(
        self, show_id: ShowId, session_id: SessionId, request: AnyRequest, resources: Res
    ) -> Response[bytes]:
        ingest = _ingest(resources)
        raise ProblemError(
            405,
            "trickle_ice_unsupported",
            "This server sends all its candidates in the answer and supports neither trickle "
            "ICE nor ICE restarts; start a new session instead.",
            headers={**_cors(ingest, request), "Allow": _SESSION_ALLOW},
        )

    @route("/{show_id:int}", http_method=[HttpMethod.OPTIONS], status_code=204)
    async def options(
        self, show_id: ShowId, request: AnyRequest, resources: Res
    ) -> Response[None]:
        ingest = _ingest(resources)
        headers = {
            **_preflight(ingest, request, _ALLOW),
            "Allow": _ALLOW,
            "Accept-Post": SDP_TYPE,
        }
        links = [server.link() for server in ingest.ice_servers]
        if links:
            headers["Link"] = ", ".join(links)
        return Response(None, status_code=204, headers=headers)

    @route("/{show_id:int}/{session_id:str}", http_method=[HttpMethod.OPTIONS], status_code=204)
    async def session_options(
        self, show_id: ShowId, session_id: SessionId, request: AnyRequest, resources: Res
    ) -> Response[None]:
        ingest = _ingest(resources)
        headers = {**_preflight(ingest, request, _SESSION_ALLOW), "Allow": _SESSION_ALLOW}
        return Response(None, status_code=204, headers=headers)


@asynccontextmanager
async def running_whip(resources: Resources, service: MediaService) -> AsyncIterator[WhipIngest]:
    """WHIP ingest for the media app's lifespan, in ``resources.services["whip"]``."""
    ingest = WhipIngest(service.settings, service.hub, service.metrics)
    resources.services["whip"] = ingest
    try:
        yield ingest
    finally:
        resources.services.pop("whip", None)
        await ingest.close()
