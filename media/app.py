"""The media app: LL-HLS origin routes, and the lifespan running the RTMP listener."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

from litestar import Litestar, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter

from edge.announce import announce_show_status
from media import internal_api
from media.llhls.blocking import (
    InvalidBlockingRequest,
    PlaylistRequest,
    check_not_too_far,
    parse_playlist_request,
)
from media.llhls.recorder import is_media_name
from media.metrics import MediaMetrics
from media.service import MediaService
from media.show_status import AnnouncingShowDirectory
from media.sql_showdirectory import SqlShowDirectory
from media.whip.api import WhipController, running_whip
from showfloor.problems import ProblemError
from showfloor.web import Component, Resources, build_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from datetime import datetime

    from media.llhls.packager import LivePackager
    from media.settings import MediaSettings
    from media.showdirectory import ShowDirectory
    from showfloor.settings import Settings

logger = logging.getLogger("showfloor.media.http")

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MEDIA_TYPE = "video/mp4"
# Parts, segments and init segments never change once published: their names are never reused.
IMMUTABLE = "public, max-age=31536000, immutable"
_NAME = re.compile(r"^(p|s|init)(\d{1,18})\.(m4s|mp4)$")


def _service(resources: Resources) -> MediaService:
    service: MediaService = resources.service("media")
    return service


def _packager(service: MediaService, show_id: int) -> LivePackager:
    packager = service.packager(show_id)
    if packager is None:
        raise ProblemError(404, "unknown_show", f"Show {show_id} has no live stream here.")
    return packager


def _not_ready(what: str) -> ProblemError:
    return ProblemError(
        503,
        "part_not_ready",
        f"{what} is not available yet; the stream may have paused. Retry shortly.",
        retry_after=1,
    )


async def _playlist(
    service: MediaService, show_id: int, query: dict[str, str]
) -> Response[bytes]:
    try:
        request = parse_playlist_request(query)
    except InvalidBlockingRequest as exc:
        raise ProblemError(400, "invalid_blocking_request", exc.detail) from None
    packager = _packager(service, show_id)
    timeout = service.settings.blocking_wait
    if request.blocking:
        position = packager.position()
        if position is not None and not packager.ended:
            try:
                check_not_too_far(request, position, service.config.advance_part_limit)
            except InvalidBlockingRequest as exc:
                raise ProblemError(400, "invalid_blocking_request", exc.detail) from None
        wanted = request
    else:
        # A playlist needs a part; right after the publisher connects, wait for the first.
        wanted = PlaylistRequest()
    ready = await _wait(
        service, packager, "playlist", lambda: packager.satisfied(wanted), timeout
    )
    if not ready:
        raise _not_ready("The requested part")
    body = packager.render(skip=request.skip)
    service.metrics.served_bytes.labels("playlist").inc(len(body))
    # A blocking response is "the playlist once it held msn/part": any copy of it satisfies the
    # same query later, so caches may keep it, keyed by _HLS_msn/_HLS_part (and _HLS_skip).
    # A plain reload must always reach the origin.
    cache = (
        f"public, max-age={6 * service.config.target_duration}"
        if request.blocking
        else "no-cache"
    )
    return Response(body, media_type=PLAYLIST_TYPE, headers={"Cache-Control": cache})


async def _wait(
    service: MediaService,
    packager: LivePackager,
    kind: str,
    check: Callable[[], bool],
    limit: float,
) -> bool:
    if check():
        return True
    loop = asyncio.get_running_loop()
    start = loop.time()
    ok = await packager.wait_for(check, limit)
    service.metrics.blocking_wait.labels(kind, "ready" if ok else "timeout").observe(
        loop.time() - start
    )
    return ok


def _media_response(service: MediaService, kind: str, data: bytes) -> Response[bytes]:
    service.metrics.served_bytes.labels(kind).inc(len(data))
    return Response(data, media_type=MEDIA_TYPE, headers={"Cache-Control": IMMUTABLE})


async def _live_media(service: MediaService, show_id: int, name: str) -> Response[bytes]:
    match = _NAME.match(name)
    if match is None:
        raise ProblemError(404, "not_found", f"No resource {name!r} in this stream.")
    prefix, number, ext = match.group(1), int(match.group(2)), match.group(3)
    packager = _packager(service, show_id)
    if prefix == "p" and ext == "m4s":
        part = packager.part(number)
        if part is None and number == packager.next_part_id and not packager.ended:
            # RFC 8216bis 4.4.5.3: the preload-hinted part is requested before it exists; the
            # response starts once the part is complete.
            await _wait(
                service,
                packager,
                "preload_hint",
                lambda: packager.part(number) is not None or packager.ended,
                service.settings.blocking_wait,
            )
            part = packager.part(number)
            if part is None and not packager.ended:
                raise _not_ready(f"Part {number}")
        if part is None:
            raise ProblemError(404, "part_not_found", f"Part {number} is not in the playlist.")
        return _media_response(service, "part", part.data)
    if prefix == "s" and ext == "m4s":
        data = packager.segment_data(number)
        if data is None:
            raise ProblemError(404, "segment_not_found", f"Segment {number} is not available.")
        return _media_response(service, "segment", data)
    if prefix == "init" and ext == "mp4":
        data = packager.init_data(number)
        if data is None:
            raise ProblemError(404, "init_not_found", f"Init segment {number} does not exist.")
        return _media_response(service, "init", data)
    raise ProblemError(404, "not_found", f"No resource {name!r} in this stream.")


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: request.query_params[key] for key in request.query_params}


ShowId = Annotated[int, PathParameter(ge=1, le=2**62)]
Name = Annotated[str, PathParameter(max_length=64)]
Res = NamedDependency[Resources]


@get("/hls/{show_id:int}/{name:str}", include_in_schema=False)
async def hls_resource(
    show_id: ShowId, name: Name, request: Request[Any, Any, Any], resources: Res
) -> Response[bytes]:
    service = _service(resources)
    if name == "index.m3u8":
        return await _playlist(service, show_id, _query(request))
    return await _live_media(service, show_id, name)


@get("/vod/{show_id:int}/{name:str}", include_in_schema=False)
async def vod_resource(show_id: ShowId, name: Name, resources: Res) -> Response[bytes]:
    service = _service(resources)
    recorder = service.recorder(show_id)
    if name == "index.m3u8":
        body = await asyncio.to_thread(recorder.read_vod)
        if body is None:
            raise ProblemError(
                404,
                "recording_not_found",
                f"Show {show_id} has no finished recording (it may still be live).",
            )
        service.metrics.served_bytes.labels("vod").inc(len(body))
        return Response(body, media_type=PLAYLIST_TYPE, headers={"Cache-Control": "no-cache"})
    if not is_media_name(name):
        raise ProblemError(404, "not_found", f"No resource {name!r} in this recording.")
    data = await asyncio.to_thread(recorder.read_media, name)
    if data is None:
        raise ProblemError(404, "not_found", f"No resource {name!r} in this recording.")
    return _media_response(service, "vod", data)


async def _rtmp_ready(resources: Resources) -> str | None:
    service = resources.services.get("media")
    if service is None:
        return "media service not started"
    return None


def media_component(
    settings: Settings,
    media_settings: MediaSettings,
    *,
    directory_factory: Callable[[Resources], ShowDirectory] | None = None,
) -> Component:
    """Routes ``/hls/...`` and ``/vod/...``; the lifespan runs the RTMP listener and packagers
    and puts the :class:`MediaService` in ``resources.services["media"]``."""

    @asynccontextmanager
    async def lifespan(resources: Resources) -> AsyncIterator[None]:
        directory = (
            directory_factory(resources)
            if directory_factory is not None
            else SqlShowDirectory(resources.engine)
        )
        async def announce(show_id: int, status: Literal["live", "idle"], at: datetime) -> None:
            await announce_show_status(resources, show_id, status, at)

        directory = AnnouncingShowDirectory(directory, announce)
        service = MediaService(media_settings, directory, MediaMetrics(resources.registry))
        await service.start()
        resources.services["media"] = service
        try:
            async with running_whip(resources, service):
                yield
        finally:
            resources.services.pop("media", None)
            await service.stop()

    return Component(
        name="media",
        route_handlers=[hls_resource, vod_resource, *internal_api.ROUTES, WhipController],
        lifespan=lifespan,
        readiness=[("rtmp", _rtmp_ready)],
    )


def create_app(
    settings: Settings,
    media_settings: MediaSettings,
    *,
    directory_factory: Callable[[Resources], ShowDirectory] | None = None,
) -> Litestar:
    return build_app(
        settings,
        [media_component(settings, media_settings, directory_factory=directory_factory)],
        app_name="media",
    )
