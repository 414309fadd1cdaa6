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
from showfloor.web import Db

ShowId = Annotated[int, Parameter(ge=1, le=2**62, description="The show's id.")]
ProductId = Annotated[int, Parameter(ge=1, le=2**62, description="The product's id.")]


def product_out(product: Product) -> ProductOut:
    # Until holds and orders exist, every unit of stock is available.
    return ProductOut.of(product, available=product.stock, held=0, sold=0)


class ShowProductsController(Controller):
    path = "/api/v1/shows/{show_id:int}/products"
    tags = ["products"]
    dependencies = {"caller": Provide(provide_caller)}

    @post("/", status_code=201, summary="Add a product to a show (its host)")
    async def add(
        self, show_id: ShowId, data: JSONBody[ProductIn], caller: Caller, db: Db
    ) -> ProductOut:
        fields = {name: getattr(data, name) for name in data.__struct_fields__}
        return product_out(await catalog.add_product(db, caller, show_id, fields))

    @get("/", summary="Products of a show with live availability")
    async def list_(self, show_id: ShowId, db: Db) -> list[ProductOut]:
        return [product_out(p) for p in await catalog.list_products(db, show_id)]


class ProductController(Controller):
    path = "/api/v1/products/{product_id:int}"
    tags = ["products"]
    dependencies = {"caller": Provide(provide_caller)}

    @get("/", summary="One product with live availability")
    async def read(self, product_id: ProductId, db: Db) -> ProductOut:
        return product_out(await catalog.get_product(db, product_id))

    @patch("/", summary="Change a product (its show's host)")
    async def update(
        self, product_id: ProductId, data: JSONBody[ProductPatch], caller: Caller, db: Db
    ) -> ProductOut:
        return product_out(await catalog.update_product(db, caller, product_id, changes(data)))

    @delete("/", status_code=204, summary="Remove a product (its show's host)")
    async def remove(self, product_id: ProductId, caller: Caller, db: Db) -> None:
        await catalog.delete_product(db, caller, product_id)
