"""PostgreSQL and Redis for the test suite.

``up`` prints shell ``export`` lines. When the machine's own servers answer (127.0.0.1:5432 with
trust auth, 127.0.0.1:6379) they are used. Otherwise throwaway servers are started from the
Debian packages (installed when missing) on free ports under ``var/test-services``; ``down``
stops whatever ``up`` started.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / "var" / "test-services" / "state.json"
ENSURE = ROOT / "scripts" / "ensure-debian-packages.sh"


def log(message: str) -> None:
    sys.stderr.write(f"showfloor test services: {message}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def postgres_usable(url: str) -> bool:
    import asyncio

    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=3)
        try:
            await conn.execute("SELECT 1")
        finally:
            await conn.close()

    try:
        asyncio.run(probe())
    except Exception:
        return False
    return True


def redis_usable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:
        return False


def start_postgres(state: dict[str, object]) -> str:
    subprocess.run([str(ENSURE), "postgresql"], check=True)
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bindirs:
        raise SystemExit("showfloor: PostgreSQL binaries not found after installing postgresql")
    bindir = bindirs[-1]
    datadir = Path(tempfile.mkdtemp(prefix="sf-pg-"))
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(datadir, "postgres", "postgres")
    subprocess.run([*as_postgres, f"{bindir}/initdb", "-D", str(datadir), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run(
        [*as_postgres, f"{bindir}/pg_ctl", "-D", str(datadir), "-w", "-l",
         str(datadir / "server.log"), "-o",
         f"-p {port} -h 127.0.0.1 -k {datadir} -c fsync=off -c max_connections=300", "start"],
        check=True, capture_output=True,
    )
    state["postgres"] = {"bindir": bindir, "datadir": str(datadir), "as_postgres": as_postgres}
    log(f"started a throwaway PostgreSQL on port {port}")
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"


def start_redis(state: dict[str, object]) -> str:
    subprocess.run([str(ENSURE), "redis-server"], check=True)
    workdir = Path(tempfile.mkdtemp(prefix="sf-redis-"))
    port = free_port()
    pidfile = workdir / "redis.pid"
    subprocess.run(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "yes", "--pidfile", str(pidfile),
         "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        check=True,
    )
    for _ in range(50):
        if answers(port):
            break
        time.sleep(0.1)
    state["redis"] = {"pidfile": str(pidfile), "workdir": str(workdir)}
    log(f"started a throwaway Redis on port {port}")
    return f"redis://127.0.0.1:{port}/0"


def up() -> None:
    state: dict[str, object] = {}
    pg_url = os.environ.get("SHOWFLOOR_TEST_POSTGRES_URL",
                            "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("SHOWFLOOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not postgres_usable(pg_url):
        log(f"no PostgreSQL answers at {pg_url}")
        pg_url = start_postgres(state)
    if not redis_usable(redis_url):
        log(f"no Redis answers at {redis_url}")
        redis_url = start_redis(state)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(state))
    sys.stdout.write(f"export SHOWFLOOR_TEST_POSTGRES_URL='{pg_url}'\n")
    sys.stdout.write(f"export SHOWFLOOR_TEST_REDIS_URL='{redis_url}'\n")


def down() -> None:
    if not STATE.exists():
        return
    state = json.loads(STATE.read_text())
    if pg := state.get("postgres"):
        subprocess.run([*pg["as_postgres"], f"{pg['bindir']}/pg_ctl", "-D", pg["datadir"],
                        "-m", "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(pg["datadir"], ignore_errors=True)
    if rd := state.get("redis"):
        pidfile = Path(rd["pidfile"])
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text().strip()), 15)
        shutil.rmtree(rd["workdir"], ignore_errors=True)
    STATE.unlink()


if __name__ == "__main__":
    {"up": up, "down": down}[sys.argv[1] if len(sys.argv) > 1 else "up"]()
