"""Who is calling: bearer access tokens turned into a :class:`Principal`."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from commerce.auth.tokens import AccessTokens, InvalidToken
from commerce.domain.users import Principal
from showfloor.problems import ProblemError
from showfloor.web import Res

Caller = NamedDependency[Principal]
"""The signed-in caller (401 otherwise); provided as ``caller``."""
MaybePrincipal = NamedDependency[Principal | None]
"""The caller or None for anonymous; provided as ``principal``."""

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="showfloor"'}


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "unauthorized", detail, headers=_CHALLENGE)


def principal_from_request(
    request: Request[Any, Any, Any], tokens: AccessTokens
) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Send the access token as 'Authorization: Bearer <token>'.")
    try:
        return tokens.verify(token.strip())
    except InvalidToken:
        raise _unauthorized(
            "The access token is invalid or expired. Refresh it or log in again."
        ) from None


# These depend on ``resources`` (rather than reading app state) so that a handler taking
# ``caller`` and ``resources`` resolves them one after the other: Litestar resolves independent
# dependencies concurrently in an anyio task group, which cost a quarter of the CPU of a hold.
async def provide_principal(
    request: Request[Any, Any, Any], resources: Res
) -> Principal | None:
    """The caller, or None when anonymous. A token that is present but bad is a 401."""
    tokens: AccessTokens = resources.service("access_tokens")
    return principal_from_request(request, tokens)


async def provide_caller(request: Request[Any, Any, Any], resources: Res) -> Principal:
    """The caller, who must be signed in."""
    principal = await provide_principal(request, resources)
    if principal is None:
        raise _unauthorized("Log in first: this needs an access token.")
    return principal
