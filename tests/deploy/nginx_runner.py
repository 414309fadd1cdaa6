"""Run the real Debian nginx on the rendered config: own prefix, free ports, own certificate."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from nginx import NginxOptions, render_nginx_config

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")
REPO = Path(__file__).resolve().parents[2]
ENSURE_PACKAGES = REPO / "deploy" / "scripts" / "ensure-system-packages.sh"


def require_nginx() -> str:
    if not Path(NGINX).exists():
        pytest.fail(
            f"nginx is not installed; run: {ENSURE_PACKAGES.relative_to(REPO)} "
            "nginx libnginx-mod-stream openssl"
        )
    return NGINX


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.cert))
        context.check_hostname = True
        return context


def make_certificate(directory: Path) -> Certificate:
    """A self-signed P-256 certificate for localhost and 127.0.0.1 (fast handshakes)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert=cert, key=key)


def options_under(prefix: Path, certificate: Certificate, **overrides: object) -> NginxOptions:
    """Options for an nginx under ``prefix`` on free loopback ports; ``overrides`` win."""
    www = prefix / "www"
    (www / "assets").mkdir(parents=True, exist_ok=True)
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    (www / "index.html").write_text("<!doctype html><title>showfloor</title>index\n")
    (www / "assets" / "app-3f9a1c.js").write_text("console.log('showfloor');\n")
    base = NginxOptions(
        server_names=("localhost",),
        tls_certificate=str(certificate.cert),
        tls_certificate_key=str(certificate.key),
        http_port=free_port(),
        https_port=free_port(),
        listen_address="127.0.0.1",
        listen_ipv6=False,
        # As root, workers would otherwise run as "nobody" and could not read the tmp prefix.
        user="root" if os.geteuid() == 0 else None,
        worker_processes=2,
        worker_connections=1024,
        worker_shutdown_timeout="1s",
        pid_file=str(prefix / "nginx.pid"),
        error_log=str(prefix / "error.log"),
        error_log_level="info",
        access_log=str(prefix / "access.log"),
        temp_dir=str(prefix / "tmp"),
        cache_dir=str(prefix / "cache"),
        frontend_root=str(www),
        acme_webroot=str(www),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def check_config(options: NginxOptions, prefix: Path) -> subprocess.CompletedProcess[str]:
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_config(options))
    return subprocess.run(
        [
            require_nginx(),
            "-t",
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(conf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


class RunningNginx:
    """nginx in the foreground (``daemon off``) as a child process; stopped by ``stop()``."""

    def __init__(self, options: NginxOptions, prefix: Path) -> None:
        self.options = options
        self.prefix = prefix
        result = check_config(options, prefix)
        if result.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{result.stderr}")
        self.process = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(prefix),
                "-e",
                str(prefix / "error.log"),
                "-c",
                str(prefix / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(options.https_port)
            wait_for_port(options.http_port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"nginx did not start:\n{self.error_log()}") from None

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.options.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.options.http_port}"

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM is nginx's fast shutdown: it does not wait for open WebSockets.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
