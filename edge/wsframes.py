"""Server-to-client WebSocket frames of a show's events, built once per batch (RFC 6455 5.2).

A server's frames are not masked and the channel negotiates no extension, so a frame is a
header and the payload as they are: the same bytes go to every connection.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from edge.bus import Delivery

_FIN_TEXT = 0x81


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame carrying ``payload`` (UTF-8)."""
    size = len(payload)
    if size < 126:
        header = bytes((_FIN_TEXT, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, size)
    return header + payload


def events_payload(batch: Sequence[Delivery]) -> bytes:
    """The text of an event frame: a JSON array of the batch's envelopes."""
    if len(batch) == 1:
        return b"[" + batch[0].wire + b"]"
    return b"[" + b",".join([d.wire for d in batch]) + b"]"


def events_frame(batch: Sequence[Delivery]) -> bytes:
    return text_frame(events_payload(batch))
