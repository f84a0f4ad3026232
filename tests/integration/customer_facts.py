"""Recorded facts written straight into the tables, for hand-computed customer-analytics fixtures.

Each helper writes one fact with only what the metric reads; services have their own tests.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from o2c.store.after_sale_tables import credit_memos, return_lines, returns, service_cases
from o2c.store.tables import events, invoice_lines, invoices, order_lines, orders, shipments

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
) -> tuple[int, str, list[int]]:
    """An order with lines ``(product_id, qty, unit_price, unit_cost)``, fully shipped unless held."""
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
                    "qty_allocated_at_entry": 0 if held else qty,
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
