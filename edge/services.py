"""What the edge handlers call: chat and moderation, highlights, viewer presence, show lookups."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from commerce.auth.tokens import AccessTokens
from edge import store
from edge.bus import EventBus
from edge.domain.chat import (
    ChatLimits,
    ChatRejected,
    RestrictionKind,
    ShowRole,
    blocking_restriction,
    check_can_moderate,
    check_slow_mode,
    clean_text,
    rate_rules,
    refuse_restricted,
)
from edge.domain.timeline import HighlightRecord, TimelineEntry, build_timeline, correct_click
from edge.events import ChatDeletedEvent, ChatEvent, HighlightEvent, ViewersEvent
from edge.metrics import EdgeMetrics
from edge.presence import HostClocks, ViewerCounts
from edge.ratelimit import RateLimiter
from edge.settings import EdgeSettings
from edge.streamclock import StreamClock, StreamClockUnavailable
from showfloor.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from commerce.domain.users import Principal
    from edge.domain.export import ExportedMessage
    from edge.store import ShowInfo

logger = logging.getLogger("showfloor.edge")


def utcnow() -> datetime:
    return datetime.now(UTC)


class ShowDirectory:
    """Shows by id, cached briefly: every connection checks its show, and a show rarely changes
    owner or disappears. Concurrent lookups of one show share one query, so a crowd joining a
    show at once costs the database one read."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ttl: float = 5.0, size: int = 10_000
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._size = size
        self._cache: dict[int, tuple[ShowInfo | None, float]] = {}
        self._pending: dict[int, asyncio.Future[ShowInfo | None]] = {}

    async def get(self, show_id: int) -> ShowInfo | None:
        entry = self._cache.get(show_id)
        if entry is not None and entry[1] > time.monotonic():
            return entry[0]
        pending = self._pending.get(show_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ShowInfo | None] = asyncio.get_running_loop().create_future()
        self._pending[show_id] = future
        try:
            async with self._sessions() as session:
                show = await store.get_show(session, show_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody else must
            raise
        finally:
            del self._pending[show_id]
        if len(self._cache) >= self._size:
            self._cache.clear()
        self._cache[show_id] = (show, time.monotonic() + self._ttl)
        future.set_result(show)
        return show


class ViewerPresence:
    """Counts this worker's viewers per show and reports them; the shared counter decides which
    worker publishes the total (at most once per push interval, only when it changed)."""

    def __init__(
        self,
        counts: ViewerCounts,
        bus: EventBus,
        *,
        worker_id: str,
        push_interval: float,
        report_interval: float,
        metrics: EdgeMetrics | None = None,
    ) -> None:
        self._counts = counts
        self._bus = bus
        self.worker_id = worker_id
        self._push_interval = push_interval
        self._report_interval = report_interval
        self._metrics = metrics
        self._local: dict[int, int] = {}
        self._to_report: set[int] = set()

    def local(self, show_id: int) -> int:
        return self._local.get(show_id, 0)

    @contextlib.contextmanager
    def watching(self, show_id: int) -> Iterator[None]:
        self._local[show_id] = self._local.get(show_id, 0) + 1
        self._to_report.add(show_id)
        try:
            yield
        finally:
            left = self._local[show_id] - 1
            if left:
                self._local[show_id] = left
            else:
                del self._local[show_id]
            self._to_report.add(show_id)

    async def tick(self) -> None:
        shows = self._to_report | set(self._local)
        self._to_report = set()
        for show_id in shows:
            count = self._local.get(show_id, 0)
            report = await self._counts.report(
                show_id,
                self.worker_id,
                count,
                ttl=self._report_interval * 3 + 1.0,
                push_interval=self._push_interval,
            )
            if report.push:
                await self._bus.publish(show_id, ViewersEvent(count=report.total))
                if self._metrics is not None:
                    self._metrics.viewer_pushes.inc()
            if report.pending:
                self._to_report.add(show_id)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._report_interval)
            try:
                await self.tick()
            except Exception:
                logger.exception("edge_viewer_report_failed")

    async def withdraw(self) -> None:
        await self._counts.withdraw(self.worker_id, list(self._local))


@dataclass(frozen=True, slots=True)
class PostedMessage:
    message_id: int
    event_id: int


