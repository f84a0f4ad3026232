"""Promise latency: o2c's ``promise`` for one busy SKU beside a raw-driver reference giving the same answer.

The SKU is stocked at two locations and has 50 scheduled receipts (open purchase-order lines over the
next 100 days) and 1,000 open backordered order lines with promised dates (the demand ATP nets). Each
promise asks for a random quantity to a customer's ship-to, in-process, on SQLite and on PostgreSQL.

The **reference** answers the same question with the raw DBAPI driver (``sqlite3`` with o2c's
connection settings / ``psycopg``) and hand-written SQL: the customer's ship-to and the SKU with the
locations and their lanes in one statement, then stock, receipts (purchase orders and transfers in
transit) and demand per day in another (the two round trips o2c makes), and the same pure ATP
functions (``o2c.domain.atp``) for the earliest covered day per location. Both run in alternating
chunks; every answer of o2c is checked against the reference's.

Target: o2c's p99 <= 5 ms per promise on both databases. The ratio printed is o2c's p99 over the
reference's.

Usage: ``python bench/promise.py [--promises N] [--database sqlite|postgresql|both] [--pg-url URL]``
Exit status: 0 target met, 1 missed (or PostgreSQL asked for and unreachable), 2 answers differed.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine

import supply_world as world
from o2c.domain.atp import bucket_by_day, cumulative_atp, earliest_period
from o2c.domain.clock import ManualClock
from o2c.services.atp import DEFAULT_HORIZON
from o2c.services.promising import PromiseRequest, promise
from o2c.store.database import SQLITE_PRAGMAS
from o2c.store.uow import UnitOfWork

TARGET_P99_MS = 5.0
RECEIPTS, BACKORDER_LINES, CUSTOMERS, OTHER_SKUS = 50, 1000, 50, 200
SKU = "SKU-00000"


def load(engine: Engine, seed: int) -> None:
    """The busy SKU (id of SKU-00000) and some others; receipts and backorders only for the busy one."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        places = world.sites(conn)
        product_ids = world.catalogue(conn, 1 + OTHER_SKUS)
        hot = product_ids[0]
        world.stock_rows(
            conn, [(p, loc, 100 if p == hot else 50) for p in product_ids for loc in places.values()]
        )
        for location_id in places.values():
            world.purchase_order(
                conn,
                location_id,
                [
                    (hot, rng.randint(20, 80), world.TODAY + timedelta(days=rng.randint(1, 100)))
                    for _ in range(RECEIPTS // len(places))
                ],
            )
        customers = world.buyers(conn, CUSTOMERS)
        world.backorders(
            conn,
            customers,
            [
                [
                    (
                        hot,
                        rng.choice(list(places.values())),
                        rng.randint(1, 4),
                        world.TODAY + timedelta(days=rng.randint(3, 140)) if rng.random() < 0.9 else None,
                    )
                ]
                for _ in range(BACKORDER_LINES)
            ],
        )
        conn.exec_driver_sql("ANALYZE")


# --- the reference: raw driver, hand-written SQL, the same ATP arithmetic ---------------------------

_FINISHED = "('cancelled', 'shipped', 'delivered', 'closed')"
_DESTINATION = (  # with every location and its lane to the ship-to's region: one round trip
    "SELECT d.product_id, l.id, l.code, l.processing_days + l.pick_pack_days, n.transit_days"
    " FROM (SELECT s.region, (SELECT id FROM products WHERE sku = {p}) AS product_id FROM customers c"
    " JOIN ship_tos s ON s.customer_id = c.id WHERE c.code = {p} AND c.active ORDER BY s.id LIMIT 1) d"
    " CROSS JOIN locations l LEFT JOIN lanes n ON n.origin_region = l.region"
    " AND n.destination_region = d.region AND n.service = 'ground'"
)
_PLAN = (
    "SELECT 0, location_id, NULL, 0, on_hand - allocated FROM stock WHERE product_id = {p}"
    " UNION ALL SELECT 1, po.location_id, pol.expected_date, 0, SUM(pol.qty_ordered - pol.qty_received)"
    " FROM purchase_order_lines pol JOIN purchase_orders po ON po.id = pol.purchase_order_id"
    " WHERE pol.product_id = {p} AND po.status = 'open' AND pol.qty_ordered > pol.qty_received"
    " GROUP BY po.location_id, pol.expected_date"
    " UNION ALL SELECT 1, t.to_location_id, t.expected_date, 0, SUM(tl.quantity - tl.qty_received)"
    " FROM transfer_lines tl JOIN transfers t ON t.id = tl.transfer_id WHERE tl.product_id = {p}"
    " AND t.status = 'in_transit' AND t.expected_date IS NOT NULL AND tl.quantity > tl.qty_received"
    " GROUP BY t.to_location_id, t.expected_date"
    " UNION ALL SELECT 2, ol.location_id, ol.promised_date,"
    " l.processing_days + l.pick_pack_days + COALESCE(n.transit_days, 0), SUM(ol.qty_backordered)"
    " FROM order_lines ol JOIN orders o ON o.id = ol.order_id JOIN ship_tos st ON st.id = o.ship_to_id"
    " JOIN locations l ON l.id = ol.location_id LEFT JOIN lanes n ON n.origin_region = l.region"
    " AND n.destination_region = st.region AND n.service = 'ground'"
    f" WHERE ol.product_id = {{p}} AND ol.qty_backordered > 0 AND o.status NOT IN {_FINISHED}"
    " GROUP BY ol.location_id, ol.promised_date, l.processing_days, l.pick_pack_days, n.transit_days"
)


@dataclass
class _Plan:
    available: int = 0
    receipts: list[tuple[date, int]] = field(default_factory=list)
    demand: list[tuple[date, int]] = field(default_factory=list)


class ReferencePromiser:
    """Earliest delivery date for ``quantity`` from one location (None when none covers it alone)."""

    def __init__(self, cursor: Any, param: str, to_date: Callable[[Any], date]) -> None:
        self.cur = cursor
        self.sql = [s.format(p=param) for s in (_DESTINATION, _PLAN)]
        self.to_date = to_date

    def promise(self, customer: str, quantity: int, today: date) -> date | None:
        cur = self.cur
        rows = cur.execute(self.sql[0], (SKU, customer)).fetchall()
        product_id, sources = rows[0][0], {row[1]: row[1:] for row in rows}
        plans: dict[int, _Plan] = {}
        for kind, at, day, lead, qty in cur.execute(self.sql[1], (product_id,) * 4).fetchall():
            plan = plans.setdefault(at, _Plan())
            if kind == 0:
                plan.available += qty
            elif kind == 1:
                plan.receipts.append((self.to_date(day), qty))
            else:  # a promised delivery is demand `lead` days earlier; an unpromised line is owed now
                due = today if day is None else self.to_date(day) - timedelta(days=lead)
                plan.demand.append((min(due, today + timedelta(days=DEFAULT_HORIZON - 1)), qty))
        best: date | None = None
        for at, plan in plans.items():
            _, _, handling, transit = sources[at]
            if transit is None:
                continue
            receipts = bucket_by_day(today, DEFAULT_HORIZON, plan.receipts)
            demand = bucket_by_day(today, DEFAULT_HORIZON, plan.demand)
            period = earliest_period(cumulative_atp(plan.available, receipts, demand), quantity)
            if period is not None:
                delivery = today + timedelta(days=period + handling + transit)
                best = delivery if best is None else min(best, delivery)
        return best


# --- measurement ------------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    o2c_ns: list[int] = field(default_factory=list)
    reference_ns: list[int] = field(default_factory=list)
    mismatches: int = 0

    def p(self, samples: list[int], q: float) -> float:
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


def measure(name: str, engine: Engine, raw: Any, param: str, count: int, seed: int) -> Result:
    load(engine, seed)
    clock = ManualClock(world.START)
    uow = UnitOfWork(engine, clock)
    to_date = date.fromisoformat if name == "sqlite" else (lambda d: d)
    reference = ReferencePromiser(raw.cursor(), param, to_date)
    rng = random.Random(seed + 1)
    asks = [(f"C{rng.randrange(CUSTOMERS):04d}", rng.randint(1, 400)) for _ in range(count)]
    result = Result(name)

    def ours(customer: str, quantity: int) -> date | None:
        started = time.perf_counter_ns()
        answer = promise(uow, PromiseRequest(sku=SKU, quantity=quantity, customer=customer))
        result.o2c_ns.append(time.perf_counter_ns() - started)
        single = [s.delivery_date for s in answer.sources] if not answer.split else []
        return single[0] if single else None

    def theirs(customer: str, quantity: int) -> date | None:
        started = time.perf_counter_ns()
        answer = reference.promise(customer, quantity, world.TODAY)
        result.reference_ns.append(time.perf_counter_ns() - started)
        return answer

    for customer, quantity in asks[: max(20, count // 10)]:  # warm-up
        ours(customer, quantity), theirs(customer, quantity)
    result.o2c_ns.clear(), result.reference_ns.clear()
    chunk = max(1, count // 20)
    for round_no, start in enumerate(range(0, count, chunk)):
        part = asks[start : start + chunk]
        answers: dict[str, list[date | None]] = {}
        for who, run in sorted({"o2c": ours, "reference": theirs}.items(), reverse=round_no % 2 == 1):
            answers[who] = [run(c, q) for c, q in part]
        result.mismatches += sum(a != b for a, b in zip(answers["o2c"], answers["reference"], strict=True))
    return result


def bench(name: str, pg_url: str, count: int, seed: int) -> Result:
    with world.database(name, pg_url) as (engine, raw_target):
        if name == "sqlite":
            raw: Any = sqlite3.connect(raw_target, isolation_level=None)
            for pragma in SQLITE_PRAGMAS:  # o2c's connection settings
                raw.execute(f"PRAGMA {pragma}")
            return measure(name, engine, raw, "?", count, seed)
        with psycopg.connect(raw_target, autocommit=True) as raw:
            return measure(name, engine, raw, "%s", count, seed)


def report(results: list[Result]) -> bool:
    header = f"{'database':<11} {'promises':>8} {'o2c p50':>8} {'o2c p99':>8} {'raw p50':>8} {'raw p99':>8}"
    print(header + f" {'ratio p99':>9}  target")
    print("-" * (len(header) + 25))
    passed = True
    for r in results:
        ours, theirs = r.p(r.o2c_ns, 0.99), r.p(r.reference_ns, 0.99)
        ok = ours <= TARGET_P99_MS
        passed &= ok
        print(
            f"{r.database:<11} {len(r.o2c_ns):>8} {r.p(r.o2c_ns, 0.5):>8.2f} {ours:>8.2f}"
            f" {r.p(r.reference_ns, 0.5):>8.2f} {theirs:>8.2f} {ours / theirs:>8.1f}x"
            f"  {'PASS' if ok else 'FAIL'} (p99 <= {TARGET_P99_MS:g} ms)"
        )
    for r in results:
        print(f"{r.database}: " + ("answers agree" if not r.mismatches else f"{r.mismatches} ANSWERS DIFFER"))
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--promises", type=int, default=1000, help="promises timed per contestant")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("O2C_BENCH_PG_URL", world.DEFAULT_PG_URL),
        help="PostgreSQL server to create a throwaway database on (env O2C_BENCH_PG_URL)",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.promises < 1:
        parser.error("--promises must be at least 1")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if "postgresql" in databases and (problem := world.postgres_problem(args.pg_url)):
        print(f"PostgreSQL unreachable at {world.shown(args.pg_url)} ({problem})")
        if args.database == "postgresql":
            return 1
        databases.remove("postgresql")
    results = []
    for name in databases:
        print(f"{name}: {RECEIPTS} receipts, {BACKORDER_LINES} backorders, {args.promises} promises ...")
        results.append(bench(name, args.pg_url, args.promises, args.seed))
    print()
    passed = report(results)
    if any(r.mismatches for r in results):
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
