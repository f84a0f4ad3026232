"""The whole schema in one ``MetaData``: import this (not a single tables module) where every table
must be known, as Alembic and the test fixtures do.

Each tables module declares the SQLAlchemy Core tables of one concept; the Alembic migrations
under ``migrations/`` create them. Invariants the database can hold itself are declared as
constraints, so that no code path, however buggy or concurrent, can break them. Money columns are
:class:`~o2c.store.types.Minor` (integer minor units); quantities are integers.
"""

from __future__ import annotations

from o2c.store import (
    after_sale_tables,
    analytics_tables,
    auth_tables,
    freight_tables,
    master_tables,
    supply_tables,
    tables,
)
from o2c.store.columns import metadata

__all__ = [
    "after_sale_tables",
    "analytics_tables",
    "auth_tables",
    "freight_tables",
    "master_tables",
    "metadata",
    "supply_tables",
    "tables",
]
