"""Recorded facts for the metric tests, written straight into the tables.

Metric tests state the facts an order left behind (quantities, stamps, dates) rather than drive the
services there: each fixture is small enough to work out every expected figure by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from o2c.store.master_tables import ship_tos
from o2c.store.tables import order_lines, orders, shipment_lines, shipments


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    """An instant of 2026 in UTC (March unless told)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Line:
    """One order line's recorded quantities; whatever is not stated stays allocated (reserved)."""

    product_id: int
    ordered: int
    entry: int | None = None  # qty_allocated_at_entry; default: all of it
    shipped: int = 0
    delivered: int = 0
    damaged: int = 0
    wrong_item: int = 0
    cancelled: int = 0
    lost: int = 0
    backordered: int = 0
    substituted: int = 0
    price: str = "10.00"
    location_id: int | None = None
    substitute_for: int | None = None

    def row(self, order_id: int, line_no: int) -> dict[str, Any]:
        settled = self.shipped + self.cancelled + self.lost + self.backordered + self.substituted
        price = Decimal(self.price)
        return {
            "order_id": order_id,
            "line_no": line_no,
            "product_id": self.product_id,
            "location_id": self.location_id,
            "qty_ordered": self.ordered,
            "qty_allocated_at_entry": self.ordered if self.entry is None else self.entry,
            "qty_allocated": self.ordered - settled,
            "qty_backordered": self.backordered,
            "qty_cancelled": self.cancelled,
            "qty_lost": self.lost,
            "qty_shipped": self.shipped,
            "qty_delivered": self.delivered,
            "qty_damaged": self.damaged,
            "qty_wrong_item": self.wrong_item,
            "qty_substituted": self.substituted,
            "substitute_for_line_no": self.substitute_for,
            "unit_price": price,
            "discount_amount": Decimal("0.00"),
            "net_amount": price * self.ordered,
            "tax_amount": Decimal("0.00"),
            "unit_cost": Decimal("6.0000"),
        }


_numbers = iter(range(1, 1_000_000))


def add_order(
    engine: Engine,
    customer_id: int,
    received_at: datetime,
    lines: list[Line],
    *,
    status: str = "open",
    channel: str = "web",
    promised: date | None = None,
    requested: date | None = None,
    **stamps: datetime | None,
) -> int:
    """An order with its lines; ``stamps`` are stage timestamps (``delivered_at=…``)."""
    with engine.begin() as conn:
        ship_to = conn.execute(
            select(ship_tos.c.id).where(ship_tos.c.customer_id == customer_id)
        ).scalar_one()
        order_id = int(
            conn.execute(
                insert(orders).returning(orders.c.id),
                {
                    "number": f"SO-T{next(_numbers):06d}",
                    "customer_id": customer_id,
                    "ship_to_id": ship_to,
                    "channel": channel,
                    "backorder_policy": "allow_partial",
                    "status": status,
                    "requested_date": requested,
                    "promised_date": promised,
                    "subtotal": Decimal("0.00"),
                    "tax_total": Decimal("0.00"),
                    "received_at": received_at,
                    **stamps,
                },
            ).scalar_one()
        )
        conn.execute(insert(order_lines), [ln.row(order_id, i) for i, ln in enumerate(lines, start=1)])
    return order_id


def add_shipment(
    engine: Engine,
    order_id: int,
    carrier_id: int,
    shipped_at: datetime,
    delivered_at: datetime | None,
    *,
    freight: str = "0.00",
    weight_g: int = 0,
    lines: dict[int, tuple[int, int]] | None = None,
) -> int:
    """A shipment of the order; ``lines`` maps line number to (quantity, damaged)."""
    with engine.begin() as conn:
        shipment_id = int(
            conn.execute(
                insert(shipments).returning(shipments.c.id),
                {
                    "number": f"SH-T{next(_numbers):06d}",
                    "order_id": order_id,
                    "carrier_id": carrier_id,
                    "tracking_number": "T",
                    "status": "delivered" if delivered_at else "shipped",
                    "shipped_at": shipped_at,
                    "delivered_at": delivered_at,
                    "freight_cost": Decimal(freight),
                    "weight_g": weight_g,
                },
            ).scalar_one()
        )
        for line_no, (quantity, damaged) in (lines or {}).items():
            line_id = conn.execute(
                select(order_lines.c.id).where(
                    order_lines.c.order_id == order_id, order_lines.c.line_no == line_no
                )
            ).scalar_one()
            conn.execute(
                insert(shipment_lines),
                {
                    "shipment_id": shipment_id,
                    "order_line_id": line_id,
                    "quantity": quantity,
                    "qty_damaged": damaged,
                },
            )
    return shipment_id
