"""Read-only connections (store.database.read_connection) never queue for SQLite's write lock: not
behind a writer, and not behind each other, so the reports' side-by-side reads really run at once."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from o2c.store.database import read_connection, statement_reads


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


def test_statement_reads_open_no_transaction_and_return_the_connection_as_they_found_it(
    engine: Engine,
) -> None:
    # On PostgreSQL a transaction would cost a BEGIN and a ROLLBACK round trip, and psycopg forgets its
    # prepared statements at every ROLLBACK: a promise would plan its statements anew every time.
    with statement_reads(engine) as conn:
        driver: Any = conn.connection.dbapi_connection
        driver.cursor().execute("SELECT count(*) FROM orders").fetchall()
        if engine.dialect.name == "postgresql":
            assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        else:
            assert not driver.in_transaction
    with engine.connect() as again:  # the pool hands out the same connection: transactional again
        assert again.connection.dbapi_connection is driver
        again.execute(text("SELECT count(*) FROM orders")).scalar_one()
        if engine.dialect.name == "postgresql":
            assert driver.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        else:
            assert driver.in_transaction  # the engine's BEGIN IMMEDIATE


def test_statement_reads_read_what_is_committed_meanwhile(engine: Engine) -> None:
    with statement_reads(engine) as reader:
        driver: Any = reader.connection.dbapi_connection
        count = "SELECT count(*) FROM document_counters"
        before = driver.cursor().execute(count).fetchone()[0]
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO document_counters (kind, last_value) VALUES ('zz-read', 1)"))
        assert driver.cursor().execute(count).fetchone()[0] == before + 1


def test_a_sqlite_writer_holds_the_write_lock_and_autocommit_is_refused(engine: Engine) -> None:
    # Every SQLite transaction is begun by the engine's dialect with BEGIN IMMEDIATE; it cannot tell an
    # AUTOCOMMIT connection from another, so one is refused rather than silently made transactional.
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL transactions are begun by psycopg")
    with engine.connect() as conn, conn.begin():
        driver: Any = conn.connection.dbapi_connection
        assert driver.in_transaction
        other = engine.raw_connection()
        try:
            other.cursor().execute("PRAGMA busy_timeout=0")
            with pytest.raises(Exception, match="locked"):
                other.cursor().execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    with engine.connect() as conn, pytest.raises(ValueError, match="AUTOCOMMIT"):
        conn.execution_options(isolation_level="AUTOCOMMIT")
