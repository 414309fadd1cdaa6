"""Inventory: held and sold counters, holds, orders and the inventory ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("held", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("sold", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            "inventory_balance", "held >= 0 AND sold >= 0 AND held + sold <= stock"
        )
    op.create_table(
        "holds",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("product_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("expires_at", Ts, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("ended_at", Ts, nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_holds_quantity_positive")),
        sa.CheckConstraint("status IN ('active', 'released', 'expired', 'converted')",
                           name=op.f("ck_holds_status")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_holds_product_id_products")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_holds_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        sa.UniqueConstraint("user_id", "idempotency_key",
                            name="uq_holds_user_id_idempotency_key"),
    )
    op.create_index("ix_holds_product_status_expiry", "holds",
                    ["product_id", "status", "expires_at"])
    op.create_index("ix_holds_status_expiry", "holds", ["status", "expires_at"])
    op.create_index("ix_holds_user_id", "holds", ["user_id"])
    op.create_table(
        "orders",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("product_id", Id, nullable=False),
        sa.Column("show_id", Id, nullable=False),
        sa.Column("hold_id", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("payment_provider", sa.String(32), nullable=False),
        sa.Column("payment_reference", sa.String(128), nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.CheckConstraint("status IN ('pending_payment', 'paid', 'fulfilled', 'cancelled')",
                           name=op.f("ck_orders_status")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="RESTRICT",
                                name=op.f("fk_orders_user_id_users")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="RESTRICT",
                                name=op.f("fk_orders_product_id_products")),
        sa.ForeignKeyConstraint(["show_id"], ["shows.id"], ondelete="RESTRICT",
                                name=op.f("fk_orders_show_id_shows")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], ondelete="RESTRICT",
                                name=op.f("fk_orders_hold_id_holds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_orders_hold_id")),
        sa.UniqueConstraint("user_id", "idempotency_key",
                            name="uq_orders_user_id_idempotency_key"),
    )
    op.create_index("ix_orders_product_id", "orders", ["product_id"])
    op.create_index("ix_orders_show_id", "orders", ["show_id"])
    op.create_index("ix_orders_user_id", "orders", ["user_id"])
    op.create_table(
        "inventory_ledger",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("product_id", Id, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.String(32), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("held_after", sa.Integer(), nullable=False),
        sa.Column("sold_after", sa.Integer(), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.CheckConstraint(
            "reason IN ('stock', 'hold', 'release', 'expire', 'sell', 'cancel')",
            name=op.f("ck_inventory_ledger_reason"),
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_inventory_ledger_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_ledger")),
    )
    op.create_index("ix_inventory_ledger_product_id", "inventory_ledger", ["product_id", "id"])


def downgrade() -> None:
    op.drop_table("inventory_ledger")
    op.drop_table("orders")
    op.drop_table("holds")
    with op.batch_alter_table("products") as batch:
        batch.drop_constraint(op.f("ck_products_inventory_balance"), type_="check")
        batch.drop_column("sold")
        batch.drop_column("held")
