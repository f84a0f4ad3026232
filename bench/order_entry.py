"""Order entry throughput: o2c's ``place_order`` beside a raw-driver reference doing the same writes.

Places ``--orders`` orders of five lines in-process, sequentially, on SQLite and on PostgreSQL. In the
same run a reference performs the same row writes per order straight through the DBAPI driver
(``sqlite3`` / ``psycopg``): one transaction, the document number drawn as o2c draws it, the stock rows
locked in id order (PostgreSQL), the order row, its lines, the guarded stock updates and the events.
The two are run in alternating chunks on the same database so machine noise hits both alike.

Target: o2c places orders at >= 50 % of the reference's orders/s on both databases. The reference does
not read what only validation, pricing and the credit check need: those reads are o2c's honest cost.

Usage: ``python bench/order_entry.py [--orders N] [--database sqlite|postgresql|both] [--pg-url URL]``
Exit status: 0 all targets met, 1 a target missed (or PostgreSQL was asked for and unreachable),
2 the stock invariants or the order count did not hold afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Json
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from o2c.domain.clock import ManualClock
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.store.database import SQLITE_PRAGMAS, create_db_engine, normalise_url
from o2c.store.master_tables import (
    customers,
    locations,
    products,
    segment_discounts,
    ship_tos,
    stock,
    tax_rates,
)
from o2c.store.migrate import upgrade
from o2c.store.uow import UnitOfWork

TARGET = 0.50
LINES_PER_ORDER = 5
PRODUCTS = 300
CUSTOMERS = 40
ON_HAND = 10_000_000
REGIONS = ("east", "west")
PRODUCT_ACTOR = "bench-product"
REFERENCE_ACTOR = "bench-reference"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


# --- master data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    id: int
    code: str
    ship_to_id: int
    region: str


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    price_minor: int  # cents
    cost_minor: int  # 1/10000


@dataclass(frozen=True)
class Catalogue:
    customers: list[Customer]
    products: list[Product]
    stock_in_region: dict[tuple[int, str], tuple[int, int]]  # (product id, region) -> (stock id, location id)


def load_master_data(engine: Engine, rng: random.Random) -> Catalogue:
    """A few hundred products stocked in both regions, customers without a credit limit."""
    with engine.begin() as conn:
        conn.execute(
            insert(segment_discounts),
            [
                {"segment": "retail", "discount_rate": Decimal(0)},
                {"segment": "trade", "discount_rate": Decimal("0.05")},
            ],
        )
        conn.execute(
            insert(tax_rates),
            [{"region": "east", "rate": Decimal("0.08")}, {"region": "west", "rate": Decimal("0.0725")}],
        )
        location_ids = {
            region: conn.execute(
                insert(locations).returning(locations.c.id),
                {"code": f"DC-{region.upper()}", "name": region, "region": region},
            ).scalar_one()
            for region in REGIONS
        }
        catalogue: list[Product] = []
        stock_in_region: dict[tuple[int, str], tuple[int, int]] = {}
        for i in range(PRODUCTS):
            price, cost = rng.randint(100, 50_000), rng.randint(500_000, 3_000_000)
            product_id = conn.execute(
                insert(products).returning(products.c.id),
                {
                    "sku": f"SKU-{i:05d}",
                    "name": f"Product {i}",
                    "list_price": Decimal(price).scaleb(-2),
                    "standard_cost": Decimal(min(cost, price * 100)).scaleb(-4),
                    "weight_g": rng.randint(50, 5000),
                },
            ).scalar_one()
            catalogue.append(Product(product_id, f"SKU-{i:05d}", price, min(cost, price * 100)))
            for region, location_id in location_ids.items():
                stock_id = conn.execute(
                    insert(stock).returning(stock.c.id),
                    {
                        "product_id": product_id,
                        "location_id": location_id,
                        "on_hand": ON_HAND,
                        "allocated": 0,
                    },
                ).scalar_one()
                stock_in_region[product_id, region] = (stock_id, location_id)
        buyers: list[Customer] = []
        for i in range(CUSTOMERS):
            code, region = f"CUST-{i:04d}", REGIONS[i % len(REGIONS)]
            customer_id = conn.execute(
                insert(customers).returning(customers.c.id),
                {
                    "code": code,
                    "name": f"Customer {i}",
                    "segment": ("retail", "trade")[i % 2],
                    "tier": 1 + i % 5,
                    "channel": "web",
                    "credit_limit": None,
                    "payment_terms_days": 30,
                    "backorder_policy": "allow_partial",
                },
            ).scalar_one()
            ship_to_id = conn.execute(
                insert(ship_tos).returning(ship_tos.c.id),
                {"customer_id": customer_id, "code": "MAIN", "name": "Main dock", "region": region},
            ).scalar_one()
            buyers.append(Customer(customer_id, code, ship_to_id, region))
    return Catalogue(buyers, catalogue, stock_in_region)


@dataclass(frozen=True)
class Basket:
    customer: Customer
    lines: list[tuple[Product, int]]


def baskets(catalogue: Catalogue, count: int, rng: random.Random) -> list[Basket]:
    return [
        Basket(
            rng.choice(catalogue.customers),
            [(p, rng.randint(1, 10)) for p in rng.sample(catalogue.products, LINES_PER_ORDER)],
        )
        for _ in range(count)
    ]


# --- the two contestants -----------------------------------------------------------------------


class Placer(Protocol):
    def place(self, basket: Basket) -> None: ...


class ProductPlacer:
    """o2c itself: validation, pricing, credit check, reservation, events, through the unit of work.

    Like the reference, it places its orders one after another on one connection, as an in-process
    worker would (``UnitOfWork(connection=...)``); with ``keep_connection=False`` each order checks a
    connection out of the pool, as an HTTP request does (``bench/http_orders.py``).
    """

    def __init__(self, engine: Engine, clock: ManualClock, *, keep_connection: bool = True) -> None:
        self.clock = clock
        self.connection = engine.connect() if keep_connection else None
        self.uow = UnitOfWork(engine, clock, connection=self.connection)
        self.latencies_ns: list[int] = []
        self.placed = 0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def place(self, basket: Basket) -> None:
        self.clock.advance(timedelta(seconds=1))
        started = time.perf_counter_ns()
        request = PlaceOrderRequest(
            customer=basket.customer.code,
            lines=[OrderLineRequest(sku=p.sku, quantity=q) for p, q in basket.lines],
        )
        summary = place_order(self.uow, request, actor=PRODUCT_ACTOR)
        self.latencies_ns.append(time.perf_counter_ns() - started)
        self.placed += 1
        if summary.status != "open":
            raise AssertionError(f"order {summary.number} was not accepted: {summary.status}")


@dataclass(frozen=True)
class ReferenceSQL:
    begin: str
    next_number: str
    lock: str | None
    insert_order: str
    insert_line: str
    reserve: str
    insert_event: str


_ORDER_COLUMNS = (
    *("number", "customer_id", "ship_to_id", "quote_id", "channel", "backorder_policy", "status"),
    *("currency", "idempotency_key", "request_hash", "requested_date", "promised_date"),
    *("subtotal", "tax_total", "customer_sent_at", "received_at", "released_at"),
)
_LINE_COLUMNS = (
    *("order_id", "line_no", "product_id", "location_id", "qty_ordered", "qty_allocated_at_entry"),
    *("qty_pending", "qty_allocated", "qty_backordered", "qty_cancelled", "qty_lost", "qty_picked"),
    *("qty_packed", "qty_shipped", "qty_delivered", "qty_damaged", "unit_price", "discount_amount"),
    *("net_amount", "tax_amount", "unit_cost", "promised_date", "shipped_at", "delivered_at"),
)
_EVENT_COLUMNS = ("entity_type", "entity_id", "event_type", "occurred_at", "actor", "payload")
# What o2c writes explicitly for a line fully reserved at entry, besides the values of the line.
_LINE_AT_ENTRY = {
    **dict.fromkeys(("qty_pending", "qty_backordered", "qty_cancelled", "qty_lost", "qty_picked"), 0),
    **dict.fromkeys(("qty_packed", "qty_shipped", "qty_delivered", "qty_damaged", "discount_amount"), 0),
    **dict.fromkeys(("promised_date", "shipped_at", "delivered_at"), None),
}


def _sql(param: Callable[[str], str], *, begin: str, next_number: str, lock: str | None) -> ReferenceSQL:
    def insert(table: str, columns: tuple[str, ...], suffix: str = "") -> str:
        values = ", ".join(param(c) for c in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}){suffix}"

    return ReferenceSQL(
        begin=begin,
        next_number=next_number,
        lock=lock,
        insert_order=insert("orders", _ORDER_COLUMNS, " RETURNING id"),
        insert_line=insert("order_lines", _LINE_COLUMNS),
        reserve=(  # the same guard as o2c's
            f"UPDATE stock SET allocated = allocated + {param('q')}"
            f" WHERE id = {param('sid')} AND on_hand - allocated >= {param('q')}"
        ),
        insert_event=insert("events", _EVENT_COLUMNS),
    )


SQLITE_SQL = _sql(
    lambda name: f":{name}",
    begin="BEGIN IMMEDIATE",
    next_number=(
        "UPDATE document_counters SET last_value = last_value + 1 WHERE kind = 'SO' RETURNING last_value"
    ),
    lock=None,  # BEGIN IMMEDIATE already holds the database's write lock
)
POSTGRES_SQL = _sql(
    lambda name: f"%({name})s",
    begin="BEGIN",
    next_number="SELECT nextval('doc_seq_so')",
    lock="SELECT s.id, s.product_id, s.location_id, l.region, s.on_hand - s.allocated"
    " FROM stock s JOIN locations l ON l.id = s.location_id"
    " WHERE s.product_id = ANY(%(product_ids)s) ORDER BY s.id FOR UPDATE OF s",
)


class ReferencePlacer:
    """The same rows written with the raw driver and parameterised SQL, one transaction per order.

    It knows where the stock is (the bench stocked it), so it skips the reads that only validation,
    pricing, the credit check and allocation need; on PostgreSQL it still locks the rows as o2c does.
    """

    def __init__(
        self,
        cursor: Any,
        sql: ReferenceSQL,
        clock: ManualClock,
        catalogue: Catalogue,
        stamp: Callable[[datetime], object],
        json_param: Callable[[object], object],
    ) -> None:
        self.cur = cursor
        self.sql = sql
        self.clock = clock
        self.stock_in_region = catalogue.stock_in_region
        self.stamp = stamp
        self.json_param = json_param

    def place(self, basket: Basket) -> None:
        now = self.clock.advance(timedelta(seconds=1))
        customer, sql, cur = basket.customer, self.sql, self.cur
        received_at = self.stamp(now)
        lines: list[dict[str, Any]] = []
        reservations = []
        subtotal = tax_total = 0
        for line_no, (product, qty) in enumerate(basket.lines, 1):
            stock_id, location_id = self.stock_in_region[product.id, customer.region]
            net = product.price_minor * qty
            tax = net * 8 // 100
            subtotal, tax_total = subtotal + net, tax_total + tax
            lines.append(
                {
                    **_LINE_AT_ENTRY,
                    "line_no": line_no,
                    "product_id": product.id,
                    "location_id": location_id,
                    "qty_ordered": qty,
                    "qty_allocated_at_entry": qty,
                    "qty_allocated": qty,
                    "unit_price": product.price_minor,
                    "net_amount": net,
                    "tax_amount": tax,
                    "unit_cost": product.cost_minor,
                }
            )
            reservations.append({"sid": stock_id, "q": qty})
        total = f"{(subtotal + tax_total) / 100:.2f}"
        received = {"customer": customer.code, "channel": "web", "lines": len(lines), "total": total}
        reserved = {
            "lines": [
                {"line_no": ln["line_no"], "allocated": ln["qty_allocated"], "backordered": 0, "lost": 0}
                for ln in lines
            ]
        }
        order = {
            **dict.fromkeys(_ORDER_COLUMNS),  # NULL unless set below
            "customer_id": customer.id,
            "ship_to_id": customer.ship_to_id,
            "channel": "web",
            "backorder_policy": "allow_partial",
            "status": "open",
            "currency": "USD",
            "request_hash": hashlib.sha256(repr(basket.lines).encode()).hexdigest(),
            "subtotal": subtotal,
            "tax_total": tax_total,
            "received_at": received_at,
        }
        event = {"entity_type": "order", "occurred_at": received_at, "actor": REFERENCE_ACTOR}

        cur.execute(sql.begin)
        number = f"SO-{cur.execute(sql.next_number).fetchone()[0]:08d}"
        if sql.lock is not None:
            cur.execute(sql.lock, {"product_ids": [p.id for p, _ in basket.lines]})
            cur.fetchall()
        order_id = cur.execute(sql.insert_order, {**order, "number": number}).fetchone()[0]
        cur.executemany(sql.insert_line, [{**ln, "order_id": order_id} for ln in lines])
        cur.executemany(sql.reserve, sorted(reservations, key=lambda r: r["sid"]))  # in stock id order
        if cur.rowcount != len(reservations):
            raise AssertionError(f"order {number}: a guarded stock update found no stock")
        cur.executemany(
            sql.insert_event,
            [
                {**event, "entity_id": number, "event_type": kind, "payload": self.json_param(payload)}
                for kind, payload in (("order.received", received), ("order.reserved", reserved))
            ],
        )
        cur.execute("COMMIT")


def sqlite_stamp(instant: datetime) -> str:
    """How SQLAlchemy stores o2c's UTC datetimes in SQLite: naive UTC text with microseconds."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# --- measurement -------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    orders: int
    product_seconds: float
    reference_seconds: float
    latencies_ns: list[int]
    verified: str = ""

    @property
    def product_rate(self) -> float:
        return self.orders / self.product_seconds

    @property
    def reference_rate(self) -> float:
        return self.orders / self.reference_seconds

    @property
    def ratio(self) -> float:
        return self.product_rate / self.reference_rate

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1e6


