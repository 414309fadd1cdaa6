"""The event bus over Redis, for several edge workers and publishers in other processes.

Each show has a Redis stream (its backlog, trimmed to about ``backlog`` entries) and a counter.
One Lua script increments the counter and appends the event under the stream id ``<n>-0``, so
ids are consecutive integers assigned atomically with the append, whoever publishes.

Why streams rather than PUBLISH + a capped list: a pub/sub message is lost by a worker whose
connection blinks, while a stream is read from an explicit id, so a worker that reconnects reads
on from the last id it saw and delivers every event exactly once, in order. The stream is also
the backlog clients resume from, so nothing has to keep the two consistent.

Each worker runs one reader per show with local subscribers (a blocking ``XREAD`` from the last
id it read) and fans each batch out in memory; it keeps the last ``backlog`` events too, so
most resumes are served without a round trip. Both keys of a show share the hash tag
``{show:<id>}``: every command touches one slot, so this runs unchanged on Redis Cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from redis.exceptions import RedisError

from edge.bus.base import (
    BusClosed,
    Delivery,
    EventBus,
    FeedInterrupted,
    Subscription,
)
from edge.bus.fanout import OverflowHook, ShowFeed
from edge.domain.backlog import Backlog, ResumeKind, plan_resume
from edge.events import Event, encode_event, envelope_bytes, event_type

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from redis.asyncio import Redis

logger = logging.getLogger("showfloor.edge.bus")

_PUBLISH = """
local id = redis.call('INCR', KEYS[1])
if id == 1 then
  -- A fresh counter beside a surviving stream (the counter was lost): continue after the
  -- stream's last id so that ids stay increasing.
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  if #last > 0 then
    id = tonumber(string.match(last[1][1], '^(%d+)')) + 1
    redis.call('SET', KEYS[1], id)
  end
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id .. '-0', 't', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return id
"""


def show_keys(prefix: str, show_id: int) -> tuple[str, str]:
    tag = f"{prefix}edge:{{show:{show_id}}}"
    return f"{tag}:seq", f"{tag}:events"


def _event_id(stream_id: bytes | str) -> int:
    raw = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(raw.split("-", 1)[0])


def _entries(response: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """XREAD replies are a list of ``[key, entries]`` in RESP2 and a map in RESP3 (where
    redis-py wraps each stream's entries in one more list)."""
    if not response:
        return []
    if isinstance(response, dict):
        groups = list(response.values())
        return [
            entry
            for group in groups
            for entry in (group[0] if group and isinstance(group[0], list) else group)
        ]
    return [entry for _, entries in response for entry in entries]


class _Feed:
    __slots__ = ("cache", "fanout", "idle_since", "keys", "ready", "show_id", "task")

    def __init__(
        self, show_id: int, keys: tuple[str, str], capacity: int, on_overflow: OverflowHook | None
    ) -> None:
        self.show_id = show_id
        self.keys = keys
        self.fanout = ShowFeed(show_id, on_overflow)
        self.cache: Backlog[Delivery] = Backlog(capacity)
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None
        self.idle_since: float | None = None


class RedisEventBus(EventBus):
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        backlog: int = 1000,
        retention_seconds: int = 2 * 24 * 3600,
        feed_linger_seconds: float = 30.0,
        block_ms: int = 1000,
        on_overflow: OverflowHook | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._backlog = backlog
        self._retention_ms = retention_seconds * 1000
        self._linger = feed_linger_seconds
        self._block_ms = block_ms
        self._on_overflow = on_overflow
        self._publish = redis.register_script(_PUBLISH)
        self._feeds: dict[int, _Feed] = {}
        self._closed = False

    async def publish(self, show_id: int, event: Event) -> int:
        seq_key, stream_key = show_keys(self._prefix, show_id)
        result = await self._publish(
            keys=[seq_key, stream_key],
            args=[event_type(event), encode_event(event), self._backlog, self._retention_ms],
        )
        return int(result)

    async def last_event_id(self, show_id: int) -> int:
        raw = await self._redis.get(show_keys(self._prefix, show_id)[0])
        return int(raw) if raw is not None else 0

    def subscriber_count(self, show_id: int) -> int:
        feed = self._feeds.get(show_id)
        return 0 if feed is None else len(feed.fanout.subscribers)

    # -- subscribing -------------------------------------------------------------------------

    async def _feed(self, show_id: int) -> _Feed:
        feed = self._feeds.get(show_id)
        if feed is None:
            feed = _Feed(
                show_id, show_keys(self._prefix, show_id), self._backlog, self._on_overflow
            )
            self._feeds[show_id] = feed
            feed.task = asyncio.create_task(self._run(feed), name=f"edge-feed-{show_id}")
        feed.idle_since = None
        await asyncio.shield(feed.ready)
        return feed

    @asynccontextmanager
    async def subscribe(
        self, show_id: int, since: int | None = None, *, max_pending: int = 256
    ) -> AsyncIterator[Subscription]:
        if self._closed:
            raise RuntimeError("the event bus is closed")
        feed = await self._feed(show_id)
        sub = Subscription(show_id, max_pending)
        feed.fanout.add(sub)
        try:
            await self._start(feed, sub, since)
            yield sub
        finally:
            feed.fanout.remove(sub)
            if not feed.fanout.subscribers:
                feed.idle_since = asyncio.get_running_loop().time()

    async def _start(self, feed: _Feed, sub: Subscription, since: int | None) -> None:
        cache = feed.cache
        if since is None:
            sub.last_queued = sub.last_delivered = cache.latest
            return
        plan = cache.plan(since)
        if plan.kind is ResumeKind.COMPLETE:
            after = since if plan.replay_after is None else plan.replay_after
            sub.last_queued = sub.last_delivered = after
            sub.plan = plan
            sub.replay(cache.after(after))
            return
        # Not in this worker's memory: the resume point is older than what it keeps, or newer
        # than what its reader has seen so far (the client came from a faster worker).
        sub.hold()
        sub.last_queued = sub.last_delivered = since
        try:
            latest = await self.last_event_id(feed.show_id)
            if since > latest:
                sub.plan = plan_resume(since, None, latest)
                sub.last_queued = sub.last_delivered = latest
                sub.release(())
                return
            raw = cast(
                "list[tuple[bytes, dict[bytes, bytes]]]",
                await self._redis.xrange(feed.keys[1], min=f"({since}-0", max="+"),
            )
        except BaseException:
            sub.release(())
            raise
        backlog = [self._delivery(feed.show_id, entry_id, fields) for entry_id, fields in raw]
        oldest = backlog[0].id if backlog else None
        sub.plan = plan_resume(since, oldest, max(latest, backlog[-1].id if backlog else 0))
        sub.release(backlog)

    @staticmethod
    def _delivery(show_id: int, entry_id: bytes, fields: dict[bytes, bytes]) -> Delivery:
        event_id = _event_id(entry_id)
        return Delivery(
            event_id,
            show_id,
            fields[b"t"].decode(),
            envelope_bytes(event_id, show_id, fields[b"d"]),
        )

    # -- the reader of one show --------------------------------------------------------------

    async def _run(self, feed: _Feed) -> None:
        loop = asyncio.get_running_loop()
        backoff = 0.05
        try:
            while not feed.ready.done():
                try:
                    raw = await self._redis.get(feed.keys[0])
                except RedisError as exc:
                    logger.warning("edge_feed_start_failed", extra={"error": str(exc)})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                feed.cache = Backlog(self._backlog, latest=int(raw) if raw is not None else 0)
                feed.ready.set_result(None)
            backoff = 0.05
            while not self._closed:
                if (
                    feed.idle_since is not None
                    and not feed.fanout.subscribers
                    and loop.time() - feed.idle_since >= self._linger
                ):
                    break
                try:
                    response = await self._redis.xread(
                        {feed.keys[1]: f"{feed.cache.latest}-0"},
                        count=1000,
                        block=self._block_ms,
                    )
                    if not response:
                        await self._check_restart(feed)
                        continue
                except RedisError as exc:
                    logger.warning(
                        "edge_feed_read_failed", extra={"show_id": feed.show_id, "error": str(exc)}
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                backoff = 0.05
                self._dispatch(feed, _entries(response))
        finally:
            if self._feeds.get(feed.show_id) is feed:
                del self._feeds[feed.show_id]
            if not feed.ready.done():
                feed.ready.set_exception(RuntimeError("the event bus is closed"))
            feed.fanout.end_all(lambda sub: BusClosed(sub.last_delivered))

    def _dispatch(self, feed: _Feed, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        batch: list[Delivery] = []
        for entry_id, fields in entries:
            delivery = self._delivery(feed.show_id, entry_id, fields)
            if delivery.id <= feed.cache.latest:
                continue
            if not feed.cache.append_with_id(delivery.id, delivery):
                # Events were trimmed before this worker read them (a long Redis outage):
                # subscribers cannot be given a complete sequence, so they resume and resync.
                if batch:
                    feed.fanout.deliver(batch)
                    batch = []
                logger.warning("edge_feed_gap", extra={"show_id": feed.show_id})
                feed.fanout.end_all(lambda sub: FeedInterrupted("events_lost", sub.last_delivered))
            batch.append(delivery)
        if batch:
            feed.fanout.deliver(batch)

    async def _check_restart(self, feed: _Feed) -> None:
        raw = await self._redis.get(feed.keys[0])
        latest = int(raw) if raw is not None else 0
        if latest < feed.cache.latest:
            # The counter went back (Redis lost its data): ids restart, clients resync.
            logger.warning("edge_feed_restarted", extra={"show_id": feed.show_id})
            feed.cache = Backlog(self._backlog, latest=latest)
            feed.fanout.end_all(lambda sub: FeedInterrupted("ids_restarted", sub.last_delivered))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        feeds = list(self._feeds.values())
        for feed in feeds:
            if feed.task is not None:
                feed.task.cancel()
        for feed in feeds:
            if feed.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task
