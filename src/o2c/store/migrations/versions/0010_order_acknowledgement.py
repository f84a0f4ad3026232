"""order acknowledgement

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:30:00

``orders.acknowledgement``: the answer order entry gave when an order was placed under an idempotency
key (the order summary as JSON), so that the same order sent again is answered with exactly that, not
with the order as it is now. NULL for orders placed without a key (and for those placed before this).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("acknowledgement", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("acknowledgement")
