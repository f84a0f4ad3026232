"""Shortfall facts name their line's product and a location that exists: since schema 0013 only the
line is a foreign key of the fact, so these hold by how the facts are written, checked here."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from o2c.store.master_tables import locations
from o2c.store.stockouts import ShortfallLog
from o2c.store.supply_tables import shortfall_outcomes
from o2c.store.tables import order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.integration import test_backorders
from tests.integration.test_backorders import outcomes, place, receive

world = test_backorders.world  # the fixture: customers, locations, products and alternates

_facts = shortfall_outcomes.join(order_lines, order_lines.c.id == shortfall_outcomes.c.order_line_id)


def _count(engine: Engine, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_facts).where(*where)).scalar_one())


def test_the_facts_of_entry_fills_and_substitutes_carry_the_original_lines_product_and_a_location(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    receive(uow, world["ALT-A@dc1"], 2)
    receive(uow, world["WIDGET@dc1"], 1)
    flex = place(uow, "FLEX", ("WIDGET", 6))  # 1 reserved, 5 backordered at entry
    receive(uow, world["WIDGET@dc1"], 1)  # 1 allocated to the line itself
    receive(uow, world["ALT-B@dc1"], 10)  # ALT-A 2 then ALT-B 2 stand in for the rest
    assert outcomes(engine, "backordered") == [(flex, 1, 5)]
    assert outcomes(engine, "allocated") == [(flex, 1, 1)]
    assert outcomes(engine, "substituted") == [(flex, 1, 2), (flex, 1, 2)]

    assert _count(engine) == 4
    assert _count(engine, shortfall_outcomes.c.product_id == world["WIDGET"]) == 4
    assert _count(engine, shortfall_outcomes.c.product_id != order_lines.c.product_id) == 0
    assert _count(engine, shortfall_outcomes.c.location_id.not_in(select(locations.c.id))) == 0


_REFUSED = r"fk_shortfall_outcomes_order_line_id_order_lines|FOREIGN KEY"  # PostgreSQL's words, SQLite's


def _a_line_with_a_fact(uow: UnitOfWork, engine: Engine, world: dict[str, int]) -> tuple[int, int]:
    """An order line backordered at entry (so it has a fact), and one fully reserved (none): their ids."""
    receive(uow, world["WIDGET@dc1"], 1)
    receive(uow, world["GADGET@dc1"], 1)
    number = place(uow, "BRONZE", ("WIDGET", 3), ("GADGET", 1))  # WIDGET: 1 reserved, 2 backordered
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                select(order_lines.c.line_no, order_lines.c.id)
                .join(orders, orders.c.id == order_lines.c.order_id)
                .where(orders.c.number == number)
            ).all()
        )
    assert outcomes(engine, "backordered") == [(number, 1, 2)]
    return ids[1], ids[2]


def test_a_fact_of_a_line_that_does_not_exist_is_refused_with_its_whole_statement(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    """On SQLite by the foreign key, on PostgreSQL by the statement's check (migration 0015): 20 facts
    in one statement (arrays on PostgreSQL), the last of a line that is not there."""
    line, _ = _a_line_with_a_fact(uow, engine, world)
    rows = [(line, world["WIDGET"], None, 1)] * 19 + [(line + 1000, world["WIDGET"], None, 1)]
    with pytest.raises(IntegrityError, match=_REFUSED), uow:
        ShortfallLog(uow.connection).record_lines(rows, "allocated", uow.clock.now())
        uow.commit()
    assert _count(engine) == 1  # the fact at entry alone
    with uow:  # the good ones alone go in
        ShortfallLog(uow.connection).record_lines(rows[:19], "allocated", uow.clock.now())
        uow.commit()
    assert _count(engine) == 20


def test_a_line_a_fact_refers_to_cannot_be_deleted_and_another_can(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    with_fact, without = _a_line_with_a_fact(uow, engine, world)
    with pytest.raises(IntegrityError, match=_REFUSED), engine.begin() as conn:
        conn.execute(delete(order_lines).where(order_lines.c.id.in_([without, with_fact])))
    with engine.begin() as conn:
        assert conn.execute(delete(order_lines).where(order_lines.c.id == without)).rowcount == 1
    assert _count(engine) == 1


def test_a_line_with_a_fact_keeps_its_id_and_on_postgresql_every_line(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    """What the foreign key's update check did, a fact's line cannot move to another id (SQLite's key
    still does it); on PostgreSQL no line can (ids are identities)."""
    with_fact, without = _a_line_with_a_fact(uow, engine, world)
    refused = [with_fact, without] if engine.dialect.name == "postgresql" else [with_fact]
    for line in refused:
        with pytest.raises(IntegrityError, match=r"never change|FOREIGN KEY"), engine.begin() as conn:
            conn.execute(update(order_lines).where(order_lines.c.id == line).values(id=line + 1000))
    with engine.begin() as conn:  # a statement that leaves the id as it is is not stopped
        changed = conn.execute(update(order_lines).where(order_lines.c.id == with_fact).values(id=with_fact))
        assert changed.rowcount == 1
    assert _count(engine) == 1


def test_a_line_deleted_while_a_fact_of_it_is_being_written_is_refused_once_the_fact_commits(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    """What the foreign key's lock on the line did, the line's own row lock does on PostgreSQL since
    0015: a fact's transaction writes its line (every use case does), so a DELETE of the line from
    another thread waits for it, then sees the committed fact and is refused."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: nothing can delete beside the fact's transaction")
    _, line = _a_line_with_a_fact(uow, engine, world)  # the fully reserved line: no fact of its own yet
    outcome: dict[str, BaseException | None] = {}

    def delete_the_line() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(delete(order_lines).where(order_lines.c.id == line))
            outcome["error"] = None
        except IntegrityError as error:
            outcome["error"] = error

    with engine.connect() as writer, writer.begin():
        writer.execute(  # the line written by the fact's transaction, as a fill or cancellation writes it
            update(order_lines)
            .where(order_lines.c.id == line)
            .values(promise_at_risk=order_lines.c.promise_at_risk)
        )
        ShortfallLog(writer).record_lines([(line, world["GADGET"], None, 1)], "cancelled", uow.clock.now())
        deleter = threading.Thread(target=delete_the_line)
        deleter.start()
        _wait_until_a_delete_waits_for_a_lock(engine)
    deleter.join(timeout=30)
    assert not deleter.is_alive()
    assert isinstance(outcome["error"], IntegrityError)
    assert "fk_shortfall_outcomes_order_line_id_order_lines" in str(outcome["error"])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(order_lines.c.id == line)).scalar_one() == 1
    assert _count(engine) == 2  # the entry's fact and the committed one


def _wait_until_a_delete_waits_for_a_lock(engine: Engine, seconds: float = 10.0) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        " AND query LIKE 'DELETE FROM order_lines%'"
    )
    deadline = time.monotonic() + seconds
    with engine.connect() as watcher:
        while watcher.execute(waiting).scalar_one() == 0:
            assert time.monotonic() < deadline, "the DELETE never waited for the line's lock"
            time.sleep(0.01)
            watcher.rollback()  # a new snapshot of the activity each time
