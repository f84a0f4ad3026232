"""Backorders filled when supply arrives: by priority or fair share, by location, with substitutes.

Supply "arrives" here as a direct UPDATE of on hand followed by ``allocate_arrivals`` in the same unit
of work, as a receipt does it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from o2c.cli import app
from o2c.domain.backorders import BackorderRule
from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, NotFound
from o2c.services.backorders import (
    allocate_arrivals,
    allocate_backorders,
    open_backorders,
)
from o2c.services.fulfilment import (
    ShipRequest,
    cancel_order,
    pack_order,
    pick_order,
    release_credit_hold,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.store.backorder_fills import BackorderFills, LineFill
from o2c.store.events import Event
from o2c.store.master_tables import product_alternates, stock
from o2c.store.supply_tables import shortfall_outcomes
from o2c.store.tables import invoices, order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.factories import add_carrier, add_customer, add_location, add_product, add_stock, stock_level


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """Three customers of tiers 1-3, a ship-complete one and one that accepts substitutes; WIDGET is out
    of stock at DC1 and DC2, GADGET too; ALT-A (rank 1) and ALT-B (rank 2) may stand in for WIDGET."""
    add_customer(engine, "GOLD", tier=1)
    add_customer(engine, "SILVER", tier=2)
    add_customer(engine, "BRONZE", tier=3)
    add_customer(engine, "COMPLETE", tier=2, backorder_policy="ship_complete")
    add_customer(engine, "FLEX", tier=3, allow_substitution=True)
    add_carrier(engine, "UPS")
    dc1, dc2 = add_location(engine, "DC1", "east"), add_location(engine, "DC2", "west")
    ids = {"dc1": dc1, "dc2": dc2}
    for sku in ("WIDGET", "GADGET", "ALT-A", "ALT-B"):
        product = add_product(engine, sku, price="10.00")
        ids[sku] = product
        ids[f"{sku}@dc1"] = add_stock(engine, product, dc1, 0)
        ids[f"{sku}@dc2"] = add_stock(engine, product, dc2, 0)
    with engine.begin() as conn:
        conn.execute(
            insert(product_alternates),
            [
                {"product_id": ids["WIDGET"], "alternate_id": ids["ALT-B"], "rank": 2},
                {"product_id": ids["WIDGET"], "alternate_id": ids["ALT-A"], "rank": 1},
            ],
        )
    return ids


def place(uow: UnitOfWork, customer: str, *lines: tuple[str, int]) -> str:
    request = PlaceOrderRequest(
        customer=customer, lines=[OrderLineRequest(sku=s, quantity=q) for s, q in lines]
    )
    return place_order(uow, request).number


def receive(uow: UnitOfWork, stock_id: int, quantity: int, rule: BackorderRule | None = None) -> list[str]:
    """Put ``quantity`` away on a stock row and allocate what waits for it, in one transaction."""
    with uow:
        row = uow.connection.execute(
            update(stock)
            .where(stock.c.id == stock_id)
            .values(on_hand=stock.c.on_hand + quantity)
            .returning(stock.c.product_id, stock.c.location_id)
        ).one()
        touched = allocate_arrivals(uow, [(row.product_id, row.location_id)], "receiving", rule)
        uow.commit()
    return touched


def lines_of(engine: Engine, number: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(order_lines)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(orders.c.number == number)
            .order_by(order_lines.c.line_no)
        ).mappings()
        return [dict(r) for r in rows]


def outcomes(engine: Engine, outcome: str) -> list[tuple[str, int, int]]:
    """``(order number, line no, quantity)`` of every shortfall outcome of this kind."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(orders.c.number, order_lines.c.line_no, shortfall_outcomes.c.quantity)
            .join(order_lines, order_lines.c.id == shortfall_outcomes.c.order_line_id)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(shortfall_outcomes.c.outcome == outcome)
            .order_by(shortfall_outcomes.c.id)
        )
        return [tuple(r) for r in rows]


def events_of(uow: UnitOfWork, number: str, event_type: str) -> list[Event]:
    with uow:
        return [e for e in uow.events.for_entity("order", number) if e.event_type == event_type]


def backordered(engine: Engine, number: str) -> list[int]:
    return [ln["qty_backordered"] for ln in lines_of(engine, number)]


def allocated(engine: Engine, number: str) -> list[int]:
    return [ln["qty_allocated"] for ln in lines_of(engine, number)]


# --- the rules ---------------------------------------------------------------------------------------


