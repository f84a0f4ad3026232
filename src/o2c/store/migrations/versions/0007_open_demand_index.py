"""open demand index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 09:10:00

``ix_order_lines_open_demand`` of ``store.tables``: a partial covering index of the backordered order
lines by product, location and promised date, so that a promise reads a SKU's open demand from the
index alone. Hand-written to match.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BACKORDERED = sa.text("qty_backordered > 0")


def upgrade() -> None:
    op.create_index(
        "ix_order_lines_open_demand",
        "order_lines",
        ["product_id", "location_id", "promised_date", "order_id", "qty_backordered"],
        sqlite_where=_BACKORDERED,
        postgresql_where=_BACKORDERED,
    )


def downgrade() -> None:
    op.drop_index("ix_order_lines_open_demand", table_name="order_lines")
