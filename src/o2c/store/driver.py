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

**What it gives up**, which is why it serves only the statements of order entry and the bulk
reads of the analytics: no
``before/after_cursor_execute`` events and no echo logging for these statements, and no statement that
needs Core's per-execution work (expanding ``IN`` parameters, Python-side column defaults); such a
statement is refused when it is compiled. Everything else in the store uses ``Connection.execute``,
but for the analytics that read millions of raw values in chunks (:meth:`Prepared.chunks`).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, DBAPIModule
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import ReturnsRows
from sqlalchemy.types import TypeEngine

Params = Mapping[str, Any]
T = TypeVar("T")
Processor = Callable[[Any], Any]


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
        self.dbapi_error: type[DBAPIModule.Error] = dialect.loaded_dbapi.Error
        self.bind = _binder(compiled, dialect)
        self._as_given = _as_given(compiled, dialect)
        self.bind_row = _row_binder(compiled, dialect, column_keys)
        self._types: list[TypeEngine[Any]] = (
            [column.type for column in statement.exported_columns]
            if isinstance(statement, ReturnsRows)
            else []
        )
        self._make_row: Callable[[Sequence[Any]], Any] | None = None
        self._convert: Callable[[list[Any]], list[Any]] = _no_conversion  # until the first result

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
        convert = self._convert = _converter(
            type_.dialect_impl(self.dialect).result_processor(self.dialect, d[1])
            for type_, d in zip(self._types, description, strict=False)
        )

        def make_row(values: Sequence[Any]) -> Any:
            return row_type._make(convert(list(values)))

        self._make_row = make_row
        return make_row


def _no_conversion(values: list[Any]) -> list[Any]:
    return values


def _binder(compiled: SQLCompiler, dialect: Dialect) -> Callable[[Params], Any]:
    """A function from ``{name: value}`` to what the DBAPI takes, each value converted by its type: a
    list for positional paramstyles (SQLite), a dict otherwise (psycopg). Literal values of the
    statement (a ``LIMIT 1``, a ``+ 1``) are converted once, here."""
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    if not names:
        return lambda _params: [] if compiled.positional else {}
    constants: dict[str, Any] = {}
    processors: list[Processor | None] = []
    for name in names:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            processors.append(process)
        else:  # a literal: converted now, passed as it is
            constants[name] = process(bind.effective_value) if process else bind.effective_value
            processors.append(None)
    pick = itemgetter(*names)
    convert = _converter(processors)

    def values(params: Params) -> list[Any]:
        if constants:
            params = {**params, **constants}
        picked = pick(params)
        return convert(list(picked) if len(names) > 1 else [picked])

    if compiled.positional:
        return values
    keys = [compiled.escaped_bind_names.get(name, name) for name in names]
    return lambda params: dict(zip(keys, values(params), strict=True))


def _as_given(compiled: SQLCompiler, dialect: Dialect) -> list[str] | None:
    """The parameter names in the driver's order (a name used twice is there twice), if the driver
    takes them positionally and none of them is converted or a literal."""
    if not compiled.positional:
        return None
    names = list(compiled.positiontup or ())
    binds = [compiled.binds[name] for name in names]
    if not names or not all(b.required for b in binds):
        return None
    if any(b.type.dialect_impl(dialect).bind_processor(dialect) is not None for b in binds):
        return None
    return names


def _row_binder(
    compiled: SQLCompiler, dialect: Dialect, column_keys: list[str] | None
) -> Callable[[Sequence[Any]], Any]:
    """Like :func:`_binder`, from a row of values in the order of ``column_keys`` (of an INSERT,
    whose parameters are its columns)."""
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    if column_keys is None or sorted(names) != sorted(column_keys):

        def refuse(_row: Sequence[Any]) -> Any:
            raise TypeError(f"rows of values need an INSERT of its column_keys: {compiled.string}")

        return refuse
    at = [column_keys.index(name) for name in names]
    pick = itemgetter(*at) if len(at) > 1 else lambda row: (row[at[0]],)
    in_order = at == list(range(len(at)))
    convert = _converter(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )

    def values(row: Sequence[Any]) -> list[Any]:
        return convert(list(row) if in_order else list(pick(row)))

    if compiled.positional:
        return values
    keys = [compiled.escaped_bind_names.get(name, name) for name in names]
    return lambda row: dict(zip(keys, values(row), strict=True))


def _converter(processors: Iterable[Processor | None]) -> Callable[[list[Any]], list[Any]]:
    """Applies each position's processor, if it has one, to a list of values in place.

    A NULL is passed over by a processor that maps NULL to NULL (asked once, here: processors are
    pure and all take NULL): most values an order writes at entry are NULL or plain integers, and a
    call per value is what costs.
    """
    null_safe: list[tuple[int, Processor]] = []
    always: list[tuple[int, Processor]] = []  # e.g. JSON, which writes None as 'null'
    for i, process in enumerate(processors):
        if process is not None:
            (null_safe if process(None) is None else always).append((i, process))

    if not null_safe and not always:
        return _no_conversion
    # Unrolled, one statement per converted position: an order entered runs this for some two dozen
    # rows, and looping over (position, processor) pairs costs about as much as the calls themselves.
    body = [
        f"    v = values[{i}]\n    if v is not None:\n        values[{i}] = p{i}(v)" for i, _ in null_safe
    ]
    # What such a processor makes of NULL is asked once too: an order's idempotency acknowledgement,
    # mostly absent, would otherwise be serialised as JSON on every order.
    body += [f"    v = values[{i}]\n    values[{i}] = n{i} if v is None else p{i}(v)" for i, _ in always]
    namespace: dict[str, Any] = {f"p{i}": process for i, process in (*null_safe, *always)}
    namespace.update({f"n{i}": process(None) for i, process in always})
    exec("def convert(values):\n" + "\n".join(body) + "\n    return values", namespace)
    convert: Callable[[list[Any]], list[Any]] = namespace["convert"]
    return convert
