"""The usual shop's hold endpoint, for comparison in ``flash_sale.py``: one PostgreSQL
transaction per attempt that locks the product row (``SELECT ... FOR UPDATE``), checks the
buyer's live holds and the counts, then writes the hold and the counters.

Same tables, same JWT check and the same answers (201, 409 ``sold_out``/``limit_exceeded``) as
``POST /api/v1/products/{id}/holds``, without the gate in front.

    BASELINE_DATABASE_URL=postgresql+asyncpg://... uvicorn tests.bench._forupdate_baseline:app
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Litestar, Request, Response, get, post

from commerce.auth.tokens import AccessTokens, InvalidToken
from tests.commerce.sale_harness import JWT_SECRET

TOKENS = AccessTokens(JWT_SECRET, 3600)


@asynccontextmanager
async def _pool(app: Litestar) -> AsyncIterator[None]:
    url = os.environ["BASELINE_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    app.state.pool = await asyncpg.create_pool(url, min_size=10, max_size=20)
    try:
        yield
    finally:
        await app.state.pool.close()


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "alive"}


def _problem(status: int, code: str) -> Response[dict[str, Any]]:
    return Response({"code": code}, status_code=status)


@post("/api/v1/products/{product_id:int}/holds")
async def hold(product_id: int, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    auth = request.headers.get("authorization", "")
    try:
        principal = TOKENS.verify(auth.removeprefix("Bearer "))
    except InvalidToken:
        return _problem(401, "invalid_token")
    now = datetime.now(UTC)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        product = await conn.fetchrow(
            "SELECT stock, held, sold, per_user_limit, hold_ttl_seconds, sale_open "
            "FROM products WHERE id = $1 FOR UPDATE",
            product_id,
        )
        if product is None:
            return _problem(404, "product_not_found")
        if not product["sale_open"]:
            return _problem(403, "sale_not_open")
        mine = await conn.fetchval(
            "SELECT coalesce(sum(quantity), 0) FROM holds "
            "WHERE product_id = $1 AND user_id = $2 AND status = 'active'",
            product_id, principal.user_id,
        )
        if product["stock"] - product["held"] - product["sold"] < 1:
            return _problem(409, "sold_out")
        if mine + 1 > product["per_user_limit"]:
            return _problem(409, "limit_exceeded")
        hold_id = secrets.token_hex(16)
        expires = now + timedelta(seconds=product["hold_ttl_seconds"])
        await conn.execute(
            "INSERT INTO holds (id, product_id, user_id, quantity, status, expires_at, "
            "created_at) VALUES ($1, $2, $3, 1, 'active', $4, $5)",
            hold_id, product_id, principal.user_id, expires, now,
        )
        await conn.execute("UPDATE products SET held = held + 1 WHERE id = $1", product_id)
    return Response(
        {"hold_id": hold_id, "product_id": product_id, "quantity": 1,
         "expires_at": expires.isoformat()},
        status_code=201,
    )


app = Litestar([healthz, hold], lifespan=[_pool])
