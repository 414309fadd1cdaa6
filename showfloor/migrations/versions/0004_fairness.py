"""Fairness: drop rules, per-show purchase limits, raffles and raffle entries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drop_rules",
        sa.Column("product_id", Id, nullable=False),
        sa.Column("admission_seconds", sa.Integer(), server_default="60", nullable=False),
        sa.Column("min_account_age_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.CheckConstraint("admission_seconds > 0",
                           name=op.f("ck_drop_rules_admission_positive")),
        sa.CheckConstraint("min_account_age_seconds >= 0",
                           name=op.f("ck_drop_rules_account_age_non_negative")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_drop_rules_product_id_products")),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_drop_rules")),
    )
    op.create_table(
        "show_purchase_limits",
        sa.Column("show_id", Id, nullable=False),
        sa.Column("per_user_limit", sa.Integer(), nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.CheckConstraint("per_user_limit >= 1",
                           name=op.f("ck_show_purchase_limits_per_user_limit_positive")),
        sa.ForeignKeyConstraint(["show_id"], ["shows.id"], ondelete="CASCADE",
                                name=op.f("fk_show_purchase_limits_show_id_shows")),
        sa.PrimaryKeyConstraint("show_id", name=op.f("pk_show_purchase_limits")),
    )
    op.create_table(
        "raffles",
        sa.Column("product_id", Id, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("seed_digest", sa.String(64), nullable=False),
        sa.Column("closes_at", Ts, nullable=True),
        sa.Column("opened_at", Ts, nullable=False),
        sa.Column("drawn_at", Ts, nullable=True),
        sa.Column("units", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_rank", sa.Integer(), server_default="1", nullable=False),
        sa.Column("lease_until", Ts, nullable=True),
        sa.CheckConstraint("status IN ('open', 'drawn')", name=op.f("ck_raffles_status")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_raffles_product_id_products")),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_raffles")),
    )
    op.create_index("ix_raffles_status", "raffles", ["status"])
    op.create_table(
        "raffle_entries",
        sa.Column("product_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("entered_at", Ts, nullable=False),
        sa.Column("draw_rank", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("hold_id", sa.String(32), nullable=True),
        sa.CheckConstraint("outcome IN ('winner', 'runner_up', 'skipped')",
                           name=op.f("ck_raffle_entries_outcome")),
        sa.ForeignKeyConstraint(["product_id"], ["raffles.product_id"], ondelete="CASCADE",
                                name=op.f("fk_raffle_entries_product_id_raffles")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_raffle_entries_user_id_users")),
        sa.PrimaryKeyConstraint("product_id", "user_id", name=op.f("pk_raffle_entries")),
    )
    op.create_index("ix_raffle_entries_product_rank", "raffle_entries",
                    ["product_id", "draw_rank"])


def downgrade() -> None:
    op.drop_table("raffle_entries")
    op.drop_table("raffles")
    op.drop_table("show_purchase_limits")
    op.drop_table("drop_rules")
