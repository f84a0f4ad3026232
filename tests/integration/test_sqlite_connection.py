"""The settings every connection of o2c's SQLite engine opens with (store.database)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from o2c.store.database import SQLITE_CACHE_KIB


def test_a_sqlite_connection_writes_ahead_checks_keys_and_caches_up_to_64_mib(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's pragmas")
    with engine.connect() as conn:
        driver = conn.connection.dbapi_connection
        assert driver is not None

        def pragma(name: str) -> object:
            return driver.execute(f"PRAGMA {name}").fetchone()[0]

        # synchronous 1 is NORMAL; a negative cache size is in KiB
        assert (pragma("journal_mode"), pragma("synchronous"), pragma("foreign_keys")) == ("wal", 1, 1)
        assert pragma("cache_size") == -SQLITE_CACHE_KIB == -65536
