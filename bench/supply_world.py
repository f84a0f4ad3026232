"""What the supply benchmarks share: throwaway databases, and master data written in bulk with Core.

Not a benchmark itself. ``promise.py`` and ``backorder_allocation.py`` import it (run them from the
repository root as ``python bench/<name>.py``, which puts this directory on the import path).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.engine import Connection

from o2c.store.database import create_db_engine
from o2c.store.master_tables import customers, locations, products, ship_tos, stock, suppliers
from o2c.store.migrate import upgrade
from o2c.store.supply_tables import lanes, purchase_order_lines, purchase_orders
from o2c.store.tables import order_lines, orders
from order_entry import DEFAULT_PG_URL, libpq_url, postgres_problem, shown, throwaway_postgres

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY: date = START.date()

__all__ = [
    "DEFAULT_PG_URL",
    "START",
    "TODAY",
    "bulk",
    "database",
    "libpq_url",
    "postgres_problem",
    "shown",
]


@contextmanager
def database(name: str, pg_url: str) -> Iterator[tuple[Engine, str]]:
    """A migrated, empty database (a temporary SQLite file, or a throwaway PostgreSQL database) and its
    URL for the raw driver."""
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="o2c_bench_") as directory:
            path = Path(directory) / "bench.db"
            engine = create_db_engine(f"sqlite:///{path}")
            try:
                upgrade(engine)
                yield engine, str(path)
            finally:
                engine.dispose()
        return
    with throwaway_postgres(pg_url) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            yield engine, libpq_url(url)
        finally:
            engine.dispose()


def bulk(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows in batches; their ids in order."""
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        part = rows[start : start + 5000]
        ids.extend(int(i) for i in conn.execute(insert(table).returning(table.c.id), part).scalars())
    return ids


def sites(conn: Connection) -> dict[str, int]:
    """DC1 (east: 1 + 1 handling days) and DC2 (west: 2 + 1), ground lanes to east (2 and 4 days)."""
    ids = bulk(
        conn,
        locations,
        [
            {"code": "DC1", "name": "East", "region": "east", "processing_days": 1, "pick_pack_days": 1},
            {"code": "DC2", "name": "West", "region": "west", "processing_days": 2, "pick_pack_days": 1},
        ],
    )
    conn.execute(
        insert(lanes),
        [
            {"origin_region": "east", "destination_region": "east", "service": "ground", "transit_days": 2},
            {"origin_region": "west", "destination_region": "east", "service": "ground", "transit_days": 4},
        ],
    )
    return {"DC1": ids[0], "DC2": ids[1]}


def catalogue(conn: Connection, count: int) -> list[int]:
    return bulk(
        conn,
        products,
        [
            {
                "sku": f"SKU-{i:05d}",
                "name": f"Product {i}",
                "list_price": Decimal("10.00"),
                "standard_cost": Decimal("6.0000"),
                "weight_g": 500,
            }
            for i in range(count)
        ],
    )


def buyers(conn: Connection, count: int) -> list[tuple[int, int]]:
    """``(customer id, ship-to id)`` of customers in region east, tiers 1-5, no credit limit."""
    ids = bulk(
        conn,
        customers,
        [
            {
                "code": f"C{i:04d}",
                "name": f"Customer {i}",
                "segment": "retail",
                "tier": 1 + i % 5,
                "channel": "web",
                "credit_limit": None,
                "payment_terms_days": 30,
                "backorder_policy": "allow_partial",
            }
            for i in range(count)
        ],
    )
    ship_to_ids = bulk(
        conn,
        ship_tos,
        [{"customer_id": c, "code": "MAIN", "name": "Dock", "region": "east"} for c in ids],
    )
    return list(zip(ids, ship_to_ids, strict=True))


def stock_rows(conn: Connection, rows: Sequence[tuple[int, int, int]]) -> list[int]:
    """Stock rows of ``(product id, location id, on hand)``."""
    return bulk(
        conn,
        stock,
        [{"product_id": p, "location_id": loc, "on_hand": q, "allocated": 0} for p, loc, q in rows],
    )


def purchase_order(conn: Connection, location_id: int, lines: Sequence[tuple[int, int, date]]) -> None:
    """One open purchase order of ``(product id, quantity, expected date)`` lines."""
    supplier = bulk(conn, suppliers, [{"code": f"SUP-{location_id}", "name": "Supplier"}])[0]
    po = bulk(
        conn,
        purchase_orders,
        [
            {
                "number": f"PO-{location_id}",
                "supplier_id": supplier,
                "location_id": location_id,
                "status": "open",
                "created_at": START,
            }
        ],
    )[0]
    bulk(
        conn,
        purchase_order_lines,
        [
            {
                "purchase_order_id": po,
                "line_no": n,
                "product_id": product_id,
                "qty_ordered": qty,
                "unit_cost": Decimal("5.0000"),
                "promised_date": expected,
                "expected_date": expected,
            }
            for n, (product_id, qty, expected) in enumerate(lines, 1)
        ],
    )


def backorders(
    conn: Connection,
    customer_of: Sequence[tuple[int, int]],
    orders_lines: Sequence[Sequence[tuple[int, int, int, date | None]]],
) -> None:
    """Open orders whose lines are wholly backordered: per order, ``(product, location, quantity,
    promised date)`` lines; the k-th order belongs to ``customer_of[k % len]``."""
    order_ids = bulk(
        conn,
        orders,
        [
            {
                "number": f"SO-B{k:07d}",
                "customer_id": customer_of[k % len(customer_of)][0],
                "ship_to_id": customer_of[k % len(customer_of)][1],
                "channel": "web",
                "backorder_policy": "allow_partial",
                "status": "open",
                "subtotal": Decimal("10.00") * sum(q for _, _, q, _ in lines),
                "tax_total": Decimal("0.00"),
                "received_at": START,
                "promised_date": max((d for *_, d in lines if d), default=None),
            }
            for k, lines in enumerate(orders_lines)
        ],
    )
    bulk(
        conn,
        order_lines,
        [
            {
                "order_id": order_id,
                "line_no": n,
                "product_id": product_id,
                "location_id": location_id,
                "qty_ordered": qty,
                "qty_backordered": qty,
                "unit_price": Decimal("10.00"),
                "discount_amount": Decimal("0.00"),
                "net_amount": Decimal("10.00") * qty,
                "tax_amount": Decimal("0.00"),
                "unit_cost": Decimal("6.0000"),
                "promised_date": promised,
            }
            for order_id, lines in zip(order_ids, orders_lines, strict=True)
            for n, (product_id, location_id, qty, promised) in enumerate(lines, 1)
        ],
    )
