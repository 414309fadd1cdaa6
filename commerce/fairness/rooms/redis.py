"""Redis waiting rooms: one Lua script per operation, the rules of
:class:`commerce.fairness.waiting_room.WaitingRoom`.

All keys of one room share the hash tag ``{q:ID}`` (Redis Cluster runs each script on one
slot). Per room:

- ``meta``  hash: phase, arrivals, served, pool_size, sold_out
- ``pool``  sorted set: pre-opening ticket -> secret random key (rank = ZRANK + 1 once open)
- ``late``  list: tickets taken after opening, in arrival order
- ``users`` hash: user -> ticket;  ``tuser``: ticket -> user;  ``tarr``: ticket -> arrival
- ``trank`` hash: late ticket -> rank
- ``state`` hash: ticket -> ``a:<until ms>`` admitted, ``u:<until>`` used, ``x:0`` expired,
  ``l:0`` left (absent: waiting)
- ``adm``   sorted set: admissions not yet used -> until (ms)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commerce.fairness.waiting_room import (
    MAX_BATCH,
    Admission,
    Phase,
    PumpResult,
    QueueNotOpen,
    RoomView,
    TicketView,
    status_of,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from redis.asyncio import Redis

_VIEW = """
local function room_view()
  local m = redis.call('HMGET', KEYS[1], 'phase', 'served', 'pool_size', 'sold_out')
  local phase = m[1] or 'closed'
  local pool_size = tonumber(m[3] or '0')
  local joined
  if phase == 'open' then joined = pool_size + redis.call('LLEN', KEYS[3])
  else joined = redis.call('ZCARD', KEYS[2]) end
  return {phase, joined, pool_size, tonumber(m[2] or '0'), redis.call('ZCARD', KEYS[9]),
          tonumber(m[4] or '0')}
end
"""

ANNOUNCE = _VIEW + """
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase or phase == 'closed' then redis.call('HSET', KEYS[1], 'phase', 'waiting') end
return room_view()
"""

OPEN = _VIEW + """
if redis.call('HGET', KEYS[1], 'phase') ~= 'open' then
  redis.call('HSET', KEYS[1], 'phase', 'open', 'pool_size', redis.call('ZCARD', KEYS[2]))
end
return room_view()
"""

# ARGV: user, ticket, key. Answer: {created (1/0), ticket}; {-1}: not announced.
JOIN = """
local phase = redis.call('HGET', KEYS[1], 'phase')
if phase ~= 'waiting' and phase ~= 'open' then return {-1} end
local existing = redis.call('HGET', KEYS[4], ARGV[1])
if existing then return {0, existing} end
local arrival = redis.call('HINCRBY', KEYS[1], 'arrivals', 1)
if phase == 'waiting' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
else
  local n = redis.call('RPUSH', KEYS[3], ARGV[2])
  local pool_size = tonumber(redis.call('HGET', KEYS[1], 'pool_size') or '0')
  redis.call('HSET', KEYS[7], ARGV[2], pool_size + n)
end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[6], ARGV[2], arrival)
return {1, ARGV[2]}
"""

# ARGV: now, available, held, admission ms, budget.
# Answer: {-1} not open; else {expired, room view..., ticket, user, ticket, user...}.
PUMP = _VIEW + """
if redis.call('HGET', KEYS[1], 'phase') ~= 'open' then return {-1} end
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', now)
for _, t in ipairs(due) do redis.call('HSET', KEYS[8], t, 'x:0') end
if #due > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now) end
local available, held = tonumber(ARGV[2]), tonumber(ARGV[3])
local sold_out = 0
if available <= 0 and held <= 0 then sold_out = 1 end
local m = redis.call('HMGET', KEYS[1], 'served', 'pool_size')
local served, pool_size = tonumber(m[1] or '0'), tonumber(m[2] or '0')
local total = pool_size + redis.call('LLEN', KEYS[3])
local slots = available - redis.call('ZCARD', KEYS[9])
local budget = tonumber(ARGV[5])
local until_ms = now + tonumber(ARGV[4])
local admitted = {}
while slots > 0 and served < total and budget > 0 do
  served = served + 1
  budget = budget - 1
  local t
  if served <= pool_size then
    t = redis.call('ZRANGE', KEYS[2], served - 1, served - 1)[1]
  else
    t = redis.call('LINDEX', KEYS[3], served - pool_size - 1)
  end
  if redis.call('HEXISTS', KEYS[8], t) == 0 then
    redis.call('HSET', KEYS[8], t, 'a:' .. until_ms)
    redis.call('ZADD', KEYS[9], until_ms, t)
    table.insert(admitted, t)
    table.insert(admitted, redis.call('HGET', KEYS[5], t))
    slots = slots - 1
  end
