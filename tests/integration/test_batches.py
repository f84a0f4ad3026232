"""Many-row writes (store.batches) store exactly what single-row statements store, on both databases,
through both paths: a prepared batch (few rows, and always on SQLite) and one statement over arrays
(PostgreSQL from ARRAYS_FROM rows)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Date, Engine, Integer, MetaData, String, Table, select

from o2c.store.batches import ARRAYS_FROM, RowsInsert, RowsUpdate
from o2c.store.types import Minor, UTCDateTime

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
)
COLUMNS = ["amount", "at", "due", "flag", "note"]
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
