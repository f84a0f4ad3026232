"""Reading several independent statements side by side, each on a connection of its own.

A report made of independent grouped reads (the scorecard's metric families, the cost-to-serve facts
of each table) takes the sum of their times on one connection. Given an engine instead, the reads run
on :data:`READERS` connections at once: SQLite and PostgreSQL each run a statement on one core, and
the driver releases the GIL while it waits for rows, so the report takes about what its longest
reads take. The price is consistency across reads: each sees the database as its own connection finds
it, so a fact committed while the report runs may count in one read and not yet in another. Given a
connection, the reads run one after another in its transaction and see one state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine

from o2c.store.database import read_connection

Source = Connection | Engine
Read = Callable[[Connection], Any]
READERS = 2
"""Connections read at once from an engine."""


@contextmanager
def connected(source: Source) -> Iterator[Connection]:
    """The connection itself, or a new one of the engine for the block."""
    if isinstance(source, Connection):
        yield source
        return
    with read_connection(source) as conn:
        yield conn


def read_all(
    source: Source,
    reads: Mapping[str, Read],
    around: Callable[[Connection], AbstractContextManager[Any]] = lambda _conn: nullcontext(),
) -> dict[str, Any]:
    """Each read's result by name. ``around`` wraps every connection's reads (a session setting)."""
    if isinstance(source, Connection):
        with around(source):
            return {name: read(source) for name, read in reads.items()}

    def run(read: Read) -> Any:  # read-only connections: on SQLite they do not queue for the write lock
        with read_connection(source) as conn, around(conn):
            return read(conn)

    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="o2c-read") as pool:
        futures = {name: pool.submit(run, read) for name, read in reads.items()}
        return {name: future.result() for name, future in futures.items()}


__all__ = ["READERS", "Read", "Source", "connected", "read_all"]
