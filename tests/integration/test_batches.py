"""Many-row writes (store.batches) store exactly what single-row statements store, on both databases,
through both paths: a prepared batch (few rows, and always on SQLite) and one statement over arrays
(PostgreSQL from ARRAYS_FROM rows)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    select,
)

from o2c.store.batches import ARRAYS_FROM, RowsInsert, RowsUpdate, UpdateByIds
from o2c.store.events import Event
from o2c.store.tables import events
from o2c.store.types import Minor, UTCDateTime
from o2c.store.uow import UnitOfWork

metadata = MetaData()
ledger = Table(
    "batch_test_ledger",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("amount", Minor(2)),
    Column("at", UTCDateTime()),
    Column("due", Date),
    Column("flag", Boolean),
    Column("note", String(20)),
    Column("count", Integer),
)
COLUMNS = ["amount", "at", "due", "flag", "note", "count"]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def table(engine: Engine) -> Iterator[Table]:
    metadata.create_all(engine)
    try:
        yield ledger
    finally:
        metadata.drop_all(engine)


def row(i: int, version: int = 0) -> dict[str, object]:
    return {
        "id": i,
        "version": version,
        "amount": Decimal(i) / 100 + Decimal("0.10"),
        "at": START + timedelta(minutes=i),
        "due": date(2026, 3, 2) + timedelta(days=i % 5),
        "flag": i % 2 == 0,
        "note": None if i % 3 == 0 else f"n{i}",  # NULLs in an array too
        "count": None if i % 4 == 0 else i - 20,  # an integer array (sent as its text): NULLs, negatives
    }


def stored(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(ledger).order_by(ledger.c.id))]


@pytest.mark.parametrize("count", [3, ARRAYS_FROM + 24])
def test_inserted_rows_read_back_exactly_as_given(engine: Engine, table: Table, count: int) -> None:
    rows = [row(i) for i in range(1, count + 1)]
    with engine.begin() as conn:
        RowsInsert(table, ["id", "version", *COLUMNS]).execute(conn, rows)
    assert stored(engine) == rows


@pytest.mark.parametrize("count", [3, ARRAYS_FROM + 24])
def test_update_changes_matching_rows_and_counts_them(engine: Engine, table: Table, count: int) -> None:
    rows = [row(i) for i in range(1, count + 1)]
    with engine.begin() as conn:
        RowsInsert(table, ["id", "version", *COLUMNS]).execute(conn, rows)
    # Every row gets new values; the first row's version guard is stale (1 expected, 0 stored), so
    # that row stays as it was and the count is one short.
    changed = [{**row(i + 1000), "id": i, "version": 0} for i in range(1, count + 1)]
    changed[0]["version"] = 1
    update = RowsUpdate(table, ["id", "version"], COLUMNS, also={"version": table.c.version + 1})
    with engine.begin() as conn:
        assert update.execute(conn, changed) == count - 1
    expected = [rows[0]] + [{**c, "version": 1} for c in changed[1:]]
    assert stored(engine) == expected


def test_no_rows_write_nothing(engine: Engine, table: Table) -> None:
    with engine.begin() as conn:
        RowsInsert(table, ["id", "version"]).execute(conn, [])
        assert RowsUpdate(table, ["id"], ["note"]).execute(conn, []) == 0
    assert stored(engine) == []


@pytest.mark.parametrize("count", [3, ARRAYS_FROM + 24])
def test_update_by_ids_sets_the_given_rows_alike_and_counts_them(
    engine: Engine, table: Table, count: int
) -> None:
    rows = [row(i) for i in range(1, count + 1)]
    with engine.begin() as conn:
        RowsInsert(table, ["id", "version", *COLUMNS]).execute(conn, rows)
    chosen = [*range(2, count + 1, 2), 2, 10_000]  # a repeated id, and one that does not exist
    update = UpdateByIds(
        table, {"due": bindparam("due", type_=Date), "version": table.c.version + bindparam("step")}
    )
    with engine.begin() as conn:
        assert update.execute(conn, chosen, {"due": None, "step": 3}) == len(range(2, count + 1, 2))
        assert update.execute(conn, []) == 0
    expected = [{**r, "due": None, "version": 3} if r["id"] % 2 == 0 else r for r in rows]
    assert stored(engine) == expected


def test_events_written_many_at_once_read_back_as_written_a_few_at_a_time(uow: UnitOfWork) -> None:
    """Thousands of events go to PostgreSQL by COPY: payload text (quotes, backslashes, newlines and
    all), instant and order of the events are what the prepared batch of a few stores."""
    elsewhere = datetime(2026, 3, 2, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    payload: dict[str, Any] = {"s": 'é"\n\\', "n": None, "l": [1, 2.5], "d": {"k": True}}

    def batch(count: int, entity: str) -> list[Event]:
        return [
            Event(
                "order",
                f"{entity}-{i}",
                "test.batch",
                elsewhere + timedelta(seconds=i % 2),
                "me",
                {**payload, "i": i},
            )
            for i in range(count)
        ]

    few, many = batch(3, "FEW"), batch(ARRAYS_FROM + 24, "MANY")
    with uow:
        for group in (few, many):
            for event in group:
                uow.events.record(event)
            uow.events.flush()
        uow.commit()
    with uow:
        stored_few = [uow.events.for_entity("order", e.entity_id) for e in few]
        stored_many = [uow.events.for_entity("order", e.entity_id) for e in many]
        order = (
            uow.connection.execute(
                select(events.c.entity_id).where(events.c.event_type == "test.batch").order_by(events.c.id)
            )
            .scalars()
            .all()
        )
        texts = (
            uow.connection.execute(
                select(cast(events.c.payload, String)).where(events.c.entity_id.in_(["FEW-1", "MANY-1"]))
            )
            .scalars()
            .all()
        )
    assert [s for [s] in stored_few] == few
    assert [s for [s] in stored_many] == many
    assert order == [e.entity_id for e in few + many]
    assert len(texts) == 2 and texts[0] == texts[1]  # the same payload, the same text either way
