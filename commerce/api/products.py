"""Products of a show: ``/api/v1/shows/{id}/products`` and ``/api/v1/products/{id}``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from litestar.params import JSONBody, Parameter

from commerce.api.schemas import ProductIn, ProductOut, ProductPatch, changes
from commerce.api.security import Caller, provide_caller
from commerce.domain.products import Product
from commerce.services import catalog
from commerce.services.sales import Sales
from showfloor.web import Db, Res, Resources

ShowId = Annotated[int, Parameter(ge=1, le=2**62, description="The show's id.")]
ProductId = Annotated[int, Parameter(ge=1, le=2**62, description="The product's id.")]


async def product_views(resources: Resources, products: list[Product]) -> list[ProductOut]:
    """Products with live availability (from the inventory gate where it holds them)."""
    sales: Sales = resources.service("sales")
    counts = await sales.counts(products)
    views = []
    for product in products:
        available, held, sold = counts.get(product.id, (product.stock, 0, 0))
        views.append(ProductOut.of(product, available=available, held=held, sold=sold))
    return views


class ShowProductsController(Controller):
    path = "/api/v1/shows/{show_id:int}/products"
    tags = ["products"]
    dependencies = {"caller": Provide(provide_caller)}

    @post("/", status_code=201, summary="Add a product to a show (its host)")
    async def add(
        self, show_id: ShowId, data: JSONBody[ProductIn], caller: Caller, db: Db,
        resources: Res,
    ) -> ProductOut:
        fields = {name: getattr(data, name) for name in data.__struct_fields__}
        product = await catalog.add_product(db, caller, show_id, fields)
        return (await product_views(resources, [product]))[0]

    @get("/", summary="Products of a show with live availability")
    async def list_(self, show_id: ShowId, db: Db, resources: Res) -> list[ProductOut]:
        return await product_views(resources, await catalog.list_products(db, show_id))


class ProductController(Controller):
    path = "/api/v1/products/{product_id:int}"
    tags = ["products"]
    dependencies = {"caller": Provide(provide_caller)}

    @get("/", summary="One product with live availability")
    async def read(self, product_id: ProductId, db: Db, resources: Res) -> ProductOut:
        return (await product_views(resources, [await catalog.get_product(db, product_id)]))[0]

    @patch("/", summary="Change a product (its show's host)")
    async def update(
        self, product_id: ProductId, data: JSONBody[ProductPatch], caller: Caller, db: Db,
        resources: Res,
    ) -> ProductOut:
        fields = changes(data)
        stock = fields.pop("stock", None)
        sales: Sales = resources.service("sales")
        if stock is not None:
            # Authorisation and validation first; then the stock change goes through the sale
            # path, which refuses to go below what is held or sold.
            await catalog.update_product(db, caller, product_id, {})
            await sales.set_stock(product_id, int(stock))  # type: ignore[call-overload]
        product = await catalog.update_product(db, caller, product_id, fields)
        if "per_user_limit" in fields or "sale_mode" in fields:
            await sales.sale_changed(product)
        return (await product_views(resources, [product]))[0]

    @delete("/", status_code=204, summary="Remove a product (its show's host)")
    async def remove(self, product_id: ProductId, caller: Caller, db: Db) -> None:
        await catalog.delete_product(db, caller, product_id)
