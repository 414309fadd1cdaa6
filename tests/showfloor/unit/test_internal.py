from __future__ import annotations

from showfloor.internal import internal_token, is_internal_caller

SECRET = "s" * 48


def test_only_the_token_derived_for_the_audience_is_accepted() -> None:
    token = internal_token(SECRET, "media")
    assert is_internal_caller(f"Bearer {token}", SECRET, "media")
    assert not is_internal_caller(None, SECRET, "media")
    assert not is_internal_caller(token, SECRET, "media")  # no scheme
    assert not is_internal_caller(f"Bearer {internal_token(SECRET, 'edge')}", SECRET, "media")
    assert not is_internal_caller(f"Bearer {internal_token('t' * 48, 'media')}", SECRET, "media")
