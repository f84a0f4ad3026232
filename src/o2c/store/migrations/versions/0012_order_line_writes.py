"""order line writes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:50:00

Drops ``ix_order_lines_product_location``. Every reader that looks order lines up by product (and
location) asks for backordered lines, ``qty_backordered > 0``, which the partial
``ix_order_lines_open_demand`` (led by product and location) answers on both databases; for all
lines it was one more b-tree to write on every insert and every non-HOT update of a line (on
PostgreSQL each UPDATE of ``qty_backordered`` or ``promised_date`` rewrites all of a line's indexes:
allocating 100,000 backorders wrote about a sixth fewer WAL records without it). Hand-written to
match ``store.tables``.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_order_lines_product_location", table_name="order_lines")


def downgrade() -> None:
    op.create_index("ix_order_lines_product_location", "order_lines", ["product_id", "location_id"])
