"""The audit trail of mutations: who did what to which document, when, and its state before and after.

:class:`AuditedUnitOfWork` runs any use case unchanged and, in the same transaction, records one
audit entry when it commits: the document's state read as the transaction began (``before``) and as it
is about to commit (``after``), so the entry exists if and only if the change does. For a creation
the document is the first one the use case recorded an event for.

It also carries optimistic concurrency for callers that hold a document's ETag (an HTTP ``If-Match``):
the change commits only if the document was still as the caller read it. An order's ETag is its
version; a document without a version of its own (purchase order, transfer, return, shipment) has
its :func:`content_tag`, a digest of the state audited as ``before``, whose row is locked first so
that the state checked is the state changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any, Self

from pydantic_core import to_jsonable_python
from sqlalchemy import Engine

from o2c.domain.clock import Clock
from o2c.domain.errors import Conflict
from o2c.services.purchasing import summarise_purchase_order
from o2c.services.results import summarise
from o2c.services.transfers import summarise_transfer
from o2c.store.events import Event, EventLog
from o2c.store.inbound import InboundRepository
from o2c.store.listings import LISTINGS, Criteria, Window, lock_document
from o2c.store.uow import UnitOfWork
from o2c.store.users import AuditEntry, AuditTrail


class _RecordingEventLog(EventLog):
    """The event log of the unit of work, remembering what this transaction recorded."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.recorded: list[Event] = []

    def record(self, event: Event) -> None:
        self.recorded.append(event)
        super().record(event)

    def discard(self) -> None:
        self.recorded.clear()
        super().discard()


def _order(uow: UnitOfWork, number: str) -> Any:
    # An order this transaction placed is as it wrote it: no need to read it back (see
    # OrderRepository.inserted).
    order = uow.orders.inserted(number) or uow.orders.get(number)
    snapshot = to_jsonable_python(summarise(order))  # the dataclass as asdict() would give it, JSON-ready
    snapshot["version"] = order.version
    return snapshot


def _listed(kind: str, key: str) -> Callable[[UnitOfWork, str], Any]:
    def read(uow: UnitOfWork, value: str) -> Any:
        rows = LISTINGS[kind].rows(uow.connection, Criteria(equal={key: value}), Window(1, 0, key))
        return rows[0] if rows else None

    return read


def _purchase_order(uow: UnitOfWork, number: str) -> Any:
    return summarise_purchase_order(InboundRepository(uow.connection).purchase_order(number))


def _transfer(uow: UnitOfWork, number: str) -> Any:
    return summarise_transfer(InboundRepository(uow.connection).transfer(number))


SNAPSHOTS: dict[str, Callable[[UnitOfWork, str], Any]] = {
    "order": _order,
    "quote": _listed("quotes", "number"),
    "shipment": _listed("shipments", "number"),
    "invoice": _listed("invoices", "number"),
    "return": _listed("returns", "number"),
    "purchase_order": _purchase_order,
    "transfer": _transfer,
}


def _jsonable(value: Any) -> Any:
    return to_jsonable_python(asdict(value) if is_dataclass(value) and not isinstance(value, type) else value)


def content_tag(snapshot: Any) -> str:
    """The ETag of a document without a version: a digest of its audited state."""
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def document_tag(uow: UnitOfWork, entity_type: str, key: str) -> str | None:
    """The current :func:`content_tag` of a document; None if there is no such document."""
    with uow:
        snapshot = _jsonable(SNAPSHOTS[entity_type](uow, key))
    return None if snapshot is None else content_tag(snapshot)


class AuditedUnitOfWork(UnitOfWork):
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        actor: str,
        action: str,
        subject: tuple[str, str] | None = None,
        expected_version: int | str | None = None,
    ) -> None:
        super().__init__(engine, clock)
        self.actor = actor
        self.action = action
        self.subject = subject
        self.expected_version = expected_version
        self.before: Any = None
        self.after: Any = None

    def __enter__(self) -> Self:
        super().__enter__()
        self.events = _RecordingEventLog(self.connection)
        try:
            if self.subject and isinstance(self.expected_version, str):
                lock_document(self.connection, *self.subject)
            self.before = self._snapshot(self.subject) if self.subject else None
            self._check_version(self.before)
        except BaseException:
            self.__exit__(None, None, None)  # `with` does not call __exit__ when __enter__ fails
            raise
        return self

    def commit(self) -> None:
        subject = self.subject or self._first_recorded()
        if subject is not None:
            after = self.after = self._snapshot(subject)
            # The use case saved the order at the version it read; if that was not the caller's, the
            # order changed in between and the caller acted on a stale copy.
            self._check_version(after, offset=1)
            AuditTrail(self.connection).add(
                AuditEntry(self.clock.now(), self.actor, self.action, *subject, self.before, after)
            )
        super().commit()

    def _first_recorded(self) -> tuple[str, str] | None:
        assert isinstance(self.events, _RecordingEventLog)
        first = next(iter(self.events.recorded), None)
        return (first.entity_type, first.entity_id) if first else None

    def _snapshot(self, subject: tuple[str, str]) -> Any:
        read = SNAPSHOTS.get(subject[0])
        return _jsonable(read(self, subject[1])) if read else None

    def _check_version(self, snapshot: Any, offset: int = 0) -> None:
        expected = self.expected_version
        if expected is None or not isinstance(snapshot, dict):
            return
        if isinstance(expected, str):  # a content tag: only the state the action starts from has it
            current = content_tag(snapshot)
            if offset == 0 and current != expected:
                raise self._stale(current)
        elif "version" in snapshot and snapshot["version"] != expected + offset:
            raise self._stale(snapshot["version"] - offset)

    def _stale(self, current: object) -> Conflict:
        return Conflict(
            f"{self.subject[1] if self.subject else 'the document'} changed since version "
            f"{self.expected_version} (it is at {current}): read it again",
            expected_version=self.expected_version,
        )
