"""What the simulated people see of the system each day: a few set-based reads, never one per order.

The planner reads inventory positions once a morning, the dispatcher the day's shipments and their
invoices once an evening, the cash clerk the open amounts of the invoices paid that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, func, select

from o2c.store.master_tables import carriers, customers, locations, products, ship_tos, stock
from o2c.store.supply_tables import purchase_order_lines, purchase_orders, transfer_lines, transfers
from o2c.store.tables import invoices, order_lines, orders, shipment_lines, shipments

Key = tuple[str, str]  # (sku, location code)


@dataclass
class Position:
    on_hand: int = 0
    allocated: int = 0
    backordered: int = 0
    on_order: int = 0
    in_transit: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    @property
    def inventory_position(self) -> int:
        return self.on_hand - self.allocated - self.backordered + self.on_order + self.in_transit


def holds_master_data(engine: Engine) -> bool:
    """Whether any customer or product exists: a simulation starts from an empty database."""
    with engine.connect() as conn:
        found = (
            conn.execute(select(customers.c.id).limit(1)).first()
            or conn.execute(select(products.c.id).limit(1)).first()
        )
    return found is not None


def inventory_positions(engine: Engine) -> dict[Key, Position]:
    """Per SKU-location: on hand, allocated, open backorders, open PO quantity and transfers in transit."""
    positions: dict[Key, Position] = {}
    stock_rows = (
        select(products.c.sku, locations.c.code, stock.c.on_hand, stock.c.allocated)
        .join(products, products.c.id == stock.c.product_id)
        .join(locations, locations.c.id == stock.c.location_id)
    )
    backorders = (
        select(products.c.sku, locations.c.code, func.sum(order_lines.c.qty_backordered))
        .join(products, products.c.id == order_lines.c.product_id)
        .join(locations, locations.c.id == order_lines.c.location_id)
        .where(order_lines.c.qty_backordered > 0)
        .group_by(products.c.sku, locations.c.code)
    )
    on_order = (
        select(
            products.c.sku,
            locations.c.code,
            func.sum(purchase_order_lines.c.qty_ordered - purchase_order_lines.c.qty_received),
        )
        .join(purchase_orders, purchase_orders.c.id == purchase_order_lines.c.purchase_order_id)
        .join(products, products.c.id == purchase_order_lines.c.product_id)
        .join(locations, locations.c.id == purchase_orders.c.location_id)
        .where(purchase_orders.c.status == "open")
        .group_by(products.c.sku, locations.c.code)
    )
    in_transit = (
        select(
            products.c.sku,
            locations.c.code,
            func.sum(transfer_lines.c.quantity - transfer_lines.c.qty_received),
        )
        .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
        .join(products, products.c.id == transfer_lines.c.product_id)
        .join(locations, locations.c.id == transfers.c.to_location_id)
        .where(transfers.c.status == "in_transit")
        .group_by(products.c.sku, locations.c.code)
    )
    with engine.connect() as conn:
        for sku, code, on_hand, allocated in conn.execute(stock_rows):
            positions[(sku, code)] = Position(on_hand=on_hand, allocated=allocated)
        for name, query in (("backordered", backorders), ("on_order", on_order), ("in_transit", in_transit)):
            for sku, code, quantity in conn.execute(query):
                setattr(positions.setdefault((sku, code), Position()), name, int(quantity or 0))
    return positions


@dataclass(frozen=True)
class Dispatched:
    """A shipment that left today, with what the carrier and the customer will do with it."""

    shipment: str
    order: str
    customer: str
    carrier: str
    origin_region: str
    destination_region: str
    lines: tuple[tuple[int, int], ...]  # (order line number, quantity)
    invoice: str | None
    due_date: date | None
    subtotal: Decimal  # of the invoice (0 without one)
    freight: Decimal  # the rated freight o2c expects the carrier to bill


def dispatched_between(engine: Engine, start: datetime, end: datetime) -> list[Dispatched]:
    """Shipments with ``start <= shipped_at < end``, with their lines, lane and invoice."""
    head = (
        select(
            shipments.c.id,
            shipments.c.number,
            orders.c.number.label("order"),
            customers.c.code.label("customer"),
            carriers.c.code.label("carrier"),
            ship_tos.c.region.label("destination"),
            invoices.c.number.label("invoice"),
            invoices.c.due_date,
            invoices.c.subtotal,
            shipments.c.freight_cost,
        )
        .join(orders, orders.c.id == shipments.c.order_id)
        .join(customers, customers.c.id == orders.c.customer_id)
        .join(ship_tos, ship_tos.c.id == orders.c.ship_to_id)
        .join(carriers, carriers.c.id == shipments.c.carrier_id)
        .outerjoin(invoices, invoices.c.shipment_id == shipments.c.id)
        .where(shipments.c.shipped_at >= start, shipments.c.shipped_at < end)
        .order_by(shipments.c.id)
    )
    lines = (
        select(
            shipment_lines.c.shipment_id, order_lines.c.line_no, shipment_lines.c.quantity, locations.c.region
        )
        .join(shipments, shipments.c.id == shipment_lines.c.shipment_id)
        .join(order_lines, order_lines.c.id == shipment_lines.c.order_line_id)
        .join(locations, locations.c.id == order_lines.c.location_id)
        .where(shipments.c.shipped_at >= start, shipments.c.shipped_at < end)
        .order_by(shipment_lines.c.shipment_id, order_lines.c.line_no)
    )
    with engine.connect() as conn:
        by_shipment: dict[int, list[tuple[int, int, str]]] = {}
        for shipment_id, line_no, quantity, region in conn.execute(lines):
            by_shipment.setdefault(shipment_id, []).append((line_no, quantity, region))
        return [
            Dispatched(
                r.number,
                r.order,
                r.customer,
                r.carrier,
                by_shipment[r.id][0][2] if by_shipment.get(r.id) else r.destination,
                r.destination,
                tuple((n, q) for n, q, _ in by_shipment.get(r.id, [])),
                r.invoice,
                r.due_date,
                r.subtotal if r.subtotal is not None else Decimal(0),
                r.freight_cost,
            )
            for r in conn.execute(head)
        ]


def open_amounts(engine: Engine, numbers: Sequence[str]) -> dict[str, Decimal]:
    """Open amount (total - paid - credited) of each of these invoices that is still open."""
    if not numbers:
        return {}
    query = select(
        invoices.c.number,
        invoices.c.subtotal,
        invoices.c.tax_total,
        invoices.c.amount_paid,
        invoices.c.amount_credited,
    ).where(invoices.c.number.in_(sorted(set(numbers))), invoices.c.status == "open")
    with engine.connect() as conn:
        return {
            r.number: r.subtotal + r.tax_total - r.amount_paid - r.amount_credited
            for r in conn.execute(query)
        }
