"""Prepared statements for the hot paths (order entry, bulk analytic reads): SQLAlchemy's SQL, run on
the DBAPI cursor.

**Why.** Placing an order runs about eight statements. Through ``Connection.execute`` each costs some
60-110 µs of SQLAlchemy bookkeeping around the driver call (execution context, parameter construction
and processing, expanding ``IN`` lists, result set-up): on SQLite more than the database spends on the
statement itself, which held order entry to about a third of a raw-driver reference doing the same
writes (``bench/order_entry.py``). A :class:`Prepared` statement does that work once per dialect and
keeps per call only what cannot be avoided: convert the values and run the cursor.

**What stays as through Core.**

- The SQL is SQLAlchemy's: a Core statement built from the ``Table`` definitions, compiled by the
  dialect's own compiler. No SQL is written by hand here.
- Values are converted by the column types' own bind and result processors (``bind_processor`` and
  ``result_processor`` of the type's implementation for the dialect): money as integer minor units
  (:class:`~o2c.store.types.Minor`), time as UTC (:class:`~o2c.store.types.UTCDateTime`), JSON, dates
  and booleans are stored and read exactly as ``Connection.execute`` stores and reads them.
- It runs on the unit of work's connection, inside its transaction (SQLite's ``BEGIN IMMEDIATE`` from
  the engine's dialect, psycopg's implicit BEGIN); commit and rollback stay with SQLAlchemy.
- Driver errors are wrapped as Core wraps them (:meth:`DBAPIError.instance`), so ``IntegrityError`` and
  the deadlock retry of :func:`~o2c.store.uow.retrying` see the same exceptions; a connection found
  lost is invalidated.

**What it gives up**, which is why it serves only the statements of order entry, the bulk
reads of the analytics and the many-row writes of a backorder allocation: no
``before/after_cursor_execute`` events and no echo logging for these statements, and no statement that
needs Core's per-execution work (expanding ``IN`` parameters, Python-side column defaults); such a
statement is refused when it is compiled. Everything else in the store uses ``Connection.execute``,
but for the analytics that read millions of raw values in chunks (:meth:`Prepared.chunks`).

**Sent, not run.** :meth:`Prepared.send` runs a write, or, while a pipeline is open on the
connection (:mod:`o2c.store.pipeline`, PostgreSQL), queues it there and hands back a :class:`Sent`
whose row count is known when the pipeline ends; whatever needs a result now is refused inside one.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, DBAPIModule
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import ReturnsRows
from sqlalchemy.types import TypeEngine

from o2c.store.binding import Params, as_given, binder, converter, no_conversion, row_binder

T = TypeVar("T")


# Where a connection's open pipeline is kept (``Connection.info``): :mod:`o2c.store.pipeline`.
PIPELINE = "o2c.pipeline"
# A function from a driver error, the DBAPI connection and the cursor to the error as Core raises it.
Wrap = Callable[[DBAPIModule.Error, DBAPIConnection, DBAPICursor], BaseException]


class Sent:
    """The number of rows a write changed: known at once, or, for a write sent in a pipeline
    (:func:`o2c.store.pipeline.pipelined`), once the pipeline has ended."""

    __slots__ = ("_count",)

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    @classmethod
    def done(cls, rows: int) -> Sent:
        return cls(lambda: rows)

    @property
    def rowcount(self) -> int:
        return self._count()

    def __add__(self, other: Sent) -> Sent:
        return Sent(lambda: self.rowcount + other.rowcount)


class Queue(Protocol):
    """A pipeline open on a connection, as :class:`Prepared` sends to it."""

    def send(self, sql: str, params: Any, wrap: Wrap, *, many: bool) -> Sent: ...


class Prepared:
    """A Core statement compiled once per dialect and executed on a connection's DBAPI cursor.

    ``column_keys`` are the columns an INSERT sets (the others take their server defaults); every call
    must then give all of them, as every call must give each parameter the statement names.
    """

    def __init__(self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()
        self._last: tuple[Dialect, _Compiled] | None = None  # a process mostly has one engine

    def send(self, conn: Connection, params: Params | None = None) -> Sent:
        """:meth:`execute`; or, while a pipeline is open on ``conn`` (:func:`o2c.store.pipeline.pipelined`),
        sent without waiting for it: the server runs it after the statements sent before while the
        caller goes on, and its row count is known once the pipeline has ended."""
        queue: Queue | None = conn.info.get(PIPELINE)
        if queue is None:
            return Sent.done(self.execute(conn, params))
        return self._queue(conn, queue, params or {}, many=False)

    def send_values(self, conn: Connection, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> Sent:
        """:meth:`execute_values`, sent as :meth:`send` is."""
        queue: Queue | None = conn.info.get(PIPELINE)
        if queue is None:
            return Sent.done(self.execute_values(conn, names, rows))
        return self._queue(conn, queue, [dict(zip(names, row, strict=True)) for row in rows], many=True)

    def execute(self, conn: Connection, params: Params | None = None) -> int:
        """Run once, for no result rows; returns the number of rows it changed."""
        return self._run(conn, params or {}, many=False, read=_rowcount)

    def execute_many(self, conn: Connection, params: Sequence[Params]) -> int:
        """Run once per parameter set, as one batch; returns the number of rows changed in all."""
        return self._run(conn, params, many=True, read=_rowcount)

    def execute_rows(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
        """:meth:`execute_many` of an INSERT given each row's values in the order of its
        ``column_keys``: no mapping is built per row only to be taken apart again (an order's lines
        have some thirty columns each)."""
        compiled = self._compiled(conn)
        return self._run(conn, [compiled.bind_row(r) for r in rows], many=True, read=_rowcount, bound=True)

    def execute_values(self, conn: Connection, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """:meth:`execute_many` given each parameter set as a row of values in the order of ``names``.

        Where the statement's parameters are ``names`` and no value needs a conversion (plain integers
        and text, on a driver taking positional parameters: SQLite), the rows go to the driver as they
        are (or picked in its order): tens of thousands of rows (the fills of a batch of receipts) then
        cost no mapping and no conversion per row."""
        compiled = self._compiled(conn)
        order = compiled.positions(names)
        if order is None:
            return self.execute_many(conn, [dict(zip(names, row, strict=True)) for row in rows])
        if order != list(range(len(names))):
            pick = itemgetter(*order)
            rows = [pick(row) for row in rows] if len(order) > 1 else [(row[order[0]],) for row in rows]
        return self._run(conn, rows, many=True, read=_rowcount, bound=True)

    def rows(self, conn: Connection, params: Params | None = None) -> list[Any]:
        """The result rows (of a SELECT, or of DML with RETURNING) as named tuples of converted values."""
        return self._run(conn, params or {}, many=False, read=_Compiled.rows)

    def values(self, conn: Connection, params: Params | None = None) -> list[list[Any]]:
        """The result rows as lists of converted values, without the named tuples: for reads of some
        hundreds of rows that the caller unpacks at once (a promise's supply and demand)."""
        return self._run(conn, params or {}, many=False, read=_Compiled.values)

    def unconverted(
        self, conn: Connection, params: Params | None = None
    ) -> tuple[Sequence[Sequence[Any]], Callable[[list[Any]], list[Any]]]:
        """The result rows as the driver gives them, with the function that converts one (a list of
        its values, in place) as :meth:`values` would: for a read whose rows repeat values that need
        converting (a product's prices on each of its stock rows), so that each is converted once."""
        return self._run(conn, params or {}, many=False, read=_Compiled.unconverted)

    def first(self, conn: Connection, params: Params | None = None) -> Any | None:
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    def scalar(self, conn: Connection, params: Params | None = None) -> Any:
        """The first column of the one row the statement returns."""
        return self._run(conn, params or {}, many=False, read=_Compiled.scalar)

    def chunks(
        self, conn: Connection, params: Params | None = None, size: int = 100_000
    ) -> Iterator[Sequence[Any]]:
        """The result rows, ``size`` at a time, as the driver returns them: tuples of raw values, no type
        conversion. For set-based reads that turn columns of plain numbers and text straight into arrays
        (the analytics over millions of rows), where building a row object per row is the main cost."""
        compiled = self._compiled(conn)
        if compiled.pipelines:
            not_in_pipeline(conn)
        bound = compiled.bind(params or {})
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(compiled.sql, bound)
            while rows := cursor.fetchmany(size):
                yield rows
        except compiled.dbapi_error as error:
            raise compiled.wrapped(error, bound, conn, dbapi_connection, cursor) from error
        finally:
            cursor.close()

    def _run(
        self,
        conn: Connection,
        params: Any,
        *,
        many: bool,
        read: Callable[[_Compiled, DBAPICursor], T],
        bound: bool = False,
    ) -> T:
        compiled = self._compiled(conn)
        if compiled.pipelines:  # asked of PostgreSQL only: order entry on SQLite runs this per statement
            not_in_pipeline(conn)
        if not bound:
            params = [compiled.bind(p) for p in params] if many else compiled.bind(params)
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        try:
            if many:
                cursor.executemany(compiled.sql, params)
            else:
                cursor.execute(compiled.sql, params)
            return read(compiled, cursor)
        except compiled.dbapi_error as error:
            raise compiled.wrapped(error, params, conn, dbapi_connection, cursor) from error
        finally:
            cursor.close()

    def _queue(self, conn: Connection, queue: Queue, params: Any, *, many: bool) -> Sent:
        compiled = self._compiled(conn)
        bound = [compiled.bind(p) for p in params] if many else compiled.bind(params)

        def wrap(
            error: DBAPIModule.Error, dbapi_connection: DBAPIConnection, cursor: DBAPICursor
        ) -> BaseException:
            return compiled.wrapped(error, bound, conn, dbapi_connection, cursor)

        return queue.send(compiled.sql, bound, wrap, many=many)

    def _compiled(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        last = self._last
        if last is not None and last[0] is dialect:
            return last[1]
        compiled = self._by_dialect.get(dialect)
        if compiled is None:  # two threads may both compile: the same result, one of them is kept
            compiled = self._by_dialect[dialect] = _Compiled(self.statement, dialect, self._column_keys)
        self._last = (dialect, compiled)
        return compiled


def not_in_pipeline(conn: Connection) -> None:
    """Refuses to run inside a pipeline (:mod:`o2c.store.pipeline`): what needs a result now."""
    # Read inside a pipeline, a row count or a result would be taken before it has come.
    if PIPELINE in conn.info:
        raise RuntimeError("only writes are sent in a pipeline (Prepared.send); read after it ends")


def _rowcount(_compiled: _Compiled, cursor: DBAPICursor) -> int:
    return cursor.rowcount


class _Compiled:
    """One statement for one dialect: its SQL, how to bind values, how to read rows."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, column_keys: list[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        assert isinstance(compiled, SQLCompiler)
        needs_core = (
            compiled.post_compile_params
            or compiled.literal_execute_params
            or compiled.insert_prefetch
            or compiled.update_prefetch
        )
        if needs_core:
            raise ValueError(f"statement needs Core's per-execution processing: {compiled.string}")
        self.sql = compiled.string
        self.dialect = dialect
        self.pipelines = dialect.name == "postgresql"  # whether a pipeline may be open (store.pipeline)
        self.dbapi_error: type[DBAPIModule.Error] = dialect.loaded_dbapi.Error
        self.bind = binder(compiled, dialect)
        self._as_given = as_given(compiled, dialect)
        self.bind_row = row_binder(compiled, dialect, column_keys)
        self._types: list[TypeEngine[Any]] = (
            [column.type for column in statement.exported_columns]
            if isinstance(statement, ReturnsRows)
            else []
        )
        self._make_row: Callable[[Sequence[Any]], Any] | None = None
        self._convert: Callable[[list[Any]], list[Any]] = no_conversion  # until the first result

    def positions(self, names: Sequence[str]) -> list[int] | None:
        """Where in a row of values of ``names`` each of the driver's parameters is, if rows can go to
        the driver picked so, unconverted; else None."""
        if self._as_given is None or set(self._as_given) != set(names):
            return None
        at = {name: i for i, name in enumerate(names)}
        return [at[name] for name in self._as_given]

    def wrapped(
        self,
        error: DBAPIModule.Error,
        params: Any,
        conn: Connection,
        dbapi_connection: DBAPIConnection,
        cursor: DBAPICursor,
    ) -> BaseException:
        """The driver's error as Core raises it (``IntegrityError``, ``OperationalError``, ...); a
        connection found lost is invalidated, as Core does."""
        lost = self.dialect.is_disconnect(error, dbapi_connection, cursor)
        wrapped = DBAPIError.instance(
            self.sql, params, error, self.dbapi_error, connection_invalidated=lost, dialect=self.dialect
        )
        assert isinstance(wrapped, BaseException)
        if lost:
            conn.invalidate(wrapped)
        return wrapped

    def scalar(self, cursor: DBAPICursor) -> Any:
        fetched = cursor.fetchall()
        if len(fetched) != 1:
            if not fetched:
                raise NoResultFound("no row was found when one was required")
            raise MultipleResultsFound("multiple rows were found when exactly one was required")
        if self._make_row is None:
            self._row_maker(cursor)
        return self._convert(list(fetched[0]))[0]  # no named row for one value

    def rows(self, cursor: DBAPICursor) -> list[Any]:
        fetched = cursor.fetchall()
        make_row = self._make_row or self._row_maker(cursor)
        return [make_row(values) for values in fetched]

    def values(self, cursor: DBAPICursor) -> list[list[Any]]:
        fetched = cursor.fetchall()
        if self._make_row is None:
            self._row_maker(cursor)
        convert = self._convert
        return [convert(list(values)) for values in fetched]

    def unconverted(
        self, cursor: DBAPICursor
    ) -> tuple[Sequence[Sequence[Any]], Callable[[list[Any]], list[Any]]]:
        fetched = cursor.fetchall()
        if self._make_row is None:
            self._row_maker(cursor)
        return fetched, self._convert

    def _row_maker(self, cursor: DBAPICursor) -> Callable[[Sequence[Any]], Any]:
        """Built from the first result: column names and the driver's type codes come with it."""
        description = cursor.description
        assert description is not None, f"statement returns no rows: {self.sql}"
        row_type = namedtuple("Row", [d[0] for d in description])  # type: ignore[misc]
        convert = self._convert = converter(
            type_.dialect_impl(self.dialect).result_processor(self.dialect, d[1])
            for type_, d in zip(self._types, description, strict=False)
        )

        def make_row(values: Sequence[Any]) -> Any:
            return row_type._make(convert(list(values)))

        self._make_row = make_row
        return make_row
