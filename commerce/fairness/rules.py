"""Per-drop rules a host sets: the admission window, the minimum account age, the per-show
purchase limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from commerce.domain.errors import Forbidden, InvalidValue

DEFAULT_ADMISSION_SECONDS = 60
MIN_ADMISSION_SECONDS = 5
MAX_ADMISSION_SECONDS = 3600
MAX_ACCOUNT_AGE_SECONDS = 365 * 24 * 3600
MAX_SHOW_LIMIT = 10_000


class AccountTooNew(Forbidden):
    code = "account_too_new"


@dataclass(frozen=True, slots=True)
class DropRules:
    product_id: int
    admission_seconds: int = DEFAULT_ADMISSION_SECONDS
    min_account_age_seconds: int = 0

    def __post_init__(self) -> None:
        if not MIN_ADMISSION_SECONDS <= self.admission_seconds <= MAX_ADMISSION_SECONDS:
            raise InvalidValue(
                f"The admission window must be {MIN_ADMISSION_SECONDS}-{MAX_ADMISSION_SECONDS} "
                "seconds.", field="admission_seconds")
        if not 0 <= self.min_account_age_seconds <= MAX_ACCOUNT_AGE_SECONDS:
            raise InvalidValue("The minimum account age must be 0 to 365 days (in seconds).",
                               field="min_account_age_seconds")


def check_account_age(created_at: datetime, now: datetime, min_age_seconds: int) -> None:
    """Refuse accounts younger than the drop allows (fresh accounts are the cheapest bots)."""
    if min_age_seconds <= 0:
        return
    old_enough_at = created_at + timedelta(seconds=min_age_seconds)
    if now < old_enough_at:
        wait = int((old_enough_at - now).total_seconds()) + 1
        raise AccountTooNew(
            f"This drop is open to accounts at least {_human(min_age_seconds)} old; yours "
            f"will be in {_human(wait)}.")


def show_limit_left(limit: int | None, used: int, quantity: int) -> bool:
    """Whether ``quantity`` more units fit in a show's per-user limit (``None``: no limit)."""
    return limit is None or used + quantity <= limit


def _human(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = -(-seconds // size) if unit != "day" else seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
