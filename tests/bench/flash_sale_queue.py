"""Queue-mode flash sale: time from opening to sold out, and how fair the order was.

A crowd joins the waiting room before the sale opens, more join after; the sale opens; viewers
learn of their admission from the show's channel (the Redis event bus) and hold and check out at
once, except a share who walk away and let their admission lapse. Real servers (two commerce
workers), PostgreSQL and Redis, over HTTP/1.1 keep-alive from the same two cores.

Fairness figure: Spearman's rank correlation between join order and purchase order among the
buyers who joined before the opening. First come, first served would give ~1; a fair waiting room
gives ~0.

    .venv/bin/python tests/bench/flash_sale_queue.py [--pool 2000 --late 500 --stock 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.commerce.queue_harness import (
    DropResult,
    Ticket,
    join_all,
    open_sale,
    queue_product,
    shop,
)
from tests.commerce.sale_harness import inventory, sale_site, seed_users
from tests.support.services import REDIS_URL, fresh_postgres_database
from tests.support.stats import spearman


async def one_run(args: argparse.Namespace, walk_away: float) -> dict[str, object]:
    async with fresh_postgres_database("sf_bench_queue") as database_url:
        with tempfile.TemporaryDirectory() as tmp, \
                sale_site(Path(tmp), database_url, REDIS_URL,
                          processes=args.processes) as site:
            show_id, product_id, host = await queue_product(
                site, stock=args.stock, admission_seconds=args.admission_seconds)
            users = await seed_users(database_url, args.pool + args.late)
            started = time.monotonic()
            pool = await join_all(site, product_id, users[:args.pool])
            join_rate = args.pool / (time.monotonic() - started)
            result = DropResult(pool=pool, late=[])
            open_took: list[float] = []

            async def opening() -> None:
                began = time.monotonic()
                await open_sale(site, product_id, host)
                open_took.append(time.monotonic() - began)

            async def late_join() -> list[Ticket]:
                return await join_all(site, product_id, users[args.pool:])

            await shop(site, show_id, product_id, pool, args.stock, walk_away=walk_away,
                       result=result, opening=opening, late_join=late_join,
                       timeout=args.timeout)
            opening_at, open_seconds = result.opened_at, open_took[0]
            state = await inventory(database_url, product_id)
    arrival = {t.user_id: t.arrival for t in pool}
    rank_of = {t.user_id: t.rank for t in pool}
    bought = sorted((p for p in result.purchases if p.user_id in arrival),
                    key=lambda p: p.ordered_at)
    rho = spearman([arrival[p.user_id] for p in bought], list(range(len(bought))))
    rho_rank = spearman([rank_of[p.user_id] for p in bought], list(range(len(bought))))
    pool_rho = spearman([t.arrival for t in pool], [t.rank for t in pool])
    hold_latency = [p.held_at - opening_at for p in result.purchases]
    assert result.sold_out_at is not None
    return {
        "walk_away": walk_away,
        "joins_per_s": join_rate,
        "open_s": open_seconds,
        "sold_out_s": result.sold_out_at - opening_at,
        "first_hold_s": min(hold_latency),
        "median_hold_s": statistics.median(hold_latency),
        "admitted": len(result.admitted_users),
        "sold": state["sold"],
        "stock": state["stock"],
        "rho_join_purchase": rho,
        "rho_se": 1 / max(1, len(bought) - 1) ** 0.5,
        "rho_rank_purchase": rho_rank,
        "rho_join_rank_pool": pool_rho,
        "buyers_from_pool": len(bought),
    }


async def main_async(args: argparse.Namespace) -> None:
    rows = [await one_run(args, walk_away) for walk_away in args.walk_away]
    print(f"queue-mode flash sale: {args.pool} join before opening, {args.late} after, "
          f"stock {args.stock}, admission {args.admission_seconds} s, "
          f"{args.processes} commerce workers, PostgreSQL + Redis")
    header = (f"{'walk away':>9} {'joins/s':>8} {'open s':>7} {'1st hold s':>10} "
              f"{'med hold s':>10} {'sold out s':>10} {'admitted':>8} {'sold':>9} "
              f"{'rho join~buy':>13} {'rho rank~buy':>12} {'rho join~rank':>13}")
    print(header)
    for r in rows:
        print(f"{r['walk_away']:>9.0%} {r['joins_per_s']:>8.0f} {r['open_s']:>7.3f} "
              f"{r['first_hold_s']:>10.3f} {r['median_hold_s']:>10.3f} "
              f"{r['sold_out_s']:>10.2f} {r['admitted']:>8} "
              f"{r['sold']:>4}/{r['stock']:<4} "
              f"{r['rho_join_purchase']:>+7.3f}±{r['rho_se']:.3f} "
              f"{r['rho_rank_purchase']:>12.3f} {r['rho_join_rank_pool']:>13.3f}")
    print("rho join~buy: Spearman, join order vs purchase order of the buyers who joined before "
          "the opening (fair: ~0, ± one standard error under independence; first come first "
          "served: ~1). rho rank~buy: drawn rank vs purchase order (admission follows the "
          "rank). rho join~rank: join order vs drawn rank over the whole pool. Times from the "
          "opening request; they include every waiting viewer fetching its ticket at opening.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=int, default=2000, help="viewers joining before opening")
    parser.add_argument("--late", type=int, default=500, help="viewers joining after opening")
    parser.add_argument("--stock", type=int, default=200)
    parser.add_argument("--admission-seconds", type=int, default=5)
    parser.add_argument("--walk-away", type=float, nargs="+", default=[0.0, 0.25],
                        help="shares of admitted viewers who do not buy (one run each)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
