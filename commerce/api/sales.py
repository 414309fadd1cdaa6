"""Holds, orders and the host's sale controls."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import Provide
from litestar.params import HeaderParameter, JSONBody, Parameter
from msgspec import Meta

from commerce.adapters.inventory_sql import HoldRow, OrderRow
from commerce.api.products import ProductId, product_views
from commerce.api.schemas import ProductOut
from commerce.api.schemas import Request as RequestBody
from commerce.api.security import Caller, provide_caller
from commerce.services import catalog
from commerce.services.sales import Sales
from showfloor.problems import ProblemError
from showfloor.web import Db, Res, Resources, client_ip

OrderId = Annotated[int, Parameter(ge=1, le=2**62, description="The order's id.")]
ShowId = Annotated[int, Parameter(ge=1, le=2**62, description="The show's id.")]
HoldId = Annotated[str, Parameter(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$",
                                  description="The hold's id.")]
_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,128}$")
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False,
                    description="A client-chosen key (8-128 letters, digits, _-:.) that "
                    "makes retries safe: the same key gives the same result."),
]


def sales_of(resources: Resources) -> Sales:
    sales: Sales = resources.service("sales")
    return sales


def _checked_key(key: str | None, *, required: bool) -> str | None:
    if key is None:
        if required:
            raise ProblemError(400, "idempotency_key_required",
                               "Send an Idempotency-Key header (for example a UUID) so that "
                               "a retried checkout cannot create a second order.")
        return None
    if not _KEY.match(key):
        raise ProblemError(400, "invalid_idempotency_key",
                           "The Idempotency-Key must be 8-128 letters, digits or _-:.")
    return key


class HoldIn(RequestBody):
    quantity: Annotated[int, Meta(ge=1, le=100)] = 1


class HoldOut(msgspec.Struct, kw_only=True):
    hold_id: str
    product_id: int
    quantity: int
    status: str
    expires_at: datetime
    seconds_left: int

    @classmethod
    def of(cls, hold: HoldRow) -> HoldOut:
        left = (hold.expires_at - datetime.now(UTC)).total_seconds()
        return cls(hold_id=hold.id, product_id=hold.product_id, quantity=hold.quantity,
                   status=hold.status, expires_at=hold.expires_at,
                   seconds_left=max(0, int(left)))


class PaymentIn(RequestBody):
    provider: Annotated[str, Meta(min_length=1, max_length=32)] = "manual"
    note: Annotated[str, Meta(max_length=500)] = ""


class CheckoutIn(RequestBody):
    hold_id: Annotated[str, Meta(pattern="^[0-9a-f]{32}$")]
    payment: PaymentIn = msgspec.field(default_factory=PaymentIn)


OrderStatus = Literal["pending_payment", "paid", "fulfilled", "cancelled"]


class OrderOut(msgspec.Struct, kw_only=True):
    id: int
    user_id: int
    show_id: int
    product_id: int
    hold_id: str
    quantity: int
    unit_price_minor: int
    total_minor: int
    currency: str
    status: OrderStatus
    payment_provider: str
    payment_reference: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: OrderRow) -> OrderOut:
        return cls(
            id=order.id, user_id=order.user_id, show_id=order.show_id,
            product_id=order.product_id, hold_id=order.hold_id, quantity=order.quantity,
            unit_price_minor=order.unit_price_minor, total_minor=order.total_minor,
            currency=order.currency, status=order.status,  # type: ignore[arg-type]
            payment_provider=order.payment_provider, payment_reference=order.payment_reference,
            created_at=order.created_at, updated_at=order.updated_at,
        )


class ProductSales(msgspec.Struct, kw_only=True):
    product_id: int
    sku: str
    title: str
    stock: int
    available: int
    held: int
    sold: int
    orders: int
    revenue_minor: int
    currency: str
    sale_open: bool
    sold_out_at: list[datetime]


class ShowSales(msgspec.Struct, kw_only=True):
    show_id: int
    units_sold: int
    holds_live: int
    revenue_minor: dict[str, int]
    products: list[ProductSales]


class HoldController(Controller):
    path = "/api/v1"
    tags = ["holds"]
    dependencies = {"caller": Provide(provide_caller)}

    @post("/products/{product_id:int}/holds", status_code=201,
          summary="Hold units of a product (the first step of buying)")
    async def place(self, product_id: ProductId, data: JSONBody[HoldIn], caller: Caller,
                    request: Request[Any, Any, Any], resources: Res,
                    idempotency_key: IdempotencyKey = None) -> HoldOut:
        key = _checked_key(idempotency_key, required=False)
        hold = await sales_of(resources).place_hold(caller, product_id, data.quantity, key,
                                                    client_ip(request))
        return HoldOut.of(hold)

    @get("/holds", summary="My live holds with the time left")
    async def mine(self, caller: Caller, resources: Res) -> list[HoldOut]:
        return [HoldOut.of(h) for h in await sales_of(resources).my_holds(caller)]

    @delete("/holds/{hold_id:str}", status_code=204, summary="Give a hold back")
    async def release(self, hold_id: HoldId, caller: Caller, resources: Res) -> None:
        await sales_of(resources).release_hold(caller, hold_id)


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]
    dependencies = {"caller": Provide(provide_caller)}

    @post("/", status_code=201, summary="Check out a hold (Idempotency-Key required)")
    async def checkout(self, data: JSONBody[CheckoutIn], caller: Caller, resources: Res,
                       idempotency_key: IdempotencyKey = None) -> Response[OrderOut]:
        key = _checked_key(idempotency_key, required=True)
        assert key is not None  # noqa: S101
        order, created = await sales_of(resources).checkout(
            caller, data.hold_id, data.payment.provider, {"note": data.payment.note}, key)
        # A replay answers like the first request did, and says so.
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(OrderOut.of(order), status_code=201, headers=headers)

    @get("/", summary="My orders, newest first")
    async def mine(self, caller: Caller, resources: Res) -> list[OrderOut]:
        return [OrderOut.of(o) for o in await sales_of(resources).my_orders(caller)]

    @get("/{order_id:int}", summary="One order (its buyer, the show's host or an admin)")
    async def read(self, order_id: OrderId, caller: Caller, resources: Res) -> OrderOut:
        return OrderOut.of(await sales_of(resources).get_order(caller, order_id))

    @post("/{order_id:int}/cancel", status_code=200,
          summary="Cancel an order (buyer before fulfilment, or the host); the units return")
    async def cancel(self, order_id: OrderId, caller: Caller, resources: Res) -> OrderOut:
        return OrderOut.of(await sales_of(resources).cancel_order(caller, order_id))

    @post("/{order_id:int}/paid", status_code=200,
          summary="Mark a manual payment as received (the host)")
    async def paid(self, order_id: OrderId, caller: Caller, resources: Res) -> OrderOut:
        return OrderOut.of(await sales_of(resources).advance_order(caller, order_id, "paid"))

    @post("/{order_id:int}/fulfilled", status_code=200,
          summary="Mark an order as sent or handed over (the host)")
    async def fulfilled(self, order_id: OrderId, caller: Caller, resources: Res) -> OrderOut:
        return OrderOut.of(
            await sales_of(resources).advance_order(caller, order_id, "fulfilled"))


class SaleController(Controller):
    path = "/api/v1"
    tags = ["sales"]
    dependencies = {"caller": Provide(provide_caller)}

    @post("/products/{product_id:int}/sale/open", status_code=200,
          summary="Open the sale of a product (its host)")
    async def open_sale(self, product_id: ProductId, caller: Caller, db: Db,
                        resources: Res) -> ProductOut:
        product = await catalog.update_product(db, caller, product_id, {"sale_open": True})
        await sales_of(resources).sale_changed(product)
        return (await product_views(resources, [product]))[0]

    @post("/products/{product_id:int}/sale/close", status_code=200,
          summary="Close the sale of a product (its host); live holds may still check out")
    async def close_sale(self, product_id: ProductId, caller: Caller, db: Db,
                         resources: Res) -> ProductOut:
        product = await catalog.update_product(db, caller, product_id, {"sale_open": False})
        await sales_of(resources).sale_changed(product)
        return (await product_views(resources, [product]))[0]

    @get("/shows/{show_id:int}/orders", summary="Orders of a show (its host)")
    async def show_orders(self, show_id: ShowId, caller: Caller, resources: Res
                          ) -> list[OrderOut]:
        return [OrderOut.of(o) for o in await sales_of(resources).show_orders(caller, show_id)]

    @get("/shows/{show_id:int}/sales",
         summary="Sales of a show: units sold, revenue, live holds, sold-out times (its host)")
    async def show_sales(self, show_id: ShowId, caller: Caller, db: Db, resources: Res
                         ) -> ShowSales:
        from commerce.adapters import inventory_sql
        from commerce.domain.shows import ensure_can_manage

        show = await catalog.get_show(db, show_id)
        ensure_can_manage(caller, show)
        products = await catalog.list_products(db, show_id)
        views = await product_views(resources, products)
        async with db.begin():
            rows = {r.product_id: r for r in await inventory_sql.sales_of_show(db, show_id)}
            sold_out = await inventory_sql.sold_out_times(db, [p.id for p in products])
        revenue: dict[str, int] = {}
        lines = []
        for product, view in zip(products, views, strict=True):
            row = rows.get(product.id)
            earned = int(row.revenue) if row else 0
            if earned:
                revenue[product.currency] = revenue.get(product.currency, 0) + earned
            lines.append(ProductSales(
                product_id=product.id, sku=product.sku, title=product.title,
                stock=view.stock, available=view.available, held=view.held, sold=view.sold,
                orders=int(row.orders) if row else 0, revenue_minor=earned,
                currency=product.currency, sale_open=product.sale_open,
                sold_out_at=sold_out.get(product.id, []),
            ))
        return ShowSales(show_id=show_id, units_sold=sum(v.sold for v in views),
                         holds_live=sum(v.held for v in views), revenue_minor=revenue,
                         products=lines)
