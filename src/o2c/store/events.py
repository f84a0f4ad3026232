"""The append-only event log: every state change, who made it, when, and what it carried.

Events are collected during a unit of work and written in one batch just before commit, so a
rolled-back transaction leaves no trace and a committed one leaves all of it. UPDATE and DELETE on the
table are refused by triggers (see the initial migration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from o2c.store.driver import Prepared
from o2c.store.tables import events

_COLUMNS = ("entity_type", "entity_id", "event_type", "occurred_at", "actor", "payload")
_insert = Prepared(insert(events), column_keys=_COLUMNS)  # on the hot path of order entry
_for_entity = (
    select(events)
    .where(events.c.entity_type == bindparam("entity_type"), events.c.entity_id == bindparam("entity_id"))
    .order_by(events.c.id)
)


@dataclass(frozen=True)
class Event:
    entity_type: str
    entity_id: str
    event_type: str
    occurred_at: datetime
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)


class EventLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[Event] = []

    def record(self, event: Event) -> None:
        self._pending.append(event)

    def flush(self) -> None:
        if not self._pending:
            return
        _insert.execute_many(
            self._conn,
            [
                {
                    "entity_type": e.entity_type,
                    "entity_id": e.entity_id,
                    "event_type": e.event_type,
                    "occurred_at": e.occurred_at,
                    "actor": e.actor,
                    "payload": e.payload,
                }
                for e in self._pending
            ],
        )
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
