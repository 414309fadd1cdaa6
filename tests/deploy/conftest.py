"""Fixtures for the deploy suite: a certificate, origins, and nginx in front of them.

``app_origins`` is three stand-in origins by default. With ``SHOWFLOOR_DEPLOY_TEST_ORIGINS=real``
it is the real apps (``showfloor serve commerce|edge|media``) instead; the tests that count
origin hits (caching, limits) always use stand-ins, since what they check is nginx's config.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.deploy.nginx_runner import (
    Certificate,
    RunningNginx,
    free_port,
    make_certificate,
    options_under,
    require_nginx,
)
from tests.deploy.stand_in_origin import StandInOrigin

if TYPE_CHECKING:
    from collections.abc import Iterator

APPS = ("commerce", "edge", "media")


@dataclass
class Origins:
    """Where commerce, edge and media listen; ``stand_ins`` is empty for the real apps."""

    addresses: dict[str, str]
    stand_ins: dict[str, StandInOrigin] = field(default_factory=dict)

    @property
    def real(self) -> bool:
        return not self.stand_ins


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    require_nginx()
    return make_certificate(tmp_path_factory.mktemp("tls"))


def _start_stand_ins() -> Origins:
    stand_ins = {name: StandInOrigin(name) for name in APPS}
    for origin in stand_ins.values():
        origin.start(free_port())
    return Origins({n: o.address for n, o in stand_ins.items()}, stand_ins)


def _wait_healthy(address: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(f"http://{address}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{process.args!r} is not healthy after {timeout}s")


@pytest.fixture(scope="module")
def app_origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origins]:
    if os.environ.get("SHOWFLOOR_DEPLOY_TEST_ORIGINS") != "real":
        origins = _start_stand_ins()
        yield origins
        for origin in origins.stand_ins.values():
            origin.stop()
        return
    var_dir = tmp_path_factory.mktemp("apps-var")
    cli = Path(sys.executable).with_name("showfloor")
    env = {
        **os.environ,
        "SHOWFLOOR_VAR_DIR": str(var_dir),
        "SHOWFLOOR_LOG_FORMAT": "json",
        "SHOWFLOOR_MEDIA_DIR": str(var_dir / "media"),
        "SHOWFLOOR_RTMP_PORT": str(free_port()),
    }
    subprocess.run([str(cli), "db", "upgrade"], env=env, check=True)
    processes: list[subprocess.Popen[bytes]] = []
    addresses: dict[str, str] = {}
    try:
        for name in APPS:
            port = free_port()
            addresses[name] = f"127.0.0.1:{port}"
            processes.append(
                subprocess.Popen(
                    [
                        str(cli),
                        "serve",
                        name,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--workers",
                        "1",
                    ],
                    env=env,
                )
            )
        for name, process in zip(APPS, processes, strict=True):
            _wait_healthy(addresses[name], process)
        yield Origins(addresses)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def front(
    app_origins: Origins, certificate: Certificate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningNginx]:
    """nginx with the production config (small limits so tests can trip them quickly)."""
    prefix = tmp_path_factory.mktemp("nginx-front")
    options = options_under(
        prefix,
        certificate,
        commerce_servers=(app_origins.addresses["commerce"],),
        edge_servers=(app_origins.addresses["edge"],),
        media_servers=(app_origins.addresses["media"],),
        stream_conns_per_ip=3,
    )
    nginx = RunningNginx(options, prefix)
    yield nginx
    nginx.stop()


@pytest.fixture(scope="module")
def counting_media(certificate: Certificate) -> Iterator[StandInOrigin]:
    media = StandInOrigin("media", part_delay=0.5, hold_delay=0.5)
    media.start(free_port())
    yield media
    media.stop()


@pytest.fixture(scope="module")
def hls_front(
    counting_media: StandInOrigin,
    certificate: Certificate,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningNginx]:
    """nginx whose media upstream counts every request that gets past the cache."""
    prefix = tmp_path_factory.mktemp("nginx-hls")
    unused = f"127.0.0.1:{free_port()}"
    options = options_under(
        prefix,
        certificate,
        commerce_servers=(unused,),
        edge_servers=(unused,),
        media_servers=(counting_media.address,),
        worker_connections=2048,
    )
    nginx = RunningNginx(options, prefix)
    yield nginx
    nginx.stop()
