"""Tables of the supply side: lanes, purchase orders, ASNs, receipts, transfers, and the facts of
stockouts and shortfalls that the service metrics read."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from o2c.domain.money import COST_SCALE
from o2c.store.columns import Id, metadata, only_on
from o2c.store.columns import id_column as _id
from o2c.store.columns import non_negative as _nonneg
from o2c.store.columns import quantity_column as _qty
from o2c.store.types import Minor, UTCDateTime

lanes = Table(
    "lanes",
    metadata,
    _id(),
    Column("origin_region", String(40), nullable=False),
    Column("destination_region", String(40), nullable=False),
    Column("service", String(40), nullable=False, server_default="ground"),
    Column("transit_days", Integer, nullable=False),
    UniqueConstraint("origin_region", "destination_region", "service"),
    *_nonneg("transit_days"),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    _id(),
    Column("purchase_order_id", ForeignKey("purchase_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("qty_ordered", Integer, nullable=False),
    _qty("qty_received"),
    _qty("qty_accepted"),
    _qty("qty_rejected"),
    Column("unit_cost", Minor(COST_SCALE), nullable=False),
    # promised_date is what the supplier agreed (supplier on-time); expected_date moves when it slips.
    Column("promised_date", Date, nullable=False),
    Column("expected_date", Date, nullable=False),
    UniqueConstraint("purchase_order_id", "line_no"),
    CheckConstraint("qty_ordered > 0", name="qty_ordered_pos"),
    CheckConstraint("qty_accepted + qty_rejected = qty_received", name="inspection_adds_up"),
    *_nonneg("qty_received", "qty_accepted", "qty_rejected", "unit_cost"),
    Index("ix_purchase_order_lines_product_expected", "product_id", "expected_date"),
)

advance_shipping_notices = Table(
    "advance_shipping_notices",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("purchase_order_id", ForeignKey("purchase_orders.id"), nullable=False),
    Column("notified_at", UTCDateTime, nullable=False),
    Column("expected_date", Date, nullable=False),
    Column("reference", String(100), nullable=False, server_default=""),
)

asn_lines = Table(
    "asn_lines",
    metadata,
    _id(),
    Column("asn_id", ForeignKey("advance_shipping_notices.id"), nullable=False),
    Column("purchase_order_line_id", ForeignKey("purchase_order_lines.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_pos"),
)

transfers = Table(
    "transfers",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("from_location_id", ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", ForeignKey("locations.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("expected_date", Date, nullable=True),
    Column("received_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('open', 'in_transit', 'received', 'cancelled')", name="status"),
    CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    _id(),
    Column("transfer_id", ForeignKey("transfers.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _qty("qty_received"),
    UniqueConstraint("transfer_id", "line_no"),
    CheckConstraint("quantity > 0", name="quantity_pos"),
    CheckConstraint("qty_received <= quantity", name="received_le_quantity"),
    *_nonneg("qty_received"),
)

receipts = Table(
    "receipts",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("purchase_order_id", ForeignKey("purchase_orders.id"), nullable=True),
    Column("transfer_id", ForeignKey("transfers.id"), nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    CheckConstraint("(purchase_order_id IS NULL) <> (transfer_id IS NULL)", name="one_source"),
)

receipt_lines = Table(
    "receipt_lines",
    metadata,
    _id(),
    Column("receipt_id", ForeignKey("receipts.id"), nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("purchase_order_line_id", ForeignKey("purchase_order_lines.id"), nullable=True),
    Column("transfer_line_id", ForeignKey("transfer_lines.id"), nullable=True),
    Column("qty_received", Integer, nullable=False),
    _qty("qty_accepted"),
    _qty("qty_rejected"),
    Column("reject_reason", String(200), nullable=False, server_default=""),
    CheckConstraint("qty_received > 0", name="qty_received_pos"),
    CheckConstraint("qty_accepted + qty_rejected = qty_received", name="inspection_adds_up"),
    *_nonneg("qty_accepted", "qty_rejected"),
)

stockout_episodes = Table(
    "stockout_episodes",
    metadata,
    _id(),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    # At most one open episode per SKU-location, whatever the concurrency.
    Index(
        "uq_stockout_episodes_open",
        "product_id",
        "location_id",
        unique=True,
        postgresql_where=text("ended_at IS NULL"),
        sqlite_where=text("ended_at IS NULL"),
    ),
)

SHORTFALL_OUTCOMES = ("backordered", "lost", "allocated", "substituted", "cancelled")

# A fact's product is its order line's (the original line's, for a substitution) and its location one
# the line was sourced or filled at: copies for the metrics to group by, checked through the line's
# own foreign keys. Foreign keys of their own cost PostgreSQL a trigger and a key-share lookup per
# fact, some tens of thousands after a large receipt (migration 0013), so only the line is referenced.
# On PostgreSQL not by a foreign key either: its per-row check locks the line (a WAL record and a
# page written again per fact); triggers of migration 0015 check each statement's facts against
# order_lines at once, and refuse to delete a line a fact refers to, as the key would.
shortfall_outcomes = Table(
    "shortfall_outcomes",
    metadata,
    _id(),
    Column("order_line_id", Id, nullable=False),
    Column("product_id", Id, nullable=False),
    Column("location_id", Id, nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_pos"),
    CheckConstraint(f"outcome IN {SHORTFALL_OUTCOMES!r}", name="outcome"),
    Index("ix_shortfall_outcomes_line", "order_line_id"),
    only_on("sqlite", ForeignKeyConstraint(["order_line_id"], ["order_lines.id"])),
)
