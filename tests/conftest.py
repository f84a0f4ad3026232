"""Database fixtures shared by the integration and end-to-end tests.

Every integration test runs on SQLite and, when ``O2C_TEST_DATABASE_URL`` names a PostgreSQL server,
on PostgreSQL too (skipped with the reason otherwise; ``O2C_REQUIRE_POSTGRES=1`` turns the skip into a
failure, as CI sets it). SQLite tests get a fresh copy of a migrated template file; PostgreSQL tests
share one freshly created and migrated database, truncated between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from o2c.domain.clock import ManualClock
from o2c.store.database import create_db_engine, normalise_url
from o2c.store.migrate import upgrade
from o2c.store.schema import metadata
from o2c.store.uow import UnitOfWork

PG_ENV = "O2C_TEST_DATABASE_URL"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def pg_server_url() -> str | None:
    url = os.environ.get(PG_ENV)
    return normalise_url(url) if url else None


def skip_without_postgres() -> None:
    if pg_server_url() is None:
        message = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        if os.environ.get("O2C_REQUIRE_POSTGRES"):
            pytest.fail(message + " but O2C_REQUIRE_POSTGRES is set")
        pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "o2c.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A new database on the configured server, migrated, dropped at the end of the session."""
    skip_without_postgres()
    server = pg_server_url()
    assert server is not None
    name = f"o2c_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_KEEP = {"document_counters"}


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables if t.name not in _KEEP)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "o2c.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    engine = create_db_engine(pg_database)
    _truncate(engine)
    engine.dispose()
    yield pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def uow(engine: Engine, clock: ManualClock) -> UnitOfWork:
    return UnitOfWork(engine, clock)
