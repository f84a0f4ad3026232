"""Set-based writes for the bulk generator: whole columns in, rows out through the driver's executemany.

Column names come from the Core tables, values are already in their stored form (money as integer
minor units, as :class:`~o2c.store.types.Minor` stores them; instants as naive UTC text on SQLite and
``timestamptz`` on PostgreSQL), so no per-value type processing runs on millions of rows. The
database's own constraints (line balance, ``allocated <= on_hand``...) still check every row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Index, Table

from o2c.store.database import SQLITE_CACHE_KIB
from o2c.store.numbering import DocumentKind, sequence_name
from o2c.store.tables import document_counters

CHUNK = 50_000
EPOCH = np.datetime64("1970-01-01T00:00:00", "s")
NULL_TIME = -1  # seconds: an instant that did not happen (NULL)


@dataclass(frozen=True)
class Instants:
    """Seconds since 1970 (``NULL_TIME``: NULL), written as the driver stores a UTC instant."""

    seconds: NDArray[np.int64]


@dataclass(frozen=True)
class Dates:
    """Days since 1970 (negative: NULL), written as the driver stores a date."""

    days: NDArray[np.int64]


@dataclass(frozen=True)
class Numbers:
    """Document numbers of ``kind`` for these ids (``SO-00000042``)."""

    kind: DocumentKind
    ids: NDArray[np.int64]


Column = NDArray[Any] | Instants | Dates | Numbers | Sequence[Any]


@contextmanager
def bulk_session(conn: Connection) -> Iterator[None]:
    """On SQLite, for the one transaction of a bulk load: a large page cache, and foreign keys not
    looked up row by row (every id is drawn from rows written before it in the same load; the CHECK
    and UNIQUE constraints still run). Both are restored before the connection goes back to the pool."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("PRAGMA cache_size=-500000")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # the engine's (store.database)


class BulkWriter:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if not self.sqlite:
            self.cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        self.rows = 0
        self._deferred: dict[str, list[Index]] = {}

    def insert(self, table: Table, columns: dict[str, Column]) -> int:
        """Insert one row per position of the (equally long) columns, a chunk at a time."""
        self._defer_indexes(table)
        names = list(columns)
        for name in names:
            table.c[name]  # an unknown column fails here, not deep in the driver
        mark = "?" if self.sqlite else "%s"
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(mark for _ in names)})"
        count = len(_raw(next(iter(columns.values())))) if columns else 0
        for start in range(0, count, CHUNK):
            end = min(start + CHUNK, count)
            values = [self._values(c, start, end) for c in columns.values()]
            self.cursor.executemany(sql, list(zip(*values, strict=True)))
        if "id" in columns and not self.sqlite and count:
            # Explicit ids do not move PostgreSQL's identity sequence: the services' next row would clash.
            sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
            self.cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table.name}))")
        self.rows += count
        return count

    def _defer_indexes(self, table: Table) -> None:
        """Drop the table's secondary (non-unique) indexes before its first rows go in: building each
        once from all the rows, in :meth:`build_indexes`, is one sort instead of a b-tree insert per
        row. Unique indexes stay, so uniqueness is still checked row by row."""
        if table.name in self._deferred:
            return
        deferred = [index for index in table.indexes if not index.unique]
        for index in deferred:
            index.drop(self.conn)
        self._deferred[table.name] = deferred

    def build_indexes(self) -> None:
        """Build the indexes :meth:`insert` dropped (in the load's transaction: all or nothing)."""
        for indexes in self._deferred.values():
            for index in indexes:
                index.create(self.conn)
        self._deferred.clear()

    def _values(self, column: Column, start: int, end: int) -> list[Any]:
        if isinstance(column, Instants):
            return self._instants(column.seconds[start:end])
        if isinstance(column, Dates):
            return self._dates(column.days[start:end])
        if isinstance(column, Numbers):
            return [f"{column.kind.value}-{i:08d}" for i in column.ids[start:end].tolist()]
        if isinstance(column, np.ndarray):
            return column[start:end].tolist()  # type: ignore[no-any-return]
        return list(column[start:end])

    def _instants(self, seconds: NDArray[np.int64]) -> list[Any]:
        stamps = EPOCH + seconds.astype("timedelta64[s]")
        if self.sqlite:
            text = np.datetime_as_string(stamps, unit="us")
            out: list[Any] = [s.replace("T", " ") for s in text.tolist()]
        else:
            out = stamps.astype("datetime64[us]").tolist()
        return [None if s < 0 else v for s, v in zip(seconds.tolist(), out, strict=True)]

    def _dates(self, days: NDArray[np.int64]) -> list[Any]:
        stamps = np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")
        out: list[Any] = np.datetime_as_string(stamps).tolist() if self.sqlite else stamps.tolist()
        return [None if d < 0 else v for d, v in zip(days.tolist(), out, strict=True)]

    def numbering(self, kind: DocumentKind, last: int) -> None:
        """Make the next document of ``kind`` the one after ``last``, as the services draw them."""
        if self.sqlite:
            self.cursor.execute(
                f"INSERT INTO {document_counters.name} (kind, last_value) VALUES (?, ?) "
                "ON CONFLICT (kind) DO UPDATE SET last_value = excluded.last_value",
                (kind.value, last),
            )
        elif last > 0:
            self.cursor.execute("SELECT setval(%s, %s)", (sequence_name(kind), last))


def _raw(column: Column) -> Sized:
    if isinstance(column, Instants):
        return column.seconds
    if isinstance(column, Dates):
        return column.days
    if isinstance(column, Numbers):
        return column.ids
    return column
