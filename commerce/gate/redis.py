"""Redis gate: one Lua script per operation, so every check-and-change is atomic.

All keys of one product share the hash tag ``{p:ID}``, so each script touches one slot and runs
unchanged on Redis Cluster. Per product:

- ``inv``   hash: stock, available, held, sold, version, open (0/1), limit
- ``holds`` sorted set: hold id -> expiry (ms since the epoch)
- ``hinfo`` hash: hold id -> "user:quantity"
- ``used``  hash: user -> units in live holds + units bought (the per-user limit)
- ``sold``  hash: user -> units bought
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commerce.domain.errors import Conflict
from commerce.domain.inventory import Counts, LiveHold, Outcome, StockBelowCommitted
from commerce.gate.base import GateNotLoaded, ProductSnapshot, ReserveResult

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from redis.asyncio import Redis

_COUNTS = """
local function counts(v)
  return {tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), tonumber(v[4]), tonumber(v[5])}
end
local FIELDS = {'stock', 'available', 'held', 'sold', 'version', 'open', 'limit'}
local function read() return redis.call('HMGET', KEYS[1], unpack(FIELDS)) end
"""

LOAD = """
local prev = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
local stock = tonumber(ARGV[1])
local version = math.max(tonumber(ARGV[4]), prev + 1)
local n = tonumber(ARGV[5])
local i = 6
local held = 0
for _ = 1, n do
  local id, user, qty = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  redis.call('ZADD', KEYS[2], ARGV[i + 3], id)
  redis.call('HSET', KEYS[3], id, user .. ':' .. qty)
  redis.call('HINCRBY', KEYS[4], user, qty)
  held = held + qty
  i = i + 4
end
local m = tonumber(ARGV[i])
i = i + 1
local sold = 0
for _ = 1, m do
  local user, qty = ARGV[i], tonumber(ARGV[i + 1])
  if qty > 0 then
    redis.call('HINCRBY', KEYS[5], user, qty)
    redis.call('HINCRBY', KEYS[4], user, qty)
  end
  sold = sold + qty
  i = i + 2
end
local available = stock - held - sold
redis.call('HSET', KEYS[1], 'stock', stock, 'available', available, 'held', held,
           'sold', sold, 'version', version, 'open', ARGV[3], 'limit', ARGV[2])
return {stock, available, held, sold, version}
"""

# Outcomes: 0 ok, 1 sold out, 2 over the user's limit, 3 sale not open, 4 duplicate hold id;
# -1: the product is not loaded.
RESERVE = _COUNTS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local v = read()
local qty = tonumber(ARGV[3])
local function answer(code) local c = counts(v); table.insert(c, 1, code); return c end
if v[6] ~= '1' then return answer(3) end
if tonumber(v[2]) < qty then return answer(1) end
local used = tonumber(redis.call('HGET', KEYS[4], ARGV[2]) or '0')
if used + qty > tonumber(v[7]) then return answer(2) end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return answer(4) end
v[2] = tonumber(v[2]) - qty
v[3] = tonumber(v[3]) + qty
v[5] = tonumber(v[5]) + 1
redis.call('HSET', KEYS[1], 'available', v[2], 'held', v[3], 'version', v[5])
redis.call('HINCRBY', KEYS[4], ARGV[2], qty)
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ':' .. qty)
return answer(0)
"""

# ARGV[2] is "release" or "confirm". Answer: {found, counts..., user, qty}; {-1} not loaded.
END_HOLD = _COUNTS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local v = read()
local info = redis.call('HGET', KEYS[3], ARGV[1])
if not info then
  local c = counts(v); table.insert(c, 1, 0); return c
end
local sep = string.find(info, ':', 1, true)
local user = string.sub(info, 1, sep - 1)
local qty = tonumber(string.sub(info, sep + 1))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
v[3] = tonumber(v[3]) - qty
v[5] = tonumber(v[5]) + 1
if ARGV[2] == 'confirm' then
  v[4] = tonumber(v[4]) + qty
  redis.call('HINCRBY', KEYS[5], user, qty)
else
  v[2] = tonumber(v[2]) + qty
  redis.call('HINCRBY', KEYS[4], user, -qty)
