"""supply wiring: promised delivery dates on quotes and their lines

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 07:30:00

A quote promises a delivery date per line (from available-to-promise and the lanes) and, as a whole,
the latest of them; both are kept so that the order converted from it can be compared with them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_date", sa.Date(), nullable=True))
    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.drop_column("promised_date")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_column("promised_date")