def test_priority_serves_the_strategic_account_first_whatever_the_order_of_arrival(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    bronze = place(uow, "BRONZE", ("WIDGET", 5))
    clock.advance(timedelta(minutes=5))
    silver = place(uow, "SILVER", ("WIDGET", 4))
    clock.advance(timedelta(minutes=5))
    gold = place(uow, "GOLD", ("WIDGET", 3))
    assert [backordered(engine, n) for n in (bronze, silver, gold)] == [[5], [4], [3]]

    clock.advance(timedelta(hours=1))
    touched = receive(uow, world["WIDGET@dc1"], 6, BackorderRule.PRIORITY)

    assert touched == sorted([gold, silver])
    assert [allocated(engine, n) for n in (gold, silver, bronze)] == [[3], [3], [0]]
    assert [backordered(engine, n) for n in (gold, silver, bronze)] == [[0], [1], [5]]
    assert stock_level(engine, world["WIDGET@dc1"]) == (6, 6)
    [event] = events_of(uow, silver, "order.backorder_allocated")
    assert event.actor == "receiving"
    assert event.payload["rule"] == "priority"
    assert event.payload["lines"] == [
        {"line_no": 1, "sku": "WIDGET", "quantity": 3, "location_id": world["dc1"]}
    ]
    assert sorted(outcomes(engine, "allocated")) == sorted([(gold, 1, 3), (silver, 1, 3)])


def test_fair_share_splits_a_shortage_pro_rata(
    uow: UnitOfWork,
    engine: Engine,
    clock: ManualClock,
    world: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("O2C_BACKORDER_RULE", "fair_share")  # the configured rule, no rule passed
    numbers = []
    for customer, qty in (("BRONZE", 5), ("SILVER", 4), ("GOLD", 3)):
        numbers.append(place(uow, customer, ("WIDGET", qty)))
        clock.advance(timedelta(minutes=1))
    # 6 units over needs 5, 4, 3 (12): exact 2.5, 2, 1.5 -> floors 2, 2, 1; remainders 6, 0, 6: the one
    # unit left goes to the tier-1 customer of the two tied remainders.
    receive(uow, world["WIDGET@dc1"], 6)
    assert [allocated(engine, n) for n in numbers] == [[2], [2], [2]]
    [event] = events_of(uow, numbers[0], "order.backorder_allocated")
    assert event.payload["rule"] == "fair_share"


def test_supply_at_one_location_does_not_serve_a_backorder_waiting_at_another(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = place(uow, "SILVER", ("WIDGET", 4))  # out everywhere: backordered at the first location
    [line] = lines_of(engine, number)
    other = "WIDGET@dc2" if line["location_id"] == world["dc1"] else "WIDGET@dc1"
    assert receive(uow, world[other], 10) == []
    assert backordered(engine, number) == [4]
    home = "WIDGET@dc1" if other == "WIDGET@dc2" else "WIDGET@dc2"
    assert receive(uow, world[home], 10) == [number]
    assert (allocated(engine, number), backordered(engine, number)) == ([4], [0])


def test_cancelled_and_credit_held_orders_get_nothing(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_customer(engine, "RISKY", tier=1, credit_limit=Decimal("1.00"))
    cancelled = place(uow, "GOLD", ("WIDGET", 4))
    cancel_order(uow, cancelled)
    held = place(uow, "RISKY", ("WIDGET", 4))
    waiting = place(uow, "BRONZE", ("WIDGET", 4))
    assert receive(uow, world["WIDGET@dc1"], 10) == [waiting]
    assert stock_level(engine, world["WIDGET@dc1"]) == (10, 4)
    assert allocated(engine, held) == allocated(engine, cancelled) == [0]
    release_credit_hold(uow, held, "finance")  # reserved now, from what is left
    assert allocated(engine, held) == [4]


def test_a_ship_complete_order_is_released_only_when_every_line_is_covered(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    receive(uow, world["WIDGET@dc1"], 3)
    number = place(uow, "COMPLETE", ("WIDGET", 3), ("GADGET", 2))
    assert backordered(engine, number) == [0, 2]
    with pytest.raises(IllegalTransition):
        release_order(uow, number)
    gadget = "GADGET@dc1" if lines_of(engine, number)[1]["location_id"] == world["dc1"] else "GADGET@dc2"
    receive(uow, world[gadget], 1)
    with pytest.raises(IllegalTransition):
        release_order(uow, number)
    receive(uow, world[gadget], 1)
    assert release_order(uow, number).status == "released"


def test_partially_shipped_orders_get_their_backorders_and_ship_them_later(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    receive(uow, world["WIDGET@dc1"], 2)
    number = place(uow, "SILVER", ("WIDGET", 5))
    for step in (release_order, pick_order, pack_order):
        step(uow, number)
    assert (
        ship_order(uow, number, ShipRequest(carrier="UPS", tracking_number="1")).status == "partially_shipped"
    )
    receive(uow, world["WIDGET@dc1"], 3)
    for step in (release_order, pick_order, pack_order):
        step(uow, number)
    assert ship_order(uow, number, ShipRequest(carrier="UPS", tracking_number="2")).status == "shipped"
    assert stock_level(engine, world["WIDGET@dc1"]) == (0, 0)


# --- substitution --------------------------------------------------------------------------------------


def test_alternates_fill_the_backorders_of_customers_who_accept_them_by_rank(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    receive(uow, world["ALT-A@dc1"], 2)
    flex = place(uow, "FLEX", ("WIDGET", 5))
    strict = place(uow, "SILVER", ("WIDGET", 3))
    [line] = lines_of(engine, flex)
    assert line["location_id"] == world["dc1"]

    # ALT-B arrives: WIDGET still has nothing, so FLEX takes ALT-A (rank 1, 2 units) then ALT-B (3).
    assert receive(uow, world["ALT-B@dc1"], 10) == [flex]

    original, first, second = lines_of(engine, flex)
    assert (original["qty_backordered"], original["qty_substituted"], original["qty_allocated"]) == (0, 5, 0)
    assert [(ln["product_id"], ln["qty_ordered"], ln["qty_allocated"]) for ln in (first, second)] == [
        (world["ALT-A"], 2, 2),
        (world["ALT-B"], 3, 3),
    ]
    assert {first["substitute_for_line_no"], second["substitute_for_line_no"]} == {1}
    assert (first["line_no"], second["line_no"]) == (2, 3)
    assert backordered(engine, strict) == [3]  # SILVER accepts no substitutes
    assert stock_level(engine, world["ALT-A@dc1"]) == (2, 2)
    assert stock_level(engine, world["ALT-B@dc1"]) == (10, 3)
    [event] = events_of(uow, flex, "order.backorder_substituted")
    assert [(e["sku"], e["substitute_sku"], e["quantity"]) for e in event.payload["lines"]] == [
        ("WIDGET", "ALT-A", 2),
        ("WIDGET", "ALT-B", 3),
    ]
    assert outcomes(engine, "substituted") == [(flex, 1, 2), (flex, 1, 3)]
    assert get_order(uow, flex).subtotal == Decimal("50.00")  # substitutes fill units already priced

    # The order ships and invoices in full, at the price of what was ordered: 5 x 10.00.
    for step in (release_order, pick_order, pack_order):
        step(uow, flex)
    assert ship_order(uow, flex, ShipRequest(carrier="UPS", tracking_number="1Z")).status == "shipped"
    with engine.connect() as conn:
        assert conn.execute(select(invoices.c.subtotal)).scalar_one() == Decimal("50.00")


def test_the_sku_itself_is_preferred_to_its_alternates(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    receive(uow, world["ALT-A@dc1"], 5)
    flex = place(uow, "FLEX", ("WIDGET", 3))
    assert receive(uow, world["WIDGET@dc1"], 2) == [flex]
    lines = lines_of(engine, flex)
    # 2 of WIDGET itself; only the last unit, which WIDGET cannot cover, comes from ALT-A.
    assert [(ln["product_id"], ln["qty_allocated"]) for ln in lines] == [
        (world["WIDGET"], 2),
        (world["ALT-A"], 1),
    ]
    assert lines[0]["qty_substituted"] == 1


# --- the standalone use case, the listing and the facts -------------------------------------------------


def test_allocate_backorders_sweeps_what_stock_can_cover_and_the_listing_shows_the_rest(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    first = place(uow, "BRONZE", ("WIDGET", 4), ("GADGET", 2))
    clock.advance(timedelta(days=3))
    second = place(uow, "GOLD", ("WIDGET", 2))
    with engine.begin() as conn:  # stock counted in, without anyone allocating it
        conn.execute(update(stock).where(stock.c.id == world["WIDGET@dc1"]).values(on_hand=3))
    clock.advance(timedelta(days=2))

    listed = open_backorders(uow)
    assert [(b.order_number, b.sku, b.quantity, b.age_days, b.tier) for b in listed] == [
        (first, "WIDGET", 4, 5, 3),
        (first, "GADGET", 2, 5, 3),
        (second, "WIDGET", 2, 2, 1),
    ]
    assert [b.order_number for b in open_backorders(uow, "GADGET")] == [first]
    with pytest.raises(NotFound):
        open_backorders(uow, "NO-SUCH-SKU")

    report = allocate_backorders(uow, sku="WIDGET", rule=BackorderRule.PRIORITY, actor="planner")
    assert [(f.order_number, f.sku, f.quantity, f.outcome) for f in report.fills] == [
        (first, "WIDGET", 1, "allocated"),
        (second, "WIDGET", 2, "allocated"),
    ]
    assert allocate_backorders(uow).fills == ()  # nothing more to cover
    assert [(b.sku, b.quantity) for b in open_backorders(uow)] == [("WIDGET", 3), ("GADGET", 2)]


def test_shortfalls_at_entry_and_cancelled_backorders_are_recorded(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    add_customer(engine, "CUT", backorder_policy="cancel_remainder")
    receive(uow, world["WIDGET@dc1"], 1)
    before = {kind: len(outcomes(engine, kind)) for kind in ("backordered", "lost", "cancelled")}
    kept = place(uow, "SILVER", ("WIDGET", 4))  # 1 allocated, 3 backordered
    cut = place(uow, "CUT", ("GADGET", 3))  # none on hand: 3 lost
    assert outcomes(engine, "backordered")[before["backordered"] :] == [(kept, 1, 3)]
    assert outcomes(engine, "lost")[before["lost"] :] == [(cut, 1, 3)]

    cancel_order(uow, kept)  # the customer cancels: the backordered units become a lost sale
    assert outcomes(engine, "cancelled")[before["cancelled"] :] == [(kept, 1, 3)]


def test_a_cancellation_gives_the_stock_it_frees_to_waiting_backorders(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    receive(uow, world["WIDGET@dc1"], 5)
    first = place(uow, "BRONZE", ("WIDGET", 5))
    waiting = place(uow, "GOLD", ("WIDGET", 3))
    assert lines_of(engine, waiting)[0]["qty_backordered"] == 3

    cancel_order(uow, first)

    line = lines_of(engine, waiting)[0]
    assert (line["qty_allocated"], line["qty_backordered"]) == (3, 0)
    assert stock_level(engine, world["WIDGET@dc1"]) == (5, 3)
    assert outcomes(engine, "allocated") == [(waiting, 1, 3)]


def test_the_command_line_lists_and_allocates_backorders(
    uow: UnitOfWork, engine: Engine, db_url: str, world: dict[str, int]
) -> None:
    number = place(uow, "SILVER", ("WIDGET", 4), ("GADGET", 1))
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, ["--database", db_url, "backorders", *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert lines_of(engine, number)[0]["location_id"] == world["dc1"]  # out everywhere: the first DC
    listed = run("--sku", "WIDGET")
    assert [(b["order_number"], b["sku"], b["quantity"]) for b in listed] == [(number, "WIDGET", 4)]
    with engine.begin() as conn:
        conn.execute(update(stock).where(stock.c.id == world["WIDGET@dc1"]).values(on_hand=10))
    report = run("allocate", "--rule", "fair_share", "--sku", "WIDGET")
    assert report["rule"] == "fair_share"
    assert [[f["order_number"], f["sku"], f["quantity"], f["outcome"]] for f in report["fills"]] == [
        [number, "WIDGET", 4, "allocated"]
    ]
    assert [b["sku"] for b in run()] == ["GADGET"]


def test_a_line_fill_is_guarded_by_what_the_line_still_waits_for_and_where_it_is_reserved(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    """The lines an allocation fills are written by guarded updates, not by reading the orders: a fill
    larger than the line's backorder, or at a location other than where the line is reserved, writes
    nothing and is reported, so the allocation fails rather than break the line."""
    number = place(uow, "GOLD", ("WIDGET", 5))
    receive(uow, world["WIDGET@dc1"], 2)  # 2 reserved at DC1, 3 still backordered there
    line_id = lines_of(engine, number)[0]["id"]
    before = lines_of(engine, number)
    with uow:
        repo = BackorderFills(uow.connection)
        assert repo.fill_lines([LineFill(line_id, 4, world["dc1"], moves=False)]).rowcount == 0
        assert repo.fill_lines([LineFill(line_id, 1, world["dc2"], moves=True)]).rowcount == 0
    assert lines_of(engine, number) == before
    with uow:
        assert (
            BackorderFills(uow.connection)
            .fill_lines([LineFill(line_id, 3, world["dc1"], moves=False)])
            .rowcount
            == 1
        )
        uow.commit()
    assert (allocated(engine, number), backordered(engine, number)) == ([5], [0])
