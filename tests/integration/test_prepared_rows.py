"""Prepared.execute_rows: an INSERT's rows as value tuples write what the same rows as mappings write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, bindparam, insert, select, update

from o2c.store.driver import Prepared
from o2c.store.tables import events

COLUMNS = ("payload", "entity_type", "entity_id", "event_type", "occurred_at", "actor")  # not table order
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_rows_of_values_are_written_as_the_same_rows_given_as_mappings(engine: Engine) -> None:
    rows = [({"n": n, "ok": None}, "order", f"SO-{n}", "order.noted", AT, "t") for n in range(3)]
    by_name = Prepared(insert(events), column_keys=COLUMNS)
    by_position = Prepared(insert(events), column_keys=COLUMNS)
    with engine.begin() as conn:
        assert by_name.execute_many(conn, [dict(zip(COLUMNS, r, strict=True)) for r in rows]) == 3
        assert by_position.execute_rows(conn, rows) == 3
        written = conn.execute(select(*(events.c[c] for c in COLUMNS)).order_by(events.c.id)).all()
    assert [tuple(w) for w in written] == rows + rows  # converted alike: JSON, UTC time


def test_rows_of_values_need_an_insert_of_its_column_keys(engine: Engine) -> None:
    without_keys = Prepared(select(events.c.id).where(events.c.actor == "t"))
    with engine.begin() as conn, pytest.raises(TypeError, match="column_keys"):
        without_keys.execute_rows(conn, [("t",)])


def test_rows_of_values_by_name_run_as_the_same_rows_given_as_mappings(engine: Engine) -> None:
    probe = Table(
        "prepared_values_probe", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer)
    )
    # :n twice in the SQL, and the names given in another order than the statement's
    add = Prepared(
        update(probe)
        .where(probe.c.id == bindparam("b_id"))
        .values(n=probe.c.n + bindparam("b_n") * bindparam("b_n"))
    )
    with engine.begin() as conn:
        probe.create(conn)
        conn.execute(insert(probe), [{"id": i, "n": 0} for i in range(1, 5)])
        changed = add.execute_values(conn, ("b_n", "b_id"), [(3, 2), (2, 4), (5, 9)])
        also = add.execute_many(conn, [{"b_n": 1, "b_id": 2}])
        written = conn.execute(select(probe.c.id, probe.c.n).order_by(probe.c.id)).all()
        probe.drop(conn)
    assert (changed, also) == (2, 1)
    assert [tuple(w) for w in written] == [(1, 0), (2, 10), (3, 0), (4, 4)]
