"""Access tokens (short-lived JWTs, HS256) and refresh tokens (opaque, stored hashed).

Every app verifies access tokens with the same secret; only commerce issues them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from commerce.domain.users import Principal, Role

ALGORITHM = "HS256"
ISSUER = "showfloor"
AUDIENCE = "showfloor"


class InvalidToken(Exception):
    """The token is missing, malformed, expired, tampered with or signed with another key."""


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    expires_at: datetime


class AccessTokens:
    def __init__(self, secret: str, ttl_seconds: int, *, cache_size: int = 50_000) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_seconds)
        # Verified tokens and their expiry: in a flash sale each buyer sends the same token many
        # times, and checking the signature is most of the cost of a refused attempt.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    def issue(self, principal: Principal, *, now: datetime | None = None) -> IssuedAccessToken:
        issued = now or datetime.now(UTC)
        expires = issued + self._ttl
        claims = {
            "sub": str(principal.user_id),
            "role": principal.role.value,
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "typ": "access",
            "jti": secrets.token_hex(8),
        }
        return IssuedAccessToken(jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires)

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            # Only HS256 is accepted, which also refuses "alg: none" and key-confusion tokens.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        if claims.get("typ") != "access":
            raise InvalidToken("not an access token")
        try:
            principal = Principal(user_id=int(claims["sub"]), role=Role(claims["role"]))
        except (KeyError, ValueError):
            raise InvalidToken("malformed claims") from None
        return principal, float(claims["exp"])


def new_refresh_token() -> tuple[str, str]:
    """A fresh refresh token and the digest under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_digest(token)


def refresh_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
