"""Configuration the customer analytics read: activity rates of cost-to-serve and service level
agreements. Defaults of the rates live in :mod:`o2c.analytics.cost_to_serve`; a row here overrides one.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table

from o2c.domain.money import COST_SCALE, RATE_SCALE
from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata
from o2c.store.columns import non_negative as _nonneg
from o2c.store.types import Minor, UTCDateTime

# Everything cost-to-serve counts, and the invoice of the single-criterion operating profit contribution.
ACTIVITIES = (
    "order",
    "line",
    "shipment",
    "delivery",
    "expedite",
    "return",
    "service_case",
    "credit_hold",
    "invoice",
)

activity_rates = Table(
    "activity_rates",
    metadata,
    Column("activity", String(20), primary_key=True),
    Column("rate", Minor(COST_SCALE), nullable=False),  # money per occurrence of the activity
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(f"activity IN {ACTIVITIES!r}", name="activity"),
    *_nonneg("rate"),
)

service_level_agreements = Table(
    "service_level_agreements",
    metadata,
    _id(),
    # Exactly one scope: a whole segment, or one customer (a customer's own SLA wins over its segment's).
    Column("segment", String(40), nullable=True, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=True, unique=True),
    Column("min_fill_rate", Minor(RATE_SCALE), nullable=True),  # unit fill rate at entry, 0..1
    Column("min_otif", Minor(RATE_SCALE), nullable=True),  # 0..1
    Column("max_lead_time_days", Integer, nullable=True),  # order received -> delivered
    Column("max_response_hours", Integer, nullable=True),  # case opened -> first response
    Column("max_resolution_hours", Integer, nullable=True),  # case opened -> resolved
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("(segment IS NULL) <> (customer_id IS NULL)", name="one_scope"),
    CheckConstraint("min_fill_rate BETWEEN 0 AND 1000000", name="fill_rate_range"),
    CheckConstraint("min_otif BETWEEN 0 AND 1000000", name="otif_range"),
    *_nonneg("max_lead_time_days", "max_response_hours", "max_resolution_hours"),
)
