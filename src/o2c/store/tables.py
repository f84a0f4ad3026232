"""Tables of the order-to-cash documents and the event log: quotes, orders, shipments, invoices and
payments with their lines, the counters that number them, and ``events``.

These are the rows an order writes as it moves; the master data they refer to (customers, products,
locations, stock) is in :mod:`o2c.store.master_tables`. The database holds what it can itself:
non-negative quantities whose sum balances each order line, unique document numbers and idempotency
keys, payments and credits that never exceed an invoice, and an append-only event log (triggers in
the migration).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from o2c.domain.money import COST_SCALE, MONEY_SCALE
from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata, only_on
from o2c.store.columns import money_column as _money
from o2c.store.columns import non_negative as _nonneg
from o2c.store.columns import quantity_column as _qty
from o2c.store.types import Minor, UTCDateTime

# --- documents -------------------------------------------------------------------------------

document_counters = Table(
    "document_counters",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("last_value", BigInteger, nullable=False, server_default="0"),
)

quotes = Table(
    "quotes",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("ship_to_id", ForeignKey("ship_tos.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("valid_until", UTCDateTime, nullable=False),
    _money("subtotal"),
    _money("tax_total"),
    Column("promised_date", Date, nullable=True),  # the latest of its lines' (None: one has none)
    CheckConstraint("status IN ('open', 'converted', 'cancelled')", name="status"),
)

quote_lines = Table(
    "quote_lines",
    metadata,
    _id(),
    Column("quote_id", ForeignKey("quotes.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _money("unit_price"),
    _money("discount_amount"),
    _money("net_amount"),
    _money("tax_amount"),
    Column("promised_date", Date, nullable=True),  # delivery date the quote promises (None: not covered)
    UniqueConstraint("quote_id", "line_no"),
    CheckConstraint("quantity > 0", name="quantity_pos"),
)

ORDER_STATUSES = (
    "credit_hold",
    "open",
    "released",
    "picked",
    "packed",
    "partially_shipped",
    "shipped",
    "delivered",
    "closed",
    "cancelled",
)

orders = Table(
    "orders",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("ship_to_id", ForeignKey("ship_tos.id"), nullable=False),
    Column("quote_id", ForeignKey("quotes.id"), nullable=True, unique=True),
    Column("channel", String(20), nullable=False),
    Column("backorder_policy", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False, server_default="USD"),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),
    Column("requested_date", Date, nullable=True),
    Column("promised_date", Date, nullable=True),
    _money("subtotal"),
    _money("tax_total"),
    Column("version", Integer, nullable=False, server_default="1"),
    # Stage timestamps: what the cycle-time metrics read, so they never scan the event log.
    Column("customer_sent_at", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime, nullable=True),
    Column("picked_at", UTCDateTime, nullable=True),
    Column("packed_at", UTCDateTime, nullable=True),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("invoiced_at", UTCDateTime, nullable=True),
    Column("paid_at", UTCDateTime, nullable=True),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("expedited_at", UTCDateTime, nullable=True),  # an expedite: a cost-to-serve activity
    # What entry answered an order placed under an idempotency key: a replay answers the same.
    Column("acknowledgement", JSON, nullable=True),
    CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="status"),
    Index("ix_orders_customer_received", "customer_id", "received_at"),
    Index("ix_orders_status", "status"),
)

order_lines = Table(
    "order_lines",
    metadata,
    _id(),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=True),
    Column("qty_ordered", Integer, nullable=False),
    _qty("qty_allocated_at_entry"),
    _qty("qty_pending"),
    _qty("qty_allocated"),
    _qty("qty_backordered"),
    _qty("qty_cancelled"),
    _qty("qty_lost"),
    _qty("qty_picked"),
    _qty("qty_packed"),
    _qty("qty_shipped"),
    _qty("qty_delivered"),
    _qty("qty_damaged"),
    _qty("qty_substituted"),
    _qty("qty_wrong_item"),  # delivered (signed for) but not the ordered product, like qty_damaged
    Column("substitute_for_line_no", Integer, nullable=True),
    _money("unit_price"),
    _money("discount_amount"),
    _money("net_amount"),
    _money("tax_amount"),
    Column("unit_cost", Minor(COST_SCALE), nullable=False),
    Column("promised_date", Date, nullable=True),
    Column("promise_at_risk", Boolean, nullable=False, server_default="0"),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("order_id", "line_no"),
    CheckConstraint("qty_ordered > 0", name="qty_ordered_pos"),
    CheckConstraint(
        "qty_pending + qty_allocated + qty_backordered + qty_cancelled + qty_lost + qty_shipped"
        " + qty_substituted = qty_ordered",
        name="balance",
    ),
    CheckConstraint("qty_allocated_at_entry <= qty_ordered", name="entry_le_ordered"),
    CheckConstraint("qty_delivered <= qty_shipped", name="delivered_le_shipped"),
    CheckConstraint("qty_damaged <= qty_delivered", name="damaged_le_delivered"),
    CheckConstraint("qty_damaged + qty_wrong_item <= qty_delivered", name="exceptions_le_delivered"),
    *_nonneg(
        "qty_allocated_at_entry",
        "qty_pending",
        "qty_allocated",
        "qty_backordered",
        "qty_cancelled",
        "qty_lost",
        "qty_picked",
        "qty_packed",
        "qty_shipped",
        "qty_delivered",
        "qty_damaged",
        "qty_substituted",
        "qty_wrong_item",
    ),
)
# The open demand ATP nets (store.supply_demand): partial, so it holds only backordered lines, and
# covering, so a promise reads a SKU's demand without visiting the order-line rows themselves. It is
# also the only index by product: every reader by product asks for backordered lines (backorder
# allocation, listing, re-promising), and an index of all lines by product cost every insert and
# every non-HOT update of a line one more b-tree write (migration 0012).
_backordered = order_lines.c.qty_backordered > 0
Index(
    "ix_order_lines_open_demand",
    *(order_lines.c[name] for name in ("product_id", "location_id", "promised_date", "order_id")),
    order_lines.c.qty_backordered,
    sqlite_where=_backordered,
    postgresql_where=_backordered,
)
# What analytics.outcomes sums per order (fill at entry, delivery in full): covering, and led by the
# order, so SQLite's scorecard reads every order's lines in order from this narrow index, not the
# table. PostgreSQL's scorecard reads the table as fast (5M lines: 4.6-5.6 s with it, 5.3-5.4 s
# without), while every line write there, a non-HOT update of a fill or a re-promise included, paid
# for one more b-tree: backorder allocation took 2.8 s with it and 2.2 s without (migration 0014).
only_on(
    "sqlite",
    Index(
        "ix_order_lines_outcomes",
        *(
            order_lines.c[name]
            for name in (
                "order_id",
                "substitute_for_line_no",
                "qty_ordered",
                "qty_allocated_at_entry",
                "qty_lost",
                "unit_price",
                "qty_delivered",
                "qty_substituted",
                "qty_cancelled",
                "qty_damaged",
                "qty_wrong_item",
            )
        ),
    ),
)

shipments = Table(
    "shipments",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("carrier_id", ForeignKey("carriers.id"), nullable=False),
    Column("tracking_number", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("shipped_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("received_by", String(200), nullable=True),
    _money("freight_cost"),
    Column("weight_g", Integer, nullable=False, server_default="0"),
    CheckConstraint("status IN ('shipped', 'delivered')", name="status"),
    Index("ix_shipments_order", "order_id"),
)

shipment_lines = Table(
    "shipment_lines",
    metadata,
    _id(),
    Column("shipment_id", ForeignKey("shipments.id"), nullable=False),
    Column("order_line_id", ForeignKey("order_lines.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _qty("qty_short"),
    _qty("qty_damaged"),
    _qty("qty_wrong_item"),
    UniqueConstraint("shipment_id", "order_line_id"),
    CheckConstraint("quantity > 0", name="quantity_pos"),
    CheckConstraint("qty_short + qty_damaged + qty_wrong_item <= quantity", name="exceptions_le_quantity"),
    *_nonneg("qty_short", "qty_damaged", "qty_wrong_item"),
)

invoices = Table(
    "invoices",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("shipment_id", ForeignKey("shipments.id"), nullable=True, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("due_date", Date, nullable=False),
    _money("subtotal"),
    _money("tax_total"),
    _money("amount_paid"),
    # Credit memos applied to this invoice (store.after_sale_tables): paid + credited never exceed it.
    Column("amount_credited", Minor(MONEY_SCALE), nullable=False, server_default="0"),
    Column("paid_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('open', 'paid')", name="status"),
    CheckConstraint("amount_paid <= subtotal + tax_total", name="paid_le_total"),
    CheckConstraint("amount_paid + amount_credited <= subtotal + tax_total", name="settled_le_total"),
    *_nonneg("amount_paid", "amount_credited"),
    Index("ix_invoices_customer_status", "customer_id", "status"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    _id(),
    Column("invoice_id", ForeignKey("invoices.id"), nullable=False),
    Column("order_line_id", ForeignKey("order_lines.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _money("unit_price"),
    _money("net_amount"),
    _money("tax_amount"),
    CheckConstraint("quantity > 0", name="quantity_pos"),
)

payments = Table(
    "payments",
    metadata,
    _id(),
    Column("invoice_id", ForeignKey("invoices.id"), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    _money("amount"),
    Column("received_at", UTCDateTime, nullable=False),
    Column("reference", String(100), nullable=False, server_default=""),
    CheckConstraint("amount > 0", name="amount_pos"),
)

# --- recorded facts --------------------------------------------------------------------------

events = Table(
    "events",
    metadata,
    _id(),
    Column("entity_type", String(30), nullable=False),
    Column("entity_id", String(60), nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_events_entity", "entity_type", "entity_id"),
)
