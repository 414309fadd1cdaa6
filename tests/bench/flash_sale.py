"""Flash sale: many buyers race for a few units, against the inventory gate and a baseline.

    .venv/bin/python tests/bench/flash_sale.py [--users 5000] [--attempts 20000] [--stock 50]
        [--concurrency 200] [--workers 1] [--only gate|baseline|embedded]

Every attempt is ``POST /api/v1/products/{id}/holds`` over real HTTP (keep-alive connections,
shuffled users), against:

* ``gate``: ``showfloor serve commerce`` on PostgreSQL + Redis (the Redis Lua gate answers the
  losers; only winners write to PostgreSQL);
* ``embedded``: ``showfloor serve commerce`` on SQLite + the in-process gate;
* ``baseline``: the way most shops do it, a PostgreSQL transaction per attempt that locks the
  product row (``SELECT ... FOR UPDATE``), checks the user's holds and the counts, and writes
  the hold — served by uvicorn with the same worker count and JWT check.

Figures: attempts/s, latency p50/p99 of all answers and of the winning ones, time to sold out,
units held at the end versus stock (oversold must be 0), and the count of each answer. The load
client runs in this process on the same two cores, so absolute figures are lower than on a
dedicated server; the comparison is what matters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.commerce.sale_harness import (
    SaleSite,
    env_for,
    inventory,
    open_product,
    seed_users,
)
from tests.support.http_load import KeepAliveConnection
from tests.support.processes import SHOWFLOOR, free_port, showfloor_server
from tests.support.services import REDIS_URL, fresh_postgres_database


@dataclass
class Outcome:
    status: int
    code: str | None
    seconds: float
    finished_at: float


@contextlib.contextmanager
def _commerce(var_dir: Path, database_url: str, redis_url: str | None,
              workers: int) -> Iterator[SaleSite]:
    env = env_for(var_dir, database_url, redis_url)
    subprocess.run([*SHOWFLOOR, "db", "upgrade"], env={**os.environ, **env}, check=True,
                   capture_output=True)
    port = free_port()
    with showfloor_server(["serve", "commerce", "--port", str(port), "--workers", str(workers)],
                          env=env, port=port, log_dir=var_dir, ready_path="/readyz"):
        yield SaleSite(urls=[f"http://127.0.0.1:{port}"], database_url=database_url, env=env)


@contextlib.contextmanager
def _baseline(var_dir: Path, database_url: str, workers: int) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BASELINE_DATABASE_URL": database_url}
    log = (var_dir / "baseline.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.bench._forupdate_baseline:app",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2],
    )
    from tests.support.processes import wait_for_http

    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", proc=proc, log=var_dir / "baseline.log")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


async def _attack(url: str, product_id: int, tokens: dict[int, dict[str, str]],
                  attempts: int, concurrency: int) -> tuple[list[Outcome], float]:
    users = list(tokens)
    jobs = [users[i % len(users)] for i in range(attempts)]
    random.shuffle(jobs)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for uid in jobs:
        queue.put_nowait(uid)
    path = f"/api/v1/products/{product_id}/holds"
    host, port = url.removeprefix("http://").split(":")
    outcomes: list[Outcome] = []

    async def worker() -> None:
        connection = KeepAliveConnection(host, int(port))
        try:
            while not queue.empty():
                uid = queue.get_nowait()
                start = time.perf_counter()
                reply = await connection.request("POST", path, json_body={"quantity": 1},
                                                 headers=tokens[uid])
                end = time.perf_counter()
                body = reply.json() if reply.body else {}
                outcomes.append(Outcome(reply.status, body.get("code"), end - start, end))
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes, started


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(name: str, outcomes: list[Outcome], started: float, stock: int, held: int) -> None:
    elapsed = max(o.finished_at for o in outcomes) - started
    wins = [o for o in outcomes if o.status == 201]
    sold_out_at = max((o.finished_at for o in wins), default=started) - started
    answers = Counter(f"{o.status} {o.code or ''}".strip() for o in outcomes)
    all_ms = [o.seconds * 1000 for o in outcomes]
    win_ms = [o.seconds * 1000 for o in wins]
    print(f"\n{name}")
    print(f"  attempts           {len(outcomes)} in {elapsed:.2f} s = "
          f"{len(outcomes) / elapsed:,.0f} attempts/s")
    print(f"  latency, all       p50 {_pct(all_ms, 0.5):.1f} ms   p99 {_pct(all_ms, 0.99):.1f} ms"
          f"   mean {statistics.fmean(all_ms):.1f} ms")
    print(f"  latency, winners   p50 {_pct(win_ms, 0.5):.1f} ms   p99 {_pct(win_ms, 0.99):.1f} ms")
    print(f"  last unit held     {sold_out_at:.2f} s after the first attempt")
    print(f"  units held         {held} of {stock}; oversold {max(0, held - stock)}; "
          f"winning answers {len(wins)}")
    print("  answers            " + ", ".join(f"{k}: {v}" for k, v in sorted(answers.items())))


async def _run_site(name: str, site_url: str, database_url: str, product_id: int,
                    user_ids: list[int], args: argparse.Namespace, site: SaleSite) -> None:
    tokens = {uid: site.token(uid) for uid in user_ids}
    outcomes, started = await _attack(site_url, product_id, tokens, args.attempts,
                                      args.concurrency)
    state = await inventory(database_url, product_id)
    _report(name, outcomes, started, args.stock, state["held"] + state["sold"])


async def _gate(args: argparse.Namespace, tmp: Path, *, redis: bool) -> None:
    if redis:
        async with fresh_postgres_database("sf_bench") as url:
            with _commerce(tmp, url, REDIS_URL, args.workers) as site:
                users = await seed_users(url, args.users)
                _, product_id, _ = await open_product(site, stock=args.stock, per_user_limit=1)
                await _run_site(f"gate: PostgreSQL + Redis, {args.workers} worker(s)",
                                site.urls[0], url, product_id, users, args, site)
        return
    url = f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
    with _commerce(tmp, url, None, 1) as site:
        users = await seed_users(url, args.users)
        _, product_id, _ = await open_product(site, stock=args.stock, per_user_limit=1)
        await _run_site("embedded: SQLite + in-process gate, 1 worker", site.urls[0], url,
                        product_id, users, args, site)


async def _baseline_run(args: argparse.Namespace, tmp: Path) -> None:
    async with fresh_postgres_database("sf_bench") as url:
        env = env_for(tmp, url, None)
        subprocess.run([*SHOWFLOOR, "db", "upgrade"], env={**os.environ, **env}, check=True,
                       capture_output=True)
        users = await seed_users(url, args.users)
        (host,) = await seed_users(url, 1, role="host")
        product_id = await _insert_product(url, host, args.stock)
        site = SaleSite(urls=[], database_url=url, env=env)
        with _baseline(tmp, url, args.workers) as base:
            await _run_site(f"baseline: SELECT ... FOR UPDATE per attempt, {args.workers} "
                            "worker(s)", base, url, product_id, users, args, site)


async def _insert_product(url: str, host_id: int, stock: int) -> int:
    from sqlalchemy import insert

    from commerce.adapters.tables import products, shows
    from showfloor.db import create_engine

    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            show_id = (await conn.execute(insert(shows).values(
                owner_id=host_id, title="Bench", description="", status="live",
                stream_key=secrets.token_urlsafe(24), created_at=now, updated_at=now,
            ).returning(shows.c.id))).scalar_one()
            product_id = (await conn.execute(insert(products).values(
                show_id=show_id, sku="FLASH", title="Flash", description="", price_minor=999,
                currency="EUR", stock=stock, held=0, sold=0, per_user_limit=1,
                hold_ttl_seconds=600, sale_mode="open", sale_open=True,
                created_at=now, updated_at=now,
            ).returning(products.c.id))).scalar_one()
    finally:
        await engine.dispose()
    return int(product_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--attempts", type=int, default=20000)
    parser.add_argument("--stock", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", choices=["gate", "baseline", "embedded"])
    parser.add_argument("--keep", type=Path, help="keep the servers' logs in this directory")
    args = parser.parse_args()
    print(f"flash sale: {args.users} users, {args.attempts} attempts, stock {args.stock}, "
          f"limit 1 per user, {args.concurrency} connections")
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        root = Path(tmp) if args.keep is None else args.keep
        root.mkdir(parents=True, exist_ok=True)
        if args.only in (None, "gate"):
            (root / "gate").mkdir()
            asyncio.run(_gate(args, root / "gate", redis=True))
        if args.only in (None, "embedded"):
            (root / "embedded").mkdir()
            asyncio.run(_gate(args, root / "embedded", redis=False))
        if args.only in (None, "baseline"):
            (root / "baseline").mkdir()
            asyncio.run(_baseline_run(args, root / "baseline"))


if __name__ == "__main__":
    main()
