"""Endpoints edge workers in other processes call (``edge.streamclock.HttpStreamClock``).

nginx never routes ``/internal``; each call carries the bearer token derived from the shared
secret (:func:`showfloor.internal.internal_token`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter

from media.llhls.model import DateRangeError
from media.service import MediaService, UnknownShow
from media.stream_clock import HIGHLIGHT_CLASS, highlight_daterange, program_date_time_at
from showfloor.internal import is_internal_caller
from showfloor.problems import ProblemError
from showfloor.web import Res, Resources

AUDIENCE = "media"
ShowId = Annotated[int, PathParameter(ge=1, le=2**62)]


class ClockReply(msgspec.Struct):
    program_date_time: datetime | None


class HighlightRange(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    product_id: Annotated[int, msgspec.Meta(ge=1)]
    start_date: datetime
    class_: str = msgspec.field(name="class", default=HIGHLIGHT_CLASS)


def _authorized(request: Request[Any, Any, Any], resources: Resources) -> MediaService:
    secret = resources.settings.auth.jwt_secret
    if not is_internal_caller(request.headers.get("authorization"), secret, AUDIENCE):
        raise ProblemError(401, "not_internal_caller", "This endpoint is for showfloor apps.")
    service: MediaService = resources.service("media")
    return service


@get("/internal/v1/shows/{show_id:int}/clock", include_in_schema=False)
async def stream_clock(
    show_id: ShowId,
    at: Annotated[datetime, QueryParameter(description="A wall-clock instant (RFC 3339).")],
    request: Request[Any, Any, Any],
    resources: Res,
) -> ClockReply:
    service = _authorized(request, resources)
    if at.tzinfo is None:
        raise ProblemError(400, "invalid_instant", "'at' must carry a UTC offset.")
    pdt = await program_date_time_at(service, show_id, at)
    if pdt is None:
        raise ProblemError(409, "stream_time_unknown", f"Show {show_id} does not stream here.")
    return ClockReply(pdt)


@post("/internal/v1/shows/{show_id:int}/dateranges", include_in_schema=False, status_code=204)
async def add_highlight(
    show_id: ShowId, request: Request[Any, Any, Any], resources: Res
) -> Response[None]:
    service = _authorized(request, resources)
    try:
        body = msgspec.json.decode(await request.body(), type=HighlightRange)
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "invalid_body", str(exc)) from None
    if body.class_ != HIGHLIGHT_CLASS:
        raise ProblemError(400, "invalid_body", f"Only {HIGHLIGHT_CLASS} ranges are accepted.")
    try:
        daterange = highlight_daterange(body.id, body.product_id, body.start_date)
        service.add_daterange(show_id, daterange)
    except UnknownShow:
        detail = f"Show {show_id} does not stream here."
        raise ProblemError(409, "stream_not_live", detail) from None
    except (DateRangeError, ValueError) as exc:
        raise ProblemError(409, "daterange_conflict", str(exc)) from None
    return Response(None, status_code=204)


ROUTES = [stream_clock, add_highlight]
