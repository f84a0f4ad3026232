"""freight bill settlements

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:10:00

A disputed carrier freight bill is settled once: ``settlement`` (``upheld``: the carrier corrected its
bill; ``withdrawn``: the bill stands), ``settled_amount`` in cents and ``settled_at``; all three NULL
until then, and only on a disputed bill (CHECK ``settlement``). Hand-written to match
``store.freight_tables``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_SETTLEMENT = (
    "(settlement IS NULL AND settled_amount IS NULL AND settled_at IS NULL)"
    " OR (disputed AND settlement IN ('upheld', 'withdrawn')"
    " AND settled_amount IS NOT NULL AND settled_at IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("carrier_freight_bills") as batch:
        batch.add_column(sa.Column("settlement", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("settled_amount", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(op.f("ck_carrier_freight_bills_settlement"), sa.text(_SETTLEMENT))
        batch.create_check_constraint(
            op.f("ck_carrier_freight_bills_settled_amount_nonneg"), sa.text("settled_amount >= 0")
        )


def downgrade() -> None:
    with op.batch_alter_table("carrier_freight_bills") as batch:
        batch.drop_constraint(op.f("ck_carrier_freight_bills_settled_amount_nonneg"), type_="check")
        batch.drop_constraint(op.f("ck_carrier_freight_bills_settlement"), type_="check")
        batch.drop_column("settled_at")
        batch.drop_column("settled_amount")
        batch.drop_column("settlement")