end
redis.call('HSET', KEYS[1], 'available', v[2], 'held', v[3], 'sold', v[4], 'version', v[5])
local c = counts(v)
table.insert(c, 1, 1)
table.insert(c, user)
table.insert(c, qty)
return c
"""

EXPIRE_DUE = _COUNTS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
local v = read()
for _, id in ipairs(due) do
  local info = redis.call('HGET', KEYS[3], id)
  if info then
    local sep = string.find(info, ':', 1, true)
    local user = string.sub(info, 1, sep - 1)
    local qty = tonumber(string.sub(info, sep + 1))
    v[2] = tonumber(v[2]) + qty
    v[3] = tonumber(v[3]) - qty
    redis.call('HINCRBY', KEYS[4], user, -qty)
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('ZREM', KEYS[2], id)
end
if #due > 0 then
  v[5] = tonumber(v[5]) + 1
  redis.call('HSET', KEYS[1], 'available', v[2], 'held', v[3], 'version', v[5])
end
local c = counts(v)
table.insert(c, 1, #due)
for _, id in ipairs(due) do table.insert(c, id) end
return c
"""

RETURN_SOLD = _COUNTS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local qty = tonumber(ARGV[2])
local bought = tonumber(redis.call('HGET', KEYS[5], ARGV[1]) or '0')
if qty <= 0 or qty > bought then return {-2} end
local v = read()
v[2] = tonumber(v[2]) + qty
v[4] = tonumber(v[4]) - qty
v[5] = tonumber(v[5]) + 1
redis.call('HINCRBY', KEYS[5], ARGV[1], -qty)
redis.call('HINCRBY', KEYS[4], ARGV[1], -qty)
redis.call('HSET', KEYS[1], 'available', v[2], 'sold', v[4], 'version', v[5])
local c = counts(v); table.insert(c, 1, 0); return c
"""

SET_STOCK = _COUNTS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local v = read()
local stock = tonumber(ARGV[1])
local committed = tonumber(v[3]) + tonumber(v[4])
if stock < committed then return {-2, committed} end
v[1] = stock
v[2] = stock - committed
v[5] = tonumber(v[5]) + 1
redis.call('HSET', KEYS[1], 'stock', v[1], 'available', v[2], 'version', v[5])
local c = counts(v); table.insert(c, 1, 0); return c
"""

