"""The chat export a host downloads: CSV (RFC 4180), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

CSV_COLUMNS = (
    "message_id",
    "sent_at",
    "user_id",
    "display_name",
    "text",
    "deleted_at",
    "deleted_by",
)

# Spreadsheets evaluate cells starting with these as formulas (CSV injection); a leading
# apostrophe makes them text, as OWASP recommends.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    message_id: int
    sent_at: datetime
    user_id: int
    display_name: str
    text: str
    deleted_at: datetime | None
    deleted_by: int | None


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they are stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def render_chat_csv(messages: Iterable[ExportedMessage], *, header: bool = True) -> Iterator[str]:
    """Yield the CSV text in chunks: the header (unless ``header`` is false, for a document
    rendered in several calls), then one row per message."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    if header:
        writer.writerow(CSV_COLUMNS)
        yield flush()
    for m in messages:
        writer.writerow(
            (
                m.message_id,
                _iso(m.sent_at),
                m.user_id,
                _cell(m.display_name),
                _cell(m.text),
                _iso(m.deleted_at),
                "" if m.deleted_by is None else m.deleted_by,
            )
        )
        yield flush()
