"""SQLAlchemy Core tables of edge: chat, its moderation, and the highlight timeline.

The schema itself is created by the Alembic migrations; tests create it with ``create_all``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from commerce.adapters.tables import Id
from showfloor.db import metadata

chat_messages = Table(
    "edge_chat_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # The name at the time of writing: exports and replays show what viewers saw.
    Column("display_name", String(80), nullable=False),
    Column("body", String(2000), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("deleted_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Index("ix_edge_chat_messages_show_id_id", "show_id", "id"),
    Index("ix_edge_chat_messages_show_id_user_id", "show_id", "user_id"),
)

show_moderators = Table(
    "edge_show_moderators",
    metadata,
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("granted_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

chat_restrictions = Table(
    "edge_chat_restrictions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("until", DateTime(timezone=True), nullable=True),  # NULL: until lifted
    Column("reason", String(500), nullable=False, server_default=""),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("show_id", "user_id", "kind", name="uq_edge_chat_restrictions_show_user_kind"),
    CheckConstraint("kind IN ('mute', 'ban')", name="kind"),
)

chat_settings = Table(
    "edge_chat_settings",
    metadata,
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), primary_key=True),
    Column("slow_mode_seconds", Integer, nullable=False, server_default="0"),
    Column("updated_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("slow_mode_seconds >= 0", name="slow_mode_non_negative"),
)

highlights = Table(
    "edge_highlights",
    metadata,
    # Also the EXT-X-DATERANGE ID in the playlist.
    Column("id", String(32), primary_key=True),
    Column("show_id", Id, ForeignKey("shows.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("program_date_time", DateTime(timezone=True), nullable=False),
    # The click on the server's clock, after correcting the host's clock.
    Column("clicked_at", DateTime(timezone=True), nullable=False),
    # The click as the host's clock said, when the host sent it.
    Column("captured_at", DateTime(timezone=True), nullable=True),
    Column("clock_offset_ms", Float, nullable=True),
    Column("created_by", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("event_id", BigInteger, nullable=True),
    Index("ix_edge_highlights_show_id_program_date_time", "show_id", "program_date_time"),
)

EDGE_TABLES = (chat_messages, show_moderators, chat_restrictions, chat_settings, highlights)
