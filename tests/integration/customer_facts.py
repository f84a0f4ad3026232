"""Recorded facts written straight into the tables, for hand-computed customer-analytics fixtures.

Each helper writes one fact with only what the metric reads; services have their own tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from o2c.store.after_sale_tables import credit_memos, return_lines, returns, service_cases
from o2c.store.master_tables import ship_tos
from o2c.store.tables import events, invoice_lines, invoices, order_lines, orders, shipments
from tests.factories import add_carrier, add_customer, add_product

_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _insert(engine: Engine, table: Any, row: dict[str, Any]) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(table).returning(table.c.id), row).scalar_one())


def add_order(
    engine: Engine,
    customer_id: int,
    ship_to_id: int,
    received: datetime,
    lines: list[tuple[int, int, str, str]],
    *,
    status: str = "shipped",
    expedited: datetime | None = None,
    delivered: datetime | None = None,
    promised: date | None = None,
    short: int = 0,
) -> tuple[int, str, list[int]]:
    """An order with lines ``(product_id, qty, unit_price, unit_cost)``, fully shipped unless held;
    ``short`` units of each line were not allocated at entry (shipped later all the same)."""
    number = f"SO-T{next(_numbers):06d}"
    subtotal = sum(Decimal(p) * q for _, q, p, _ in lines)
    order_id = _insert(
        engine,
        orders,
        {
            "number": number,
            "customer_id": customer_id,
            "ship_to_id": ship_to_id,
            "channel": "web",
            "backorder_policy": "allow_partial",
            "status": status,
            "subtotal": subtotal,
            "tax_total": Decimal(0),
            "received_at": received,
            "expedited_at": expedited,
            "delivered_at": delivered,
            "promised_date": promised,
        },
    )
    held = status == "credit_hold"
    line_ids = []
    for no, (product_id, qty, price, cost) in enumerate(lines, start=1):
        line_ids.append(
            _insert(
                engine,
                order_lines,
                {
                    "order_id": order_id,
                    "line_no": no,
                    "product_id": product_id,
                    "qty_ordered": qty,
                    "qty_allocated_at_entry": 0 if held else qty - short,
                    "qty_pending": qty if held else 0,
                    "qty_shipped": 0 if held else qty,
                    "qty_delivered": qty if delivered else 0,
                    "unit_price": Decimal(price),
                    "discount_amount": Decimal(0),
                    "net_amount": Decimal(price) * qty,
                    "tax_amount": Decimal(0),
                    "unit_cost": Decimal(cost),
                },
            )
        )
    return order_id, number, line_ids


def add_shipment(
    engine: Engine,
    order_id: int,
    carrier_id: int,
    shipped: datetime,
    freight: str,
    delivered: datetime | None,
) -> int:
    return _insert(
        engine,
        shipments,
        {
            "number": f"SH-T{next(_numbers):06d}",
            "order_id": order_id,
            "carrier_id": carrier_id,
            "tracking_number": "T",
            "status": "delivered" if delivered else "shipped",
            "shipped_at": shipped,
            "delivered_at": delivered,
            "freight_cost": Decimal(freight),
        },
    )


def add_invoice(
    engine: Engine, order_id: int, customer_id: int, issued: datetime, lines: list[tuple[int, int, str]]
) -> int:
    """An invoice with lines ``(order_line_id, qty, net_amount)``."""
    invoice_id = _insert(
        engine,
        invoices,
        {
            "number": f"IN-T{next(_numbers):06d}",
            "order_id": order_id,
            "customer_id": customer_id,
            "status": "open",
            "issued_at": issued,
            "due_date": issued.date(),
            "subtotal": sum((Decimal(a) for _, _, a in lines), Decimal(0)),
            "tax_total": Decimal(0),
            "amount_paid": Decimal(0),
        },
    )
    for line_id, qty, amount in lines:
        _insert(
            engine,
            invoice_lines,
            {
                "invoice_id": invoice_id,
                "order_line_id": line_id,
                "quantity": qty,
                "unit_price": Decimal(amount) / qty,
                "net_amount": Decimal(amount),
                "tax_amount": Decimal(0),
            },
        )
    return invoice_id


def add_credit_memo(
    engine: Engine,
    customer_id: int,
    order_id: int,
    issued: datetime,
    subtotal: str,
    return_id: int | None = None,
) -> int:
    return _insert(
        engine,
        credit_memos,
        {
            "number": f"CM-T{next(_numbers):06d}",
            "customer_id": customer_id,
            "order_id": order_id,
            "return_id": return_id,
            "reason": "return" if return_id else "price_adjustment",
            "subtotal": Decimal(subtotal),
            "tax_total": Decimal(0),
            "issued_at": issued,
        },
    )


def add_return(
    engine: Engine,
    customer_id: int,
    order_id: int,
    authorised: datetime,
    line: tuple[int, int, int],
    received: datetime,
    disposition: str,
) -> int:
    """A received return of one line ``(order_line_id, product_id, qty)``."""
    return_id = _insert(
        engine,
        returns,
        {
            "number": f"RMA-T{next(_numbers):06d}",
            "order_id": order_id,
            "customer_id": customer_id,
            "status": "received",
            "reason": "not_wanted",
            "authorised_at": authorised,
            "received_at": received,
        },
    )
    line_id, product_id, qty = line
    _insert(
        engine,
        return_lines,
        {
            "return_id": return_id,
            "order_line_id": line_id,
            "product_id": product_id,
            "quantity": qty,
            "qty_received": qty,
            "disposition": disposition,
        },
    )
    return return_id


def add_case(
    engine: Engine,
    customer_id: int,
    opened: datetime,
    responded: datetime | None = None,
    resolved: datetime | None = None,
) -> int:
    status = "resolved" if resolved else "responded" if responded else "open"
    return _insert(
        engine,
        service_cases,
        {
            "number": f"CS-T{next(_numbers):06d}",
            "customer_id": customer_id,
            "category": "delivery",
            "status": status,
            "opened_at": opened,
            "first_response_at": responded,
            "resolved_at": resolved,
            "summary": "late",
        },
    )


def add_credit_hold_event(engine: Engine, order_number: str, when: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(events),
            {
                "entity_type": "order",
                "entity_id": order_number,
                "event_type": "order.credit_held",
                "occurred_at": when,
                "actor": "test",
                "payload": {},
            },
        )


@dataclass
class World:
    p1: int
    p2: int


def _ship_to(engine: Engine, customer_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(ship_tos.c.id).where(ship_tos.c.customer_id == customer_id)).scalar_one()
        )


def build_march_world(engine: Engine) -> World:
    """The fixture of test_customer_analytics_profitability (its docstring has the hand computation)."""
    p1, p2 = add_product(engine, "P1"), add_product(engine, "P2")
    ups = add_carrier(engine)
    a = add_customer(engine, "A", segment="retail")
    b = add_customer(engine, "B", segment="wholesale")
    c = add_customer(engine, "C", segment="retail")
    add_customer(engine, "IDLE", segment="retail")  # no activity: not in the report

    o, _, (l1, l2) = add_order(
        engine,
        a,
        _ship_to(engine, a),
        at(3, 2),
        [(p1, 10, "10.00", "6"), (p2, 5, "4.00", "2")],
        expedited=at(3, 2),
    )
    add_shipment(engine, o, ups, at(3, 3), "8.00", delivered=at(3, 5))
    add_invoice(engine, o, a, at(3, 3), [(l1, 10, "100.00"), (l2, 5, "20.00")])
    add_credit_memo(engine, a, o, at(3, 10), "10.00")
    add_case(engine, a, at(3, 12))

    old, _, (l0,) = add_order(engine, b, _ship_to(engine, b), at(2, 20), [(p1, 1, "9.00", "6")])
    add_shipment(engine, old, ups, at(2, 21), "5.00", delivered=None)
    add_invoice(engine, old, b, at(2, 21), [(l0, 1, "9.00")])
    o, _, (l1,) = add_order(engine, b, _ship_to(engine, b), at(3, 5), [(p1, 20, "9.00", "6")])
    add_shipment(engine, o, ups, at(3, 6), "15.00", delivered=at(3, 8))
    add_invoice(engine, o, b, at(3, 6), [(l1, 20, "180.00")])
    rma = add_return(engine, b, o, at(3, 15), (l1, p1, 2), received=at(3, 16), disposition="restock")
    add_credit_memo(engine, b, o, at(3, 16), "18.00", return_id=rma)
    _, held, _ = add_order(
        engine, b, _ship_to(engine, b), at(3, 20), [(p2, 10, "5.00", "2")], status="credit_hold"
    )
    add_credit_hold_event(engine, held, at(3, 20))

    o, _, (l1,) = add_order(engine, c, _ship_to(engine, c), at(3, 10), [(p1, 100, "10.00", "6")])
    add_shipment(engine, o, ups, at(3, 11), "20.00", delivered=at(4, 2))
    add_invoice(engine, o, c, at(3, 11), [(l1, 100, "1000.00")])
    return World(p1, p2)


def add_po_receipt(
    engine: Engine, supplier_id: int, location_id: int, product_id: int, ordered: datetime, received: datetime
) -> None:
    """A purchase order created at ``ordered`` and one receipt line of it at ``received``."""
    from o2c.store.supply_tables import purchase_orders, receipt_lines, receipts

    po = _insert(
        engine,
        purchase_orders,
        {
            "number": f"PO-T{next(_numbers):06d}",
            "supplier_id": supplier_id,
            "location_id": location_id,
            "status": "closed",
            "created_at": ordered,
        },
    )
    receipt = _insert(
        engine,
        receipts,
        {
            "number": f"GR-T{next(_numbers):06d}",
            "location_id": location_id,
            "purchase_order_id": po,
            "received_at": received,
        },
    )
    _insert(
        engine,
        receipt_lines,
        {"receipt_id": receipt, "product_id": product_id, "qty_received": 10, "qty_accepted": 10},
    )
