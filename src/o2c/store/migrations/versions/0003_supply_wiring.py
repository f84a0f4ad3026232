"""supply wiring: promised dates on quotes, lanes on locations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 07:30:00

Reserved in the chain for issue 3 (supply and promising); it changes nothing until that work fills it in.
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
