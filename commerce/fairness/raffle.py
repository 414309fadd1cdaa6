"""The raffle draw: a seeded, re-runnable ordering of the entries.

Algorithm ``hmac-sha256-v1`` (described for re-runs in ``docs/raffle.md``):

1. ``seed`` is 32 random bytes chosen when entries open; ``seed_digest`` = SHA-256(seed), in
   hex, is published at once, and the seed itself at the draw, so anyone can check it was not
   changed after the entries were known.
2. For every entry, ``key = HMAC-SHA256(key=seed, msg=ASCII decimal user id)``, in hex.
3. Entries are sorted by ``(key, user_id)``, ascending. This is the draw order (rank 1 first).
4. With ``units`` units to give away, ranks 1..units win a hold of one unit each. When a
   winner's hold ends without an order, the next rank in the draw order gets a hold.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from commerce.domain.errors import Conflict, InvalidValue

if TYPE_CHECKING:
    from collections.abc import Iterable

ALGORITHM = "hmac-sha256-v1"
SEED_BYTES = 32


class RaffleStatus(enum.StrEnum):
    OPEN = "open"  # taking entries
    DRAWN = "drawn"  # entries closed and the order drawn; holds go down the order


class RaffleClosed(Conflict):
    code = "raffle_closed"


class AlreadyEntered(Conflict):
    code = "already_entered"


def seed_digest(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def parse_seed(seed_hex: str) -> bytes:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        raise InvalidValue("The seed must be hexadecimal.", field="seed") from None
    if len(seed) != SEED_BYTES:
        raise InvalidValue(f"The seed must be {SEED_BYTES} bytes.", field="seed")
    return seed


def draw_key(seed: bytes, user_id: int) -> str:
    return hmac.new(seed, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()


def draw_order(seed: bytes, user_ids: Iterable[int]) -> list[int]:
    """The entrants in draw order (the first ``units`` win)."""
    return sorted(set(user_ids), key=lambda uid: (draw_key(seed, uid), uid))


@dataclass(frozen=True, slots=True)
class DrawResult:
    order: list[int]
    winners: list[int]
    runners_up: list[int]


def draw(seed: bytes, user_ids: Iterable[int], units: int) -> DrawResult:
    if units < 0:
        raise InvalidValue("The number of units cannot be negative.", field="units")
    order = draw_order(seed, user_ids)
    return DrawResult(order, order[:units], order[units:])
