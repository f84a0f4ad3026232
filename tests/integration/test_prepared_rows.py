"""Prepared.execute_rows: an INSERT's rows as value tuples write what the same rows as mappings write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select

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
