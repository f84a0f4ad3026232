"""Pure work done aside: in a worker thread while the caller's own statements run on PostgreSQL.

A backorder allocation writes tens of thousands of rows in a few statements; each leaves the client
idle, waiting on the server with the GIL released, for a few hundred milliseconds. Work that needs no
database and does not depend on those writes (the re-promised lines' new dates, the fills' report
and events) can be done meanwhile. :func:`aside` starts it in a thread and hands back a
:class:`~concurrent.futures.Future`; the caller writes, then takes the result (or the work's error)
with ``result()``.

Only on PostgreSQL, and only for large work: on SQLite a batch of rows (``executemany``) takes the GIL
back after every row, and a busy worker would make each row wait for it; a few lines are decided in
less time than a thread takes to start.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from threading import Thread
from typing import TypeVar

from o2c.store.uow import UnitOfWork

T = TypeVar("T")
ASIDE_FROM = 2_000  # items of work (lines): fewer are done in less time than a thread takes to start


def aside(uow: UnitOfWork, work: Callable[[], T], size: int, name: str) -> Future[T]:
    """``work()`` in a worker thread named ``name``, started now, if ``uow`` is on PostgreSQL and
    ``size`` reaches :data:`ASIDE_FROM`; else done now, in the caller's thread. ``work`` must not
    touch the unit of work."""
    done: Future[T] = Future()

    def run() -> None:
        try:
            done.set_result(work())
        except BaseException as failure:  # handed to the caller by result()
            done.set_exception(failure)

    if uow.connection.dialect.name == "postgresql" and size >= ASIDE_FROM:
        Thread(target=run, name=name, daemon=True).start()
    else:
        run()
    return done


__all__ = ["ASIDE_FROM", "aside"]
