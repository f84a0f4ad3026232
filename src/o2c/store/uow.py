"""The unit of work: one transaction, its repositories, and the events it records.

``with uow: ...; uow.commit()`` — leaving the block without ``commit()`` (an error, an early return)
rolls everything back, so a failed use case leaves nothing half-written. :func:`retrying` re-runs a
whole use case when PostgreSQL reports a deadlock or serialization failure, so such a conflict never
escapes to the user as an error.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, Self, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

from o2c.domain.clock import Clock
from o2c.domain.errors import StaleOrder
from o2c.store.billing import BillingRepository
from o2c.store.events import EventLog
from o2c.store.master import MasterDataRepository
from o2c.store.numbering import DocumentKind, next_number
from o2c.store.orders import OrderRepository
from o2c.store.stock import StockRepository

P = ParamSpec("P")
T = TypeVar("T")

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


class UnitOfWork:
    """Transactions on ``engine``, each on a connection checked out of its pool for the transaction.

    ``connection``: run every transaction on this open connection of ``engine`` instead, one after
    another; the caller closes it. A worker that runs a stream of transactions (the simulator, a batch
    of orders placed in-process) keeps one connection rather than paying the pool's check-out and
    check-in around each.
    """

    def __init__(self, engine: Engine, clock: Clock, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self._held = connection

    def __enter__(self) -> Self:
        self.connection: Connection = self._held if self._held is not None else self.engine.connect()
        self._transaction: RootTransaction = self.connection.begin()
        self.orders = OrderRepository(self.connection)
        self.stock = StockRepository(self.connection)
        self.master = MasterDataRepository(self.connection)
        self.events = EventLog(self.connection)
        self.billing = BillingRepository(self.connection)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._transaction.is_active:
                self.events.discard()
                self._transaction.rollback()
        finally:
            if self._held is None:
                self.connection.close()

    def commit(self) -> None:
        self.events.flush()
        self._transaction.commit()

    def next_number(self, kind: DocumentKind) -> str:
        return next_number(self.connection, kind)


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, StaleOrder):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return sqlstate in _RETRYABLE_SQLSTATES


def retrying(attempts: int = 8) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Re-run a use case from scratch on a deadlock or serialization failure (PostgreSQL), or when an
    order it read was saved by someone else meanwhile (:class:`StaleOrder`): its transaction rolled
    back, so the next attempt reads everything afresh and decides again."""

    def decorate(use_case: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(use_case)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            for attempt in range(attempts):
                try:
                    return use_case(*args, **kwargs)
                except (DBAPIError, StaleOrder) as error:
                    if not is_retryable(error) or attempt == attempts - 1:
                        raise
                    time.sleep(random.uniform(0, 0.005 * 2**attempt))
            raise AssertionError("unreachable")

        return run

    return decorate


__all__ = ["UnitOfWork", "is_retryable", "retrying"]
