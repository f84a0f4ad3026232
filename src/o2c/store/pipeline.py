"""Writes sent to PostgreSQL back to back, in psycopg's pipeline mode.

**Why.** A backorder allocation writes its fills, its shortfall facts, the re-promised lines and the
orders' promises and versions: a few statements of tens of thousands of rows each. Run one after
another, the client idles while each runs on the server, and the server idles while the client
builds the next one's parameters (arrays of ids, the events of the fills). In a pipeline each
statement goes to the server as soon as it is built; the server runs them in order, back to back,
and the client reads their results once, at the end (``bench/backorder_allocation.py``).

**How.** Inside ``with pipelined(conn):``, :meth:`Prepared.send <o2c.store.driver.Prepared.send>`
queues its statement and hands back a :class:`~o2c.store.driver.Sent`, whose row count is known
after the block. Only such writes belong in the block: a statement through ``Connection.execute``
(Core would read a result that has not come yet) or a read is refused there. A failed statement's
error is raised as Core raises it (``IntegrityError``, ``OperationalError``: the deadlock retry of
:func:`~o2c.store.uow.retrying` sees it), at the latest when the block ends; the statements sent
after it are not run, and the transaction must be rolled back, as after any failed statement.

Elsewhere (SQLite runs in the process: there is nothing to overlap) the block does nothing and
each statement runs when it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPIModule
from sqlalchemy.exc import DBAPIError

from o2c.store.driver import PIPELINE, Sent, Wrap


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Writes sent by :meth:`~o2c.store.driver.Prepared.send` inside the block go to PostgreSQL
    without waiting for one another; their row counts are known when it ends. Nested: the outer one."""
    if conn.dialect.name != "postgresql" or PIPELINE in conn.info:
        yield
        return
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    dialect, driver_error = conn.dialect, conn.dialect.loaded_dbapi.Error
    pipeline = _Pipeline(dbapi_connection, conn.connection.driver_connection, driver_error)
    # The pooled connection's own dictionary, kept by the pool from one transaction to the next: the
    # pipeline must leave it whatever happens (taken now: an invalidated connection has none to give).
    info = conn.info
    event.listen(conn, "before_cursor_execute", _refuse)
    info[PIPELINE] = pipeline
    try:
        with pipeline.driver.pipeline():
            yield
    except driver_error as error:  # at the sync: of whichever statement failed
        lost = dialect.is_disconnect(error, dbapi_connection, None)
        wrapped = DBAPIError.instance(
            None, None, error, driver_error, connection_invalidated=lost, dialect=dialect
        )
        if lost:
            conn.invalidate(wrapped)
        raise wrapped from error
    finally:
        del info[PIPELINE]
        event.remove(conn, "before_cursor_execute", _refuse)
        pipeline.end()


def _refuse(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("only writes are sent in a pipeline (Prepared.send), not through Connection.execute")


class _Pipeline:
    """The statements sent on one connection's pipeline, each on a cursor of its own until the end,
    which is where its result (its row count) comes back."""

    def __init__(
        self, dbapi_connection: DBAPIConnection, driver: Any, driver_error: type[DBAPIModule.Error]
    ) -> None:
        self._dbapi_connection = dbapi_connection
        self.driver = driver
        self._error = driver_error
        self._cursors: list[Any] = []
        self._counts: list[int] | None = None

    def send(self, sql: str, params: Any, wrap: Wrap, *, many: bool) -> Sent:
        cursor = self.driver.cursor()
        self._cursors.append(cursor)
        try:  # queued: an error of an earlier statement may surface here
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except self._error as error:
            raise wrap(error, self._dbapi_connection, cursor) from error
        return Sent(partial(self._count, len(self._cursors) - 1))

    def end(self) -> None:
        """After the sync: every statement's row count read, its cursor closed."""
        self._counts = [cursor.rowcount for cursor in self._cursors]
        for cursor in self._cursors:
            cursor.close()

    def _count(self, at: int) -> int:
        if self._counts is None:
            raise RuntimeError("a statement sent in a pipeline has its row count once the pipeline has ended")
        return self._counts[at]


__all__ = ["pipelined"]
