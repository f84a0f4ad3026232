"""Bring a database to the newest schema with Alembic (what ``o2c init`` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from o2c.domain.errors import O2CError
from o2c.store.columns import declared_on
from o2c.store.database import shown
from o2c.store.schema import metadata

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaOutOfDate(O2CError):
    code = "schema_out_of_date"
    http_status = 503


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_drift(conn: Connection) -> list[Any]:
    """What Alembic's comparison finds between the database and the declared tables, as ``alembic
    check`` compares them (nothing, once migrated); indexes declared for another database left out."""
    options = {"compare_type": True, "include_object": declared_on(conn.dialect.name)}
    return list(compare_metadata(MigrationContext.configure(conn, opts=options), metadata))


def ensure_current(engine: Engine, url: str) -> None:
    """Refuse to work on a database that is not at this version's schema (run ``o2c init``)."""
    current = current_revision(engine)
    if current != head_revision():
        state = "is not initialised" if current is None else f"has schema {current}, not {head_revision()}"
        raise SchemaOutOfDate(f"database {shown(url)} {state}: run `o2c init`", database=shown(url))
