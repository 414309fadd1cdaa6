"""Authentication of calls between showfloor apps (edge → media), which nginx never routes."""

from __future__ import annotations

import hashlib
import hmac


def internal_token(secret: str, audience: str) -> str:
    """A bearer token for calls to the ``audience`` app, derived from the shared JWT secret so
    that no other secret has to be distributed."""
    return hmac.new(
        secret.encode(), f"showfloor-internal:{audience}".encode(), hashlib.sha256
    ).hexdigest()


def is_internal_caller(authorization: str | None, secret: str, audience: str) -> bool:
    if authorization is None or not authorization.startswith("Bearer "):
        return False
    presented = authorization.removeprefix("Bearer ").strip()
    return hmac.compare_digest(presented, internal_token(secret, audience))
