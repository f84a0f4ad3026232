"""carrier freight bills

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:40:00

``carrier_freight_bills`` of ``store.freight_tables``: one bill per shipment, what the carrier invoiced
against the freight o2c expected (both in cents), when, and whether it is disputed (with the reason);
the carrier scorecard's freight billing accuracy and cost-to-serve's actual freight read it.
Hand-written to match.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "carrier_freight_bills",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("shipment_id", _ID, nullable=False),
        sa.Column("carrier_id", _ID, nullable=False),
        sa.Column("invoice_reference", sa.String(length=60), nullable=True),
        sa.Column("invoiced_amount", sa.BigInteger(), nullable=False),
        sa.Column("expected_amount", sa.BigInteger(), nullable=False),
        sa.Column("billed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disputed", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("dispute_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "(dispute_reason IS NULL) <> disputed", name=op.f("ck_carrier_freight_bills_dispute_reason")
        ),
        sa.CheckConstraint(
            "invoiced_amount >= 0", name=op.f("ck_carrier_freight_bills_invoiced_amount_nonneg")
        ),
        sa.CheckConstraint(
            "expected_amount >= 0", name=op.f("ck_carrier_freight_bills_expected_amount_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_carrier_freight_bills_shipment_id_shipments")
        ),
        sa.ForeignKeyConstraint(
            ["carrier_id"], ["carriers.id"], name=op.f("fk_carrier_freight_bills_carrier_id_carriers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_freight_bills")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_carrier_freight_bills_shipment_id")),
    )
    op.create_index("ix_carrier_freight_bills_carrier", "carrier_freight_bills", ["carrier_id"])


def downgrade() -> None:
    op.drop_index("ix_carrier_freight_bills_carrier", table_name="carrier_freight_bills")
    op.drop_table("carrier_freight_bills")
