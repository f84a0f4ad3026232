"""Supplier and carrier scorecards on facts worked out by hand (March 2026, UTC).

Suppliers. P1 standard cost 6.0000, P2 2.0000.
PO1 (S1, created 1 Mar 00:00, closed 12 Mar): L1 P1 10 at 6.6000, L2 P2 20 at 2.0000, both promised
10 Mar. Receipt R1 10 Mar 12:00: L1 10 (1 rejected), L2 8. Receipt R2 12 Mar 00:00: L2 10 (late).
PO2 (S2, created 5 Mar, open): L1 P1 5 at 6.0000 promised 1 Apr; receipt R3 20 Mar 00:00: 5.

S1: on time 2 of 3 receipt lines; quality 1 rejected of 28 received; price index
(6.6·10 + 2·8 + 2·10) / (6·10 + 2·18) = 102 / 96; lead times 228, 228, 264 h (mean 240, median 228,
p90 228 + 0.8·36 = 256.8); quantity accuracy 1 of 2 lines (PO1 closed, L2 short by 2).
S2: 1 of 1 on time, 0 of 5 rejected, 30 / 30, lead 360 h, no PO closed.

Carriers (order X promised 10 Mar, Y 20 Mar):
UPS  SH1 X shipped 8 Mar 00:00, delivered 10 Mar 12:00 (60 h, on time), 20.00, 4 kg, 10 units 1 damaged
UPS  SH2 X shipped 9 Mar 00:00, delivered 11 Mar 00:00 (48 h, late), 10.00, 1 kg, 5 units
DHL  SH3 Y shipped 15 Mar, delivered 16 Mar (24 h), 7.50, no weight, 2 units
UPS  SH4 Y shipped 30 Mar, not delivered (ignored)
UPS: on time 1 of 2, transit mean 54 h, damage 1 of 15 units, 30.00 per 2 shipments, 30.00 per 5 kg.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert

from o2c.analytics.figures import Distribution, Ratio, Slice
from o2c.analytics.periods import Period
from o2c.analytics.scorecards import carrier_scorecard, supplier_scorecard
from o2c.store.supply_tables import purchase_order_lines, purchase_orders, receipt_lines, receipts
from tests.factories import add_carrier, add_customer, add_location, add_product, add_supplier
from tests.integration.metric_rows import Line, add_order, add_shipment, at


@pytest.fixture
def supplied(engine: Engine) -> Engine:
    p1, p2 = add_product(engine, "P1", cost="6.0000"), add_product(engine, "P2", cost="2.0000")
    dc = add_location(engine)
    s1, s2 = add_supplier(engine, "S1"), add_supplier(engine, "S2")

    def po(
        supplier: int,
        created: datetime,
        closed: datetime | None,
        lines: list[tuple[int, int, int, str, date]],
    ) -> tuple[int, list[int]]:
        with engine.begin() as conn:
            po_id = conn.execute(
                insert(purchase_orders).returning(purchase_orders.c.id),
                {
                    "number": f"PO-{supplier}",
                    "supplier_id": supplier,
                    "location_id": dc,
                    "status": "closed" if closed else "open",
                    "created_at": created,
                    "closed_at": closed,
                },
            ).scalar_one()
            return po_id, [
                int(
                    conn.execute(
                        insert(purchase_order_lines).returning(purchase_order_lines.c.id),
                        {
                            "purchase_order_id": po_id,
                            "line_no": n,
                            "product_id": product,
                            "qty_ordered": ordered,
                            "qty_received": received,
                            "qty_accepted": received,
                            "unit_cost": Decimal(cost),
                            "promised_date": promised,
                            "expected_date": promised,
                        },
                    ).scalar_one()
                )
                for n, (product, ordered, received, cost, promised) in enumerate(lines, start=1)
            ]

    def receive(po_id: int, when: datetime, lines: list[tuple[int, int, int, int]]) -> None:
        with engine.begin() as conn:
            receipt = conn.execute(
                insert(receipts).returning(receipts.c.id),
                {
                    "number": f"R-{when.isoformat()}",
                    "location_id": dc,
                    "purchase_order_id": po_id,
                    "received_at": when,
                },
            ).scalar_one()
            conn.execute(
                insert(receipt_lines),
                [
                    {
                        "receipt_id": receipt,
                        "product_id": product,
                        "purchase_order_line_id": line,
                        "qty_received": qty,
                        "qty_accepted": qty - rejected,
                        "qty_rejected": rejected,
                        "reject_reason": "broken" if rejected else "",
                    }
                    for line, product, qty, rejected in lines
                ],
            )

    promised = date(2026, 3, 10)
    po1, (l1, l2) = po(
        s1, at(1), at(12), [(p1, 10, 10, "6.6000", promised), (p2, 20, 18, "2.0000", promised)]
    )
    receive(po1, at(10, 12), [(l1, p1, 10, 1), (l2, p2, 8, 0)])
    receive(po1, at(12), [(l2, p2, 10, 0)])
    po2, (m1,) = po(s2, at(5), None, [(p1, 5, 5, "6.0000", date(2026, 4, 1))])
    receive(po2, at(20), [(m1, p1, 5, 0)])
    return engine


def test_supplier_scorecard(supplied: Engine) -> None:
    with supplied.connect() as conn:
        rows = {(r.period, r.supplier): r for r in supplier_scorecard(conn, Slice(Period.MONTH))}
    s1, s2 = rows["2026-03-01", "S1"], rows["2026-03-01", "S2"]
    assert s1.on_time_receipt == Ratio(2, 3)
    assert s1.quality == Ratio(1, 28)
    assert s1.price_index == Ratio(Decimal("102.0000"), Decimal("96.0000"))
    assert s1.lead_time == Distribution(3, 240.0, 228.0, 256.8, 20.78461)
    assert s1.quantity_accuracy == Ratio(1, 2)
    assert (s2.on_time_receipt, s2.quality, s2.price_index.value) == (Ratio(1, 1), Ratio(0, 5), 1.0)
    assert s2.lead_time.mean == 360.0
    assert s2.quantity_accuracy == Ratio(0, 0)


def test_carrier_scorecard(engine: Engine) -> None:
    customer = add_customer(engine, "A")
    p = add_product(engine, "P1")
    ups, dhl = add_carrier(engine, "UPS"), add_carrier(engine, "DHL")
    x = add_order(engine, customer, at(1), [Line(p, 15, shipped=15)], promised=date(2026, 3, 10))
    y = add_order(engine, customer, at(1), [Line(p, 2, shipped=2)], promised=date(2026, 3, 20))
    add_shipment(engine, x, ups, at(8), at(10, 12), freight="20.00", weight_g=4000, lines={1: (10, 1)})
    add_shipment(engine, x, ups, at(9), at(11), freight="10.00", weight_g=1000, lines={1: (5, 0)})
    add_shipment(engine, y, dhl, at(15), at(16), freight="7.50", lines={1: (2, 0)})
    add_shipment(engine, y, ups, at(30), None, freight="99.00", lines={})
    with engine.connect() as conn:
        rows = {r.carrier: r for r in carrier_scorecard(conn, Slice(Period.MONTH))}
    ups_row, dhl_row = rows["UPS"], rows["DHL"]
    assert ups_row.on_time_delivery == Ratio(1, 2)
    assert ups_row.transit_time.mean == 54.0
    assert ups_row.damage_rate == Ratio(1, 15)
    assert ups_row.cost_per_shipment == Ratio(Decimal("30.00"), 2)
    assert ups_row.cost_per_kg == Ratio(Decimal("30.00"), Decimal(5))
    assert ups_row.freight_billing_accuracy == Ratio(0, 0)  # no freight bills: value None
    assert dhl_row.on_time_delivery == Ratio(1, 1)
    assert dhl_row.cost_per_kg is None
    assert dhl_row.transit_time == Distribution(1, 24.0, 24.0, 24.0, None)


def test_supplier_scorecard_over_all_time_is_one_row_per_supplier(supplied: Engine) -> None:
    # --period all: the same March figures, labelled "all" (PostgreSQL refuses a constant in GROUP BY).
    with supplied.connect() as conn:
        rows = {(r.period, r.supplier): r for r in supplier_scorecard(conn, Slice(None))}
    assert sorted(rows) == [("all", "S1"), ("all", "S2")]
    assert rows["all", "S1"].on_time_receipt == Ratio(2, 3)
    assert rows["all", "S1"].quantity_accuracy == Ratio(1, 2)
    assert rows["all", "S2"].lead_time.mean == 360.0


def test_carrier_scorecard_over_all_time_is_one_row_per_carrier(engine: Engine) -> None:
    customer = add_customer(engine, "A")
    p = add_product(engine, "P1")
    ups = add_carrier(engine, "UPS")
    x = add_order(engine, customer, at(1), [Line(p, 15, shipped=15)], promised=date(2026, 3, 10))
    add_shipment(engine, x, ups, at(8), at(10, 12), freight="20.00", weight_g=4000, lines={1: (10, 1)})
    add_shipment(engine, x, ups, at(9), at(11), freight="10.00", weight_g=1000, lines={1: (5, 0)})
    with engine.connect() as conn:
        rows = carrier_scorecard(conn, Slice(None))
    assert [(r.period, r.carrier) for r in rows] == [("all", "UPS")]
    assert rows[0].on_time_delivery == Ratio(1, 2)  # as by month: 10 Mar on time, 11 Mar late
    assert rows[0].cost_per_shipment == Ratio(Decimal("30.00"), 2)
