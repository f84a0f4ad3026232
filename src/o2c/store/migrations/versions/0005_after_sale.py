"""after-sale facts: returns, credit memos, service cases, delivery exceptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 07:30:00

Reserved in the chain for the after-sale work (returns and cases); it changes nothing until that work fills it in.
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
