"""The apps reach Redis through Sentinel (the multi-host deployment): a primary and a Sentinel of
the test's own, on free ports; the client follows the Sentinel's answer, not the URL's host."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from showfloor.settings import SettingsError, load_settings
from showfloor.web import open_redis
from tests.support.processes import free_port
from tests.support.redis_server import own_redis

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def _sentinel(workdir: Path, primary_port: int, password: str) -> Iterator[int]:
    port = free_port()
    conf = workdir / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
        f"sentinel monitor showfloor 127.0.0.1 {primary_port} 1\n"
        f"sentinel auth-pass showfloor {password}\n"
    )
    proc = subprocess.Popen(["redis-server", str(conf), "--sentinel"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.execute_command("SENTINEL", "get-master-addr-by-name", "showfloor"):
                    break
            except redis.ConnectionError:
                pass
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def sentinel_setup(tmp_path: Path) -> Iterator[tuple[int, int]]:
    with own_redis(tmp_path) as primary:
        redis.Redis(port=primary.port).config_set("requirepass", "s3cret")
        yield from ((primary.port, port) for port in _sentinel(tmp_path, primary.port, "s3cret"))


async def test_clients_find_the_primary_through_sentinel(
    sentinel_setup: tuple[int, int], tmp_path: Path
) -> None:
    primary_port, sentinel_port = sentinel_setup
    settings = load_settings({
        "SHOWFLOOR_VAR_DIR": str(tmp_path),
        # The host here is deliberately wrong: only the password and the database count.
        "SHOWFLOOR_REDIS_URL": "redis://:s3cret@unused.invalid:1/3",
        "SHOWFLOOR_REDIS_SENTINELS": f"127.0.0.1:{sentinel_port}",
        "SHOWFLOOR_REDIS_SENTINEL_MASTER": "showfloor",
    })
    client = open_redis(settings)
    assert client is not None
    try:
        await client.set("sf:probe", "1")
        assert await client.get("sf:probe") == b"1"
    finally:
        await client.aclose()
    direct = redis.Redis(port=primary_port, password="s3cret", db=3)
    assert direct.get("sf:probe") == b"1"


def test_sentinels_need_a_url_and_valid_addresses(tmp_path: Path) -> None:
    base = {"SHOWFLOOR_VAR_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="REDIS_URL"):
        load_settings({**base, "SHOWFLOOR_REDIS_SENTINELS": "127.0.0.1:26379"})
    with pytest.raises(SettingsError, match="REDIS_SENTINELS"):
        load_settings({**base, "SHOWFLOOR_REDIS_URL": "redis://x/0",
                       "SHOWFLOOR_REDIS_SENTINELS": "no-port"})
