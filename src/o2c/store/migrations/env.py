"""Alembic environment: runs migrations on the connection or URL that o2c hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from o2c.store.columns import declared_on
from o2c.store.database import create_db_engine
from o2c.store.schema import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=declared_on(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///o2c.db")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("o2c migrations run online only: give a database URL")
run_migrations_online()
