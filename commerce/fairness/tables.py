"""SQL tables of fairness: drop rules, per-show purchase limits, raffles and their entries.

Registered on the shared metadata (imported by :mod:`commerce.adapters.tables`); the schema
itself is created by the Alembic migrations.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from showfloor.db import UtcDateTime, metadata

Id = BigInteger().with_variant(Integer(), "sqlite")

drop_rules = Table(
    "drop_rules",
    metadata,
    Column("product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("admission_seconds", Integer, nullable=False, server_default="60"),
    Column("min_account_age_seconds", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("admission_seconds > 0", name="admission_positive"),
    CheckConstraint("min_account_age_seconds >= 0", name="account_age_non_negative"),
)

show_purchase_limits = Table(
    "show_purchase_limits",
    metadata,
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), primary_key=True),
    Column("per_user_limit", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("per_user_limit >= 1", name="per_user_limit_positive"),
)

raffles = Table(
    "raffles",
    metadata,
    Column("product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("algorithm", String(32), nullable=False),
    # Secret until the draw; its SHA-256 is public from the start.
    Column("seed", String(64), nullable=False),
    Column("seed_digest", String(64), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=True),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("drawn_at", UtcDateTime(), nullable=True),
    Column("units", Integer, nullable=False, server_default="0"),
    # How far down the draw order holds have been given (winners first, then runners-up).
    Column("next_rank", Integer, nullable=False, server_default="1"),
    # One worker at a time gives holds (so free units are counted once); a crashed worker's
    # lease runs out.
    Column("lease_until", UtcDateTime(), nullable=True),
    CheckConstraint("status IN ('open', 'drawn')", name="status"),
    Index("ix_raffles_status", "status"),
)

raffle_entries = Table(
    "raffle_entries",
    metadata,
    Column("product_id", Id, ForeignKey("raffles.product_id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("entered_at", UtcDateTime(), nullable=False),
    Column("draw_rank", Integer, nullable=True),
    # winner / runner_up: got a hold (at the draw, or later as a runner-up); skipped: could not
    # hold when its turn came (its limits).
    Column("outcome", String(16), nullable=True),
    Column("hold_id", String(32), nullable=True),
    CheckConstraint("outcome IN ('winner', 'runner_up', 'skipped')", name="outcome"),
    Index("ix_raffle_entries_product_rank", "product_id", "draw_rank"),
)