end
redis.call('HSET', KEYS[1], 'served', served, 'sold_out', sold_out)
local answer = room_view()
table.insert(answer, 1, #due)
table.insert(answer, until_ms)
for _, x in ipairs(admitted) do table.insert(answer, x) end
return answer
"""

# ARGV: 't' and a ticket, or 'u' and a user. Answer: {} unknown; else
# {ticket, user, arrival, rank (0: none), state, room view...}.
TICKET = _VIEW + """
local t = ARGV[2]
if ARGV[1] == 'u' then
  t = redis.call('HGET', KEYS[4], ARGV[2])
  if not t then return {} end
end
local user = redis.call('HGET', KEYS[5], t)
if not user then return {} end
local view = room_view()
local rank = 0
if view[1] == 'open' then
  local r = redis.call('ZRANK', KEYS[2], t)
  if r then rank = r + 1 else rank = tonumber(redis.call('HGET', KEYS[7], t)) end
end
local answer = {t, user, redis.call('HGET', KEYS[6], t), rank,
                redis.call('HGET', KEYS[8], t) or ''}
for _, x in ipairs(view) do table.insert(answer, x) end
return answer
"""

# ARGV: user, now.
USE = """
local t = redis.call('HGET', KEYS[4], ARGV[1])
if not t then return 0 end
local st = redis.call('HGET', KEYS[8], t)
if not st then return 0 end
local kind = string.sub(st, 1, 1)
if kind == 'a' or kind == 'x' then
  redis.call('HSET', KEYS[8], t, 'u:' .. string.sub(st, 3))
  redis.call('ZREM', KEYS[9], t)
  return 1
end
return 0
"""

# ARGV: user.
LEAVE = """
local t = redis.call('HGET', KEYS[4], ARGV[1])
if not t then return 0 end
if redis.call('HGET', KEYS[1], 'phase') ~= 'open' then
  redis.call('ZREM', KEYS[2], t)
  redis.call('HDEL', KEYS[4], ARGV[1])
  redis.call('HDEL', KEYS[5], t)
  redis.call('HDEL', KEYS[6], t)
  return 1
end
local st = redis.call('HGET', KEYS[8], t)
if st then
  local kind = string.sub(st, 1, 1)
  if kind == 'l' or kind == 'x' or kind == 'u' then return 0 end
end
redis.call('HSET', KEYS[8], t, 'l:0')
redis.call('ZREM', KEYS[9], t)
return 1
"""

ROOM = _VIEW + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
return room_view()
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _room(values: Sequence[Any]) -> RoomView:
    phase, joined, pool_size, served, outstanding, sold_out = values[:6]
    return RoomView(Phase(_text(phase)), int(joined), int(pool_size), int(served),
                    int(outstanding), bool(int(sold_out)))


def _state(raw: str) -> tuple[str, int] | None:
    if not raw:
        return None
    kind, _, until = raw.partition(":")
    return kind, int(until)


class RedisWaitingRooms:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._rooms_key = f"{prefix}fair:rooms"
        self._announce = redis.register_script(ANNOUNCE)
        self._open = redis.register_script(OPEN)
        self._join = redis.register_script(JOIN)
        self._pump = redis.register_script(PUMP)
        self._ticket = redis.register_script(TICKET)
        self._use = redis.register_script(USE)
        self._leave = redis.register_script(LEAVE)
        self._view = redis.register_script(ROOM)

    def _keys(self, product_id: int) -> list[str]:
        tag = f"{self._prefix}{{q:{product_id}}}"
        return [f"{tag}:{name}" for name in ("meta", "pool", "late", "users", "tuser", "tarr",
                                             "trank", "state", "adm")]

    async def announce(self, product_id: int) -> RoomView:
        view = _room(await self._announce(keys=self._keys(product_id)))
        await self._redis.sadd(self._rooms_key, product_id)
        return view

    async def open(self, product_id: int) -> RoomView:
        view = _room(await self._open(keys=self._keys(product_id)))
        await self._redis.sadd(self._rooms_key, product_id)
        return view

    async def join(self, product_id: int, user_id: int, ticket: str, key: int
                   ) -> tuple[str, bool]:
        result = await self._join(keys=self._keys(product_id), args=[user_id, ticket, key])
        if int(result[0]) == -1:
            raise QueueNotOpen("The host has not announced this drop yet; the queue opens "
                               "when they do.")
        return _text(result[1]), bool(int(result[0]))

    async def pump(self, product_id: int, *, now_ms: int, available: int, held: int,
                   admission_ms: int, budget: int = MAX_BATCH) -> PumpResult | None:
        result = await self._pump(keys=self._keys(product_id),
                                  args=[now_ms, available, held, admission_ms, budget])
        if int(result[0]) == -1:
            return None
        until = int(result[7])
        pairs = result[8:]
        admitted = [Admission(_text(pairs[i]), int(pairs[i + 1]), until)
                    for i in range(0, len(pairs), 2)]
        return PumpResult(admitted, int(result[0]), _room(result[1:7]))

    def _ticket_view(self, result: Sequence[Any], now_ms: int) -> TicketView | None:
        if not result:
            return None
        ticket, user, arrival, rank, raw_state = result[:5]
        room = _room(result[5:11])
        state = _state(_text(raw_state))
        until = state[1] if state is not None and state[0] in ("a", "u") else None
        return TicketView(_text(ticket), int(user), int(arrival), int(rank) or None,
                          status_of(state, room, now_ms), until, room)

    async def ticket(self, product_id: int, ticket: str, now_ms: int) -> TicketView | None:
        result = await self._ticket(keys=self._keys(product_id), args=["t", ticket])
        return self._ticket_view(result, now_ms)

    async def ticket_of_user(self, product_id: int, user_id: int, now_ms: int
                             ) -> TicketView | None:
        result = await self._ticket(keys=self._keys(product_id), args=["u", user_id])
        return self._ticket_view(result, now_ms)

    async def use(self, product_id: int, user_id: int, now_ms: int) -> None:
        await self._use(keys=self._keys(product_id), args=[user_id, now_ms])

    async def leave(self, product_id: int, user_id: int) -> bool:
        return bool(int(await self._leave(keys=self._keys(product_id), args=[user_id])))

    async def room(self, product_id: int) -> RoomView | None:
        result = await self._view(keys=self._keys(product_id))
        return _room(result) if result else None

    async def active(self) -> set[int]:
        return {int(m) for m in await self._redis.smembers(self._rooms_key)}

    async def pause(self, product_id: int) -> None:
        await self._redis.srem(self._rooms_key, product_id)

    async def forget(self, product_id: int) -> None:
        await self._redis.delete(*self._keys(product_id))
        await self._redis.srem(self._rooms_key, product_id)
