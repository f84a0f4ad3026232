"""The append-only event log: every state change, who made it, when, and what it carried.

Events are collected during a unit of work and written in one batch just before commit, so a
rolled-back transaction leaves no trace and a committed one leaves all of it. UPDATE and DELETE on the
table are refused by triggers (see the initial migration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, String, bindparam, insert, select

from o2c.domain.values import quick_init
from o2c.store import json_text
from o2c.store.batches import ARRAYS_FROM, arrayed, collector_paused, copy_rows
from o2c.store.driver import Prepared
from o2c.store.tables import events
from o2c.store.types import stored_utc

_COLUMNS = ("entity_type", "entity_id", "event_type", "occurred_at", "actor", "payload")
_insert = Prepared(insert(events), column_keys=_COLUMNS)  # on the hot path of order entry
_row = attrgetter(*_COLUMNS)  # an event's values in the order of _COLUMNS
# Many at once on SQLite: rows of values as they are stored, the instant converted once per distinct
# instant and each payload serialised here, as the JSON column would (json_text.dumps), so that the driver
# gets the rows without a conversion per value (see Prepared.execute_values).
_insert_stored = Prepared(
    insert(events).values(
        {name: bindparam(name) for name in _COLUMNS[:3]}
        | {
            "occurred_at": bindparam("occurred_at", type_=String),
            "actor": bindparam("actor"),
            "payload": bindparam("payload", type_=String),
        }
    )
)
_for_entity = (
    select(events)
    .where(events.c.entity_type == bindparam("entity_type"), events.c.entity_id == bindparam("entity_id"))
    .order_by(events.c.id)
)


@quick_init
@dataclass(frozen=True)
class Event:
    entity_type: str
    entity_id: str
    event_type: str
    occurred_at: datetime
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)
    # The payload's JSON text (json_text.dumps), when made already: work that builds thousands of
    # events aside (services.aside) makes it there, not in the flush. The payload must not change after.
    payload_text: str | None = field(default=None, compare=False, repr=False)


class EventLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[Event] = []

    def record(self, event: Event) -> None:
        self._pending.append(event)

    def flush(self) -> None:
        if not self._pending:
            return
        with collector_paused():
            self._flush()

    def _flush(self) -> None:
        if arrayed(self._conn, len(self._pending)):
            # Thousands at once (a backorder allocation re-promising its lines) go to PostgreSQL by
            # COPY: a third of what one statement over a JSON document of the rows cost, which the
            # server parsed once as the document and again per payload. Each payload's text is
            # json_text.dumps's, as the JSON column would write it.
            dumps = json_text.dumps
            instants: dict[datetime, datetime] = {}  # the events of one transaction mostly share one
            rows = (
                (
                    e.entity_type,
                    e.entity_id,
                    e.event_type,
                    instants.get(e.occurred_at) or _instant(e.occurred_at, instants),
                    e.actor,
                    e.payload_text or dumps(e.payload),
                )
                for e in self._pending
            )
            copy_rows(self._conn, events, _COLUMNS, rows)
            self._pending.clear()
            return
        if self._conn.dialect.name == "sqlite" and len(self._pending) >= ARRAYS_FROM:
            self._flush_stored()
            return
        _insert.execute_rows(self._conn, [_row(e) for e in self._pending])
        self._pending.clear()

    def _flush_stored(self) -> None:
        dialect = self._conn.dialect
        stored = events.c.occurred_at.type.dialect_impl(dialect).bind_processor(dialect)
        assert stored is not None
        instants: dict[datetime, Any] = {}
        rows = [
            (
                e.entity_type,
                e.entity_id,
                e.event_type,
                instants[e.occurred_at]
                if e.occurred_at in instants
                else instants.setdefault(e.occurred_at, stored(e.occurred_at)),
                e.actor,
                e.payload_text or json_text.dumps(e.payload),
            )
            for e in self._pending
        ]
        _insert_stored.execute_values(self._conn, _COLUMNS, rows)
        self._pending.clear()

    def discard(self) -> None:
        self._pending.clear()

    def for_entity(
        self, entity_type: str, entity_id: str, limit: int | None = None, offset: int = 0
    ) -> list[Event]:
        """The entity's events, oldest first; ``limit`` of them from ``offset`` (default: all)."""
        rows = self._conn.execute(
            _for_entity.limit(limit).offset(offset), {"entity_type": entity_type, "entity_id": entity_id}
        ).mappings()
        return [
            Event(
                r["entity_type"], r["entity_id"], r["event_type"], r["occurred_at"], r["actor"], r["payload"]
            )
            for r in rows
        ]


def _instant(at: datetime, known: dict[datetime, datetime]) -> datetime:
    """``at`` in UTC (a naive instant refused, as the column type refuses it), remembered in ``known``."""
    stored = stored_utc(at, naive=False)
    assert stored is not None
    known[at] = stored
    return stored
