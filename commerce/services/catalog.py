"""Shows and their products: the host's side of the catalogue."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from commerce.adapters import products_sql, shows_sql
from commerce.domain.errors import Conflict, NotFound
from commerce.domain.products import (
    Product,
    check_currency,
    check_image_url,
    check_sku,
)
from commerce.domain.shows import (
    Show,
    ShowStatus,
    check_title,
    check_transition,
    ensure_can_create_show,
    ensure_can_manage,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from commerce.domain.users import Principal

logger = logging.getLogger("showfloor.commerce.catalog")


def new_stream_key() -> str:
    return "sk_" + secrets.token_urlsafe(24)


async def create_show(
    db: AsyncSession,
    principal: Principal,
    *,
    title: str,
    description: str,
    scheduled_at: datetime | None,
) -> Show:
    ensure_can_create_show(principal)
    async with db.begin():
        show = await shows_sql.insert_show(
            db,
            owner_id=principal.user_id,
            title=check_title(title),
            description=description.strip(),
            scheduled_at=scheduled_at,
            stream_key=new_stream_key(),
            now=datetime.now(UTC),
        )
    logger.info("show_created", extra={"show_id": show.id, "owner_id": show.owner_id})
    return show


async def get_show(db: AsyncSession, show_id: int) -> Show:
    async with db.begin():
        show = await shows_sql.show_by_id(db, show_id)
    if show is None:
        raise NotFound(f"There is no show {show_id}.")
    return show


async def list_shows(
    db: AsyncSession,
    *,
    owner_id: int | None,
    statuses: list[ShowStatus] | None,
    limit: int,
    before_id: int | None,
) -> list[Show]:
    async with db.begin():
        return await shows_sql.list_shows(
            db, owner_id=owner_id, statuses=statuses, limit=limit, before_id=before_id
        )


async def _managed_show(db: AsyncSession, principal: Principal, show_id: int) -> Show:
    show = await shows_sql.show_by_id(db, show_id, for_update=True)
    if show is None:
        raise NotFound(f"There is no show {show_id}.")
    ensure_can_manage(principal, show)
    return show


async def update_show(
    db: AsyncSession, principal: Principal, show_id: int, changes: Mapping[str, Any]
) -> Show:
    async with db.begin():
        show = await _managed_show(db, principal, show_id)
        if show.status is ShowStatus.ENDED:
            raise Conflict("This show has ended and can no longer be changed.")
        values = dict(changes)
        if "title" in values:
            values["title"] = check_title(values["title"])
        if "description" in values:
            values["description"] = values["description"].strip()
        if not values:
            return show
        values["updated_at"] = datetime.now(UTC)
        return await shows_sql.update_show(db, show_id, values)


async def end_show(db: AsyncSession, principal: Principal, show_id: int) -> Show:
    async with db.begin():
        show = await _managed_show(db, principal, show_id)
        check_transition(show.status, ShowStatus.ENDED)
        if show.status is ShowStatus.ENDED:
            return show
        now = datetime.now(UTC)
        ended = await shows_sql.update_show(
            db, show_id, {"status": ShowStatus.ENDED.value, "ended_at": now, "updated_at": now}
        )
    logger.info("show_ended", extra={"show_id": show_id})
    return ended


async def rotate_stream_key(db: AsyncSession, principal: Principal, show_id: int) -> Show:
    async with db.begin():
        show = await _managed_show(db, principal, show_id)
        if show.status is ShowStatus.ENDED:
            raise Conflict("This show has ended; it no longer takes a stream.")
        rotated = await shows_sql.update_show(
            db, show_id, {"stream_key": new_stream_key(), "updated_at": datetime.now(UTC)}
        )
    logger.info("stream_key_rotated", extra={"show_id": show_id})
    return rotated


async def add_product(
    db: AsyncSession, principal: Principal, show_id: int, fields: Mapping[str, Any]
) -> Product:
    async with db.begin():
        show = await _managed_show(db, principal, show_id)
        if show.status is ShowStatus.ENDED:
            raise Conflict("This show has ended; products can no longer be added.")
        now = datetime.now(UTC)
        values = dict(fields)
        values["sku"] = check_sku(values["sku"])
        values["title"] = check_title(values["title"])
        values["currency"] = check_currency(values["currency"])
        values["image_url"] = check_image_url(values.get("image_url"))
        values.update(show_id=show_id, created_at=now, updated_at=now)
        product = await products_sql.insert_product(db, values)
    logger.info("product_added", extra={"show_id": show_id, "product_id": product.id})
    return product


async def get_product(db: AsyncSession, product_id: int) -> Product:
    async with db.begin():
        product = await products_sql.product_by_id(db, product_id)
    if product is None:
        raise NotFound(f"There is no product {product_id}.")
    return product


async def list_products(db: AsyncSession, show_id: int) -> list[Product]:
    async with db.begin():
        if await shows_sql.show_by_id(db, show_id) is None:
            raise NotFound(f"There is no show {show_id}.")
        return await products_sql.products_of_show(db, show_id)


async def _managed_product(
    db: AsyncSession, principal: Principal, product_id: int
) -> tuple[Show, Product]:
    product = await products_sql.product_by_id(db, product_id, for_update=True)
    if product is None:
        raise NotFound(f"There is no product {product_id}.")
    show = await _managed_show(db, principal, product.show_id)
    return show, product


async def update_product(
    db: AsyncSession, principal: Principal, product_id: int, changes: Mapping[str, Any]
) -> Product:
    async with db.begin():
        show, product = await _managed_product(db, principal, product_id)
        if show.status is ShowStatus.ENDED:
            raise Conflict("This show has ended; its products can no longer be changed.")
        values = dict(changes)
        if "sale_mode" in values and values["sale_mode"] != product.sale_mode and (
            product.sale_open or values.get("sale_open")
        ):
            raise Conflict("Close the sale before changing how this product is sold.")
        if "sku" in values:
            values["sku"] = check_sku(values["sku"])
        if "title" in values:
            values["title"] = check_title(values["title"])
        if "currency" in values:
            values["currency"] = check_currency(values["currency"])
        if "image_url" in values:
            values["image_url"] = check_image_url(values["image_url"])
        if not values:
            return product
        values["updated_at"] = datetime.now(UTC)
        return await products_sql.update_product(db, product_id, values)


async def delete_product(db: AsyncSession, principal: Principal, product_id: int) -> None:
    async with db.begin():
        await _managed_product(db, principal, product_id)
        await products_sql.delete_product(db, product_id)
    logger.info("product_deleted", extra={"product_id": product_id})
