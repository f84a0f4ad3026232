"""The whole schema in one ``MetaData``: import this (not a single tables module) where every table
must be known, as Alembic and the test fixtures do."""

from __future__ import annotations

from o2c.store import (
    after_sale_tables,
    analytics_tables,
    auth_tables,
    freight_tables,
    supply_tables,
    tables,
)
from o2c.store.columns import metadata

__all__ = [
    "after_sale_tables",
    "analytics_tables",
    "auth_tables",
    "freight_tables",
    "metadata",
    "supply_tables",
    "tables",
]