def run_chunk(placer: Placer, work: list[Basket]) -> float:
    started = time.perf_counter()
    for basket in work:
        placer.place(basket)
    return time.perf_counter() - started


def measure(
    database: str, product: ProductPlacer, reference: Placer, catalogue: Catalogue, orders: int, seed: int
) -> Result:
    """Warm both up, then alternate chunks (reference first in even rounds, product first in odd)."""
    rng = random.Random(seed)
    warmup = min(200, max(20, orders // 10))
    for basket in baskets(catalogue, warmup, rng):
        reference.place(basket)
        product.place(basket)
    product.latencies_ns.clear()
    work = baskets(catalogue, orders, rng)
    chunk = max(1, min(100, orders // 20))
    timed = {"product": 0.0, "reference": 0.0}
    for round_no, start in enumerate(range(0, orders, chunk)):
        part = work[start : start + chunk]
        pair = [("reference", reference), ("product", product)]
        for name, placer in pair if round_no % 2 == 0 else reversed(pair):
            timed[name] += run_chunk(placer, part)
    return Result(database, orders, timed["product"], timed["reference"], product.latencies_ns)


def verify(engine: Engine, expected_product_orders: int) -> str:
    """Stock invariants hold and the product wrote the orders it was asked to; returns a problem or ''."""
    with engine.connect() as conn:
        over = conn.execute(
            text("SELECT count(*) FROM stock WHERE allocated > on_hand OR allocated < 0")
        ).scalar_one()
        mismatched = conn.execute(
            text(
                "SELECT count(*) FROM stock s LEFT JOIN ("
                "  SELECT product_id, location_id, SUM(qty_allocated) AS qty FROM order_lines"
                "  GROUP BY product_id, location_id"
                ") l ON l.product_id = s.product_id AND l.location_id = s.location_id"
                " WHERE s.allocated <> COALESCE(l.qty, 0)"
            )
        ).scalar_one()
        placed = conn.execute(
            text(
                "SELECT count(*) FROM orders o"
                " JOIN events e ON e.entity_type = 'order' AND e.entity_id = o.number"
                " WHERE e.event_type = 'order.received' AND e.actor = :actor AND o.status = 'open'"
            ),
            {"actor": PRODUCT_ACTOR},
        ).scalar_one()
        unallocated = conn.execute(
            text("SELECT count(*) FROM order_lines WHERE qty_allocated <> qty_ordered OR location_id IS NULL")
        ).scalar_one()
    problems = []
    if over:
        problems.append(f"{over} stock rows with allocated outside 0..on_hand")
    if mismatched:
        problems.append(f"{mismatched} stock rows whose allocated differs from the order lines' sum")
    if placed != expected_product_orders:
        problems.append(f"product wrote {placed} open orders, expected {expected_product_orders}")
    if unallocated:
        problems.append(f"{unallocated} order lines not fully allocated")
    return "; ".join(problems)


def bench_database(
    name: str,
    engine: Engine,
    make_reference: Callable[[ManualClock, Catalogue], Placer],
    orders: int,
    seed: int,
) -> Result:
    upgrade(engine)
    catalogue = load_master_data(engine, random.Random(seed))
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # planner statistics, as a live database has them
    clock = ManualClock(START)
    product = ProductPlacer(engine, clock)
    try:
        result = measure(name, product, make_reference(clock, catalogue), catalogue, orders, seed + 1)
    finally:
        product.close()
    result.verified = verify(engine, product.placed)
    return result


def bench_sqlite(orders: int, seed: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="o2c_bench_") as directory:
        path = Path(directory) / "bench.db"
        engine = create_db_engine(f"sqlite:///{path}")
        raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:  # o2c's connection settings
            raw.execute(f"PRAGMA {pragma}")
        try:
            return bench_database(
                "sqlite",
                engine,
                lambda clock, cat: ReferencePlacer(
                    raw.cursor(), SQLITE_SQL, clock, cat, sqlite_stamp, json.dumps
                ),
                orders,
                seed,
            )
        finally:
            raw.close()
            engine.dispose()


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """A fresh database ``o2c_bench_<random>`` on the server, dropped afterwards."""
    name = f"o2c_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq_url(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(normalise_url(server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq_url(server_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_postgresql(server_url: str, orders: int, seed: int) -> Result:
    with throwaway_postgres(server_url) as url:
        engine = create_db_engine(url)
        raw = psycopg.connect(libpq_url(url), autocommit=True)  # the reference sends BEGIN/COMMIT itself
        try:
            return bench_database(
                "postgresql",
                engine,
                lambda clock, cat: ReferencePlacer(raw.cursor(), POSTGRES_SQL, clock, cat, lambda t: t, Json),
                orders,
                seed,
            )
        finally:
            raw.close()
            engine.dispose()


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    return libpq_url(make_url(normalise_url(url)).render_as_string(hide_password=True))


def postgres_problem(server_url: str) -> str | None:
    try:
        with psycopg.connect(libpq_url(server_url), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- report ------------------------------------------------------------------------------------


def report(results: list[Result]) -> bool:
    header = (
        f"{'database':<11} {'orders':>7} {'o2c/s':>8} {'raw/s':>8} {'ratio':>7} {'p50 ms':>7} {'p99 ms':>7}"
        "  target"
    )
    print(header)
    print("-" * len(header))
    passed = True
    for r in results:
        ok = r.ratio >= TARGET
        passed &= ok
        print(
            f"{r.database:<11} {r.orders:>7} {r.product_rate:>8.0f} {r.reference_rate:>8.0f} {r.ratio:>7.1%}"
            f" {r.percentile_ms(0.50):>7.2f} {r.percentile_ms(0.99):>7.2f}"
            f"  {'PASS' if ok else 'FAIL'} (>= {TARGET:.0%})"
        )
    for r in results:
        print(
            f"{r.database}: {'invariants hold' if not r.verified else 'VERIFICATION FAILED: ' + r.verified}"
        )
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=2000, help="orders timed per contestant (default 2000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("O2C_BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to create a throwaway database on (env O2C_BENCH_PG_URL)",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.orders < 1:
        parser.error("--orders must be at least 1")

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if "postgresql" in databases and (problem := postgres_problem(args.pg_url)):
        if args.database == "postgresql":
            print(f"PostgreSQL unreachable at {shown(args.pg_url)} ({problem})")
            return 1
        print(f"PostgreSQL unreachable at {shown(args.pg_url)} ({problem}): benchmarking SQLite only")
        databases.remove("postgresql")

    results = []
    for database in databases:
        print(f"{database}: placing {args.orders} orders of {LINES_PER_ORDER} lines ...", flush=True)
        if database == "sqlite":
            results.append(bench_sqlite(args.orders, args.seed))
        else:
            results.append(bench_postgresql(args.pg_url, args.orders, args.seed))
    print()
    passed = report(results)
    if any(r.verified for r in results):
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
