"""order outcomes index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:40:00

``ix_order_lines_outcomes`` of ``store.tables``: a covering index of the order lines by order, with the
quantities and price the fill rates and delivery performance sum per order
(``analytics.outcomes``), so that the scorecard reads them in order from the index alone instead of
sorting millions of full-width line rows. Hand-written to match.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


_COLUMNS = [
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
]


def upgrade() -> None:
    op.create_index("ix_order_lines_outcomes", "order_lines", _COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_order_lines_outcomes", table_name="order_lines")
