"""outcomes index on SQLite only

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:25:00

Drops ``ix_order_lines_outcomes`` (migration 0008) on PostgreSQL; SQLite keeps it. It covers what
the scorecard sums per order, and SQLite's scorecard reads the lines from it instead of the
full-width rows. PostgreSQL's scorecard reads the table about as fast (5M lines, vacuumed: 4.6, 4.8
and 5.6 s with it; 5.3 and 5.4 s without), while on PostgreSQL every update of a line that is not
HOT writes an entry into each of its indexes: a backorder fill or a re-promise changes columns of
``ix_order_lines_open_demand``, so none is HOT, and this eleven-column index made allocating 100,000
backorders take 2.8 s instead of 2.2 s. Hand-written to match ``store.tables``
(``only_on("sqlite", ...)``).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
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
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_order_lines_outcomes", table_name="order_lines")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_order_lines_outcomes", "order_lines", _COLUMNS)
