"""Errors raised by domain rules; adapters map each ``code`` to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    code: str = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class InvalidValue(DomainError):
    code = "invalid_input"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class EmailTaken(Conflict):
    code = "email_taken"


class SkuTaken(Conflict):
    code = "sku_taken"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
