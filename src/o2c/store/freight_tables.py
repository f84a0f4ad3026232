"""Carrier freight bills: what each carrier invoiced for a shipment, against the freight o2c expected.

One bill per shipment (``shipment_id`` unique). ``expected_amount`` is the shipment's ``freight_cost``
when the bill was recorded, kept on the bill so that the comparison the carrier scorecard makes
(freight billing accuracy) does not move if the shipment's freight is corrected later. Amounts are
:class:`~o2c.store.types.Minor` cents like every other amount. A disputed bill carries its reason
and, once settled, how (``upheld``: the carrier corrected its bill; ``withdrawn``: it stands), the
amount it was settled at and when; ``disputed`` stays true, the history of the bill.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table

from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata
from o2c.store.columns import money_column as _money
from o2c.store.columns import non_negative as _nonneg
from o2c.store.types import UTCDateTime

carrier_freight_bills = Table(
    "carrier_freight_bills",
    metadata,
    _id(),
    Column("shipment_id", ForeignKey("shipments.id"), nullable=False, unique=True),
    Column("carrier_id", ForeignKey("carriers.id"), nullable=False),
    Column("invoice_reference", String(60), nullable=True),  # the carrier's own invoice number
    _money("invoiced_amount"),
    _money("expected_amount"),
    Column("billed_at", UTCDateTime, nullable=False),
    Column("disputed", Boolean, nullable=False, server_default="0"),
    Column("dispute_reason", String(200), nullable=True),
    Column("settlement", String(10), nullable=True),  # domain.freight.DisputeOutcome
    _money("settled_amount", nullable=True),
    Column("settled_at", UTCDateTime, nullable=True),
    CheckConstraint("(dispute_reason IS NULL) <> disputed", name="dispute_reason"),
    CheckConstraint(
        "(settlement IS NULL AND settled_amount IS NULL AND settled_at IS NULL)"
        " OR (disputed AND settlement IN ('upheld', 'withdrawn')"
        " AND settled_amount IS NOT NULL AND settled_at IS NOT NULL)",
        name="settlement",
    ),
    *_nonneg("invoiced_amount", "expected_amount", "settled_amount"),
    Index("ix_carrier_freight_bills_carrier", "carrier_id"),
)
