"""Backorder allocation after a batch of receipts: o2c beside a raw-SQL reference doing the same updates.

100,000 open backordered order lines (orders of 10 lines) wait for 1,000 SKUs at one location. A batch
of receipts puts stock away for every SKU (enough for about half of what waits), then o2c allocates in
one transaction what the receipts cover (``services.backorders.fill_backorders``, rule ``priority``):
locks, reads, decisions, guarded stock updates, order lines and versions, events, shortfall facts and
stockout episodes.

The **reference** starts from an identical copy of the database and performs, with the raw DBAPI driver
(on SQLite with o2c's connection settings, ``store.database.SQLITE_PRAGMAS``) and hand-written SQL in
one transaction, the same row changes o2c made: it reads the open lines, then
writes the stock updates, the line updates, the order versions, one event per order and the shortfall
facts, as ``executemany`` batches on SQLite and as one statement over arrays (``unnest``) each on
PostgreSQL, the cheapest way on each. It makes no decisions (it is handed o2c's), so it is the floor
for those writes. It does not re-promise: the lines o2c re-promises and their events are o2c's own
cost beyond it.

Target: o2c allocates in <= 2 s on both databases. The ratio printed is o2c's time over the reference's.

Usage: ``python bench/backorder_allocation.py [--lines N] [--database sqlite|postgresql|both] [--pg-url URL]``
Exit status: 0 target met, 1 missed (or PostgreSQL asked for and unreachable), 2 the two databases
differ afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import Engine, update
from sqlalchemy.engine import make_url

import supply_world as world
from o2c.domain.backorders import BackorderRule
from o2c.domain.clock import ManualClock
from o2c.services.backorders import AllocationReport, fill_backorders
from o2c.store.database import SQLITE_PRAGMAS, normalise_url
from o2c.store.master_tables import stock
from o2c.store.uow import UnitOfWork

TARGET_SECONDS = 2.0
SKUS, LINES_PER_ORDER, CUSTOMERS = 1000, 10, 200


def load(engine: Engine, lines: int, seed: int) -> list[tuple[int, int]]:
    """Backorders for every SKU at DC1, then receipts put away: the ``(product, location)`` pairs."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        dc1 = world.sites(conn)["DC1"]
        product_ids = world.catalogue(conn, SKUS)
        stock_ids = world.stock_rows(conn, [(p, dc1, 0) for p in product_ids])
        customers = world.buyers(conn, CUSTOMERS)
        orders = [
            [
                (p, dc1, rng.randint(1, 4), world.TODAY + timedelta(days=rng.randint(3, 60)))
                for p in rng.sample(product_ids, LINES_PER_ORDER)
            ]
            for _ in range(lines // LINES_PER_ORDER)
        ]
        world.backorders(conn, customers, orders)
        waiting: dict[int, int] = defaultdict(int)
        for order in orders:
            for p, _, qty, _ in order:
                waiting[p] += qty
        for stock_id, p in zip(stock_ids, product_ids, strict=True):  # the receipts, put away
            conn.execute(update(stock).where(stock.c.id == stock_id).values(on_hand=waiting[p] // 2))
        conn.exec_driver_sql("ANALYZE")
    return [(p, dc1) for p in product_ids]


def run_o2c(engine: Engine, pairs: list[tuple[int, int]]) -> tuple[float, AllocationReport]:
    uow = UnitOfWork(engine, ManualClock(world.START + timedelta(days=1)))
    started = time.perf_counter()
    with uow:
        report = fill_backorders(uow, pairs, "receiving", BackorderRule.PRIORITY)
        uow.commit()
    return time.perf_counter() - started, report


# --- the reference -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceSQL:
    param: str
    begin: str

    def q(self, sql: str) -> str:
        return sql.replace("?", self.param)


def run_reference(raw: Any, sql: ReferenceSQL, report: AllocationReport, json_param: Any) -> float:
    """The row changes of ``report`` in one transaction: ``executemany`` batches on SQLite, one
    statement over arrays per batch on PostgreSQL."""
    at = world.START + timedelta(days=1)
    stamp = at if sql.param == "%s" else at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    cur = raw.cursor()
    started = time.perf_counter()
    cur.execute(sql.begin)
    rows = cur.execute(
        "SELECT ol.id, o.number, ol.line_no, ol.product_id, o.id FROM order_lines ol"
        " JOIN orders o ON o.id = ol.order_id WHERE ol.qty_backordered > 0"
    ).fetchall()
    line_of = {
        (number, line_no): (line_id, product_id, order_id)
        for line_id, number, line_no, product_id, order_id in rows
    }
    by_stock: dict[tuple[int, int], int] = defaultdict(int)
    line_updates, facts, orders_touched = [], [], {}
    for f in report.fills:
        line_id, product_id, order_id = line_of[f.order_number, f.line_no]
        by_stock[product_id, f.location_id] += f.quantity
        line_updates.append((f.quantity, f.quantity, f.location_id, line_id, f.quantity))
        facts.append((line_id, product_id, f.location_id, f.quantity, "allocated", stamp))
        orders_touched[order_id] = f.order_number
    stock_updates = [(q, p, loc, q) for (p, loc), q in sorted(by_stock.items())]
    events = [(number, stamp, json_param({"rule": "priority"})) for number in orders_touched.values()]
    if sql.param == "%s":  # PostgreSQL: each batch as one statement over arrays, as o2c writes it
        _write_arrays(cur, stock_updates, line_updates, list(orders_touched), events, facts, stamp)
    else:
        _write_batches(cur, sql, stock_updates, line_updates, list(orders_touched), events, facts)
    cur.execute("COMMIT")
    return time.perf_counter() - started


def _write_batches(
    cur: Any,
    sql: ReferenceSQL,
    stock_updates: list[Any],
    line_updates: list[Any],
    order_ids: list[int],
    events: list[Any],
    facts: list[Any],
) -> None:
    """The writes as ``executemany`` batches: the floor on SQLite, which runs in-process."""
    cur.executemany(
        sql.q(
            "UPDATE stock SET allocated = allocated + ? WHERE product_id = ? AND location_id = ?"
            " AND on_hand - allocated >= ?"
        ),
        stock_updates,
    )
    cur.executemany(
        sql.q(
            "UPDATE order_lines SET qty_allocated = qty_allocated + ?, qty_backordered = qty_backordered - ?,"
            " location_id = ? WHERE id = ? AND qty_backordered >= ?"
        ),
        line_updates,
    )
    cur.executemany(sql.q("UPDATE orders SET version = version + 1 WHERE id = ?"), [(o,) for o in order_ids])
    cur.executemany(
        sql.q(
            "INSERT INTO events (entity_type, entity_id, event_type, occurred_at, actor, payload)"
            " VALUES ('order', ?, 'order.backorder_allocated', ?, 'reference', ?)"
        ),
        events,
    )
    cur.executemany(
        sql.q(
            "INSERT INTO shortfall_outcomes (order_line_id, product_id, location_id, quantity, outcome,"
            " occurred_at) VALUES (?, ?, ?, ?, ?, ?)"
        ),
        facts,
    )


def _write_arrays(
    cur: Any,
    stock_updates: list[Any],
    line_updates: list[Any],
    order_ids: list[int],
    events: list[Any],
    facts: list[Any],
    stamp: Any,
) -> None:
    """The same writes on PostgreSQL, each one statement whose rows travel as arrays (unnest): a batch
    of single-row statements costs a round per row, which o2c does not pay either."""

    def columns(rows: list[Any], *at: int) -> list[list[Any]]:
        return [[row[i] for row in rows] for i in at]

    cur.execute(
        "UPDATE stock SET allocated = allocated + v.q FROM unnest(%s::int[], %s::bigint[], %s::bigint[])"
        " AS v(q, p, l) WHERE stock.product_id = v.p AND stock.location_id = v.l"
        " AND stock.on_hand - stock.allocated >= v.q",
        columns(stock_updates, 0, 1, 2),
    )
    cur.execute(
        "UPDATE order_lines SET qty_allocated = qty_allocated + v.q, qty_backordered = qty_backordered - v.q,"
        " location_id = v.l FROM unnest(%s::int[], %s::bigint[], %s::bigint[]) AS v(q, l, id)"
        " WHERE order_lines.id = v.id AND order_lines.qty_backordered >= v.q",
        columns(line_updates, 0, 2, 3),
    )
    cur.execute("UPDATE orders SET version = version + 1 WHERE id = ANY(%s::bigint[])", [order_ids])
    payload = events[0][2] if events else None
    cur.execute(
        "INSERT INTO events (entity_type, entity_id, event_type, occurred_at, actor, payload)"
        " SELECT 'order', n, 'order.backorder_allocated', %s, 'reference', %s FROM unnest(%s::text[]) AS n",
        [stamp, payload, [e[0] for e in events]],
    )
    cur.execute(
        "INSERT INTO shortfall_outcomes (order_line_id, product_id, location_id, quantity, outcome,"
        " occurred_at) SELECT v.i, v.p, v.l, v.q, 'allocated', %s"
        " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::int[]) AS v(i, p, l, q)",
        [stamp, *columns(facts, 0, 1, 2, 3)],
    )


def totals(conn: Any) -> tuple[int, int, int]:
    row = conn.execute(
        "SELECT (SELECT SUM(allocated) FROM stock), (SELECT SUM(qty_backordered) FROM order_lines),"
        " (SELECT COUNT(*) FROM shortfall_outcomes)"
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


@dataclass
class Result:
    database: str
    lines: int
    fills: int
    o2c_seconds: float
    reference_seconds: float
    agree: bool


def bench_sqlite(lines: int, seed: int) -> Result:
    with world.database("sqlite", "") as (engine, path):
        pairs = load(engine, lines, seed)
        copy = path + ".reference"
        engine.dispose()
        shutil.copy(path, copy)
        seconds, report = run_o2c(engine, pairs)
        raw = sqlite3.connect(copy, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:  # o2c's connection settings
            raw.execute(f"PRAGMA {pragma}")
        try:
            reference = run_reference(raw, ReferenceSQL("?", "BEGIN IMMEDIATE"), report, json.dumps)
            with sqlite3.connect(path) as ours:
                agree = totals(ours) == totals(raw)
        finally:
            raw.close()
        return Result("sqlite", lines, len(report.fills), seconds, reference, agree)


def bench_postgresql(pg_url: str, lines: int, seed: int) -> Result:
    with world.database("postgresql", pg_url) as (engine, libpq):
        pairs = load(engine, lines, seed)
        engine.dispose()
        name = f"o2c_bench_ref_{uuid.uuid4().hex[:8]}"
        source = make_url(normalise_url(libpq)).database
        with psycopg.connect(world.libpq_url(pg_url), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        try:
            seconds, report = run_o2c(engine, pairs)
            copy = make_url(libpq).set(database=name).render_as_string(hide_password=False)
            with psycopg.connect(copy, autocommit=True) as raw:
                reference = run_reference(raw, ReferenceSQL("%s", "BEGIN"), report, Json)
                with psycopg.connect(libpq) as ours:
                    agree = totals(ours) == totals(raw)
        finally:
            with psycopg.connect(world.libpq_url(pg_url), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return Result("postgresql", lines, len(report.fills), seconds, reference, agree)


def report(results: list[Result]) -> bool:
    header = f"{'database':<11} {'lines':>7} {'fills':>7} {'o2c s':>7} {'raw s':>7} {'ratio':>6}  target"
    print(header)
    print("-" * (len(header) + 14))
    passed = True
    for r in results:
        ok = r.o2c_seconds <= TARGET_SECONDS
        passed &= ok
        print(
            f"{r.database:<11} {r.lines:>7} {r.fills:>7} {r.o2c_seconds:>7.2f} {r.reference_seconds:>7.2f}"
            f" {r.o2c_seconds / r.reference_seconds:>5.1f}x"
            f"  {'PASS' if ok else 'FAIL'} (<= {TARGET_SECONDS:g} s)"
        )
    for r in results:
        print(f"{r.database}: " + ("both databases agree afterwards" if r.agree else "DATABASES DIFFER"))
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=100_000, help="open backorder lines (default 100000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("O2C_BENCH_PG_URL", world.DEFAULT_PG_URL),
        help="PostgreSQL server to create throwaway databases on (env O2C_BENCH_PG_URL)",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.lines < LINES_PER_ORDER:
        parser.error(f"--lines must be at least {LINES_PER_ORDER}")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if "postgresql" in databases and (problem := world.postgres_problem(args.pg_url)):
        print(f"PostgreSQL unreachable at {world.shown(args.pg_url)} ({problem})")
        if args.database == "postgresql":
            return 1
        databases.remove("postgresql")
    results = []
    for name in databases:
        print(f"{name}: {args.lines} backordered lines over {SKUS} SKUs, receipts for all ...", flush=True)
        if name == "sqlite":
            results.append(bench_sqlite(args.lines, args.seed))
        else:
            results.append(bench_postgresql(args.pg_url, args.lines, args.seed))
    print()
    passed = report(results)
    if not all(r.agree for r in results):
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
