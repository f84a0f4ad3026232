"""The schema, as SQLAlchemy Core tables. Alembic migrations under ``migrations/`` create it.

Invariants the database can hold itself are declared here as constraints, so that no code path,
however buggy or concurrent, can break them: ``0 <= allocated <= on_hand``, non-negative quantities,
unique document numbers and idempotency keys, an append-only event log (triggers in the migration).
Money columns are :class:`~o2c.store.types.Minor` (integer minor units); quantities are integers.
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

from o2c.domain.money import COST_SCALE, MONEY_SCALE, RATE_SCALE
from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata
from o2c.store.columns import money_column as _money
from o2c.store.columns import non_negative as _nonneg
from o2c.store.columns import quantity_column as _qty
from o2c.store.types import Minor, UTCDateTime

# --- master data -----------------------------------------------------------------------------

price_lists = Table(
    "price_lists",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False, server_default="USD"),
)

customers = Table(
    "customers",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("segment", String(40), nullable=False),
    Column("tier", Integer, nullable=False, server_default="3"),
    Column("channel", String(20), nullable=False),
    Column("credit_limit", Minor(MONEY_SCALE), nullable=True),
    Column("payment_terms_days", Integer, nullable=False, server_default="30"),
    Column("backorder_policy", String(20), nullable=False),
    Column("allow_substitution", Boolean, nullable=False, server_default="0"),
    Column("price_list_id", ForeignKey("price_lists.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    CheckConstraint("tier BETWEEN 1 AND 9", name="tier_range"),
    CheckConstraint(
        "backorder_policy IN ('allow_partial', 'ship_complete', 'cancel_remainder')", name="backorder_policy"
    ),
    *_nonneg("payment_terms_days", "credit_limit"),
)

ship_tos = Table(
    "ship_tos",
    metadata,
    _id(),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", String(400), nullable=False, server_default=""),
    Column("region", String(40), nullable=False),
    UniqueConstraint("customer_id", "code"),
)

products = Table(
    "products",
    metadata,
    _id(),
    Column("sku", String(60), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("list_price", Minor(MONEY_SCALE), nullable=False),
    Column("standard_cost", Minor(COST_SCALE), nullable=False),
    Column("weight_g", Integer, nullable=False, server_default="0"),
    Column("volume_cm3", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    *_nonneg("list_price", "standard_cost", "weight_g", "volume_cm3"),
)

product_alternates = Table(
    "product_alternates",
    metadata,
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("alternate_id", ForeignKey("products.id"), primary_key=True),
    Column("rank", Integer, nullable=False, server_default="1"),
    CheckConstraint("product_id <> alternate_id", name="not_self"),
)

locations = Table(
    "locations",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("region", String(40), nullable=False),
    # Lead times of the promise: days to process an order, then to pick and pack it, before transit.
    Column("processing_days", Integer, nullable=False, server_default="1"),
    Column("pick_pack_days", Integer, nullable=False, server_default="1"),
    *_nonneg("processing_days", "pick_pack_days"),
)

suppliers = Table(
    "suppliers",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("lead_time_days", Integer, nullable=False, server_default="14"),
    *_nonneg("lead_time_days"),
)

carriers = Table(
    "carriers",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("service", String(40), nullable=False, server_default="ground"),
)

price_list_items = Table(
    "price_list_items",
    metadata,
    Column("price_list_id", ForeignKey("price_lists.id"), primary_key=True),
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    _money("unit_price"),
    *_nonneg("unit_price"),
)

segment_discounts = Table(
    "segment_discounts",
    metadata,
    Column("segment", String(40), primary_key=True),
    Column("discount_rate", Minor(RATE_SCALE), nullable=False),
    CheckConstraint("discount_rate BETWEEN 0 AND 1000000", name="discount_range"),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("region", String(40), primary_key=True),
    Column("rate", Minor(RATE_SCALE), nullable=False),
    *_nonneg("rate"),
)

stock = Table(
    "stock",
    metadata,
    _id(),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    _qty("on_hand"),
    _qty("allocated"),
    UniqueConstraint("product_id", "location_id"),
    CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
    CheckConstraint("allocated >= 0", name="allocated_nonneg"),
    CheckConstraint("allocated <= on_hand", name="allocated_le_on_hand"),
)

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
# order, so the scorecard reads every order's lines in order from this narrow index, not the table.
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
