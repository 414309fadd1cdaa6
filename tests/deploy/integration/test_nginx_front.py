"""The rendered config in the real nginx, in front of running origins: routes, headers, limits."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

if TYPE_CHECKING:
    from tests.deploy.conftest import Origins
    from tests.deploy.nginx_runner import Certificate, RunningNginx

pytestmark = pytest.mark.integration

SECURITY_HEADERS = (
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
)


def client(certificate: Certificate) -> httpx.Client:
    return httpx.Client(verify=certificate.client_context(), timeout=15)


def served_by(origins: Origins, app: str, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if not origins.real:
        assert response.json()["app"] == app


def assert_security_headers(response: httpx.Response) -> None:
    for name in SECURITY_HEADERS:
        assert name in response.headers, f"{name} missing on {response.request.url}"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"].startswith("max-age=")
    # One copy only: nginx replaces the app's own.
    assert response.headers.get_list("x-frame-options") == ["DENY"]


def test_api_and_schema_reach_commerce(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    with client(certificate) as http:
        for path in ("/api/v1/shows", "/schema/openapi.json"):
            response = http.get(front.https_url + path)
            served_by(app_origins, "commerce", response)
            assert_security_headers(response)
        if app_origins.real:
            assert "openapi" in http.get(front.https_url + "/schema/openapi.json").json()
        else:
            seen = app_origins.stand_ins["commerce"].last_headers["/api/v1/shows"]
            assert seen["x-forwarded-proto"] == "https"
            assert seen["x-real-ip"] == "127.0.0.1"
            assert seen["x-request-id"]


def test_schema_viewer_may_load_its_bundle(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    with client(certificate) as http:
        csp = http.get(front.https_url + "/schema").headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp
    assert "frame-ancestors 'none'" in csp


def test_whip_reaches_media(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    if app_origins.real:
        pytest.skip("needs a show and its stream key on the real media app")
    with client(certificate) as http:
        offer = "v=0\r\n" + "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n" * 50
        response = http.post(
            front.https_url + "/whip/7", content=offer, headers={"content-type": "application/sdp"}
        )
        assert response.status_code == 201
        assert response.headers["location"] == "/whip/7/session-1"
        assert http.delete(front.https_url + "/whip/7/session-1").status_code == 204
    assert app_origins.stand_ins["media"].count("/whip/7") == 1


def test_hls_and_vod_reach_media_through_the_cache(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    if app_origins.real:
        pytest.skip("needs a live show on the real media app")
    with client(certificate) as http:
        for path in ("/hls/7/index.m3u8", "/vod/7/index.m3u8", "/hls/7/seg-1.m4s"):
            response = http.get(front.https_url + path)
            assert response.status_code == 200
            assert response.headers["x-cache-status"] == "MISS"
            assert response.headers["access-control-allow-origin"] == "*"
            assert app_origins.stand_ins["media"].count(path) == 1
        assert http.post(front.https_url + "/hls/7/seg-1.m4s").status_code == 403


async def test_sse_reaches_edge_unbuffered(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    if app_origins.real:
        pytest.skip("needs a show on the real edge app")
    async with httpx.AsyncClient(verify=certificate.client_context(), timeout=10) as http:
        start = time.monotonic()
        async with http.stream("GET", front.https_url + "/sse/shows/7") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert_security_headers(response)
            chunks = response.aiter_text()
            first = await anext(chunks)
            # The stand-in holds the second event back for a second: the first must not wait.
            assert time.monotonic() - start < 0.8
            assert "data: first" in first
    assert app_origins.stand_ins["edge"].count("/sse/shows/7") == 1


async def test_websocket_reaches_edge_and_is_limited_per_address(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    if app_origins.real:
        pytest.skip("needs a show on the real edge app")
    url = f"wss://127.0.0.1:{front.options.https_port}/ws/shows/7"
    context = certificate.client_context()
    sockets = []
    try:
        for _ in range(front.options.stream_conns_per_ip):
            ws = await connect(url, ssl=context)
            sockets.append(ws)
            assert await ws.recv() == "hello from edge"
        await sockets[0].send("ping")
        assert await sockets[0].recv() == "ping"
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, ssl=context)
        assert refused.value.response.status_code == 429
    finally:
        for ws in sockets:
            await ws.close()


def test_frontend_spa_and_hashed_assets(front: RunningNginx, certificate: Certificate) -> None:
    with client(certificate) as http:
        index = http.get(front.https_url + "/")
        assert index.status_code == 200
        assert "showfloor" in index.text
        assert index.headers["cache-control"] == "no-cache"
        assert_security_headers(index)
        deep_link = http.get(front.https_url + "/shows/7")
        assert deep_link.status_code == 200
        assert deep_link.text == index.text
        asset = http.get(front.https_url + "/assets/app-3f9a1c.js")
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"]
        assert "max-age=31536000" in asset.headers["cache-control"]
        assert http.get(front.https_url + "/assets/missing.js").status_code == 404


def test_probes_and_metrics_are_not_public(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    with client(certificate) as http:
        for path in (
            "/healthz",
            "/readyz",
            "/metrics",
            "/metrics/",
            "/api/../metrics",
            "/hls/..%2fmetrics",
        ):
            response = http.get(front.https_url + path)
            assert response.status_code == 404, path
    for origin in app_origins.stand_ins.values():
        for path in ("/healthz", "/readyz", "/metrics"):
            assert origin.count(path) == 0


def test_plain_http_redirects_to_https(front: RunningNginx) -> None:
    response = httpx.get(front.http_url + "/shows/7?x=1", follow_redirects=False)
    assert response.status_code == 308
    assert (
        response.headers["location"] == f"https://127.0.0.1:{front.options.https_port}/shows/7?x=1"
    )


def test_tls_offers_http2(front: RunningNginx, certificate: Certificate) -> None:
    context = certificate.client_context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", front.options.https_port)) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_login_attempts_trip_the_rate_limit(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    url = front.https_url + "/api/v1/auth/login"
    with client(certificate) as http:
        statuses = [
            http.post(url, json={"email": "a@example.com", "password": "x"}).status_code
            for _ in range(front.options.login_burst + 4)
        ]
        limited = http.post(url, json={})
        # Reading is not an attempt: GETs are never counted against the zone.
        assert http.get(url).status_code != 429
    assert 429 in statuses
    allowed = [s for s in statuses if s != 429]
    assert len(allowed) == front.options.login_burst + 1
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "1"
    assert_security_headers(limited)
    if not app_origins.real:
        assert app_origins.stand_ins["commerce"].count("/api/v1/auth/login") == len(allowed) + 1


def test_hold_attempts_trip_the_rate_limit(
    front: RunningNginx, app_origins: Origins, certificate: Certificate
) -> None:
    url = front.https_url + "/api/v1/products/42/holds"
    with client(certificate) as http:
        statuses = [
            http.post(url, json={"quantity": 1}).status_code
            for _ in range(front.options.hold_burst + 5)
        ]
    assert statuses.count(429) >= 3
    assert statuses[: front.options.hold_burst + 1].count(429) == 0


def test_request_bodies_are_limited(front: RunningNginx, certificate: Certificate) -> None:
    with client(certificate) as http:
        too_big_offer = http.post(front.https_url + "/whip/7", content=b"a" * 100_000)
        assert too_big_offer.status_code == 413
        assert too_big_offer.json()["code"] == "payload_too_large"
        too_big_login = http.post(
            front.https_url + "/api/v1/auth/register", content=b"{" + b" " * 20_000 + b"}"
        )
        assert too_big_login.status_code == 413


def test_unavailable_upstream_is_a_problem_document(
    certificate: Certificate, hls_front: RunningNginx
) -> None:
    # hls_front's commerce upstream points at a port nothing listens on.
    with client(certificate) as http:
        response = http.get(hls_front.https_url + "/api/v1/shows")
    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"
    assert_security_headers(response)


def test_rendered_config_carries_the_options(front: RunningNginx) -> None:
    conf = (front.prefix / "nginx.conf").read_text()
    assert json.dumps(front.options.https_port) in conf
    assert "{{" not in conf
    assert "{%" not in conf
