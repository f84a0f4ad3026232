"""Simulation and bulk generation speed, each beside a reference measured in the same run.

1. ``simulate`` (180 days x 300 customers by default) through the service layer on a fresh SQLite
   file. Reference: the same number of ``place_order`` calls (the cheapest, most optimised service
   transaction, on the hot-path driver) on a fresh database with the same world and ample stock.
   Printed: seconds (wall and CPU), service transactions, ms per transaction, and the ratio of the
   simulation's cost per order to one ``place_order`` — the cycle runs some eight to ten
   transactions an order (entry, release, pick, pack, ship, deliver, payment, supply). Target: the
   simulation in <= 60 s wall.
2. ``o2c.sim.bulk.generate`` (1,000,000 orders by default, about 5 million lines). Reference: the same
   number of order-line rows inserted by the raw ``sqlite3`` driver's ``executemany`` into a table
   with the same columns and no constraints or indexes — the floor for writing that much on this
   disk. Target: <= 300 s wall.

The machine may be shared: CPU seconds of this process are printed beside wall seconds.

Usage: ``python bench/simulate.py [--days 180] [--customers 300] [--bulk-orders 1000000] [--skip-bulk]``
Exit status: 0 targets met, 1 a target missed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from o2c.domain.clock import ManualClock
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.sim.agenda import Agenda, instant
from o2c.sim.bulk import generate
from o2c.sim.config import SimulationConfig
from o2c.sim.demand import Demand, OrderIntent
from o2c.sim.master_data import load_world
from o2c.sim.operations import simulate
from o2c.sim.policy import ReorderPolicy
from o2c.sim.runtime import Run
from o2c.sim.world import build_world
from o2c.store.database import create_db_engine
from o2c.store.migrate import upgrade
from o2c.store.tables import order_lines
from o2c.store.uow import UnitOfWork

T = TypeVar("T")
SIM_TARGET_S = 60.0
BULK_TARGET_S = 300.0


def timed(action: Callable[[], T]) -> tuple[T, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def fresh(folder: Path, name: str) -> Engine:
    engine = create_db_engine(f"sqlite:///{folder / name}")
    upgrade(engine)
    return engine


def entry_reference(folder: Path, config: SimulationConfig, orders: int) -> float:
    """Seconds for ``orders`` place_order calls of the simulation's own baskets, ample stock."""
    plenty = replace(config, safety_factor=1000.0)
    rng = random.Random(1)
    world = build_world(plenty, rng)
    engine = fresh(folder, "reference.db")
    clock = ManualClock(instant(config.start, 8))
    run = Run(engine, clock, rng, world, ReorderPolicy(world), Agenda(clock))
    load_world(run.uow, world, run.policy)
    demand, intents = Demand(run), list[OrderIntent]()
    day = config.start
    while len(intents) < orders:
        intents.extend(demand.of_day(day))
        day += timedelta(days=1)
    requests = [
        PlaceOrderRequest(
            customer=i.customer.code, lines=[OrderLineRequest(sku=s, quantity=q) for s, q in i.lines]
        )
        for i in intents[:orders]
    ]
    started = time.perf_counter()
    for request in requests:
        clock.advance(timedelta(seconds=5))
        place_order(UnitOfWork(engine, clock), request)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def bench_simulation(folder: Path, days: int, customers: int) -> bool:
    config = SimulationConfig(days=days, customers=customers)
    engine = fresh(folder, "simulation.db")
    result, wall, cpu = timed(lambda: simulate(engine, config, seed=1))
    engine.dispose()
    orders = result.counts.get("orders", 0)
    reference = entry_reference(folder, config, orders)
    per_order, per_entry = wall / max(orders, 1), reference / max(orders, 1)
    ok = wall <= SIM_TARGET_S
    print(
        f"simulate {days} days x {customers} customers: {orders:,} orders,"
        f" {result.transactions:,} transactions"
    )
    print(
        f"  o2c simulate   {wall:7.1f} s wall, {cpu:6.1f} s CPU,"
        f" {1000 * wall / result.transactions:.2f} ms/transaction"
    )
    print(
        f"  reference      {reference:7.1f} s for {orders:,} place_order calls,"
        f" {1000 * per_entry:.2f} ms/order"
    )
    print(f"  ratio          {per_order / per_entry:.1f} x the cost of entering each order alone")
    print(f"  target <= {SIM_TARGET_S:.0f} s wall: {'PASS' if ok else 'FAIL'}")
    return ok


def bulk_reference(folder: Path, rows: int) -> float:
    """Seconds for the raw driver to insert ``rows`` order-line-shaped rows into an unconstrained table."""
    names = [c.name for c in order_lines.columns]
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"CREATE TABLE raw_lines ({', '.join(names)})")
    row = tuple(range(len(names)))
    started = time.perf_counter()
    conn.execute("BEGIN")
    sql = f"INSERT INTO raw_lines VALUES ({', '.join('?' for _ in names)})"
    for start in range(0, rows, 50_000):
        conn.executemany(sql, [row] * min(50_000, rows - start))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def bench_bulk(folder: Path, orders: int) -> bool:
    engine = fresh(folder, "bulk.db")
    result, wall, cpu = timed(lambda: generate(engine, orders=orders, seed=1))
    engine.dispose()
    total = sum(result.rows.values())
    reference = bulk_reference(folder, total)
    ok = wall <= BULK_TARGET_S
    print(f"bulk {orders:,} orders: {result.rows['order_lines']:,} lines, {total:,} rows in all")
    print(f"  o2c bulk       {wall:7.1f} s wall, {cpu:6.1f} s CPU, {total / wall:,.0f} rows/s")
    print(
        f"  reference      {reference:7.1f} s for {total:,} raw unconstrained inserts,"
        f" {total / reference:,.0f} rows/s"
    )
    print(f"  ratio          {wall / reference:.1f} x the raw insert")
    print(f"  target <= {BULK_TARGET_S:.0f} s wall: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--bulk-orders", type=int, default=1_000_000)
    parser.add_argument("--skip-bulk", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="o2c-bench-sim-") as tmp:
        folder = Path(tmp)
        ok = bench_simulation(folder, args.days, args.customers)
        if not args.skip_bulk:
            ok = bench_bulk(folder, args.bulk_orders) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
