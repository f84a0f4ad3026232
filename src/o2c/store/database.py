"""Engines for SQLite (the embedded default) and PostgreSQL, configured for correctness first.

SQLite: WAL, foreign keys on, a busy timeout, and every transaction opened with ``BEGIN IMMEDIATE``
so that writers are serialised up front; ``SELECT ... FOR UPDATE`` compiles to a plain SELECT there
and would protect nothing. The pysqlite driver's own transaction handling is switched off
(``isolation_level=None``) as the SQLAlchemy SQLite dialect documents, so our BEGIN is the one used.
PostgreSQL: psycopg 3, READ COMMITTED, row locks taken in primary-key order by the repositories.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from o2c.domain.errors import O2CError
from o2c.store import json_text

DEFAULT_URL = "sqlite:///o2c.db"


def normalise_url(url: str) -> str:
    """Accept the URLs people type (``postgresql://``, ``postgres://``) and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class DatabaseUnavailable(O2CError):
    """The database named cannot be used: a malformed URL, a file that is not there, a server that
    does not answer."""

    code = "database_unavailable"
    http_status = 503


def shown(url: str) -> str:
    """The URL as it may be printed: any password masked."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_database(url: str, *, create: bool = False, connect_timeout: int = 10) -> Engine:
    """An engine on ``url`` that has connected once, for a command line that names the database.

    A malformed URL, an unsupported backend, a SQLite file that does not exist (unless ``create``: then
    it is made, as ``o2c init`` does) or a server that refuses the connection is one
    :class:`DatabaseUnavailable` naming the database (password masked), and nothing is created.
    """
    try:
        backend = make_url(normalise_url(url)).get_backend_name()
        extra = {"connect_args": {"connect_timeout": connect_timeout}} if backend == "postgresql" else {}
        engine = create_db_engine(url, **extra)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise DatabaseUnavailable(
            f"invalid database URL {shown(url)!r}: {error}", database=shown(url)
        ) from None
    file = engine.url.database if backend == "sqlite" else None
    if file and not create and not Path(file).exists():
        engine.dispose()
        raise DatabaseUnavailable(
            f"database {shown(url)} does not exist: run `o2c init` to create it", database=shown(url)
        )
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        engine.dispose()
        reason = (str(error.orig).strip().splitlines() or ["no reason given"])[0]
        raise DatabaseUnavailable(
            f"cannot open database {shown(url)}: {reason}", database=shown(url)
        ) from None
    return engine


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    kwargs.setdefault("json_serializer", json_text.dumps)  # the text every path writes (orjson)
    if backend == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if backend == "postgresql":
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_pre_ping", False)
        return create_engine(url, **kwargs)
    raise ValueError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://...")


READ_ONLY = "o2c_read_only"
"""Execution option of :func:`read_connection`'s connections: their transactions only read."""


def read_connection(engine: Engine) -> Connection:
    """A connection whose transactions only read. On SQLite they begin with a plain (deferred)
    ``BEGIN``: a snapshot of their own that takes no write lock, so readers neither queue behind a
    writer nor behind each other (a ``BEGIN IMMEDIATE`` reader holds the one write lock until it
    ends). On PostgreSQL, where readers never wait for writers, it is a plain connection."""
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.execution_options(**{READ_ONLY: True})
        event.listen(conn, "begin", _begin_deferred)  # this connection's only: see _begin_immediate
    return conn


def _begin_deferred(conn: Connection) -> None:
    """A read-only connection's transaction on SQLite, begun before the engine's ``BEGIN IMMEDIATE``
    (which then finds it open)."""
    conn.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]


@contextmanager
def statement_reads(engine: Engine) -> Iterator[Connection]:
    """A :func:`read_connection` for reads that need no snapshot across their statements: on
    PostgreSQL the driver runs each statement as a transaction of its own (autocommit, set on the
    psycopg connection alone: no round trip). A promise then costs no BEGIN and no ROLLBACK, and the
    ROLLBACK matters most: psycopg forgets the statements it has prepared at every one, so a reader
    that rolls back would plan its statements anew every time. (READ COMMITTED already gives every
    statement a snapshot of its own, so what each statement sees is as in a transaction.) On SQLite,
    where statements run on the driver (:mod:`o2c.store.driver`) outside any transaction already,
    it is :func:`read_connection`."""
    with read_connection(engine) as conn:
        if engine.dialect.name != "postgresql":
            yield conn
            return
        driver = conn.connection.dbapi_connection
        assert driver is not None
        driver.autocommit = True
        try:
            yield conn
        finally:
            conn.rollback()  # of SQLAlchemy's own bookkeeping, if it began one: nothing on the server
            try:
                driver.autocommit = False
            except Exception:  # a broken connection: it must not go back to the pool autocommitting
                conn.invalidate()


SQLITE_CACHE_KIB = 64 * 1024
# Every connection of a SQLite engine (the benchmarks' raw references open theirs with these too). The
# page cache is up to 64 MiB, not SQLite's 2 MiB: a transaction that changes tens of thousands of rows
# (a batch of receipts allocated to backorders) otherwise spills dirty pages to the WAL before it
# commits (bench/backorder_allocation.py: 0.1-0.15 s of 100,000 lines). Pages are taken as they are
# used, so a small database costs no more memory.
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "busy_timeout=30000",
    f"cache_size=-{SQLITE_CACHE_KIB}",
)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    memory = make_url(url).database in (None, "", ":memory:")
    if memory:
        raise ValueError("an in-memory SQLite database would vanish between transactions; give a file path")
    kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for setting in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {setting}")
        cursor.close()

    if kwargs.get("isolation_level") != "AUTOCOMMIT":  # an autocommitting engine begins nothing
        dialect: Any = engine.dialect
        dialect.do_begin = _begin_immediate
        dialect.set_isolation_level = _refusing_autocommit(dialect.set_isolation_level)
    return engine


def _begin_immediate(dbapi_connection: Any) -> None:
    """How every transaction of a SQLite engine begins: with the database's write lock, unless the
    connection began a read-only one already (:func:`read_connection`).

    The engine's dialect runs this rather than an engine ``begin`` event: an engine with any such
    listener dispatches connect, begin and commit events on every transaction, which cost about a
    quarter of what a transaction costs SQLAlchemy; order entry runs one per order.
    """
    driver = dbapi_connection.driver_connection
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


def _refusing_autocommit(set_level: Any) -> Any:
    """A connection set to AUTOCOMMIT would still be begun by :func:`_begin_immediate`, which cannot
    see the connection's options: refused instead (an engine made AUTOCOMMIT begins nothing)."""

    def set_isolation_level(dbapi_connection: Any, level: str) -> None:
        if level == "AUTOCOMMIT":
            raise ValueError("o2c's SQLite engine begins its own transactions: AUTOCOMMIT is not supported")
        set_level(dbapi_connection, level)

    return set_isolation_level