SET_SALE = _COUNTS + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local v = read()
v[5] = tonumber(v[5]) + 1
redis.call('HSET', KEYS[1], 'open', ARGV[1], 'limit', ARGV[2], 'version', v[5])
local c = counts(v); table.insert(c, 1, 0); return c
"""

_OUTCOMES = {0: Outcome.OK, 1: Outcome.SOLD_OUT, 2: Outcome.LIMIT_EXCEEDED,
             3: Outcome.SALE_NOT_OPEN}


def _counts(values: Sequence[Any]) -> Counts:
    stock, available, held, sold, version = (int(x) for x in values[:5])
    return Counts(stock, available, held, sold, version)


class RedisGate:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._products_key = f"{prefix}gate:products"
        self._ready_key = f"{prefix}gate:ready"
        self._load = redis.register_script(LOAD)
        self._reserve = redis.register_script(RESERVE)
        self._end_hold = redis.register_script(END_HOLD)
        self._expire_due = redis.register_script(EXPIRE_DUE)
        self._return_sold = redis.register_script(RETURN_SOLD)
        self._set_stock = redis.register_script(SET_STOCK)
        self._set_sale = redis.register_script(SET_SALE)

    def _keys(self, product_id: int) -> list[str]:
        tag = f"{self._prefix}{{p:{product_id}}}"
        return [f"{tag}:inv", f"{tag}:holds", f"{tag}:hinfo", f"{tag}:used", f"{tag}:sold"]

    async def load(self, snapshot: ProductSnapshot, *, version: int) -> Counts:
        args: list[Any] = [snapshot.stock, snapshot.per_user_limit,
                           1 if snapshot.sale_open else 0, version, len(snapshot.holds)]
        for hold in snapshot.holds:
            args += [hold.hold_id, hold.user_id, hold.quantity, int(hold.expires_at * 1000)]
        args.append(len(snapshot.sold_by_user))
        for user_id, quantity in snapshot.sold_by_user.items():
            args += [user_id, quantity]
        result = await self._load(keys=self._keys(snapshot.product_id), args=args)
        await self._redis.sadd(self._products_key, snapshot.product_id)
        return _counts(result)

    async def is_loaded(self, product_id: int) -> bool:
        return bool(await self._redis.exists(self._keys(product_id)[0]))

    async def reserve(self, product_id: int, hold: LiveHold) -> ReserveResult:
        result = await self._reserve(
            keys=self._keys(product_id),
            args=[hold.hold_id, hold.user_id, hold.quantity, int(hold.expires_at * 1000)],
        )
        code = int(result[0])
        if code == -1:
            return ReserveResult(None, None)
        if code == 4:
            raise Conflict("This hold already exists.")
        return ReserveResult(_OUTCOMES[code], _counts(result[1:]))

    async def _end(self, product_id: int, hold_id: str, how: str
                   ) -> tuple[LiveHold | None, Counts]:
        result = await self._end_hold(keys=self._keys(product_id), args=[hold_id, how])
        if int(result[0]) == -1:
            raise GateNotLoaded(product_id)
        counts = _counts(result[1:6])
        if int(result[0]) == 0:
            return None, counts
        user_id, quantity = int(result[6]), int(result[7])
        return LiveHold(hold_id, user_id, quantity, 0.0), counts

    async def release(self, product_id: int, hold_id: str) -> tuple[LiveHold | None, Counts]:
        return await self._end(product_id, hold_id, "release")

    async def confirm(self, product_id: int, hold_id: str) -> tuple[LiveHold | None, Counts]:
        return await self._end(product_id, hold_id, "confirm")

    async def expire_due(self, product_id: int, now: float) -> tuple[list[str], Counts | None]:
        result = await self._expire_due(keys=self._keys(product_id), args=[int(now * 1000)])
        if int(result[0]) == -1:
            return [], None
        expired = [x.decode() if isinstance(x, bytes) else str(x) for x in result[6:]]
        return expired, _counts(result[1:6])

    async def return_sold(self, product_id: int, user_id: int, quantity: int) -> Counts:
        result = await self._return_sold(keys=self._keys(product_id), args=[user_id, quantity])
        code = int(result[0])
        if code == -1:
            raise GateNotLoaded(product_id)
        if code == -2:
            raise Conflict("This user has not bought that many units.")
        return _counts(result[1:])

    async def set_stock(self, product_id: int, stock: int) -> Counts:
        result = await self._set_stock(keys=self._keys(product_id), args=[stock])
        code = int(result[0])
        if code == -1:
            raise GateNotLoaded(product_id)
        if code == -2:
            raise StockBelowCommitted(
                f"Stock cannot go below the {int(result[1])} units already held or sold.",
                field="stock",
            )
        return _counts(result[1:])

    async def set_sale(self, product_id: int, *, sale_open: bool, per_user_limit: int) -> Counts:
        result = await self._set_sale(keys=self._keys(product_id),
                                      args=[1 if sale_open else 0, per_user_limit])
        if int(result[0]) == -1:
            raise GateNotLoaded(product_id)
        return _counts(result[1:])

    async def counts(self, product_ids: Collection[int]) -> dict[int, Counts]:
        ids = list(product_ids)
        if not ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for product_id in ids:
                pipe.hmget(self._keys(product_id)[0],
                           ["stock", "available", "held", "sold", "version"])
            rows = await pipe.execute()
        return {pid: _counts(row) for pid, row in zip(ids, rows, strict=True)
                if row[0] is not None}

    async def loaded_products(self) -> set[int]:
        members = await self._redis.smembers(self._products_key)
        return {int(m) for m in members}

    async def forget(self, product_id: int) -> None:
        await self._redis.delete(*self._keys(product_id))
        await self._redis.srem(self._products_key, product_id)

    async def is_ready(self) -> bool:
        return bool(await self._redis.exists(self._ready_key))

    async def mark_ready(self) -> None:
        await self._redis.set(self._ready_key, "1")