class ChatService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        limiter: RateLimiter,
        settings: EdgeSettings,
        metrics: EdgeMetrics,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._limiter = limiter
        self._settings = settings
        self._metrics = metrics

    async def post(
        self, show: ShowInfo, author: Principal, display_name: str, raw_text: str
    ) -> PostedMessage:
        try:
            return await self._post(show, author, display_name, raw_text)
        except ChatRejected as exc:
            self._metrics.chat_messages.labels(exc.code).inc()
            raise

    async def _post(
        self, show: ShowInfo, author: Principal, display_name: str, raw_text: str
    ) -> PostedMessage:
        text = clean_text(raw_text, self._settings.chat_max_length)
        if show.status == "ended":
            raise ChatRejected("show_ended", "This show has ended; its chat is closed.")
        now = utcnow()
        async with self._sessions() as session:
            role = await store.role_of(session, show, author)
            if role is not ShowRole.HOST:
                restrictions = await store.restrictions_of(session, show.id, author.user_id)
                refuse_restricted(blocking_restriction(restrictions, now), now)
            slow = await store.slow_mode_seconds(session, show.id)
        limits = ChatLimits(self._settings.chat_burst, self._settings.chat_per_minute, slow)
        decision = await self._limiter.acquire(
            f"chat:{show.id}:{author.user_id}", rate_rules(role, limits)
        )
        if not decision.allowed:
            detail = "You are sending messages too fast."
            if slow and role is ShowRole.VIEWER:
                detail += f" Slow mode is on: one message every {slow} s."
            raise ChatRejected("rate_limited", detail, retry_after=decision.retry_after)
        async with self._sessions() as session:
            message_id = await store.insert_message(
                session, show.id, author.user_id, display_name, text, now
            )
            await session.commit()
        event = ChatEvent(
            message_id=message_id,
            user_id=author.user_id,
            display_name=display_name,
            text=text,
            sent_at=now,
            role=role.value,
        )
        try:
            event_id = await self._bus.publish(show.id, event)
        except BaseException:
            # Not delivered to anyone: do not keep a message nobody saw.
            async with self._sessions() as session:
                await store.delete_messages(
                    session, show.id, author.user_id, now, message_id=message_id
                )
                await session.commit()
            raise
        self._metrics.chat_messages.labels("accepted").inc()
        return PostedMessage(message_id, event_id)

    async def _actor_role(
        self, session: AsyncSession, show: ShowInfo, actor: Principal
    ) -> ShowRole:
        return await store.role_of(session, show, actor)

    async def delete_message(self, show: ShowInfo, actor: Principal, message_id: int) -> None:
        now = utcnow()
        async with self._sessions() as session:
            if not await store.message_exists(session, show.id, message_id):
                raise ChatRejected("message_not_found", "There is no such message in this show.")
            role = await self._actor_role(session, show, actor)
            if not role.moderates:
                raise ChatRejected("not_a_moderator", "Only the host and moderators can do this.")
            deleted = await store.delete_messages(
                session, show.id, actor.user_id, now, message_id=message_id
            )
            await session.commit()
        if deleted:
            await self._bus.publish(show.id, ChatDeletedEvent(message_ids=deleted))

    async def restrict(
        self,
        show: ShowInfo,
        actor: Principal,
        target_user_id: int,
        kind: RestrictionKind,
        *,
        duration_seconds: int | None = None,
        reason: str = "",
        purge: bool = False,
    ) -> datetime | None:
        now = utcnow()
        until = None if duration_seconds is None else now + timedelta(seconds=duration_seconds)
        async with self._sessions() as session:
            if not await store.user_exists(session, target_user_id):
                raise ChatRejected("user_not_found", "There is no such user.")
            check_can_moderate(
                await self._actor_role(session, show, actor),
                await store.target_role(session, show, target_user_id),
            )
            await store.set_restriction(
                session, show.id, target_user_id, kind, until, reason, actor.user_id, now
            )
            deleted = (
                await store.delete_messages(
                    session, show.id, actor.user_id, now, user_id=target_user_id
                )
                if purge
                else []
            )
            await session.commit()
        if deleted:
            await self._bus.publish(show.id, ChatDeletedEvent(message_ids=deleted))
        return until

    async def lift(
        self, show: ShowInfo, actor: Principal, target_user_id: int, kind: RestrictionKind
    ) -> None:
        async with self._sessions() as session:
            if not (await self._actor_role(session, show, actor)).moderates:
                raise ChatRejected("not_a_moderator", "Only the host and moderators can do this.")
            await store.lift_restriction(session, show.id, target_user_id, kind)
            await session.commit()

    async def set_slow_mode(self, show: ShowInfo, actor: Principal, seconds: int) -> None:
        check_slow_mode(seconds)
        async with self._sessions() as session:
            if not (await self._actor_role(session, show, actor)).moderates:
                raise ChatRejected("not_a_moderator", "Only the host and moderators can do this.")
            await store.set_slow_mode(session, show.id, seconds, actor.user_id, utcnow())
            await session.commit()

    async def slow_mode(self, show_id: int) -> int:
        async with self._sessions() as session:
            return await store.slow_mode_seconds(session, show_id)

    async def require_host(self, show: ShowInfo, actor: Principal) -> None:
        if not (actor.is_admin or actor.user_id == show.owner_id):
            raise ChatRejected("not_show_host", "Only the show's host can do this.")

    async def moderators(self, show: ShowInfo) -> list[int]:
        async with self._sessions() as session:
            return await store.list_moderators(session, show.id)

    async def grant_moderator(self, show: ShowInfo, actor: Principal, user_id: int) -> None:
        await self.require_host(show, actor)
        async with self._sessions() as session:
            if not await store.user_exists(session, user_id):
                raise ChatRejected("user_not_found", "There is no such user.")
            await store.add_moderator(session, show.id, user_id, actor.user_id, utcnow())
            await session.commit()

    async def revoke_moderator(self, show: ShowInfo, actor: Principal, user_id: int) -> None:
        await self.require_host(show, actor)
        async with self._sessions() as session:
            await store.remove_moderator(session, show.id, user_id)
            await session.commit()

    async def recent(self, show_id: int, limit: int) -> list[store.StoredMessage]:
        async with self._sessions() as session:
            return await store.recent_messages(session, show_id, limit)

    @asynccontextmanager
    async def export(
        self, show: ShowInfo, actor: Principal
    ) -> AsyncIterator[AsyncIterator[ExportedMessage]]:
        await self.require_host(show, actor)
        async with self._sessions() as session:
            yield store.export_messages(session, show.id)


