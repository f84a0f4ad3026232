"""Shortfall facts name their line's product and a location that exists: since schema 0013 only the
line is a foreign key of the fact, so these hold by how the facts are written, checked here."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from o2c.store.master_tables import locations
from o2c.store.supply_tables import shortfall_outcomes
from o2c.store.tables import order_lines
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
