"""The Alembic migrations build exactly the schema the code declares, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from o2c.store.migrate import alembic_config, head_revision
from o2c.store.schema import metadata


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_the_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    assert _diff(engine) == []


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
    assert {"ix_order_lines_open_demand", "ix_order_lines_outcomes"} <= indexes
    assert "ix_order_lines_product_location" not in indexes  # created by 0001, dropped by 0012
