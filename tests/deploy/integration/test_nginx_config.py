"""``nginx -t`` with the real Debian nginx on configs rendered for the shapes we deploy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.deploy.nginx_runner import STREAM_MODULE, Certificate, check_config, options_under

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

SHAPES: dict[str, dict[str, object]] = {
    "single host": {},
    "several app hosts behind a CDN": {
        "server_names": ("shop.example.com", "www.shop.example.com"),
        "commerce_servers": ("10.0.1.11:8081", "10.0.1.12:8081"),
        "edge_servers": ("10.0.1.11:8082", "10.0.1.12:8082"),
        "media_servers": ("10.0.2.10:8083",),
        "trusted_proxies": ("192.0.2.0/24", "2001:db8::/32"),
        "hls_extra_origins": ("https://cdn.example.net",),
        "image_origins": ("https://images.example.net",),
        "worker_processes": "auto",
    },
    "RTMPS through the stream module": {"rtmps_port": 0},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_rendered_config_passes_nginx_t(
    shape: str, certificate: Certificate, tmp_path: Path
) -> None:
    overrides = dict(SHAPES[shape])
    if "rtmps_port" in overrides:
        if not STREAM_MODULE.exists():
            pytest.fail(
                "libnginx-mod-stream is not installed (deploy/scripts/ensure-system-"
                "packages.sh nginx libnginx-mod-stream)"
            )
        overrides["rtmps_port"] = 19350
        overrides["stream_module_path"] = str(STREAM_MODULE)
    options = options_under(tmp_path, certificate, **overrides)
    result = check_config(options, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # Warnings (duplicate MIME types, conflicting server names, ...) are bugs too.
    assert "[warn]" not in result.stderr, result.stderr
