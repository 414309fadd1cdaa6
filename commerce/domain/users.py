"""Users, roles and who may do what."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from commerce.domain.errors import InvalidValue

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

# Deliberately loose (RFC 5322 is not enforceable by regex); delivery is what proves an address.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class Role(enum.StrEnum):
    VIEWER = "viewer"
    HOST = "host"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    display_name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user, or nobody (``None`` is used for anonymous)."""

    user_id: int
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_host(self) -> bool:
        return self.role in (Role.HOST, Role.ADMIN)


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidValue("This is not a valid email address.", field="email")
    return email


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(
            f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.",
            field="password",
        )


def check_display_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidValue("The display name cannot be blank.", field="display_name")
    if any(ord(ch) < 32 for ch in raw):
        raise InvalidValue("The display name cannot contain control characters.",
                           field="display_name")
    return name
