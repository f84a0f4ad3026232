"""Work aside (services.aside): on the worker thread for large work on PostgreSQL, at once otherwise,
its result or its error handed back by ``result()``, and still done in a process forked after the
worker started."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from o2c.services.aside import ASIDE_FROM, aside


def unit_of_work_on(database: str) -> Any:
    """As much of a unit of work as aside looks at: its connection's dialect."""
    return SimpleNamespace(connection=SimpleNamespace(dialect=SimpleNamespace(name=database)))


def thread_name() -> str:
    return threading.current_thread().name


def test_large_work_on_postgresql_is_done_on_the_worker_and_the_rest_at_once() -> None:
    here = thread_name()
    assert aside(unit_of_work_on("postgresql"), thread_name, ASIDE_FROM).result() != here
    assert aside(unit_of_work_on("postgresql"), thread_name, ASIDE_FROM - 1).result() == here
    assert aside(unit_of_work_on("sqlite"), thread_name, 10 * ASIDE_FROM).result() == here


@pytest.mark.parametrize("size", [0, ASIDE_FROM])
def test_the_works_error_is_raised_by_result(size: int) -> None:
    def broken() -> None:
        raise LookupError("no such line")

    pending = aside(unit_of_work_on("postgresql"), broken, size)
    with pytest.raises(LookupError, match="no such line"):
        pending.result()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_process_forked_after_the_worker_started_still_gets_its_work_done() -> None:
    uow = unit_of_work_on("postgresql")
    assert aside(uow, lambda: 1, ASIDE_FROM).result() == 1  # the worker thread is running now
    child = os.fork()
    if child == 0:  # the child: the parent's worker thread did not come along
        try:
            done = aside(uow, lambda: 2, ASIDE_FROM).result(timeout=10) == 2
        except BaseException:
            done = False
        os._exit(0 if done else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert aside(uow, lambda: 3, ASIDE_FROM).result(timeout=10) == 3  # and the parent keeps its own
