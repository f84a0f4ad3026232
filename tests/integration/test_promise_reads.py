"""The promise's reads (store.promise_reads) run as prepared statements: on PostgreSQL planned once for
all parameters (a generic plan), which is only good if the constants are in the SQL."""

from __future__ import annotations

from sqlalchemy import Engine

from o2c.store.promise_reads import _PLAN, _TO_FIRST_SHIP_TO, _TO_NAMED_SHIP_TO
from o2c.store.supply_demand import FINISHED_ORDER_STATUSES


def test_the_plan_of_a_promise_binds_only_the_sku(engine: Engine) -> None:
    compiled = _PLAN.statement.compile(dialect=engine.dialect)
    assert set(compiled.binds) == {"product_id"}
    for status in (*FINISHED_ORDER_STATUSES, "open", "in_transit", "ground"):
        assert f"'{status}'" in compiled.string


def test_the_destination_binds_only_what_the_request_says(engine: Engine) -> None:
    for statement, named in ((_TO_NAMED_SHIP_TO, {"ship_to"}), (_TO_FIRST_SHIP_TO, set())):
        compiled = statement.statement.compile(dialect=engine.dialect)
        required = {name for name, bind in compiled.binds.items() if bind.required}
        assert required == {"customer", "sku", "service", *named}
