"""Products in SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from commerce.adapters.tables import products
from commerce.domain.errors import SkuTaken
from commerce.domain.products import Product, SaleMode

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _product(row: Any) -> Product:
    return Product(
        id=row.id,
        show_id=row.show_id,
        sku=row.sku,
        title=row.title,
        description=row.description,
        image_url=row.image_url,
        price_minor=row.price_minor,
        currency=row.currency,
        stock=row.stock,
        per_user_limit=row.per_user_limit,
        sale_mode=SaleMode(row.sale_mode),
        hold_ttl_seconds=row.hold_ttl_seconds,
        sale_open=bool(row.sale_open),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_SKU_TAKEN = "Another product of this show already uses this SKU."


async def insert_product(db: AsyncSession, values: dict[str, Any]) -> Product:
    try:
        async with db.begin_nested():
            result = await db.execute(insert(products).values(**values).returning(products))
    except IntegrityError:
        raise SkuTaken(_SKU_TAKEN, field="sku") from None
    return _product(result.one())


async def product_by_id(
    db: AsyncSession, product_id: int, *, for_update: bool = False
) -> Product | None:
    stmt = select(products).where(products.c.id == product_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).one_or_none()
    return None if row is None else _product(row)


async def products_of_show(db: AsyncSession, show_id: int) -> list[Product]:
    stmt = select(products).where(products.c.show_id == show_id).order_by(products.c.id)
    return [_product(row) for row in await db.execute(stmt)]


async def update_product(db: AsyncSession, product_id: int, values: dict[str, Any]) -> Product:
    try:
        async with db.begin_nested():
            result = await db.execute(
                update(products)
                .where(products.c.id == product_id)
                .values(**values)
                .returning(products)
            )
    except IntegrityError:
        raise SkuTaken(_SKU_TAKEN, field="sku") from None
    return _product(result.one())


async def delete_product(db: AsyncSession, product_id: int) -> None:
    await db.execute(delete(products).where(products.c.id == product_id))