class HighlightRejected(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CreatedHighlight:
    record: HighlightRecord
    event_id: int
    clicked_at: datetime
    clock_offset: float | None


class HighlightService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        host_clocks: HostClocks,
        stream_clock: StreamClock,
        settings: EdgeSettings,
        metrics: EdgeMetrics,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._clocks = host_clocks
        self._stream = stream_clock
        self._settings = settings
        self._metrics = metrics

    async def create(
        self,
        show: ShowInfo,
        actor: Principal,
        product_id: int,
        captured_at: datetime | None,
        received_at: datetime,
    ) -> CreatedHighlight:
        try:
            created = await self._create(show, actor, product_id, captured_at, received_at)
        except HighlightRejected as exc:
            self._metrics.highlights.labels(exc.code).inc()
            raise
        self._metrics.highlights.labels("created").inc()
        return created

    async def _create(
        self,
        show: ShowInfo,
        actor: Principal,
        product_id: int,
        captured_at: datetime | None,
        received_at: datetime,
    ) -> CreatedHighlight:
        if not (actor.is_admin or actor.user_id == show.owner_id):
            raise HighlightRejected(403, "not_show_host", "Only the show's host can highlight.")
        async with self._sessions() as session:
            if not await store.product_in_show(session, product_id, show.id):
                raise HighlightRejected(
                    404, "product_not_in_show", "This product does not belong to this show."
                )
        estimate = await self._clocks.get(show.id, actor.user_id)
        clicked = correct_click(
            None if captured_at is None else captured_at.timestamp(),
            received_at.timestamp(),
            None if estimate is None else estimate.offset,
            0.0 if estimate is None else estimate.round_trip / 2,
        )
        if abs(clicked - received_at.timestamp()) > self._settings.highlight_max_age_seconds:
            raise HighlightRejected(
                422,
                "captured_at_out_of_range",
                "The click time is too far from now, even after correcting the host's clock.",
            )
        clicked_at = datetime.fromtimestamp(clicked, UTC)
        try:
            pdt = await self._stream.program_date_time_at(show.id, clicked_at)
        except StreamClockUnavailable as exc:
            raise HighlightRejected(
                503, "media_unavailable", f"Media did not answer: {exc}"
            ) from exc
        if pdt is None:
            raise HighlightRejected(
                409, "stream_time_unknown", "The show's stream does not cover the click time."
            )
        pdt = store.aware(pdt)
        highlight_id = secrets.token_hex(16)
        now = utcnow()
        async with self._sessions() as session:
            await store.insert_highlight(
                session,
                highlight_id=highlight_id,
                show_id=show.id,
                product_id=product_id,
                program_date_time=pdt,
                clicked_at=clicked_at,
                captured_at=captured_at,
                clock_offset_ms=None if estimate is None else estimate.offset * 1000,
                created_by=actor.user_id,
                now=now,
            )
            await session.commit()
        try:
            await self._stream.add_highlight_daterange(show.id, highlight_id, product_id, pdt)
        except BaseException as exc:
            async with self._sessions() as session:
                await store.delete_highlight(session, highlight_id)
                await session.commit()
            if isinstance(exc, StreamClockUnavailable):
                raise HighlightRejected(
                    503, "media_unavailable", f"Media did not add the highlight: {exc}"
                ) from exc
            if isinstance(exc, LookupError):
                raise HighlightRejected(
                    409, "stream_time_unknown", "The show's stream ended before the highlight."
                ) from exc
            raise
        event_id = await self._bus.publish(
            show.id,
            HighlightEvent(
                highlight_id=highlight_id,
                product_id=product_id,
                program_date_time=pdt,
                created_at=now,
            ),
        )
        async with self._sessions() as session:
            await store.set_highlight_event(session, highlight_id, event_id)
            await session.commit()
        return CreatedHighlight(
            HighlightRecord(highlight_id, product_id, pdt, now),
            event_id,
            clicked_at,
            None if estimate is None else estimate.offset,
        )

    async def timeline(self, show_id: int) -> list[TimelineEntry]:
        async with self._sessions() as session:
            return build_timeline(await store.list_highlights(session, show_id))


@dataclass
class EdgeServices:
    """Everything the edge handlers use, stored in ``resources.services["edge"]``."""

    settings: Settings
    edge: EdgeSettings
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    tokens: AccessTokens
    presence: ViewerPresence
    host_clocks: HostClocks
    limiter: RateLimiter
    stream_clock: StreamClock
    directory: ShowDirectory
    chat: ChatService
    highlights: HighlightService
    metrics: EdgeMetrics
