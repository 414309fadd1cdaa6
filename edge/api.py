"""HTTP APIs of edge under ``/api/v1/shows/{show_id}``: highlights, the timeline, chat history,
moderation and the chat export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from commerce.auth.tokens import InvalidToken
from edge.channels import services_of
from edge.domain.chat import ChatRejected, RestrictionKind
from edge.domain.export import ExportedMessage, render_chat_csv
from edge.services import EdgeServices, HighlightRejected
from showfloor.problems import ProblemError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from commerce.domain.users import Principal
    from edge.store import ShowInfo

_CHAT_STATUS = {
    "not_a_moderator": 403,
    "not_show_host": 403,
    "target_is_host": 403,
    "target_is_moderator": 403,
    "message_not_found": 404,
    "user_not_found": 404,
    "invalid_slow_mode": 422,
}


def problem_from(exc: ChatRejected | HighlightRejected) -> ProblemError:
    if isinstance(exc, HighlightRejected):
        return ProblemError(exc.status, exc.code, exc.detail)
    return ProblemError(_CHAT_STATUS.get(exc.code, 409), exc.code, exc.detail)


def principal_of(edge: EdgeServices, request: Request[Any, Any, Any]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ProblemError(
            401,
            "unauthorized",
            "Sign in first: send an access token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return edge.tokens.verify(token.strip())
    except InvalidToken:
        raise ProblemError(
            401,
            "invalid_token",
            "The access token is invalid or expired; refresh it and try again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None


async def show_of(edge: EdgeServices, show_id: int) -> ShowInfo:
    show = await edge.directory.get(show_id)
    if show is None:
        raise ProblemError(404, "show_not_found", "There is no such show.")
    return show


AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class HighlightRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    product_id: int
    # The host's clock when it clicked (RFC 3339 with an offset); the server corrects it.
    captured_at: AwareDatetime | None = None


class HighlightOut(msgspec.Struct, frozen=True):
    highlight_id: str
    product_id: int
    program_date_time: datetime
    event_id: int
    clicked_at: datetime  # the click on the server's clock
    clock_offset_ms: float | None  # how far the host's clock was ahead, when measured
    created_at: datetime


class TimelineEntryOut(msgspec.Struct, frozen=True):
    highlight_id: str
    product_id: int
    start: datetime
    end: datetime | None


class TimelineOut(msgspec.Struct, frozen=True):
    show_id: int
    highlights: list[TimelineEntryOut]


class ChatMessageOut(msgspec.Struct, frozen=True):
    message_id: int
    user_id: int
    display_name: str
    text: str
    sent_at: datetime


class ChatHistoryOut(msgspec.Struct, frozen=True):
    messages: list[ChatMessageOut]


class RestrictionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # None: until lifted (bans usually); mutes typically last minutes.
    duration_seconds: Annotated[int, msgspec.Meta(ge=1, le=30 * 24 * 3600)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
    # Also delete the user's messages in this show.
    purge: bool = False


class RestrictionOut(msgspec.Struct, frozen=True):
    user_id: int
    kind: str
    until: datetime | None


class ChatSettingsIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    slow_mode_seconds: int


class ChatSettingsOut(msgspec.Struct, frozen=True):
    slow_mode_seconds: int


class ModeratorsOut(msgspec.Struct, frozen=True):
    user_ids: list[int]


class ShowEdgeController(Controller):
    path = "/api/v1/shows/{show_id:int}"
    tags = ["edge"]

    @post("/highlights", status_code=201, summary="Highlight a product at the host's click")
    async def create_highlight(
        self,
        request: Request[Any, Any, Any],
        show_id: FromPath[int],
        data: JSONBody[HighlightRequest],
    ) -> HighlightOut:
        received_at = datetime.now(UTC)
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            created = await edge.highlights.create(
                show, principal, data.product_id, data.captured_at, received_at
            )
        except HighlightRejected as exc:
            raise problem_from(exc) from None
        r = created.record
        return HighlightOut(
            highlight_id=r.highlight_id,
            product_id=r.product_id,
            program_date_time=r.program_date_time,
            event_id=created.event_id,
            clicked_at=created.clicked_at,
            clock_offset_ms=None if created.clock_offset is None else created.clock_offset * 1000,
            created_at=r.created_at,
        )

    @get("/timeline", summary="The show's highlights in stream order (live and replay)")
    async def timeline(
        self, request: Request[Any, Any, Any], show_id: FromPath[int]
    ) -> TimelineOut:
        edge = services_of(request)
        await show_of(edge, show_id)
        entries = await edge.highlights.timeline(show_id)
        return TimelineOut(
            show_id=show_id,
            highlights=[
                TimelineEntryOut(e.highlight_id, e.product_id, e.start, e.end) for e in entries
            ],
        )

    @get("/chat/messages", summary="The latest chat messages (not deleted), oldest first")
    async def chat_history(
        self,
        request: Request[Any, Any, Any],
        show_id: FromPath[int],
        limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50,
    ) -> ChatHistoryOut:
        edge = services_of(request)
        await show_of(edge, show_id)
        found = await edge.chat.recent(show_id, limit)
        return ChatHistoryOut(
            [ChatMessageOut(m.id, m.user_id, m.display_name, m.text, m.sent_at) for m in found]
        )

    @delete("/chat/messages/{message_id:int}", status_code=204, summary="Delete a message")
    async def delete_message(
        self, request: Request[Any, Any, Any], show_id: FromPath[int], message_id: FromPath[int]
    ) -> None:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            await edge.chat.delete_message(show, principal, message_id)
        except ChatRejected as exc:
            raise problem_from(exc) from None

    async def _restrict(
        self,
        request: Request[Any, Any, Any],
        show_id: int,
        user_id: int,
        kind: RestrictionKind,
        data: JSONBody[RestrictionRequest],
    ) -> RestrictionOut:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            until = await edge.chat.restrict(
                show,
                principal,
                user_id,
                kind,
                duration_seconds=data.duration_seconds,
                reason=data.reason,
                purge=data.purge,
            )
        except ChatRejected as exc:
            raise problem_from(exc) from None
        return RestrictionOut(user_id, kind.value, until)

    async def _lift(
        self, request: Request[Any, Any, Any], show_id: int, user_id: int, kind: RestrictionKind
    ) -> None:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            await edge.chat.lift(show, principal, user_id, kind)
        except ChatRejected as exc:
            raise problem_from(exc) from None

    @put("/chat/bans/{user_id:int}", summary="Ban a user from the show's chat")
    async def ban(
        self,
        request: Request[Any, Any, Any],
        show_id: FromPath[int],
        user_id: FromPath[int],
        data: JSONBody[RestrictionRequest],
    ) -> RestrictionOut:
        return await self._restrict(request, show_id, user_id, RestrictionKind.BAN, data)

    @delete("/chat/bans/{user_id:int}", status_code=204, summary="Lift a ban")
    async def unban(
        self, request: Request[Any, Any, Any], show_id: FromPath[int], user_id: FromPath[int]
    ) -> None:
        await self._lift(request, show_id, user_id, RestrictionKind.BAN)

    @put("/chat/mutes/{user_id:int}", summary="Mute a user in the show's chat")
    async def mute(
        self,
        request: Request[Any, Any, Any],
        show_id: FromPath[int],
        user_id: FromPath[int],
        data: JSONBody[RestrictionRequest],
    ) -> RestrictionOut:
        return await self._restrict(request, show_id, user_id, RestrictionKind.MUTE, data)

    @delete("/chat/mutes/{user_id:int}", status_code=204, summary="Lift a mute")
    async def unmute(
        self, request: Request[Any, Any, Any], show_id: FromPath[int], user_id: FromPath[int]
    ) -> None:
        await self._lift(request, show_id, user_id, RestrictionKind.MUTE)

    @get("/chat/settings", summary="The show's chat settings")
    async def chat_settings(
        self, request: Request[Any, Any, Any], show_id: FromPath[int]
    ) -> ChatSettingsOut:
        edge = services_of(request)
        await show_of(edge, show_id)
        return ChatSettingsOut(await edge.chat.slow_mode(show_id))

    @put("/chat/settings", summary="Set slow mode (0 turns it off)")
    async def set_chat_settings(
        self,
        request: Request[Any, Any, Any],
        show_id: FromPath[int],
        data: JSONBody[ChatSettingsIn],
    ) -> ChatSettingsOut:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            await edge.chat.set_slow_mode(show, principal, data.slow_mode_seconds)
        except ChatRejected as exc:
            raise problem_from(exc) from None
        return ChatSettingsOut(data.slow_mode_seconds)

    @get("/moderators", summary="The show's moderators")
    async def moderators(
        self, request: Request[Any, Any, Any], show_id: FromPath[int]
    ) -> ModeratorsOut:
        edge = services_of(request)
        show = await show_of(edge, show_id)
        return ModeratorsOut(await edge.chat.moderators(show))

    @put("/moderators/{user_id:int}", status_code=204, summary="Make a user a moderator")
    async def grant_moderator(
        self, request: Request[Any, Any, Any], show_id: FromPath[int], user_id: FromPath[int]
    ) -> None:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            await edge.chat.grant_moderator(show, principal, user_id)
        except ChatRejected as exc:
            raise problem_from(exc) from None

    @delete("/moderators/{user_id:int}", status_code=204, summary="Revoke a moderator")
    async def revoke_moderator(
        self, request: Request[Any, Any, Any], show_id: FromPath[int], user_id: FromPath[int]
    ) -> None:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            await edge.chat.revoke_moderator(show, principal, user_id)
        except ChatRejected as exc:
            raise problem_from(exc) from None

    @get("/chat/export.csv", summary="Every chat message of the show as CSV (host only)")
    async def export_chat(self, request: Request[Any, Any, Any], show_id: FromPath[int]) -> Stream:
        edge = services_of(request)
        principal = principal_of(edge, request)
        show = await show_of(edge, show_id)
        try:
            await edge.chat.require_host(show, principal)
        except ChatRejected as exc:
            raise problem_from(exc) from None

        async def document() -> AsyncIterator[bytes]:
            yield "".join(render_chat_csv(())).encode()
            async with edge.chat.export(show, principal) as messages:
                batch: list[ExportedMessage] = []
                async for message in messages:
                    batch.append(message)
                    if len(batch) >= 500:
                        yield "".join(render_chat_csv(batch, header=False)).encode()
                        batch = []
                if batch:
                    yield "".join(render_chat_csv(batch, header=False)).encode()

        return Stream(
            document(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="show-{show_id}-chat.csv"',
                "Cache-Control": "no-store",
            },
        )
