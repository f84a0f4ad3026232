"""shortfall fact keys

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:00:00

Drops the foreign keys of ``shortfall_outcomes.product_id`` and ``location_id``: a fact's product is
its order line's and its location one the line was sourced or filled at, both already checked
through the line (whose foreign key stays). On PostgreSQL each of them was a trigger and a key-share
lookup per fact: allocating 100,000 backorders records some 50,000 facts, and the three checks
were most of that insert's time. Hand-written to match ``store.supply_tables``.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_KEYS = {
    "fk_shortfall_outcomes_product_id_products": ("product_id", "products"),
    "fk_shortfall_outcomes_location_id_locations": ("location_id", "locations"),
}


def upgrade() -> None:
    with op.batch_alter_table("shortfall_outcomes", schema=None) as batch_op:
        for name in _KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("shortfall_outcomes", schema=None) as batch_op:
        for name, (column, table) in _KEYS.items():
            batch_op.create_foreign_key(name, table, [column], ["id"])
