"""customer analytics configuration: activity rates and service level agreements

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:30:00

The tables of ``store.analytics_tables``: activity rates of cost-to-serve (defaults live in code, a
row overrides one) and service level agreements per segment or customer. Hand-written to match.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ACTIVITIES = (
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


def upgrade() -> None:
    op.create_table(
        "activity_rates",
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"activity IN {_ACTIVITIES!r}", name=op.f("ck_activity_rates_activity")),
        sa.CheckConstraint("rate >= 0", name=op.f("ck_activity_rates_rate_nonneg")),
        sa.PrimaryKeyConstraint("activity", name=op.f("pk_activity_rates")),
    )
    op.create_table(
        "service_level_agreements",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("segment", sa.String(length=40), nullable=True),
        sa.Column("customer_id", _ID, nullable=True),
        sa.Column("min_fill_rate", sa.BigInteger(), nullable=True),
        sa.Column("min_otif", sa.BigInteger(), nullable=True),
        sa.Column("max_lead_time_days", sa.Integer(), nullable=True),
        sa.Column("max_response_hours", sa.Integer(), nullable=True),
        sa.Column("max_resolution_hours", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(segment IS NULL) <> (customer_id IS NULL)", name=op.f("ck_service_level_agreements_one_scope")
        ),
        sa.CheckConstraint(
            "min_fill_rate BETWEEN 0 AND 1000000", name=op.f("ck_service_level_agreements_fill_rate_range")
        ),
        sa.CheckConstraint(
            "min_otif BETWEEN 0 AND 1000000", name=op.f("ck_service_level_agreements_otif_range")
        ),
        sa.CheckConstraint(
            "max_lead_time_days >= 0", name=op.f("ck_service_level_agreements_max_lead_time_days_nonneg")
        ),
        sa.CheckConstraint(
            "max_response_hours >= 0", name=op.f("ck_service_level_agreements_max_response_hours_nonneg")
        ),
        sa.CheckConstraint(
            "max_resolution_hours >= 0", name=op.f("ck_service_level_agreements_max_resolution_hours_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_service_level_agreements_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_level_agreements")),
        sa.UniqueConstraint("segment", name=op.f("uq_service_level_agreements_segment")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_service_level_agreements_customer_id")),
    )


def downgrade() -> None:
    op.drop_table("service_level_agreements")
    op.drop_table("activity_rates")
