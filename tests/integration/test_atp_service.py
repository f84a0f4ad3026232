"""Time-phased ATP of real supply and demand: stock, open PO lines, transfers in transit, backorders.

Every test runs on SQLite and PostgreSQL. Day 0 is the test clock's date (Monday 2026-03-02); tables
are worked out by hand in the comments. The helpers here write supply straight into the tables, as
tests/factories.py does for master data, and are shared with test_promising.py.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from o2c.cli import app
from o2c.domain.errors import NotFound, ValidationFailed
from o2c.services.atp import AtpTable, atp
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.store.master_tables import locations, stock, suppliers
from o2c.store.supply_tables import lanes, purchase_order_lines, purchase_orders, transfer_lines, transfers
from o2c.store.tables import order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.conftest import START
from tests.factories import add_customer, add_location, add_product, add_stock

D0 = START.date()


def day(n: int) -> date:
    return D0 + timedelta(days=n)


# --- writing supply and demand ----------------------------------------------------------------------


def add_lane(
    engine: Engine, origin: str, destination: str, transit_days: int, service: str = "ground"
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(lanes),
            {
                "origin_region": origin,
                "destination_region": destination,
                "service": service,
                "transit_days": transit_days,
            },
        )


def add_site(engine: Engine, code: str, region: str, processing_days: int, pick_pack_days: int) -> int:
    location_id = add_location(engine, code, region)
    with engine.begin() as conn:
        conn.execute(
            update(locations)
            .where(locations.c.id == location_id)
            .values(processing_days=processing_days, pick_pack_days=pick_pack_days)
        )
    return location_id


def add_purchase_order(
    engine: Engine,
    location_id: int,
    *lines: tuple[int, int, date, int],
    status: str = "open",
) -> list[int]:
    """A purchase order of ``(product id, quantity, expected date, quantity received)`` lines."""
    with engine.begin() as conn:
        supplier = conn.execute(select(suppliers.c.id).where(suppliers.c.code == "SUP")).scalar()
        if supplier is None:
            supplier = conn.execute(
                insert(suppliers).returning(suppliers.c.id), {"code": "SUP", "name": "Supplier"}
            ).scalar_one()
        count = len(conn.execute(select(purchase_orders.c.id)).all())
        po = conn.execute(
            insert(purchase_orders).returning(purchase_orders.c.id),
            {
                "number": f"PO-{count + 1}",
                "supplier_id": supplier,
                "location_id": location_id,
                "status": status,
                "created_at": START,
            },
        ).scalar_one()
        return [
            conn.execute(
                insert(purchase_order_lines).returning(purchase_order_lines.c.id),
                {
                    "purchase_order_id": po,
                    "line_no": n,
                    "product_id": product_id,
                    "qty_ordered": quantity,
                    "qty_received": received,
                    "qty_accepted": received,
                    "unit_cost": Decimal("5.0000"),
                    "promised_date": expected,
                    "expected_date": expected,
                },
            ).scalar_one()
            for n, (product_id, quantity, expected, received) in enumerate(lines, 1)
        ]


def add_transfer(
    engine: Engine,
    from_id: int,
    to_id: int,
    product_id: int,
    quantity: int,
    expected: date | None,
    status: str = "in_transit",
) -> None:
    with engine.begin() as conn:
        count = len(conn.execute(select(transfers.c.id)).all())
        transfer = conn.execute(
            insert(transfers).returning(transfers.c.id),
            {
                "number": f"TR-{count + 1}",
                "from_location_id": from_id,
                "to_location_id": to_id,
                "status": status,
                "created_at": START,
                "shipped_at": START if status == "in_transit" else None,
                "expected_date": expected,
            },
        ).scalar_one()
        conn.execute(
            insert(transfer_lines),
            {"transfer_id": transfer, "line_no": 1, "product_id": product_id, "quantity": quantity},
        )


def place(uow: UnitOfWork, customer: str, *lines: tuple[str, int], requested: date | None = None) -> str:
    request = PlaceOrderRequest(
        customer=customer,
        lines=[OrderLineRequest(sku=sku, quantity=q) for sku, q in lines],
        requested_date=requested,
    )
    return place_order(uow, request).number


def set_promise(engine: Engine, number: str, promised: date | None, line_no: int = 1) -> None:
    """Give a stored order line (and its order) a promised delivery date, as order entry would have."""
    with engine.begin() as conn:
        order_id = conn.execute(select(orders.c.id).where(orders.c.number == number)).scalar_one()
        conn.execute(
            update(order_lines)
            .where(order_lines.c.order_id == order_id, order_lines.c.line_no == line_no)
            .values(promised_date=promised)
        )
        conn.execute(update(orders).where(orders.c.id == order_id).values(promised_date=promised))


def count_stock(engine: Engine, stock_id: int, on_hand: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(stock).where(stock.c.id == stock_id).values(on_hand=on_hand))


def columns(table: AtpTable, location: str) -> dict[str, list[int]]:
    (found,) = [t for t in table.locations if t.location == location]
    return {
        "receipts": [r.receipts for r in found.rows],
        "orders": [r.orders for r in found.rows],
        "atp": [r.atp for r in found.rows],
        "cumulative": [r.cumulative for r in found.rows],
    }


# --- the time-phased table ---------------------------------------------------------------------------


@pytest.fixture
def supplied(uow: UnitOfWork, engine: Engine) -> dict[str, int]:
    """SKU P1 at DC1 (east, lead to east 1 + 1 + 2 = 4 days) and DC2 (west).

    DC1 holds 4, all reserved by order A; orders B (3), C (5) and E (2) are backordered at DC1. Then
    a count finds 10 on hand: available now = 10 - 4 allocated = 6 (the backorders are not yet
    allocated). B is promised for day 8 (due day 8 - 4 = 4), E for day 40 (due day 36, past a
    10-day horizon: counted on its last day, 9), C has no promise (owed now, day 0).

    Receipts at DC1: PO-1 line 1, 20 due day 3; line 2, 10 ordered 4 received, overdue since day -2
    (6 more, now: day 0); line 3, 7 due day 20 (past the horizon); PO-2 is closed and PO-3 cancelled
    (nothing); transfer TR-1 from DC2 in transit, 8 due day 6; TR-2 not shipped yet (nothing).
    At DC2: PO-4, 50 due day 1.
    """
    add_customer(engine, "C1", region="east")
    p1 = add_product(engine, "P1")
    dc1 = add_site(engine, "DC1", "east", 1, 1)
    dc2 = add_site(engine, "DC2", "west", 2, 1)
    add_lane(engine, "east", "east", 2)
    stock_id = add_stock(engine, p1, dc1, 4)
    place(uow, "C1", ("P1", 4))
    numbers = {name: place(uow, "C1", ("P1", q)) for name, q in (("B", 3), ("C", 5), ("E", 2))}
    count_stock(engine, stock_id, 10)
    set_promise(engine, numbers["B"], day(8))
    set_promise(engine, numbers["E"], day(40))
    add_purchase_order(engine, dc1, (p1, 20, day(3), 0), (p1, 10, day(-2), 4), (p1, 7, day(20), 0))
    add_purchase_order(engine, dc1, (p1, 30, day(2), 0), status="closed")
    add_purchase_order(engine, dc1, (p1, 30, day(2), 0), status="cancelled")
    add_transfer(engine, dc2, dc1, p1, 8, day(6))
    add_transfer(engine, dc2, dc1, p1, 100, day(2), status="open")
    add_purchase_order(engine, dc2, (p1, 50, day(1), 0))
    return {"P1": p1, "DC1": dc1, "DC2": dc2}


def test_atp_buckets_stock_receipts_transfers_and_backorders_by_day_with_look_ahead(
    uow: UnitOfWork, supplied: dict[str, int]
) -> None:
    table = atp(uow, "P1", days=10)

    # day       0   1   2   3   4   5   6   7   8   9
    # receipts  6   .   .  20   .   .   8   .   .   .     (+ available now 6)
    # orders    5   .   .   .   3   .   .   .   .   2
    # blocks start at 0, 3 and 6: 6 + 6 - 5 = 7 | 20 - 3 = 17 | 8 - 2 = 6; none negative
    assert table.as_of == D0 and table.days == 10
    assert [t.location for t in table.locations] == ["DC1", "DC2"]
    assert table.locations[0].available_now == 6
    assert columns(table, "DC1") == {
        "receipts": [6, 0, 0, 20, 0, 0, 8, 0, 0, 0],
        "orders": [5, 0, 0, 0, 3, 0, 0, 0, 0, 2],
        "atp": [7, 0, 0, 17, 0, 0, 6, 0, 0, 0],
        "cumulative": [7, 7, 7, 24, 24, 24, 30, 30, 30, 30],
    }
    assert [r.day for r in table.locations[0].rows] == [day(n) for n in range(10)]
    # DC2: nothing on hand (no stock row), 50 due on day 1.
    assert columns(table, "DC2")["cumulative"] == [0] + [50] * 9


def test_a_later_shortfall_is_netted_from_earlier_supply_so_nothing_is_promised_twice(
    uow: UnitOfWork, engine: Engine, supplied: dict[str, int]
) -> None:
    # B's 3 become 30 units due on day 4: block 3 is 20 - 30 = -10, taken from block 0 (7 -> -3),
    # so day 0 shows the overcommitment and nothing can be promised before day 6.
    with engine.begin() as conn:
        conn.execute(
            update(order_lines)
            .where(order_lines.c.qty_backordered == 3)
            .values(qty_ordered=30, qty_backordered=30)
        )

    dc1 = columns(atp(uow, "P1", "DC1", days=10), "DC1")

    assert dc1["atp"] == [-3, 0, 0, 0, 0, 0, 6, 0, 0, 0]
    assert dc1["cumulative"] == [-3, -3, -3, -3, -3, -3, 3, 3, 3, 3]


def test_one_location_can_be_asked_for_even_without_supply(uow: UnitOfWork, supplied: dict[str, int]) -> None:
    table = atp(uow, "P1", "DC2", days=3)

    assert [t.location for t in table.locations] == ["DC2"]
    assert columns(table, "DC2")["receipts"] == [0, 50, 0]
    with pytest.raises(NotFound):
        atp(uow, "P1", "NOWHERE")


def test_an_unknown_sku_or_an_empty_horizon_is_refused(uow: UnitOfWork, supplied: dict[str, int]) -> None:
    with pytest.raises(NotFound):
        atp(uow, "NOPE")
    with pytest.raises(ValidationFailed):
        atp(uow, "P1", days=0)


def test_a_sku_without_supply_or_demand_has_no_rows(uow: UnitOfWork, engine: Engine) -> None:
    add_product(engine, "IDLE")

    assert atp(uow, "IDLE").locations == ()


def test_o2c_atp_prints_each_location_as_a_table_or_as_json(db_url: str, supplied: dict[str, int]) -> None:
    command = ["--database", db_url, "atp", "P1", "--location", "DC1", "--days", "10"]

    table = CliRunner().invoke(app, command)
    answer = CliRunner().invoke(app, [*command, "--format", "json"])

    assert table.exit_code == 0, table.output
    assert "P1 at DC1 (east), 10 days" in table.stdout
    assert answer.exit_code == 0, answer.output
    (dc1,) = json.loads(answer.stdout)["locations"]
    assert (dc1["location"], dc1["available_now"], len(dc1["rows"])) == ("DC1", 6, 10)
