"""Problem details (RFC 9457) for every error a client can cause.

Any layer outside the pure domain raises :class:`ProblemError` (or a subclass) with a stable,
machine-readable ``code``; the exception handlers installed by :func:`showfloor.web.build_app`
turn it, Litestar's validation errors and unexpected failures into ``application/problem+json``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from litestar.types import ExceptionHandlersMap

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://showfloor.dev/problems/"

logger = logging.getLogger("showfloor.errors")


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    title: str
    status: int
    code: str
    detail: str = ""
    errors: list[FieldError] = []
    retry_after: int | None = None


class ProblemError(Exception):
    """An error that is the client's to fix; carries its HTTP status and a stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or code.replace("_", " ").capitalize()
        self.errors = errors or []
        self.headers = dict(headers or {})
        self.retry_after = retry_after
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)

    def to_problem(self) -> Problem:
        return Problem(
            type=PROBLEM_TYPE_BASE + self.code,
            title=self.title,
            status=self.status,
            code=self.code,
            detail=self.detail,
            errors=self.errors,
            retry_after=self.retry_after,
        )


def problem_response(error: ProblemError) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(error.to_problem()),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


# msgspec ends its messages with the JSON path of the culprit: "... - at `$.items[0].sku`".
_AT_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$")


def _field_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                message = str(item.get("message", ""))
                key = str(item.get("key") or "body")
                if key == "data":
                    key = "body"
                if match := _AT_PATH.match(message):
                    message = match["message"]
                    key = match["path"] or "body"
                errors.append(FieldError(field=key, message=message))
    return errors


_STATUS_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def handle_problem(_: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    return problem_response(exc)


def handle_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    errors = _field_errors(exc.extra)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or str(exc.detail)
    return problem_response(
        ProblemError(400, "invalid_input", detail, title="Invalid input", errors=errors)
    )


def handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    code = _STATUS_CODES.get(status, "http_error")
    if isinstance(exc, NotAuthorizedException):
        code = "unauthorized"
    headers = dict(exc.headers or {})
    if status >= 500:
        logger.error("http_error", extra={"status": status, "detail": exc.detail})
        detail = "The server could not handle this request. Try again shortly."
    else:
        detail = str(exc.detail)
    return problem_response(ProblemError(status, code, detail, headers=headers))


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    logger.error(
        "unhandled_error",
        extra={"path": request.url.path, "method": request.method},
        exc_info=exc,
    )
    return problem_response(
        ProblemError(
            500,
            "internal_error",
            "Something went wrong on our side; the request was not applied. Try again, and "
            "report it to the operator if it keeps happening.",
        )
    )


def handle_database_unavailable(
    request: Request[Any, Any, Any], exc: OperationalError
) -> Response[bytes]:
    """The database refused or dropped the connection, or stayed locked: nothing was applied
    (the transaction rolled back), so the client may simply retry."""
    logger.warning(
        "database_unavailable",
        extra={"path": request.url.path, "method": request.method, "error": str(exc.orig)},
    )
    return problem_response(
        ProblemError(
            503,
            "database_unavailable",
            "The service is briefly overloaded; nothing was changed. Try again in a moment.",
            retry_after=1,
        )
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ProblemError: handle_problem,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    OperationalError: handle_database_unavailable,
    Exception: handle_unexpected,
}
