"""Tables of the after-sale side: returns (RMA) and their lines, credit memos, service cases and NPS
responses. The delivery exceptions (``qty_wrong_item``), the expedite stamp (``orders.expedited_at``)
and the credit applied to an invoice (``invoices.amount_credited``) are columns of the sales tables.

Every status has the timestamp the metrics read (case response and resolution times, return cycle
time), so no metric has to scan the event log.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from o2c.domain.money import MONEY_SCALE
from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata
from o2c.store.columns import money_column as _money
from o2c.store.columns import non_negative as _nonneg
from o2c.store.columns import quantity_column as _qty
from o2c.store.types import Minor, UTCDateTime

RETURN_STATUSES = ("authorised", "received", "credited", "rejected")
RETURN_REASONS = ("wrong_item", "wrong_quantity", "damaged", "defective", "not_wanted", "other")
DISPOSITIONS = ("restock", "refurbish", "scrap", "return_to_vendor")
CREDIT_REASONS = ("return", "billing_error", "price_adjustment", "service_recovery")
CASE_CATEGORIES = ("complaint", "delivery", "billing", "quality", "inquiry", "other")
CASE_PRIORITIES = ("low", "normal", "high", "urgent")
CASE_STATUSES = ("open", "responded", "resolved")

returns = Table(
    "returns",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", String(20), nullable=False),
    Column("authorised_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=True),
    Column("credited_at", UTCDateTime, nullable=True),
    Column("rejected_at", UTCDateTime, nullable=True),
    Column("note", String(500), nullable=False, server_default=""),
    CheckConstraint(f"status IN {RETURN_STATUSES!r}", name="status"),
    CheckConstraint(f"reason IN {RETURN_REASONS!r}", name="reason"),
    Index("ix_returns_order", "order_id"),
    Index("ix_returns_customer_authorised", "customer_id", "authorised_at"),
)

return_lines = Table(
    "return_lines",
    metadata,
    _id(),
    Column("return_id", ForeignKey("returns.id"), nullable=False),
    Column("order_line_id", ForeignKey("order_lines.id"), nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    _qty("qty_received"),
    Column("disposition", String(20), nullable=True),  # decided at inspection, on receipt
    Column("location_id", ForeignKey("locations.id"), nullable=True),  # where it comes back to
    UniqueConstraint("return_id", "order_line_id"),
    CheckConstraint("quantity > 0", name="quantity_pos"),
    CheckConstraint("qty_received <= quantity", name="received_le_quantity"),
    CheckConstraint(f"disposition IS NULL OR disposition IN {DISPOSITIONS!r}", name="disposition"),
    *_nonneg("qty_received"),
    Index("ix_return_lines_order_line", "order_line_id"),
)

credit_memos = Table(
    "credit_memos",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("invoice_id", ForeignKey("invoices.id"), nullable=True),
    Column("return_id", ForeignKey("returns.id"), nullable=True, unique=True),
    Column("reason", String(20), nullable=False),
    _money("subtotal"),
    _money("tax_total"),
    # The part set against the invoice's open amount; the rest is credit on the customer's account.
    Column("amount_applied", Minor(MONEY_SCALE), nullable=False, server_default="0"),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    CheckConstraint(f"reason IN {CREDIT_REASONS!r}", name="reason"),
    CheckConstraint("subtotal + tax_total > 0", name="total_pos"),
    CheckConstraint("amount_applied <= subtotal + tax_total", name="applied_le_total"),
    CheckConstraint("(reason = 'return') = (return_id IS NOT NULL)", name="return_has_rma"),
    CheckConstraint("amount_applied = 0 OR invoice_id IS NOT NULL", name="applied_to_invoice"),
    *_nonneg("subtotal", "tax_total", "amount_applied"),
    Index("ix_credit_memos_customer_issued", "customer_id", "issued_at"),
    Index("ix_credit_memos_invoice", "invoice_id"),
)

service_cases = Table(
    "service_cases",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("order_id", ForeignKey("orders.id"), nullable=True),
    Column("category", String(20), nullable=False),
    Column("priority", String(10), nullable=False, server_default="normal"),
    Column("status", String(20), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("first_response_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("summary", Text, nullable=False),
    Column("resolution", Text, nullable=True),
    CheckConstraint(f"category IN {CASE_CATEGORIES!r}", name="category"),
    CheckConstraint(f"priority IN {CASE_PRIORITIES!r}", name="priority"),
    CheckConstraint(f"status IN {CASE_STATUSES!r}", name="status"),
    CheckConstraint("(status = 'open') = (first_response_at IS NULL)", name="responded_iff_stamped"),
    CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="resolved_iff_stamped"),
    CheckConstraint(
        "first_response_at IS NULL OR first_response_at >= opened_at", name="response_after_open"
    ),
    CheckConstraint(
        "resolved_at IS NULL OR resolved_at >= first_response_at", name="resolution_after_response"
    ),
    Index("ix_service_cases_customer_opened", "customer_id", "opened_at"),
    Index("ix_service_cases_status", "status"),
)

nps_responses = Table(
    "nps_responses",
    metadata,
    _id(),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("order_id", ForeignKey("orders.id"), nullable=True),
    Column("score", Integer, nullable=False),
    Column("responded_at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
    Index("ix_nps_responses_customer_responded", "customer_id", "responded_at"),
)
