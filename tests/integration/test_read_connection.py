"""Read-only connections (store.database.read_connection) never queue for SQLite's write lock: not
behind a writer, and not behind each other, so the reports' side-by-side reads really run at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from o2c.store.database import read_connection, statement_connection


def read_in_thread(engine: Engine) -> threading.Thread:
    def read() -> None:
        with read_connection(engine) as conn:
            conn.execute(text("SELECT count(*) FROM orders")).scalar_one()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_reader_neither_waits_for_a_writer_nor_for_another_reader(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never take the write lock")
    writer = engine.raw_connection()
    try:
        writer.cursor().execute("BEGIN IMMEDIATE")  # what every writing unit of work holds
        with read_connection(engine) as first:
            first.execute(text("SELECT count(*) FROM customers")).scalar_one()  # its transaction is open
            second = read_in_thread(engine)
            second.join(timeout=10)  # the busy timeout is 30 s: a reader that queued would still wait
            assert not second.is_alive()
    finally:
        writer.rollback()
        writer.close()


def test_a_read_only_transaction_on_sqlite_sees_one_snapshot(engine: Engine) -> None:
    # A deferred BEGIN is still a transaction: a row committed meanwhile stays out of it (PostgreSQL's
    # plain connection reads committed rows, statement by statement, as every unit of work there does).
    if engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL a read-only connection is a plain READ COMMITTED one")
    with read_connection(engine) as reader:
        before = reader.execute(text("SELECT count(*) FROM document_counters")).scalar_one()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO document_counters (kind, last_value) VALUES ('zz-test', 1)"))
        assert reader.execute(text("SELECT count(*) FROM document_counters")).scalar_one() == before


def test_a_statement_connection_opens_no_transaction_on_postgresql_and_leaves_none_behind(
    engine: Engine,
) -> None:
    with statement_connection(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar_one() == 0
        if engine.dialect.name == "postgresql":
            # A lone statement is its own snapshot: no BEGIN before it, no ROLLBACK after it.
            assert conn.connection.dbapi_connection.info.transaction_status == 0  # IDLE  # type: ignore[union-attr]
    with engine.connect() as conn:  # the pooled connection is back to transactions for writers
        conn.execute(text("SELECT 1"))
        assert conn.in_transaction()
        if engine.dialect.name == "postgresql":
            assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
