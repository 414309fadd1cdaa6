"""The HLS cache in the real nginx: a thousand viewers of one part cost the origin one request."""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx
import pytest

from tests.deploy.nginx_runner import Certificate, RunningNginx
from tests.deploy.stand_in_origin import StandInOrigin, part_body

pytestmark = pytest.mark.integration

VIEWERS = 200


async def _concurrent_gets(
    url: str, certificate: Certificate, count: int = VIEWERS
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(
        verify=certificate.client_context(), limits=limits, timeout=30
    ) as http:
        # Connect everyone first, so the requests for the part really arrive together.
        await asyncio.gather(*(http.get(url.rsplit("/", 1)[0] + "/../../") for _ in range(count)))
        return list(await asyncio.gather(*(http.get(url) for _ in range(count))))


async def test_concurrent_misses_for_a_new_part_reach_the_origin_once(
    hls_front: RunningNginx, counting_media: StandInOrigin, certificate: Certificate
) -> None:
    path = f"/hls/7/part-{secrets.token_hex(4)}.m4s"
    started = time.monotonic()
    responses = await _concurrent_gets(hls_front.https_url + path, certificate)
    elapsed = time.monotonic() - started

    assert counting_media.count(path) == 1
    assert {r.status_code for r in responses} == {200}
    assert all(r.content == part_body(path) for r in responses)
    statuses = [r.headers["x-cache-status"] for r in responses]
    assert statuses.count("MISS") == 1, statuses
    assert all(r.headers["cache-control"] == "public, max-age=31536000, immutable"
               for r in responses)
    assert elapsed < 10, "waiters must be released when the part arrives, not by the lock timeout"


async def test_concurrent_blocking_playlist_reloads_share_one_origin_request(
    hls_front: RunningNginx, counting_media: StandInOrigin, certificate: Certificate
) -> None:
    show = secrets.token_hex(4)
    base = f"{hls_front.https_url}/hls/{show}/index.m3u8"
    blocking = "_HLS_msn=12&_HLS_part=2"
    responses = await _concurrent_gets(f"{base}?{blocking}", certificate)

    assert counting_media.count(f"/hls/{show}/index.m3u8?{blocking}") == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert responses[0].headers["content-type"] == "application/vnd.apple.mpegurl"

    async with httpx.AsyncClient(verify=certificate.client_context(), timeout=30) as http:
        # The next part, a delta update and a plain reload are different answers.
        for query in ("_HLS_msn=12&_HLS_part=3", f"{blocking}&_HLS_skip=YES", ""):
            response = await http.get(f"{base}?{query}" if query else base)
            assert response.headers["x-cache-status"] == "MISS", query
        assert counting_media.count(f"/hls/{show}/index.m3u8") == 4
        # A playlist lives only briefly in the cache; a part does not expire meanwhile.
        await asyncio.sleep(2.2)
        again = await http.get(f"{base}?{blocking}")
        assert again.headers["x-cache-status"] in {"EXPIRED", "MISS"}
        assert counting_media.count(f"/hls/{show}/index.m3u8?{blocking}") == 2


def test_a_missing_part_is_not_cached_as_immutable(
    hls_front: RunningNginx, counting_media: StandInOrigin, certificate: Certificate
) -> None:
    with httpx.Client(verify=certificate.client_context(), timeout=10) as http:
        response = http.get(hls_front.https_url + "/hls/7/missing-1.m4s")
        assert response.status_code == 404
        assert "immutable" not in response.headers.get("cache-control", "")
        init = http.get(hls_front.https_url + "/hls/7/init.mp4")
        assert init.status_code == 200
        assert init.headers["cache-control"] == "no-cache"


def test_parts_ignore_query_strings_and_cookies(
    hls_front: RunningNginx, counting_media: StandInOrigin, certificate: Certificate
) -> None:
    path = f"/vod/7/seg-{secrets.token_hex(4)}.mp4"
    with httpx.Client(verify=certificate.client_context(), timeout=10) as http:
        first = http.get(hls_front.https_url + path, cookies={"session": "a"})
        second = http.get(hls_front.https_url + path + "?cachebust=1",
                          cookies={"session": "b"})
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert counting_media.count(path) == 1
