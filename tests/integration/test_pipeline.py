"""store.pipeline: writes sent back to back on PostgreSQL, at once elsewhere; their row counts, errors
and what may not run inside a pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from o2c.store.batches import UpdateByIds
from o2c.store.driver import Prepared
from o2c.store.pipeline import pipelined

probe = Table(
    "pipeline_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
    CheckConstraint("n >= 0", name="ck_pipeline_probe_n"),
)
add = Prepared(update(probe).where(probe.c.id <= bindparam("b_upto")).values(n=probe.c.n + bindparam("b_n")))
add_one = Prepared(
    update(probe).where(probe.c.id == bindparam("b_id")).values(n=probe.c.n + bindparam("b_n"))
)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        probe.create(conn)
        conn.execute(insert(probe), [{"id": i, "n": 0} for i in range(1, 6)])
        conn.commit()
        conn.begin()  # as a unit of work does: the statements below bypass Core, its autobegin too
        try:
            yield conn
        finally:
            conn.rollback()
            probe.drop(conn)
            conn.commit()


def amounts(conn: Connection) -> list[int]:
    return list(conn.execute(select(probe.c.n).order_by(probe.c.id)).scalars())


def test_writes_sent_in_a_pipeline_are_applied_in_order_and_counted_when_it_ends(conn: Connection) -> None:
    with pipelined(conn):
        first = add.send(conn, {"b_upto": 3, "b_n": 2})
        second = add.send(conn, {"b_upto": 5, "b_n": 1})
        each = add_one.send_values(conn, ("b_id", "b_n"), [(1, 10), (5, 10), (99, 10)])
    assert (first.rowcount, second.rowcount, each.rowcount) == (3, 5, 2)
    assert (first + second).rowcount == 8
    assert amounts(conn) == [13, 3, 3, 1, 11]


def test_a_row_count_is_not_known_inside_a_pipeline_on_postgresql_and_at_once_elsewhere(
    conn: Connection,
) -> None:
    with pipelined(conn):
        sent = add.send(conn, {"b_upto": 2, "b_n": 1})
        if conn.dialect.name == "postgresql":
            with pytest.raises(RuntimeError, match="once the pipeline has ended"):
                _ = sent.rowcount
        else:
            assert sent.rowcount == 2
    assert sent.rowcount == 2


def test_reads_and_core_statements_are_refused_inside_a_pipeline(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        pytest.skip("elsewhere a pipeline runs each statement when it is sent: nothing to refuse")
    with pipelined(conn):
        add.send(conn, {"b_upto": 1, "b_n": 1})
        with pytest.raises(RuntimeError, match=r"Connection\.execute"):
            conn.execute(select(probe.c.n))
        with pytest.raises(RuntimeError, match="read after it ends"):
            Prepared(select(probe.c.n)).rows(conn)
        with pytest.raises(RuntimeError, match="read after it ends"):
            add.execute(conn, {"b_upto": 1, "b_n": 1})  # its row count would be read too soon
        with pytest.raises(RuntimeError, match="read after it ends"):
            UpdateByIds(probe, {"n": probe.c.n + 1}).execute(conn, [2])
    assert amounts(conn) == [1, 0, 0, 0, 0]  # and Core runs again after it


def test_a_failed_statement_raises_as_core_raises_it_by_the_end_of_the_pipeline(conn: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_pipeline_probe_n") as raised, pipelined(conn):
        add.send(conn, {"b_upto": 5, "b_n": 1})
        add.send(conn, {"b_upto": 2, "b_n": -5})  # breaks the check
        add.send(conn, {"b_upto": 5, "b_n": 100})
    if conn.dialect.name == "postgresql":  # the driver's error kept, as the deadlock retry reads it
        assert raised.value.orig.sqlstate == "23514"  # type: ignore[union-attr]
    conn.rollback()
    assert amounts(conn) == [0, 0, 0, 0, 0]  # rolled back, as the unit of work does on an error
    assert add.execute(conn, {"b_upto": 1, "b_n": 1}) == 1  # nothing of the pipeline left behind


def test_a_pipeline_inside_another_is_the_outer_one(conn: Connection) -> None:
    with pipelined(conn):
        with pipelined(conn):
            inner = add.send(conn, {"b_upto": 1, "b_n": 1})
        outer = add.send(conn, {"b_upto": 2, "b_n": 1})
    assert (inner.rowcount, outer.rowcount) == (1, 2)
    assert amounts(conn) == [2, 1, 0, 0, 0]
