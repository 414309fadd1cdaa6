"""The HLS cache in the real nginx: a thousand viewers of one part cost the origin one request."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

from tests.deploy.stand_in_origin import StandInOrigin, part_body

if TYPE_CHECKING:
    from tests.deploy.nginx_runner import Certificate, RunningNginx

pytestmark = pytest.mark.integration

VIEWERS = 200


@dataclass
class RawResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()


async def _read_response(reader: asyncio.StreamReader) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawResponse(int(status_line.split()[1]), headers, body)


async def _concurrent_gets(
    url: str, certificate: Certificate, count: int = VIEWERS
) -> list[RawResponse]:
    """``count`` viewers, already connected, ask for ``url`` at the same instant.

    Plain HTTP/1.1 over TLS on asyncio streams: a general-purpose client spends so long per
    request on this small machine that the requests would trickle in over seconds.
    """
    parsed = urlsplit(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    context = certificate.client_context()
    connections = await asyncio.gather(
        *(
            asyncio.open_connection(
                parsed.hostname, parsed.port, ssl=context, server_hostname="localhost"
            )
            for _ in range(count)
        )
    )
    request = (
        f"GET {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: viewer\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        for _, writer in connections:
            writer.write(request)
        await asyncio.gather(*(writer.drain() for _, writer in connections))
        return list(
            await asyncio.wait_for(
                asyncio.gather(*(_read_response(reader) for reader, _ in connections)), timeout=30
            )
        )
    finally:
        for _, writer in connections:
            writer.close()


async def test_concurrent_misses_for_a_new_part_reach_the_origin_once(
    hls_front: RunningNginx, counting_media: StandInOrigin, certificate: Certificate
) -> None:
    path = f"/hls/7/part-{secrets.token_hex(4)}.m4s"
    responses = await _concurrent_gets(hls_front.https_url + path, certificate)

    assert counting_media.count(path) == 1
    assert {r.status_code for r in responses} == {200}
    assert all(r.content == part_body(path) for r in responses)
    statuses = [r.headers["x-cache-status"] for r in responses]
    assert statuses.count("MISS") == 1, statuses
    assert all(
        r.headers["cache-control"] == "public, max-age=31536000, immutable" for r in responses
    )
    # Every waiter got the part from the cache, none was let through when the lock timed out.
    assert counting_media.count(path) == 1


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
        first = http.get(hls_front.https_url + path, headers={"cookie": "session=a"})
        second = http.get(
            hls_front.https_url + path + "?cachebust=1", headers={"cookie": "session=b"}
        )
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert counting_media.count(path) == 1
