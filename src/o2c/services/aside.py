"""Pure work done aside: in a worker thread while the caller's own statements run on PostgreSQL.

A backorder allocation writes tens of thousands of rows in a few statements; each leaves the client
idle, waiting on the server with the GIL released, for a few hundred milliseconds. Work that needs no
database and does not depend on those writes (the re-promised lines' new dates, the fills' report
and events, their payloads' JSON text) can be done meanwhile. :func:`aside` queues it on a worker
thread and hands back a :class:`~concurrent.futures.Future`; the caller writes, then takes the result
(or the work's error) with ``result()``. Start it just before the long statements: while it runs, any
Python of the caller's (building a statement's parameters, reading rows) shares the GIL with it.

Only on PostgreSQL, and only for large work: on SQLite a batch of rows (``executemany``) takes the GIL
back after every row, and a busy worker would make each row wait for it; a few lines are decided in
less time than it takes to hand them over.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from o2c.store.uow import UnitOfWork

T = TypeVar("T")
ASIDE_FROM = 2_000  # items of work (lines): fewer are done in less time than a thread takes to start


# One worker for the process, taking the work in turn: the work is Python, so more threads would only
# contend for the GIL, with each other and with the caller's thread (whose Python between statements
# each one would slow).
def _one_worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="o2c-aside")


_worker = _one_worker()


def _new_worker() -> None:
    # A process forked after the worker started has the executor but not its thread: work queued
    # there would wait for ever. The child starts with an executor of its own.
    global _worker
    _worker = _one_worker()


os.register_at_fork(after_in_child=_new_worker)


def aside(uow: UnitOfWork, work: Callable[[], T], size: int) -> Future[T]:
    """``work()`` on the worker thread, queued now, if ``uow`` is on PostgreSQL and ``size`` reaches
    :data:`ASIDE_FROM`; else done now, in the caller's thread. ``work`` must not touch the unit of
    work. ``result()`` of the future gives what ``work`` returned, or raises what it raised."""
    if uow.connection.dialect.name == "postgresql" and size >= ASIDE_FROM:
        return _worker.submit(work)
    done: Future[T] = Future()
    try:
        done.set_result(work())
    except BaseException as failure:  # handed to the caller by result(), as from the worker
        done.set_exception(failure)
    return done


__all__ = ["ASIDE_FROM", "aside"]
