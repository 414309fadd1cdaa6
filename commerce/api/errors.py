"""Maps domain errors to problem details."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from commerce.domain import errors as domain
from showfloor.problems import FieldError, ProblemError, problem_response

_STATUS: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.Forbidden: 403,
    domain.Conflict: 409,
    domain.InvalidTransition: 409,
    domain.InvalidValue: 400,
    domain.InvalidCredentials: 401,
}


def status_of(exc: domain.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def handle_domain_error(_: Request[Any, Any, Any], exc: domain.DomainError) -> Response[bytes]:
    errors = [FieldError(field=exc.field, message=exc.detail)] if exc.field else None
    return problem_response(ProblemError(status_of(exc), exc.code, exc.detail, errors=errors))
