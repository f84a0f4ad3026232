"""Read models for browsing: one query per kind of document, filtered, sorted and windowed in SQL.

Each :class:`Listing` names the columns a caller may filter and sort on; the query never loads more
than one window of rows (``limit`` + 1, to tell whether another page follows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from o2c.store.after_sale_tables import returns
from o2c.store.master_tables import carriers, customers, locations, products, ship_tos, stock, suppliers
from o2c.store.supply_tables import purchase_orders, receipt_lines, receipts, transfers
from o2c.store.tables import (
    invoice_lines,
    invoices,
    order_lines,
    orders,
    payments,
    quotes,
    shipment_lines,
    shipments,
)


@dataclass(frozen=True)
class Criteria:
    """What to keep: a status, a customer's code, a time range on the listing's date, exact matches."""

    status: str | None = None
    customer: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    equal: Mapping[str, str | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int
    sort: str  # a sortable key, "-" in front for descending


@dataclass(frozen=True)
class Listing:
    query: Select[Any]
    keys: Mapping[str, ColumnElement[Any]]  # filter and sort keys
    tie_breaker: ColumnElement[Any]
    date_key: str | None
    default_sort: str

    def rows(self, conn: Connection, criteria: Criteria, window: Window) -> list[dict[str, Any]]:
        query = self.query
        for key, asked in (("status", criteria.status), ("customer", criteria.customer)):
            if asked is not None:
                query = query.where(self.keys[key] == asked)
        for key, value in criteria.equal.items():
            query = query.where(self.keys[key] == value)
        if self.date_key is not None and criteria.since is not None:
            query = query.where(self.keys[self.date_key] >= criteria.since)
        if self.date_key is not None and criteria.until is not None:
            query = query.where(self.keys[self.date_key] < criteria.until)
        descending = window.sort.startswith("-")
        column = self.keys[window.sort.lstrip("-")]
        order = (column.desc(), self.tie_breaker.desc()) if descending else (column, self.tie_breaker)
        query = query.order_by(*order).limit(window.limit + 1).offset(window.offset)
        return [dict(r) for r in conn.execute(query).mappings()]


def _listing(
    query: Select[Any], tie_breaker: ColumnElement[Any], date_key: str | None, default_sort: str
) -> Listing:
    keys = {c.key: c for c in query.selected_columns if c.key is not None}
    return Listing(query, keys, tie_breaker, date_key, default_sort)


ship_from = locations.alias("ship_from")
ship_to = locations.alias("ship_to")
order_numbers = orders.alias("of_order")

LISTINGS: dict[str, Listing] = {
    "customers": _listing(
        select(
            customers.c.code,
            customers.c.code.label("customer"),
            customers.c.name,
            customers.c.segment,
            customers.c.tier,
            customers.c.channel,
            customers.c.credit_limit,
            customers.c.payment_terms_days,
            customers.c.backorder_policy,
            customers.c.active,
        ),
        customers.c.id,
        None,
        "code",
    ),
    "products": _listing(
        select(
            products.c.sku,
            products.c.name,
            products.c.list_price,
            products.c.weight_g,
            products.c.volume_cm3,
            products.c.active,
        ),
        products.c.id,
        None,
        "sku",
    ),
    "stock": _listing(
        select(
            products.c.sku,
            locations.c.code.label("location"),
            stock.c.on_hand,
            stock.c.allocated,
            (stock.c.on_hand - stock.c.allocated).label("available"),
        )
        .join(products, products.c.id == stock.c.product_id)
        .join(locations, locations.c.id == stock.c.location_id),
        stock.c.id,
        None,
        "sku",
    ),
    "quotes": _listing(
        select(
            quotes.c.number,
            customers.c.code.label("customer"),
            quotes.c.status,
            quotes.c.created_at,
            quotes.c.valid_until,
            quotes.c.subtotal,
            quotes.c.tax_total,
        ).join(customers, customers.c.id == quotes.c.customer_id),
        quotes.c.id,
        "created_at",
        "-created_at",
    ),
    "orders": _listing(
        select(
            orders.c.number,
            customers.c.code.label("customer"),
            orders.c.status,
            orders.c.channel,
            orders.c.received_at,
            orders.c.requested_date,
            orders.c.promised_date,
            orders.c.subtotal,
            orders.c.tax_total,
            orders.c.version,
        ).join(customers, customers.c.id == orders.c.customer_id),
        orders.c.id,
        "received_at",
        "-received_at",
    ),
    "shipments": _listing(
        select(
            shipments.c.number,
            orders.c.number.label("order"),
            customers.c.code.label("customer"),
            carriers.c.code.label("carrier"),
            shipments.c.tracking_number,
            shipments.c.status,
            shipments.c.shipped_at,
            shipments.c.delivered_at,
            shipments.c.received_by,
            shipments.c.freight_cost,
        )
        .join(orders, orders.c.id == shipments.c.order_id)
        .join(customers, customers.c.id == orders.c.customer_id)
        .join(carriers, carriers.c.id == shipments.c.carrier_id),
        shipments.c.id,
        "shipped_at",
        "-shipped_at",
    ),
    "invoices": _listing(
        select(
            invoices.c.number,
            orders.c.number.label("order"),
            shipments.c.number.label("shipment"),
            customers.c.code.label("customer"),
            invoices.c.status,
            invoices.c.issued_at,
            invoices.c.due_date,
            invoices.c.subtotal,
            invoices.c.tax_total,
            invoices.c.amount_paid,
            invoices.c.paid_at,
        )
        .join(orders, orders.c.id == invoices.c.order_id)
        .outerjoin(shipments, shipments.c.id == invoices.c.shipment_id)
        .join(customers, customers.c.id == invoices.c.customer_id),
        invoices.c.id,
        "issued_at",
        "-issued_at",
    ),
    "payments": _listing(
        select(
            payments.c.id,
            invoices.c.number.label("invoice"),
            customers.c.code.label("customer"),
            payments.c.amount,
            payments.c.received_at,
            payments.c.reference,
        )
        .join(invoices, invoices.c.id == payments.c.invoice_id)
        .join(customers, customers.c.id == payments.c.customer_id),
        payments.c.id,
        "received_at",
        "-received_at",
    ),
    "returns": _listing(
        select(
            returns.c.number,
            orders.c.number.label("order"),
            customers.c.code.label("customer"),
            returns.c.status,
            returns.c.reason,
            returns.c.authorised_at,
            returns.c.received_at,
            returns.c.credited_at,
            returns.c.rejected_at,
        )
        .join(orders, orders.c.id == returns.c.order_id)
        .join(customers, customers.c.id == returns.c.customer_id),
        returns.c.id,
        "authorised_at",
        "-authorised_at",
    ),
    "purchase_orders": _listing(
        select(
            purchase_orders.c.number,
            suppliers.c.code.label("supplier"),
            locations.c.code.label("location"),
            purchase_orders.c.status,
            purchase_orders.c.created_at,
            purchase_orders.c.closed_at,
        )
        .join(suppliers, suppliers.c.id == purchase_orders.c.supplier_id)
        .join(locations, locations.c.id == purchase_orders.c.location_id),
        purchase_orders.c.id,
        "created_at",
        "-created_at",
    ),
    "receipts": _listing(
        select(
            receipts.c.number,
            func.coalesce(purchase_orders.c.number, transfers.c.number).label("source"),
            locations.c.code.label("location"),
            receipts.c.received_at,
        )
        .join(locations, locations.c.id == receipts.c.location_id)
        .outerjoin(purchase_orders, purchase_orders.c.id == receipts.c.purchase_order_id)
        .outerjoin(transfers, transfers.c.id == receipts.c.transfer_id),
        receipts.c.id,
        "received_at",
        "-received_at",
    ),
    "transfers": _listing(
        select(
            transfers.c.number,
            ship_from.c.code.label("from_location"),
            ship_to.c.code.label("to_location"),
            transfers.c.status,
            transfers.c.created_at,
            transfers.c.shipped_at,
            transfers.c.expected_date,
            transfers.c.received_at,
        )
        .join(ship_from, ship_from.c.id == transfers.c.from_location_id)
        .join(ship_to, ship_to.c.id == transfers.c.to_location_id),
        transfers.c.id,
        "created_at",
        "-created_at",
    ),
}


# --- the lines of one document ---------------------------------------------------------------


def lines_of_shipment(conn: Connection, number: str) -> list[dict[str, Any]]:
    query = (
        select(
            order_lines.c.line_no,
            products.c.sku,
            shipment_lines.c.quantity,
            shipment_lines.c.qty_short.label("short"),
            shipment_lines.c.qty_damaged.label("damaged"),
        )
        .join(shipments, shipments.c.id == shipment_lines.c.shipment_id)
        .join(order_lines, order_lines.c.id == shipment_lines.c.order_line_id)
        .join(products, products.c.id == order_lines.c.product_id)
        .where(shipments.c.number == number)
        .order_by(order_lines.c.line_no)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def lines_of_invoice(conn: Connection, number: str) -> list[dict[str, Any]]:
    query = (
        select(
            order_lines.c.line_no,
            products.c.sku,
            invoice_lines.c.quantity,
            invoice_lines.c.unit_price,
            invoice_lines.c.net_amount,
            invoice_lines.c.tax_amount,
        )
        .join(invoices, invoices.c.id == invoice_lines.c.invoice_id)
        .join(order_lines, order_lines.c.id == invoice_lines.c.order_line_id)
        .join(products, products.c.id == order_lines.c.product_id)
        .where(invoices.c.number == number)
        .order_by(order_lines.c.line_no)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def lines_of_receipt(conn: Connection, number: str) -> list[dict[str, Any]]:
    query = (
        select(
            products.c.sku,
            receipt_lines.c.qty_received.label("received"),
            receipt_lines.c.qty_accepted.label("accepted"),
            receipt_lines.c.qty_rejected.label("rejected"),
            receipt_lines.c.reject_reason.label("reason"),
        )
        .join(receipts, receipts.c.id == receipt_lines.c.receipt_id)
        .join(products, products.c.id == receipt_lines.c.product_id)
        .where(receipts.c.number == number)
        .order_by(receipt_lines.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def ship_tos_of(conn: Connection, customer_code: str) -> list[dict[str, Any]]:
    query = (
        select(ship_tos.c.code, ship_tos.c.name, ship_tos.c.address, ship_tos.c.region)
        .join(customers, customers.c.id == ship_tos.c.customer_id)
        .where(customers.c.code == customer_code)
        .order_by(ship_tos.c.code)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


_LOCKABLE = {
    "purchase_order": purchase_orders,
    "transfer": transfers,
    "return": returns,
    "shipment": shipments,
}


def lock_document(conn: Connection, entity_type: str, number: str) -> None:
    """Hold a document's header row until the transaction ends (``SELECT … FOR UPDATE``; SQLite
    writers are serialised anyway). Documents of other types are left alone."""
    table = _LOCKABLE.get(entity_type)
    if table is not None:
        conn.execute(select(table.c.id).where(table.c.number == number).with_for_update())
