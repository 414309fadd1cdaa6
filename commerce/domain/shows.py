"""Shows: a host's live broadcast, its lifecycle and who may manage it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from commerce.domain.errors import Forbidden, InvalidTransition, InvalidValue

if TYPE_CHECKING:
    from commerce.domain.users import Principal

MAX_TITLE = 140
MAX_DESCRIPTION = 5000


class ShowStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    # Live show whose publisher is gone for now (dropped connection, closed tab).
    IDLE = "idle"
    ENDED = "ended"


# The host ends a show; ingest moves it between live and idle. Ended is final.
_ALLOWED: dict[ShowStatus, frozenset[ShowStatus]] = {
    ShowStatus.SCHEDULED: frozenset({ShowStatus.LIVE, ShowStatus.ENDED}),
    ShowStatus.LIVE: frozenset({ShowStatus.IDLE, ShowStatus.ENDED}),
    ShowStatus.IDLE: frozenset({ShowStatus.LIVE, ShowStatus.ENDED}),
    ShowStatus.ENDED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Show:
    id: int
    owner_id: int
    title: str
    description: str
    status: ShowStatus
    stream_key: str
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    updated_at: datetime


def check_transition(current: ShowStatus, target: ShowStatus) -> None:
    if current == target:
        return
    if target not in _ALLOWED[current]:
        if current is ShowStatus.ENDED:
            raise InvalidTransition("This show has ended; create a new show to go live again.")
        raise InvalidTransition(f"A {current.value} show cannot become {target.value}.")


def ensure_can_create_show(principal: Principal) -> None:
    if not principal.can_host:
        raise Forbidden("Only hosts can create shows. Ask an admin to give your account the "
                        "host role.")


def ensure_can_manage(principal: Principal, show: Show) -> None:
    if not (principal.is_admin or principal.user_id == show.owner_id):
        raise Forbidden("Only the host who owns this show (or an admin) can change it.")


def can_see_stream_key(principal: Principal | None, show: Show) -> bool:
    return principal is not None and (principal.is_admin or principal.user_id == show.owner_id)


def check_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise InvalidValue("The title cannot be blank.", field="title")
    return title
