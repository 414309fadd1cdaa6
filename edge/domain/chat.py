"""Chat rules: what a message may contain, who may moderate whom, who is held back by what."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from edge.domain.ratelimit import BucketRule

if TYPE_CHECKING:
    from collections.abc import Iterable


class ChatRejected(Exception):
    """A message or moderation action is refused; ``code`` is stable and machine-readable."""

    def __init__(self, code: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


class ShowRole(enum.StrEnum):
    HOST = "host"  # the show's owner, or an admin
    MODERATOR = "moderator"  # granted per show by the host
    VIEWER = "viewer"

    @property
    def moderates(self) -> bool:
        return self is not ShowRole.VIEWER


class RestrictionKind(enum.StrEnum):
    MUTE = "mute"
    BAN = "ban"


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: RestrictionKind
    until: datetime | None  # None: until lifted

    def active(self, now: datetime) -> bool:
        return self.until is None or self.until > now


# Characters that would let a message look like something else: bidirectional overrides and
# isolates (text spoofing), and the interlinear annotation marks.
_FORBIDDEN = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufff9\ufffa\ufffb")


def clean_text(raw: str, max_length: int) -> str:
    """Normalise a chat message to plain, single-paragraph text, or refuse it.

    Messages are text, never markup: clients render them as text, so nothing is escaped here;
    control and formatting characters that could hide or reorder text are refused.
    """
    text = unicodedata.normalize("NFC", raw)
    text = " ".join(text.split())  # folds newlines, tabs and runs of spaces
    if not text:
        raise ChatRejected("empty_message", "The message is empty.")
    for ch in text:
        if ch in _FORBIDDEN or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            raise ChatRejected(
                "invalid_characters",
                f"The message contains a character that is not allowed (U+{ord(ch):04X}).",
            )
    if len(text) > max_length:
        raise ChatRejected("message_too_long", f"A message has at most {max_length} characters.")
    return text


def blocking_restriction(restrictions: Iterable[Restriction], now: datetime) -> Restriction | None:
    """The restriction that stops a user from chatting now, a ban before a mute."""
    active = [r for r in restrictions if r.active(now)]
    for kind in (RestrictionKind.BAN, RestrictionKind.MUTE):
        for r in active:
            if r.kind is kind:
                return r
    return None


def refuse_restricted(restriction: Restriction | None, now: datetime) -> None:
    if restriction is None:
        return
    if restriction.kind is RestrictionKind.BAN:
        raise ChatRejected("banned", "You are banned from this show's chat.")
    retry = None if restriction.until is None else (restriction.until - now).total_seconds()
    raise ChatRejected("muted", "You are muted in this show's chat.", retry_after=retry)


def check_can_moderate(actor: ShowRole, target: ShowRole) -> None:
    """Moderators act on viewers; the host acts on anyone but itself."""
    if not actor.moderates:
        raise ChatRejected("not_a_moderator", "Only the host and moderators can do this.")
    if target is ShowRole.HOST:
        raise ChatRejected("target_is_host", "The host of a show cannot be muted or banned.")
    if target is ShowRole.MODERATOR and actor is not ShowRole.HOST:
        raise ChatRejected("target_is_moderator", "Only the host can mute or ban a moderator.")


@dataclass(frozen=True, slots=True)
class ChatLimits:
    burst: int
    per_minute: int
    slow_mode_seconds: int = 0


def rate_rules(role: ShowRole, limits: ChatLimits) -> list[tuple[str, BucketRule]]:
    """The buckets a message must pass, by name. The host is not limited; moderators are only
    held by the rate limit; slow mode holds viewers."""
    if role is ShowRole.HOST:
        return []
    rules = [("rate", BucketRule.per_minute(limits.burst, limits.per_minute))]
    if role is ShowRole.VIEWER and limits.slow_mode_seconds > 0:
        rules.append(("slow", BucketRule.one_every(limits.slow_mode_seconds)))
    return rules


MAX_SLOW_MODE_SECONDS = 3600


def check_slow_mode(seconds: int) -> int:
    if not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
        raise ChatRejected(
            "invalid_slow_mode",
            f"Slow mode is between 0 (off) and {MAX_SLOW_MODE_SECONDS} seconds.",
        )
    return seconds
