"""Backorder allocation over a stock count of thousands of rows, as a large stock import makes it."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import Engine, insert, select

from o2c.services.importing import ImportKind, ImportReport, import_csv
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.store.backorders import BackorderRepository
from o2c.store.master_tables import products, stock
from o2c.store.tables import order_lines
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location

PRODUCTS = 7500  # at two locations: 15,000 stock rows, fifteen chunks of pairs to lock


def test_a_stock_count_of_thousands_of_rows_fills_the_backorder_waiting_in_it(
    uow: UnitOfWork, engine: Engine
) -> None:
    add_customer(engine, "ACME")
    add_location(engine, "DC1")
    add_location(engine, "DC2", "west")
    skus = [f"P{n:05d}" for n in range(PRODUCTS)]
    with engine.begin() as conn:
        conn.execute(
            insert(products),
            [
                {"sku": s, "name": s, "list_price": Decimal("10.00"), "standard_cost": Decimal("6.00")}
                for s in skus
            ],
        )
    placed = place_order(
        uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="P01234", quantity=3)])
    )
    assert placed.lines[0].backordered == 3  # no stock row anywhere yet

    counts = "".join(f"{s},{dc},5\n" for s in skus for dc in ("DC1", "DC2"))
    report = import_csv(uow, ImportKind.STOCK, io.StringIO("sku,location,on_hand\n" + counts))

    assert report == ImportReport(ImportKind.STOCK, created=2 * PRODUCTS, updated=0)
    with engine.connect() as conn:
        line = conn.execute(select(order_lines.c.qty_allocated, order_lines.c.qty_backordered)).one()
        rows = conn.execute(select(stock.c.product_id, stock.c.location_id)).all()
    assert tuple(line) == (3, 0)
    with uow:
        positions = BackorderRepository(uow.connection).lock_stock(
            (r.product_id, r.location_id) for r in rows
        )
    ids = [p.stock_id for p in positions]
    assert len(ids) == 2 * PRODUCTS
    assert ids == sorted(ids)  # one lock order across the chunks
