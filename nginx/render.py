"""Render ``showfloor.conf.j2`` into a complete ``nginx.conf``.

The ansible nginx role renders the same template with the same variables (``nginx_<field>``), so
a config written by hand with ``render_nginx_config`` and one deployed by the playbook agree. The
template's first line is an ansible "Jinja2 override" header; it is honoured here too, so both
renderers use the same whitespace rules.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import jinja2

TEMPLATE_NAME = "showfloor.conf.j2"
_HEADER = "#jinja2:"

# Values land inside nginx directives: anything that could end a directive, open a block or start
# a comment would let an option rewrite the config.
_TOKEN = re.compile(r"[^\s;{}#'\"\\]+")
_SIZE = re.compile(r"[0-9]+[kKmMgG]?")
_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d))+")
_RATE = re.compile(r"[0-9]+r/[sm]")
_SERVER = re.compile(r"(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}")
_HOSTNAME = re.compile(r"(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_CIDR = re.compile(r"[0-9a-fA-F.:]+(?:/[0-9]{1,3})?")
_LISTEN = re.compile(r"[0-9.]+|\[[0-9a-fA-F:]+\]")
_USER = re.compile(r"[a-z_][a-z0-9_-]*")


class NginxOptionsError(ValueError):
    """An option would produce a broken or unsafe config; the message names the option."""


@dataclass(frozen=True, slots=True)
class NginxOptions:
    """Everything the template needs. Defaults are those of a single Debian host.

    Sizes use nginx units (``64k``, ``10m``, ``4g``), durations nginx times (``30s``, ``1h``),
    rates nginx request rates (``10r/m``). ``*_servers`` are ``host:port`` of the app processes.
    """

    server_names: tuple[str, ...] = ("localhost",)
    tls_certificate: str = "/etc/showfloor/tls/fullchain.pem"
    tls_certificate_key: str = "/etc/showfloor/tls/privkey.pem"
    http_port: int = 80
    https_port: int = 443
    listen_address: str = ""
    listen_ipv6: bool = True

    commerce_servers: tuple[str, ...] = ("127.0.0.1:8081",)
    edge_servers: tuple[str, ...] = ("127.0.0.1:8082",)
    media_servers: tuple[str, ...] = ("127.0.0.1:8083",)
    upstream_keepalive: int = 32

    # Plain RTMP goes straight to media; RTMPS (when a port is set) is terminated by nginx.
    media_rtmp_port: int = 1935
    rtmps_port: int | None = None
    media_rtmp_servers: tuple[str, ...] = ("127.0.0.1:1935",)
    stream_module_path: str = "/usr/lib/nginx/modules/ngx_stream_module.so"

    frontend_root: str = "/opt/showfloor/frontend"
    acme_webroot: str = "/var/www/acme"

    user: str | None = "www-data"
    worker_processes: int | Literal["auto"] = "auto"
    worker_connections: int = 4096
    worker_shutdown_timeout: str = "30s"
    pid_file: str = "/run/nginx.pid"
    error_log: str = "/var/log/nginx/error.log"
    error_log_level: Literal["debug", "info", "notice", "warn", "error", "crit"] = "warn"
    access_log: str = "/var/log/nginx/access.log"
    temp_dir: str = "/var/lib/nginx"
    mime_types_path: str = "/etc/nginx/mime.types"

    cache_dir: str = "/var/cache/nginx/showfloor-hls"
    cache_keys_zone_size: str = "64m"
    cache_max_size: str = "4g"
    cache_inactive: str = "10m"
    playlist_cache_valid: str = "1s"
    part_cache_valid: str = "10m"
    hls_lock_timeout: str = "10s"
    hls_read_timeout: str = "20s"
    # Origins (a CDN) that serve /hls to browsers, added to the CSP's media-src and connect-src.
    hls_extra_origins: tuple[str, ...] = ()
    image_origins: tuple[str, ...] = ()
    # Addresses of a CDN or load balancer whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()

    hsts_max_age: int = 63072000
    default_body_limit: str = "64k"
    api_body_limit: str = "10m"
    whip_body_limit: str = "64k"
    login_rate: str = "10r/m"
    login_burst: int = 5
    hold_rate: str = "2r/s"
    hold_burst: int = 10
    hold_path_regex: str = r"^/api/v1/(?:products/[0-9]+/)?holds(?:/|$)"
    stream_conns_per_ip: int = 20
    stream_timeout: str = "1h"

    def validate(self) -> None:
        """Raise :class:`NginxOptionsError` for the first option that is not acceptable."""
        _check_all(self)

    def template_variables(self) -> dict[str, object]:
        """The variables as the template (and the ansible role) name them."""
        return {f"nginx_{f.name}": _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _fail(name: str, value: object, expected: str) -> NginxOptionsError:
    return NginxOptionsError(f"nginx option {name}={value!r} is not valid: expected {expected}.")


_SIZES = (
    "cache_keys_zone_size",
    "cache_max_size",
    "default_body_limit",
    "api_body_limit",
    "whip_body_limit",
)
_DURATIONS = (
    "worker_shutdown_timeout",
    "cache_inactive",
    "playlist_cache_valid",
    "part_cache_valid",
    "hls_lock_timeout",
    "hls_read_timeout",
    "stream_timeout",
)
_PATHS = (
    "tls_certificate",
    "tls_certificate_key",
    "stream_module_path",
    "frontend_root",
    "acme_webroot",
    "pid_file",
    "error_log",
    "access_log",
    "temp_dir",
    "mime_types_path",
    "cache_dir",
)
_SERVER_LISTS = ("commerce_servers", "edge_servers", "media_servers", "media_rtmp_servers")
_COUNTS = (
    "worker_connections",
    "upstream_keepalive",
    "login_burst",
    "hold_burst",
    "stream_conns_per_ip",
    "hsts_max_age",
)


def _check_all(options: NginxOptions) -> None:
    _check_units(options)
    _check_addresses(options)
    _check_process(options)


def _check_units(options: NginxOptions) -> None:
    for name in _SIZES:
        _match(name, getattr(options, name), _SIZE, "a size such as 64k, 10m or 4g")
    for name in _DURATIONS:
        _match(name, getattr(options, name), _DURATION, "a duration such as 500ms, 30s or 1h")
    for name in ("login_rate", "hold_rate"):
        _match(name, getattr(options, name), _RATE, "a rate such as 10r/m or 2r/s")
    for name in _PATHS:
        value = getattr(options, name)
        if not value.startswith("/"):
            raise _fail(name, value, "an absolute path")
        _match(name, value, _TOKEN, "a path without spaces, quotes, ';', '{', '}' or '#'")
    for name in _COUNTS:
        if getattr(options, name) < 1:
            raise _fail(name, getattr(options, name), "a positive number")
    if not options.hold_path_regex.startswith("^") or not _TOKEN.fullmatch(options.hold_path_regex):
        raise _fail(
            "hold_path_regex",
            options.hold_path_regex,
            "an anchored regular expression without spaces, quotes, ';', '{' or '}'",
        )


def _check_addresses(options: NginxOptions) -> None:
    for name in _SERVER_LISTS:
        servers = getattr(options, name)
        if not servers:
            raise _fail(name, servers, "at least one host:port")
        for server in servers:
            _match(name, server, _SERVER, "host:port")
    if not options.server_names:
        raise _fail("server_names", options.server_names, "at least one host name")
    for host in options.server_names:
        _match("server_names", host, _HOSTNAME, "a host name")
    for name in ("hls_extra_origins", "image_origins"):
        for origin in getattr(options, name):
            _match(name, origin, _ORIGIN, "an origin such as https://cdn.example.com")
    for proxy in options.trusted_proxies:
        _match("trusted_proxies", proxy, _CIDR, "an address or CIDR range")
    if options.listen_address:
        _match(
            "listen_address",
            options.listen_address,
            _LISTEN,
            "an IPv4 address or a bracketed IPv6 address",
        )
    _check_ports(options)


def _check_ports(options: NginxOptions) -> None:
    ports = {
        "http_port": options.http_port,
        "https_port": options.https_port,
        "media_rtmp_port": options.media_rtmp_port,
    }
    if options.rtmps_port is not None:
        ports["rtmps_port"] = options.rtmps_port
    for name, port in ports.items():
        if not 1 <= port <= 65535:
            raise _fail(name, port, "a port between 1 and 65535")
    if len(set(ports.values())) != len(ports):
        raise _fail("ports", ports, "distinct http_port, https_port and RTMP ports")


def _check_process(options: NginxOptions) -> None:
    if options.user is not None:
        _match("user", options.user, _USER, "a system user name")
    if options.worker_processes != "auto" and options.worker_processes < 1:
        raise _fail("worker_processes", options.worker_processes, "'auto' or a positive number")


def _match(name: str, value: object, pattern: re.Pattern[str], expected: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _fail(name, value, expected)


def template_text() -> str:
    """The template as shipped (the ansible role points at the same file)."""
    return resources.files("nginx").joinpath(TEMPLATE_NAME).read_text(encoding="utf-8")


def _environment(header: str) -> jinja2.Environment:
    overrides: dict[str, bool] = {"trim_blocks": True, "lstrip_blocks": False}
    for item in header.removeprefix(_HEADER).split(","):
        key, _, raw = item.partition(":")
        key = key.strip()
        if key in overrides:
            overrides[key] = raw.strip().lower() == "true"
    # The output is an nginx config, not HTML: escaping would corrupt it, and every value is
    # validated before rendering instead.
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
        trim_blocks=overrides["trim_blocks"],
        lstrip_blocks=overrides["lstrip_blocks"],
    )


def render_nginx_config(options: NginxOptions) -> str:
    """Return the complete ``nginx.conf`` for ``options`` (validated first)."""
    options.validate()
    source = template_text()
    header, _, body = source.partition("\n")
    if not header.startswith(_HEADER):
        header, body = "", source
    template = _environment(header).from_string(body)
    return template.render(options.template_variables())
