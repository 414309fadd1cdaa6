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
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("show_id", "sku", name="uq_products_show_id_sku"),
    CheckConstraint("stock >= 0", name="stock_non_negative"),
    CheckConstraint("price_minor >= 0", name="price_non_negative"),
    CheckConstraint("per_user_limit >= 1", name="per_user_limit_positive"),
    CheckConstraint("sale_mode IN ('open', 'queue', 'raffle')", name="sale_mode"),
    Index("ix_products_show_id", "show_id"),
)
