"""Accounts and tokens over the API, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.commerce.conftest import PASSWORD, Api

pytestmark = pytest.mark.integration


async def test_register_login_me_refresh_logout(api: Api) -> None:
    viewer = await api.actor()
    me = await api.client.get("/api/v1/me", headers=viewer.headers)
    assert me.status_code == 200
    assert me.json()["email"] == viewer.email
    assert me.json()["role"] == "viewer"
    assert me.json()["created_at"].endswith("+00:00") or me.json()["created_at"].endswith("Z")

    refreshed = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": viewer.refresh_token}
    )
    assert refreshed.status_code == 200
    new_refresh = refreshed.json()["refresh_token"]
    assert new_refresh != viewer.refresh_token
    me = await api.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert me.status_code == 200

    logout = await api.client.post("/api/v1/auth/logout", json={"refresh_token": new_refresh})
    assert logout.status_code == 204
    again = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": new_refresh})
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_credentials"


async def test_reusing_a_rotated_refresh_token_revokes_the_family(api: Api) -> None:
    viewer = await api.actor()
    first = await api.client.post("/api/v1/auth/refresh",
                                  json={"refresh_token": viewer.refresh_token})
    assert first.status_code == 200
    stolen = await api.client.post("/api/v1/auth/refresh",
                                   json={"refresh_token": viewer.refresh_token})
    assert stolen.status_code == 401
    # The legitimate holder's newer token is gone too: the family was revoked.
    newer = await api.client.post("/api/v1/auth/refresh",
                                  json={"refresh_token": first.json()["refresh_token"]})
    assert newer.status_code == 401


async def test_role_change_applies_on_refresh(api: Api) -> None:
    from commerce.admin import set_user_role

    viewer = await api.actor()
    denied = await api.client.post("/api/v1/shows/", json={"title": "x"}, headers=viewer.headers)
    assert denied.status_code == 403
    await set_user_role(api.settings, email=viewer.email, role="host")
    refreshed = await api.client.post("/api/v1/auth/refresh",
                                      json={"refresh_token": viewer.refresh_token})
    token = refreshed.json()["access_token"]
    allowed = await api.client.post("/api/v1/shows/", json={"title": "x"},
                                    headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 201


async def test_duplicate_email_is_a_conflict_case_insensitively(api: Api) -> None:
    viewer = await api.actor()
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": viewer.email.upper(), "password": PASSWORD, "display_name": "Again"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    viewer = await api.actor()
    wrong = await api.client.post("/api/v1/auth/login",
                                  json={"email": viewer.email, "password": "not the password"})
    unknown = await api.client.post("/api/v1/auth/login",
                                    json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_login_is_rate_limited_per_account(api: Api) -> None:
    viewer = await api.actor()  # one login used; the limit is 5 per window in these tests
    statuses = []
    for _ in range(6):
        response = await api.client.post(
            "/api/v1/auth/login", json={"email": viewer.email, "password": "wrong password!"}
        )
        statuses.append(response.status_code)
    assert statuses[:4] == [401] * 4
    assert statuses[-1] == 429
    limited = await api.client.post(
        "/api/v1/auth/login", json={"email": viewer.email, "password": PASSWORD}
    )
    assert limited.status_code == 429, "even the right password waits out the limit"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "too_many_attempts"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "A"}, "email"),
        ({"email": "a@example.com", "password": "short", "display_name": "A"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": ""}, "display_name"),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": "   "}, "display_name"),
        ({"email": "a@example.com", "password": PASSWORD}, "display_name"),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": "A", "role": "admin"},
         "role"),
        ({"email": "a@example.com", "password": 12345678901, "display_name": "A"}, "password"),
        ({"email": "a@example.com", "password": "x" * 300, "display_name": "A"}, "password"),
    ],
)
async def test_bad_registrations_name_the_field(api: Api, body: dict[str, object],
                                               field: str) -> None:
    response = await api.client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert problem["status"] == 400
    assert problem["type"].endswith("/invalid_input")
    assert any(field in error["field"] or field in error["message"] for error in problem["errors"])


async def test_malformed_json_is_a_400(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


async def test_oversized_body_is_refused(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/auth/register", content=b"x" * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_invalid_tokens_are_401(api: Api) -> None:
    viewer = await api.actor()
    secret = api.settings.auth.jwt_secret
    now = int(time.time())
    claims = {"sub": str(viewer.id), "role": "admin", "iss": "showfloor", "aud": "showfloor",
              "typ": "access", "iat": now}
    header, _payload, signature = viewer.token.split(".")
    tampered_payload = _b64({**claims, "exp": now + 600})
    cases = {
        "expired": jwt.encode({**claims, "iat": now - 1000, "exp": now - 10}, secret, "HS256"),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{tampered_payload}.",
        "wrong key": jwt.encode({**claims, "exp": now + 600}, "another secret" * 4, "HS256"),
        "refresh token as access": viewer.refresh_token,
        "garbage": "not.a.token",
        "no type": jwt.encode({**claims, "typ": "refresh", "exp": now + 600}, secret, "HS256"),
    }
    for name, token in cases.items():
        response = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] == "unauthorized", name
        assert response.headers["www-authenticate"].startswith("Bearer")
    basic = await api.client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
