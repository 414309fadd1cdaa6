"""Real server processes for tests: free ports, start ``showfloor`` commands, wait until ready."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SHOWFLOOR = [sys.executable, "-m", "showfloor.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, *, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None,
                  log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            output = log.read_text() if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{output[-4000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def showfloor_server(
    args: list[str],
    *,
    env: Mapping[str, str],
    port: int,
    log_dir: Path,
    ready_path: str = "/healthz",
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``showfloor <args>`` until the block exits; SIGTERM, then SIGKILL if it lingers."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"server-{port}.log"
    full_env = {**os.environ, "SHOWFLOOR_LOG_FORMAT": "json", **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*SHOWFLOOR, *args], env=full_env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}{ready_path}", proc=proc, log=log)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
