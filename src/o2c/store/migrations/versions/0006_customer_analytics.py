"""customer analytics configuration: activity rates and service level agreements

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:30:00

Reserved in the chain for issue 6 (customer analytics); it changes nothing until that work fills it in.
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
