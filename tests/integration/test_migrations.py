"""The Alembic migrations build exactly the schema the code declares, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from o2c.store.migrate import alembic_config, head_revision, schema_drift


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return schema_drift(conn)


def test_the_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    assert _diff(engine) == []


def test_the_comparison_sees_a_missing_index_declared_for_this_database(engine: Engine) -> None:
    """Leaving out the indexes declared for another database leaves nothing else out."""
    missing = ["ix_order_lines_open_demand"]
    if engine.dialect.name == "sqlite":
        missing.append("ix_order_lines_outcomes")
    with engine.connect() as conn, conn.begin() as dropped:  # undone: other tests share the database
        for name in missing:
            conn.execute(text(f"DROP INDEX {name}"))
        drift = schema_drift(conn)
        dropped.rollback()
    assert sorted(diff[1].name for diff in drift if diff[0] == "add_index") == sorted(missing)


def test_migrations_downgrade_to_nothing_and_upgrade_again(engine: Engine) -> None:
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    assert _diff(engine) == []
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("order_lines")}
    assert "ix_order_lines_open_demand" in indexes
    # the scorecard's covering index is SQLite's only (created by 0008, dropped on PostgreSQL by 0014)
    assert ("ix_order_lines_outcomes" in indexes) == (engine.dialect.name == "sqlite")
    assert "ix_order_lines_product_location" not in indexes  # created by 0001, dropped by 0012
