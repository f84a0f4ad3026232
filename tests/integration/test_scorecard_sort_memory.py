"""The scorecard raises PostgreSQL's sort memory for its own statements only (SQLite: nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from o2c.analytics.figures import Slice
from o2c.analytics.periods import Period
from o2c.analytics.service import SCORECARD_WORK_MEM, _sort_memory, service_scorecard


def test_sort_memory_is_raised_inside_and_put_back_after(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            with _sort_memory(conn):  # a no-op that must not fail
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
            return
        before = conn.execute(text("SHOW work_mem")).scalar_one()
        assert before != SCORECARD_WORK_MEM  # else the test shows nothing
        with _sort_memory(conn):
            assert conn.execute(text("SHOW work_mem")).scalar_one() == SCORECARD_WORK_MEM
        assert conn.execute(text("SHOW work_mem")).scalar_one() == before


def test_the_scorecard_leaves_the_callers_work_mem_alone(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("work_mem is PostgreSQL's")
    with engine.connect() as conn:
        before = conn.execute(text("SHOW work_mem")).scalar_one()
        service_scorecard(conn, Slice(Period.MONTH), datetime(2026, 11, 22, tzinfo=UTC))
        assert conn.execute(text("SHOW work_mem")).scalar_one() == before
