"""Request and response bodies of the commerce API (msgspec Structs, validated on decode)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from commerce.domain.products import (
    MAX_HOLD_TTL_SECONDS,
    MAX_PER_USER_LIMIT,
    MAX_STOCK,
    MIN_HOLD_TTL_SECONDS,
    Product,
    SaleMode,
)
from commerce.domain.shows import MAX_DESCRIPTION, MAX_TITLE, Show, ShowStatus
from commerce.domain.users import MAX_PASSWORD_LENGTH, Role, User

Email = Annotated[str, Meta(min_length=3, max_length=254, description="An email address.")]
Password = Annotated[str, Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
DisplayName = Annotated[str, Meta(min_length=1, max_length=80)]
Title = Annotated[str, Meta(min_length=1, max_length=MAX_TITLE)]
Description = Annotated[str, Meta(max_length=MAX_DESCRIPTION)]
Sku = Annotated[str, Meta(min_length=1, max_length=64)]
ImageUrl = Annotated[str, Meta(max_length=2048)]
PriceMinor = Annotated[
    int, Meta(ge=0, le=10**12, description="Price in the currency's minor unit (cents).")
]
Currency = Annotated[str, Meta(min_length=3, max_length=3, description="ISO 4217 code.")]
Stock = Annotated[int, Meta(ge=0, le=MAX_STOCK)]
PerUserLimit = Annotated[int, Meta(ge=1, le=MAX_PER_USER_LIMIT)]
HoldTtl = Annotated[int, Meta(ge=MIN_HOLD_TTL_SECONDS, le=MAX_HOLD_TTL_SECONDS)]
Token = Annotated[str, Meta(min_length=1, max_length=512)]


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: unknown fields are refused, not ignored."""


class RegisterIn(Request):
    email: Email
    password: Password
    display_name: DisplayName


class LoginIn(Request):
    email: Email
    password: Password


class RefreshIn(Request):
    refresh_token: Token


class UserOut(msgspec.Struct, kw_only=True):
    id: int
    email: str
    display_name: str
    role: Role
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            created_at=user.created_at,
        )


class TokensOut(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: UserOut


class ShowIn(Request):
    title: Title
    description: Description = ""
    scheduled_at: datetime | None = None


class ShowPatch(Request):
    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    scheduled_at: datetime | UnsetType | None = UNSET


class ShowOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: int
    owner_id: int
    title: str
    description: str
    status: ShowStatus
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    updated_at: datetime
    hls_url: str
    # Only for the show's owner (and admins).
    stream_key: str | UnsetType = UNSET

    @classmethod
    def of(cls, show: Show, *, with_key: bool) -> ShowOut:
        return cls(
            id=show.id,
            owner_id=show.owner_id,
            title=show.title,
            description=show.description,
            status=show.status,
            scheduled_at=show.scheduled_at,
            started_at=show.started_at,
            ended_at=show.ended_at,
            created_at=show.created_at,
            updated_at=show.updated_at,
            hls_url=f"/hls/{show.id}/index.m3u8",
            stream_key=show.stream_key if with_key else UNSET,
        )


class StreamKeyOut(msgspec.Struct, kw_only=True):
    show_id: int
    stream_key: str


class ProductIn(Request):
    sku: Sku
    title: Title
    price_minor: PriceMinor
    currency: Currency
    stock: Stock
    description: Description = ""
    image_url: ImageUrl | None = None
    per_user_limit: PerUserLimit = 1
    sale_mode: SaleMode = SaleMode.OPEN
    hold_ttl_seconds: HoldTtl = 600


class ProductPatch(Request):
    sku: Sku | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    image_url: ImageUrl | UnsetType | None = UNSET
    price_minor: PriceMinor | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    stock: Stock | UnsetType = UNSET
    per_user_limit: PerUserLimit | UnsetType = UNSET
    sale_mode: SaleMode | UnsetType = UNSET
    hold_ttl_seconds: HoldTtl | UnsetType = UNSET


class ProductOut(msgspec.Struct, kw_only=True):
    id: int
    show_id: int
    sku: str
    title: str
    description: str
    image_url: str | None
    price_minor: int
    currency: str
    stock: int
    available: int
    held: int
    sold: int
    per_user_limit: int
    sale_mode: SaleMode
    hold_ttl_seconds: int
    sale_open: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product, *, available: int, held: int, sold: int) -> ProductOut:
        return cls(
            id=product.id,
            show_id=product.show_id,
            sku=product.sku,
            title=product.title,
            description=product.description,
            image_url=product.image_url,
            price_minor=product.price_minor,
            currency=product.currency,
            stock=product.stock,
            available=available,
            held=held,
            sold=sold,
            per_user_limit=product.per_user_limit,
            sale_mode=product.sale_mode,
            hold_ttl_seconds=product.hold_ttl_seconds,
            sale_open=product.sale_open,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


def changes(patch: msgspec.Struct) -> dict[str, object]:
    """The fields a PATCH body actually carries."""
    return {
        name: value
        for name in patch.__struct_fields__
        if (value := getattr(patch, name)) is not UNSET
    }
