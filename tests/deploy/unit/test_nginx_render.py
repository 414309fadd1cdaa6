"""Rendering the nginx template: every route, every option, and refusing unsafe values."""

from __future__ import annotations

import dataclasses
import re

import pytest

from nginx import NginxOptions, NginxOptionsError, render_nginx_config, template_text

pytestmark = pytest.mark.unit


def locations(conf: str) -> list[str]:
    return re.findall(r"^\s*location\s+(.+?)\s*\{", conf, flags=re.MULTILINE)


def test_defaults_render_every_route() -> None:
    conf = render_nginx_config(NginxOptions())
    found = locations(conf)
    for expected in ("/api/", "/schema", "/ws/", "/sse/", "/whip/", "/assets/", "/"):
        assert expected in found
    assert "~ ^/(?:hls|vod)/.+\\.m3u8$" in found
    assert "~ ^/(?:hls|vod)/" in found
    assert "{{" not in conf
    assert "{%" not in conf
    assert "#jinja2" not in conf
    assert conf.count("proxy_cache_lock on;") == 3
    assert "stream {" not in conf


def test_each_upstream_lists_every_server() -> None:
    options = NginxOptions(
        commerce_servers=("10.0.0.1:8081", "10.0.0.2:8081", "10.0.0.3:8081"),
        edge_servers=("10.0.0.1:8082", "[2001:db8::1]:8082"),
    )
    conf = render_nginx_config(options)
    commerce = re.search(r"upstream showfloor_commerce \{(.*?)\}", conf, re.DOTALL)
    assert commerce is not None
    assert commerce.group(1).count("server ") == 3
    assert "server [2001:db8::1]:8082" in conf


def test_rtmps_adds_a_stream_block_and_loads_its_module() -> None:
    conf = render_nginx_config(NginxOptions(rtmps_port=1936))
    assert "load_module /usr/lib/nginx/modules/ngx_stream_module.so;" in conf
    assert "stream {" in conf
    assert "listen 1936 ssl;" in conf


def test_cdn_origins_join_the_content_security_policy() -> None:
    conf = render_nginx_config(
        NginxOptions(
            server_names=("shop.example.com",),
            hls_extra_origins=("https://cdn.example.net",),
        )
    )
    csp = re.search(r'set \$showfloor_csp "([^"]+)";', conf)
    assert csp is not None
    assert "media-src 'self' blob: https://cdn.example.net" in csp.group(1)
    assert "connect-src 'self' https://cdn.example.net wss://shop.example.com" in csp.group(1)


def test_trusted_proxies_enable_real_ip() -> None:
    conf = render_nginx_config(NginxOptions(trusted_proxies=("192.0.2.0/24",)))
    assert "set_real_ip_from 192.0.2.0/24;" in conf
    assert "real_ip_header" not in render_nginx_config(NginxOptions())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("server_names", ("shop.example.com; include /etc/passwd",)),
        ("server_names", ()),
        ("commerce_servers", ()),
        ("media_servers", ("media",)),
        ("tls_certificate", "relative/cert.pem"),
        ("frontend_root", "/srv/front end"),
        ("cache_max_size", "4 gigabytes"),
        ("stream_timeout", "forever"),
        ("login_rate", "10/m"),
        ("hls_extra_origins", ("cdn.example.net",)),
        ("https_port", 80),
        ("hold_path_regex", "holds"),
        ("user", "www-data; daemon on"),
        ("worker_connections", 0),
    ],
)
def test_unsafe_or_broken_options_are_refused(field: str, value: object) -> None:
    options = dataclasses.replace(NginxOptions(), **{field: value})  # type: ignore[arg-type]
    with pytest.raises(NginxOptionsError, match=field.split("_", maxsplit=1)[0]):
        render_nginx_config(options)


def test_template_starts_with_the_shared_jinja_header() -> None:
    # ansible's template module reads this header; the Python renderer honours the same one.
    assert template_text().splitlines()[0] == "#jinja2: trim_blocks: True, lstrip_blocks: True"
