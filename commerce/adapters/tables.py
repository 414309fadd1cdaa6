"""SQLAlchemy Core tables of commerce. The schema itself is created by the Alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from showfloor.db import UtcDateTime, metadata

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger on PostgreSQL.
Id = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("display_name", String(80), nullable=False),
    Column("role", String(16), nullable=False, server_default="viewer"),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("role IN ('viewer', 'host', 'admin')", name="role"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("family", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Index("ix_refresh_tokens_family", "family"),
)

shows = Table(
    "shows",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
    Column("title", String(140), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="scheduled"),
    Column("stream_key", String(64), nullable=False, unique=True),
    Column("scheduled_at", UtcDateTime(), nullable=True),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("status IN ('scheduled', 'live', 'idle', 'ended')", name="status"),
    Index("ix_shows_owner_id", "owner_id"),
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("title", String(140), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("image_url", String(2048), nullable=True),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("stock", Integer, nullable=False),
    Column("per_user_limit", Integer, nullable=False, server_default="1"),
    Column("sale_mode", String(16), nullable=False, server_default="open"),
    Column("hold_ttl_seconds", Integer, nullable=False, server_default="600"),
    Column("sale_open", Boolean, nullable=False, server_default=false()),
    # Units in live holds and sold: the durable side of the inventory gate.
    Column("held", Integer, nullable=False, server_default="0"),
    Column("sold", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("show_id", "sku", name="uq_products_show_id_sku"),
    CheckConstraint("stock >= 0", name="stock_non_negative"),
    CheckConstraint("held >= 0 AND sold >= 0 AND held + sold <= stock", name="inventory_balance"),
    CheckConstraint("price_minor >= 0", name="price_non_negative"),
    CheckConstraint("per_user_limit >= 1", name="per_user_limit_positive"),
    CheckConstraint("sale_mode IN ('open', 'queue', 'raffle')", name="sale_mode"),
    Index("ix_products_show_id", "show_id"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("status IN ('active', 'released', 'expired', 'converted')", name="status"),
    UniqueConstraint("user_id", "idempotency_key", name="uq_holds_user_id_idempotency_key"),
    Index("ix_holds_product_status_expiry", "product_id", "status", "expires_at"),
    Index("ix_holds_status_expiry", "status", "expires_at"),
    Index("ix_holds_user_id", "user_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id", ondelete="RESTRICT"), nullable=False),
    Column("show_id", Id, ForeignKey("shows.id", ondelete="RESTRICT"), nullable=False),
    Column("hold_id", String(32), ForeignKey("holds.id", ondelete="RESTRICT"), nullable=False,
           unique=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(24), nullable=False),
    Column("payment_provider", String(32), nullable=False),
    Column("payment_reference", String(128), nullable=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "status IN ('pending_payment', 'paid', 'fulfilled', 'cancelled')", name="status"
    ),
    UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_id_idempotency_key"),
    Index("ix_orders_product_id", "product_id"),
    Index("ix_orders_show_id", "show_id"),
    Index("ix_orders_user_id", "user_id"),
)

# Append-only: every change of a product's inventory with its reason and the counts after it.
inventory_ledger = Table(
    "inventory_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("hold_id", String(32), nullable=True),
    Column("order_id", BigInteger, nullable=True),
    Column("user_id", BigInteger, nullable=True),
    Column("stock_after", Integer, nullable=False),
    Column("held_after", Integer, nullable=False),
    Column("sold_after", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "reason IN ('stock', 'hold', 'release', 'expire', 'sell', 'cancel')", name="reason"
    ),
    Index("ix_inventory_ledger_product_id", "product_id", "id"),
)

# The fairness tables (drop rules, show limits, raffles) live beside their code and register on
# the same metadata.
import commerce.fairness.tables  # noqa: E402, F401
