"""The settings every connection of o2c's SQLite engine opens with (store.database)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from o2c.sim.bulk_writer import bulk_session
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


def test_a_bulk_load_hands_the_connection_back_with_the_engines_settings(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's pragmas")
    with engine.connect() as conn:
        driver = conn.connection.dbapi_connection
        assert driver is not None
        with bulk_session(conn):
            assert driver.execute("PRAGMA foreign_keys").fetchone()[0] == 0  # off for the load
        # as every other connection of the pool has them
        assert driver.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert driver.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB
