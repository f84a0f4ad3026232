"""Writes of thousands of rows at once: one statement over arrays on PostgreSQL, a prepared batch
elsewhere.

**Why.** Allocating a batch of receipts to backorders changes tens of thousands of order lines, and
records as many shortfall outcomes. A batch of single-row statements (``executemany``) costs
PostgreSQL a parse-bind-execute round per row, even pipelined: at 100,000 backorder lines that was
most of the allocation's time (``bench/backorder_allocation.py``). Here each column's values travel
as one array and the server joins them in one statement::

    UPDATE order_lines SET qty_allocated = v.qty_allocated, ...
    FROM (SELECT unnest(CAST(:id AS BIGINT[])) AS id, unnest(...) AS qty_allocated, ...) AS v
    WHERE order_lines.id = v.id

(``unnest`` calls in one select list advance in lockstep.) Rows that only go in, thousands of them
with long text (the event log's payloads), are streamed by ``COPY`` instead (:func:`copy_rows`).
SQLite runs in-process, where a prepared batch (:class:`~o2c.store.driver.Prepared`) is already the
cheapest way, so it keeps that.

Values are converted by the columns' own types on both paths (the array type applies its item type's
processor to every element), so money and instants are stored exactly as single-row statements store
them.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Dialect,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Executable, Select, Subquery
from sqlalchemy.types import TypeDecorator, TypeEngine

from o2c.store.driver import Prepared, Sent, not_in_pipeline

Rows = Sequence[Mapping[str, Any]]
ARRAYS_FROM = 16  # rows; below this a prepared batch costs PostgreSQL less than planning the join


def arrayed(conn: Connection, rows: int) -> bool:
    """Whether ``rows`` rows go to this connection's database as one statement over arrays."""
    return conn.dialect.name == "postgresql" and rows >= ARRAYS_FROM


class IntegerArrayText(TypeDecorator[Sequence[int | None]]):
    """A sequence of integers bound as PostgreSQL's text of an array, ``{1,2,NULL}``, for a CAST to an
    integer array: psycopg dumps a list element by element in Python (50,000 ids cost it about 23 ms,
    joined into text here about 7), and ids and quantities need no quoting."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Sequence[int | None] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if None in value:
            return "{" + ",".join("NULL" if v is None else str(v) for v in value) + "}"
        return "{" + ",".join(map(str, value)) + "}"


def array_param(name: str, item_type: TypeEngine[Any]) -> ColumnElement[Any]:
    """The parameter ``name``, a list of ``item_type`` values, as a PostgreSQL array (integers travel
    as the array's text: :class:`IntegerArrayText`)."""
    given = IntegerArrayText() if isinstance(item_type, Integer) else ARRAY(item_type)
    return cast(bindparam(name, type_=given), ARRAY(item_type))


def arrays(types: Mapping[str, TypeEngine[Any]], alias: str = "v") -> Subquery:
    """``SELECT unnest(:a_name) AS name, ...``: one array parameter per column, zipped into rows (for
    PostgreSQL; :func:`columns_of` makes the parameters). The ``a_`` keeps the parameters' names apart
    from the columns' (an UPDATE's SET reserves those)."""
    return select(
        *[func.unnest(array_param(f"a_{name}", type_)).label(name) for name, type_ in types.items()]
    ).subquery(alias)


def types_of(table: Table, names: Sequence[str]) -> dict[str, TypeEngine[Any]]:
    return {name: table.c[name].type for name in names}


def columns_of(rows: Rows, names: Sequence[str]) -> dict[str, list[Any]]:
    """Rows turned into one list per column: the parameters of :func:`arrays`."""
    return {f"a_{name}": [row[name] for row in rows] for name in names}


def copy_rows(conn: Connection, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in the order of ``names``) into ``table`` by ``COPY ... FROM STDIN``, in
    the connection's transaction: PostgreSQL only.

    For thousands of rows of text (the event log's payloads) COPY is the cheapest way in: the rows
    stream as they are, with no statement to plan and no document or array to take apart again. The
    values bypass the columns' SQLAlchemy types, so give them as the driver stores them (JSON as its
    text, instants aware)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch builds its rows (none of them cyclic).

    A batch of receipts keeps some hundred thousand lines, fills and events alive at once; every few
    hundred new objects the collector would walk them all again, which cost a quarter of the
    allocation's CPU time (``bench/backorder_allocation.py``). Reference counting still frees what is
    dropped; the collector runs again afterwards.
    """
    if not gc.isenabled():  # paused already (another batch in this process): leave it to that one
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class RowsUpdate:
    """``UPDATE table SET columns WHERE match`` for many rows, each row a mapping of column names.

    ``match`` names the columns that find a row (its key, and e.g. a version to guard with);
    ``also`` sets columns to the same expression in every row (``version + 1``). :meth:`execute`
    returns how many rows were changed, so a caller can tell a guard that failed.
    """

    def __init__(
        self,
        table: Table,
        match: Sequence[str],
        columns: Sequence[str],
        also: Mapping[str, ColumnElement[Any]] | None = None,
    ) -> None:
        self._match, self._columns = list(match), list(columns)
        c, also = table.c, dict(also or {})
        self._each = Prepared(
            update(table)
            .where(*[c[name] == bindparam(f"m_{name}") for name in self._match])
            .values({**{name: bindparam(f"s_{name}") for name in self._columns}, **also})
        )
        v = arrays(types_of(table, [*self._match, *self._columns]))
        self._arrayed: Executable = (
            update(table)
            .where(and_(*[c[name] == v.c[name] for name in self._match]))
            .values({**{name: v.c[name] for name in self._columns}, **also})
        )

    def execute(self, conn: Connection, rows: Rows) -> int:
        if not rows:
            return 0
        if arrayed(conn, len(rows)):
            return conn.execute(self._arrayed, columns_of(rows, [*self._match, *self._columns])).rowcount
        return self._each.execute_many(
            conn,
            [
                {
                    **{f"m_{name}": row[name] for name in self._match},
                    **{f"s_{name}": row[name] for name in self._columns},
                }
                for row in rows
            ],
        )


class RowsInsert:
    """``INSERT INTO table (columns)`` of many rows, each row a mapping of column names."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self._columns = list(columns)
        self._each = Prepared(insert(table), column_keys=self._columns)
        v = arrays(types_of(table, self._columns))
        self._arrayed: Executable = insert(table).from_select(self._columns, select(*v.c))

    def execute(self, conn: Connection, rows: Rows) -> None:
        if not rows:
            return
        if arrayed(conn, len(rows)):
            conn.execute(self._arrayed, columns_of(rows, self._columns))
        else:
            self._each.execute_many(conn, rows)


class UpdateByIds:
    """``UPDATE table SET values WHERE id IN (ids)``: many rows set alike, the ids as one parameter.

    Re-promising gives thousands of lines the same new promise; one statement per distinct value,
    with the ids as one array (PostgreSQL) or one JSON array read by ``json_each`` (SQLite), costs
    the database its row work and nothing per row besides. ``values`` may hold bound parameters,
    given to :meth:`execute`.
    """

    def __init__(self, table: Table, values: Mapping[str, Any]) -> None:
        key = table.c.id
        self._postgresql = Prepared(
            update(table).where(key == any_(array_param("ids", BigInteger()))).values(values)
        )
        listed: Select[Any] = select(column("value")).select_from(func.json_each(bindparam("ids")))
        self._sqlite: Executable = update(table).where(key.in_(listed)).values(values)
        self._other: Executable = (
            update(table).where(key.in_(bindparam("ids", expanding=True))).values(values)
        )

    def execute(self, conn: Connection, ids: Iterable[int], params: Mapping[str, Any] | None = None) -> int:
        """Run now (not inside a pipeline); the number of rows changed."""
        not_in_pipeline(conn)
        return self.send(conn, ids, params).rowcount

    def send(self, conn: Connection, ids: Iterable[int], params: Mapping[str, Any] | None = None) -> Sent:
        """Run now, or sent in the pipeline open on ``conn`` (:mod:`o2c.store.pipeline`)."""
        wanted = sorted(set(ids))
        if not wanted:
            return Sent.done(0)
        dialect = conn.dialect.name
        if dialect == "postgresql":
            return self._postgresql.send(conn, {**(params or {}), "ids": wanted})
        given: list[int] | str = wanted
        if dialect == "sqlite":
            statement, given = self._sqlite, json.dumps(wanted)
        else:
            statement = self._other
        return Sent.done(conn.execute(statement, {**(params or {}), "ids": given}).rowcount)


__all__ = [
    "ARRAYS_FROM",
    "IntegerArrayText",
    "RowsInsert",
    "RowsUpdate",
    "UpdateByIds",
    "array_param",
    "arrayed",
    "arrays",
    "collector_paused",
    "columns_of",
    "types_of",
]
