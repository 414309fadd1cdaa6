"""``/api/v1/shows``: hosts create and manage shows; anyone reads them."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import JSONBody, Parameter

from commerce.api.schemas import ShowIn, ShowOut, ShowPatch, StreamKeyOut, changes
from commerce.api.security import Caller, MaybePrincipal, provide_caller, provide_principal
from commerce.domain.errors import InvalidValue
from commerce.domain.shows import ShowStatus, can_see_stream_key
from commerce.services import catalog
from edge.announce import announce_show_status
from showfloor.web import Db, Res

ShowId = Annotated[int, Parameter(ge=1, le=2**62, description="The show's id.")]


class ShowController(Controller):
    path = "/api/v1/shows"
    tags = ["shows"]
    dependencies = {
        "principal": Provide(provide_principal),
        "caller": Provide(provide_caller),
    }

    @post("/", status_code=201, summary="Create a show (hosts)")
    async def create(self, data: JSONBody[ShowIn], caller: Caller, db: Db) -> ShowOut:
        show = await catalog.create_show(
            db, caller, title=data.title, description=data.description,
            scheduled_at=data.scheduled_at,
        )
        return ShowOut.of(show, with_key=True)

    @get("/", summary="List shows, newest first")
    async def list_(
        self,
        db: Db,
        principal: MaybePrincipal,
        status: Annotated[list[ShowStatus] | None, Parameter(description="Filter by status")]
        = None,
        owner: Annotated[str | None, Parameter(description="'me' or a user id")] = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        before: Annotated[int | None, Parameter(ge=1, le=2**62)] = None,
    ) -> list[ShowOut]:
        owner_id: int | None = None
        if owner == "me":
            if principal is None:
                raise InvalidValue("owner=me needs an access token.", field="owner")
            owner_id = principal.user_id
        elif owner is not None:
            if not owner.isdigit() or len(owner) > 18:
                raise InvalidValue("owner must be 'me' or a user id.", field="owner")
            owner_id = int(owner)
        shows = await catalog.list_shows(
            db, owner_id=owner_id, statuses=status, limit=limit, before_id=before
        )
        return [ShowOut.of(s, with_key=can_see_stream_key(principal, s)) for s in shows]

    @get("/{show_id:int}", summary="One show")
    async def read(
        self, show_id: ShowId, db: Db, principal: MaybePrincipal
    ) -> ShowOut:
        show = await catalog.get_show(db, show_id)
        return ShowOut.of(show, with_key=can_see_stream_key(principal, show))

    @patch("/{show_id:int}", summary="Change a show's title, description or schedule")
    async def update(
        self, show_id: ShowId, data: JSONBody[ShowPatch], caller: Caller, db: Db
    ) -> ShowOut:
        show = await catalog.update_show(db, caller, show_id, changes(data))
        return ShowOut.of(show, with_key=True)

    @post("/{show_id:int}/end", status_code=200, summary="End a show (final)")
    async def end(self, show_id: ShowId, caller: Caller, db: Db, resources: Res) -> ShowOut:
        show = await catalog.end_show(db, caller, show_id)
        # Viewers learn at once; media sees the end on its next poll and finalises the recording.
        await announce_show_status(resources, show.id, "ended", show.ended_at)
        return ShowOut.of(show, with_key=True)

    @post("/{show_id:int}/stream-key", status_code=200,
          summary="Replace the stream key; the old one stops working")
    async def rotate_key(
        self, show_id: ShowId, caller: Caller, db: Db
    ) -> StreamKeyOut:
        show = await catalog.rotate_stream_key(db, caller, show_id)
        return StreamKeyOut(show_id=show.id, stream_key=show.stream_key)
