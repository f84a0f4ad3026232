"""Promised delivery dates: for a quantity, for an order being entered, and again when supply slips.

Every test runs on SQLite and PostgreSQL. Day 0 is the test clock's date (Monday 2026-03-02). The ship-to
is in region east; DC1 (east) needs 1 day to process and 1 to pick and pack, and its ground lane to east
takes 2 days: lead 4. DC2 (west) needs 2 + 1 days and its lane to east 4: lead 7. Worked by hand below.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from o2c.cli import app
from o2c.domain.clock import ManualClock
from o2c.domain.errors import ValidationFailed
from o2c.domain.order import OrderLine
from o2c.services.ordering import enter_order
from o2c.services.promising import Promise, PromiseRequest, promise
from o2c.services.repromising import PROMISE_EVENTS, repromise, repromise_many
from o2c.store.supply_tables import purchase_order_lines
from o2c.store.tables import events, order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_product, add_stock
from tests.integration.test_atp_service import (
    add_lane,
    add_purchase_order,
    add_site,
    day,
    place,
    set_promise,
)


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    add_customer(engine, "C1", region="east")
    ids = {sku: add_product(engine, sku) for sku in ("P1", "P2", "P3")}
    ids["DC1"] = add_site(engine, "DC1", "east", 1, 1)
    ids["DC2"] = add_site(engine, "DC2", "west", 2, 1)
    add_lane(engine, "east", "east", 2)
    add_lane(engine, "west", "east", 4)
    return ids


def ask(uow: UnitOfWork, quantity: int, sku: str = "P1", **kw: Any) -> Promise:
    return promise(uow, PromiseRequest(sku=sku, quantity=quantity, customer="C1", **kw))


def dates(p: Promise) -> list[tuple[str, int, date | None, date | None, date | None]]:
    return [(s.location, s.quantity, s.available_date, s.ship_date, s.delivery_date) for s in p.sources]


# --- a promise for a quantity ------------------------------------------------------------------------


def test_stock_on_hand_is_delivered_after_processing_pick_pack_and_transit(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_stock(engine, world["P1"], world["DC1"], 5)

    answer = ask(uow, 5)

    # available day 0, ships 0 + 1 + 1 = day 2, delivered 2 + 2 = day 4
    assert dates(answer) == [("DC1", 5, day(0), day(2), day(4))]
    assert answer.delivery_date == day(4) and answer.shortfall == 0 and not answer.split


def test_a_promise_answers_while_another_transaction_holds_the_write_lock(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    # A promise reads outside any transaction: on SQLite it must not queue for the write lock that
    # order entry holds (BEGIN IMMEDIATE); on PostgreSQL readers never wait for writers anyway.
    add_stock(engine, world["P1"], world["DC1"], 5)
    writer = engine.raw_connection()
    try:
        writer.cursor().execute("BEGIN IMMEDIATE" if engine.dialect.name == "sqlite" else "BEGIN")
        answers: list[Promise] = []
        asking = threading.Thread(target=lambda: answers.append(ask(uow, 5)), daemon=True)
        asking.start()
        asking.join(timeout=10)  # the busy timeout is 30 s: a promise that queued would still wait
        assert not asking.is_alive() and [a.delivery_date for a in answers] == [day(4)]
    finally:
        writer.rollback()
        writer.close()


def test_a_promise_that_needs_a_future_receipt_waits_for_it_then_adds_the_lead_times(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_stock(engine, world["P1"], world["DC1"], 5)
    add_purchase_order(engine, world["DC1"], (world["P1"], 20, day(3), 0))

    answer = ask(uow, 12, requested_date=day(6))

    # cumulative ATP at DC1: 5 5 5 25 ...: 12 first covered on day 3, ships day 5, delivered day 7
    assert dates(answer) == [("DC1", 12, day(3), day(5), day(7))]
    assert answer.meets_requested_date is False


def test_promised_backorders_come_first_so_a_new_promise_takes_a_later_receipt(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_stock(engine, world["P1"], world["DC1"], 0)
    backorder = place(uow, "C1", ("P1", 8))
    set_promise(engine, backorder, day(7))  # due at DC1 on day 7 - 4 = 3
    add_purchase_order(engine, world["DC1"], (world["P1"], 10, day(3), 0), (world["P1"], 10, day(10), 0))

    # blocks: day 0: 0 | day 3: 10 - 8 = 2 | day 10: 10  -> cumulative 0 (days 0-2), 2 (3-9), 12 (10-)
    assert dates(ask(uow, 2)) == [("DC1", 2, day(3), day(5), day(7))]
    assert dates(ask(uow, 5)) == [("DC1", 5, day(10), day(12), day(14))]


def test_a_quantity_no_location_holds_alone_is_split_and_delivered_when_the_last_part_is(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_stock(engine, world["P1"], world["DC1"], 6)
    add_stock(engine, world["P1"], world["DC2"], 5)

    answer = ask(uow, 10)

    # DC1 alone: 6 by day 4; DC2 alone: 5 by day 0 + 3 + 4 = 7. Together 11 >= 10 first by day 7;
    # the larger part first: 6 from DC1 (day 4), the other 4 from DC2 (ships day 3, delivered day 7).
    assert answer.split
    assert dates(answer) == [("DC1", 6, day(0), day(2), day(4)), ("DC2", 4, day(0), day(3), day(7))]
    assert answer.delivery_date == day(7)
    assert [(o.location, o.quantity, o.reason) for o in answer.options] == [
        ("DC1", 6, "6 of 10 within 120 days"),
        ("DC2", 5, "5 of 10 within 120 days"),
    ]


def test_supply_beyond_the_horizon_gives_no_date_and_says_how_much_is_missing(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_stock(engine, world["P1"], world["DC1"], 6)
    add_purchase_order(engine, world["DC1"], (world["P1"], 10, day(150), 0))

    short = ask(uow, 10)

    assert short.delivery_date is None and short.sources == () and short.shortfall == 4
    # a longer horizon sees the receipt of day 150: delivered day 154
    assert dates(ask(uow, 10, horizon_days=200)) == [("DC1", 10, day(150), day(152), day(154))]


def test_a_location_without_a_lane_to_the_ship_to_is_refused_with_the_reason(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    north = add_site(engine, "DC3", "north", 0, 0)
    add_stock(engine, world["P1"], north, 100)
    add_stock(engine, world["P1"], world["DC2"], 100)

    answer = ask(uow, 10)

    assert dates(answer) == [("DC2", 10, day(0), day(3), day(7))]
    assert [(o.location, o.reason) for o in answer.options] == [
        ("DC2", None),
        ("DC3", "no ground lane from north to east"),
    ]
    add_lane(engine, "north", "west", 1, service="express")
    assert ask(uow, 10, service="express").delivery_date is None  # no express lane to east


def test_a_promise_for_a_carrier_service_no_lane_or_carrier_offers_is_refused(
    uow: UnitOfWork, world: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ask(uow, 1, service="express")

    assert refused.value.field == "service" and "ground" in refused.value.message


def test_a_promise_for_an_unknown_customer_or_ship_to_is_refused(
    uow: UnitOfWork, world: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ask(uow, 1, ship_to="NOWHERE")
    assert refused.value.field == "ship_to"
    with pytest.raises(ValidationFailed):
        promise(uow, PromiseRequest(sku="P1", quantity=1, customer="NOBODY"))


def test_o2c_promise_prints_the_answer_as_a_table_or_as_json(
    engine: Engine, db_url: str, world: dict[str, int]
) -> None:
    add_stock(engine, world["P1"], world["DC1"], 5)
    command = ["--database", db_url, "promise", "P1", "5", "--customer", "C1"]

    table = CliRunner().invoke(app, command)
    answer = CliRunner().invoke(app, [*command, "--format", "json"])

    assert table.exit_code == 0, table.output
    assert "promise: 5 from DC1, delivered by" in table.stdout
    assert answer.exit_code == 0, answer.output
    body = json.loads(answer.stdout)
    today = datetime.now(UTC).date()  # the CLI runs on the system clock
    assert body["delivery_date"] == (today + timedelta(days=4)).isoformat()
    assert (body["split"], body["shortfall"], len(body["sources"])) == (False, 0, 1)


# --- promises of an order being entered ---------------------------------------------------------------


def enter(uow: UnitOfWork, *lines: tuple[int, str, int], requested: date | None = None) -> dict[str, Any]:
    """Enter an order as order entry does (reserve and promise the lines), store it, commit."""
    with uow:
        customer = uow.master.customer("C1")
        ship_to = uow.master.ship_to(customer.id, None)
        assert ship_to is not None
        order = enter_order(
            uow,
            customer,
            ship_to,
            [_line(n, product_id, sku, q) for n, (product_id, sku, q) in enumerate(lines, 1)],
            None,
            "test",
            requested_date=requested,
        )
        promised = order.promised_date
        uow.orders.add(order)
        uow.commit()
    return {
        "order": promised,
        "lines": [
            (ln.location_id, ln.qty_allocated, ln.qty_backordered, ln.promised_date) for ln in order.lines
        ],
    }


def _line(line_no: int, product_id: int, sku: str, quantity: int) -> OrderLine:
    zero, net = Decimal(0), Decimal(10) * quantity
    return OrderLine(
        line_no, product_id, sku, quantity, Decimal(10), zero, zero, net, zero, qty_pending=quantity
    )


def test_an_entered_order_is_promised_per_line_and_as_a_whole_by_its_latest_line(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    dc1 = world["DC1"]
    add_stock(engine, world["P1"], dc1, 5)
    add_stock(engine, world["P2"], dc1, 0)
    add_purchase_order(engine, dc1, (world["P2"], 10, day(3), 0))

    entered = enter(uow, (world["P1"], "P1", 5), (world["P2"], "P2", 4))

    # P1 reserved now: delivered day 4. P2 backordered: 4 of the receipt of day 3, delivered day 7.
    assert entered["lines"] == [(dc1, 5, 0, day(4)), (dc1, 0, 4, day(7))]
    assert entered["order"] == day(7)
    with engine.connect() as conn:
        assert conn.execute(select(orders.c.promised_date)).scalar_one() == day(7)


def test_lines_of_one_sku_in_one_order_see_each_other_and_an_uncovered_one_gets_no_date(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    dc1, p2 = world["DC1"], world["P2"]
    add_stock(engine, p2, dc1, 0)
    add_purchase_order(engine, dc1, (p2, 10, day(3), 0))

    first = enter(uow, (p2, "P2", 6), (p2, "P2", 6))
    # line 1 takes 6 of day 3's 10; line 2 needs 6 of the 4 left: no date, nor for the order
    assert first["lines"] == [(dc1, 0, 6, day(7)), (dc1, 0, 6, None)]
    assert first["order"] is None

    add_purchase_order(engine, dc1, (p2, 10, day(9), 0))
    # the stored order's lines count as demand: day 3 (6) and now (6, unpromised) -> 12 of 20 gone
    second = enter(uow, (p2, "P2", 8), requested=day(30))
    assert second["lines"] == [(dc1, 0, 8, day(30))]  # covered by day 9 (13), but asked for day 30


def test_a_backorder_with_no_stock_row_anywhere_is_sourced_where_it_arrives_first(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_purchase_order(engine, world["DC2"], (world["P3"], 5, day(2), 0))

    entered = enter(uow, (world["P3"], "P3", 5))

    # DC2: available day 2, ships 2 + 3 = 5, delivered 5 + 4 = 9
    assert entered["lines"] == [(world["DC2"], 0, 5, day(9))]


# --- re-promising when supply slips or shrinks -------------------------------------------------------


@pytest.fixture
def promised(uow: UnitOfWork, engine: Engine, world: dict[str, int], clock: ManualClock) -> dict[str, Any]:
    """Three backorders of P1 at DC1, covered by two PO lines (10 on day 3, 10 on day 10).

    O1: 6 of P1 promised day 7 (due day 3) and 2 of P2 reserved, promised day 4; order promised day 7.
    O2: 4 of P1 promised day 7 (due day 3). O3: 5 of P1 promised day 14 (due day 10).
    Blocks: day 3: 10 - 6 - 4 = 0; day 10: 10 - 5 = 5. Every promise is covered.
    """
    dc1 = world["DC1"]
    add_stock(engine, world["P1"], dc1, 0)
    add_stock(engine, world["P2"], dc1, 10)
    numbers = {}
    for name, lines in (("O1", (("P1", 6), ("P2", 2))), ("O2", (("P1", 4),)), ("O3", (("P1", 5),))):
        numbers[name] = place(uow, "C1", *lines)
        clock.advance(timedelta(minutes=1))
    set_promise(engine, numbers["O1"], day(4), line_no=2)
    for name, promised_day in (("O1", 7), ("O2", 7), ("O3", 14)):
        set_promise(engine, numbers[name], day(promised_day))
    first, second = add_purchase_order(
        engine, dc1, (world["P1"], 10, day(3), 0), (world["P1"], 10, day(10), 0)
    )
    return {**numbers, "first": first, "second": second, "P1": world["P1"], "DC1": dc1}


def change_po_line(engine: Engine, line_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(purchase_order_lines).where(purchase_order_lines.c.id == line_id).values(**values)
        )


def run_repromise(uow: UnitOfWork, promised: dict[str, Any]) -> list[str]:
    with uow:
        affected = repromise(uow, promised["P1"], promised["DC1"], "buyer")
        uow.commit()
    return affected


def line_state(engine: Engine, number: str) -> list[tuple[int, date | None, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(order_lines.c.line_no, order_lines.c.promised_date, order_lines.c.promise_at_risk)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(orders.c.number == number)
            .order_by(order_lines.c.line_no)
        )
        return [(r.line_no, r.promised_date, bool(r.promise_at_risk)) for r in rows]


def order_promise(engine: Engine, number: str) -> date | None:
    with engine.connect() as conn:
        return conn.execute(select(orders.c.promised_date).where(orders.c.number == number)).scalar_one()  # type: ignore[no-any-return]


def promise_events(engine: Engine, number: str) -> list[tuple[str, dict[str, Any]]]:
    """The order's promise events, one entry per line they list: (event type, line and actor)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.event_type, events.c.payload, events.c.actor)
            .where(events.c.entity_id == number, events.c.event_type.in_(PROMISE_EVENTS))
            .order_by(events.c.id)
        )
        return [(r.event_type, {**ln, "actor": r.actor}) for r in rows for ln in r.payload["lines"]]


def test_a_slipped_receipt_flags_exactly_the_lines_it_no_longer_covers(
    uow: UnitOfWork, engine: Engine, promised: dict[str, Any]
) -> None:
    change_po_line(engine, promised["first"], expected_date=day(8))

    affected = run_repromise(uow, promised)

    # supply: 10 on day 8, 20 from day 10. In claim order: O1 needs 6 -> day 8 -> delivered day 12
    # (was 7); O2 needs 10 -> day 8 -> day 12 (was 7); O3 needs 15 -> day 10 -> day 14, as promised.
    o1, o2, o3 = promised["O1"], promised["O2"], promised["O3"]
    assert affected == sorted([o1, o2])
    assert line_state(engine, o1) == [(1, day(12), True), (2, day(4), False)]
    assert line_state(engine, o2) == [(1, day(12), True)]
    assert line_state(engine, o3) == [(1, day(14), False)]
    assert [order_promise(engine, n) for n in (o1, o2, o3)] == [day(12), day(12), day(14)]
    assert promise_events(engine, o1) == [
        (
            "order.repromised",
            {"line_no": 1, "sku": "P1", "quantity": 6, "old_date": "2026-03-09", "new_date": "2026-03-14"}
            | {"actor": "buyer"},
        )
    ]
    assert promise_events(engine, o3) == []


def test_a_shrunk_receipt_leaves_the_last_claim_without_a_date(
    uow: UnitOfWork, engine: Engine, promised: dict[str, Any]
) -> None:
    change_po_line(engine, promised["second"], qty_ordered=4)

    affected = run_repromise(uow, promised)

    # supply: 10 on day 3, 14 from day 10. O1 (6) and O2 (10) still day 3; O3 needs 15: never.
    o3 = promised["O3"]
    assert affected == [o3]
    assert line_state(engine, promised["O1"]) == [(1, day(7), False), (2, day(4), False)]
    assert line_state(engine, o3) == [(1, None, True)]
    assert order_promise(engine, o3) is None
    assert [(kind, p["old_date"], p["new_date"]) for kind, p in promise_events(engine, o3)] == [
        ("order.repromised", "2026-03-16", None)
    ]


def test_orders_re_promised_later_or_left_without_a_date_get_their_promise_and_one_new_version(
    uow: UnitOfWork, engine: Engine, promised: dict[str, Any]
) -> None:
    change_po_line(engine, promised["first"], qty_ordered=4)
    o1, o2, o3 = promised["O1"], promised["O2"], promised["O3"]
    before = versions(engine, o1, o2, o3)

    run_repromise(uow, promised)

    # supply: 4 on day 3, 14 from day 10. O1 needs 6 -> day 10 -> delivered day 14; O2 needs 10 ->
    # day 10 -> day 14; O3 needs 15: never. O1's order takes its latest line's date (its P2 line, day 4,
    # is not re-promised but read); O3's has none, its line waiting without a date.
    assert line_state(engine, o1) == [(1, day(14), True), (2, day(4), False)]
    assert [order_promise(engine, n) for n in (o1, o2, o3)] == [day(14), day(14), None]
    assert versions(engine, o1, o2, o3) == [v + 1 for v in before]


def versions(engine: Engine, *numbers: str) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(select(orders.c.number, orders.c.version).where(orders.c.number.in_(numbers)))
        found = {r.number: r.version for r in rows}
    return [found[n] for n in numbers]


def test_more_supply_promises_a_backorder_that_had_no_date_without_flagging_anything(
    uow: UnitOfWork, engine: Engine, promised: dict[str, Any], world: dict[str, int]
) -> None:
    o4 = place(uow, "C1", ("P1", 8))  # 6 + 4 + 5 + 8 = 23 > the 20 coming: no date
    assert run_repromise(uow, promised) == []
    assert line_state(engine, o4) == [(1, None, False)]

    add_purchase_order(engine, promised["DC1"], (promised["P1"], 5, day(12), 0))

    # 25 from day 12 covers all 23: O4 is available day 12, delivered day 16; nobody is at risk
    assert run_repromise(uow, promised) == []
    assert line_state(engine, o4) == [(1, day(16), False)]
    assert order_promise(engine, o4) == day(16)
    assert [(kind, p["new_date"]) for kind, p in promise_events(engine, o4)] == [
        ("order.lines_promised", "2026-03-18")
    ]


def test_a_promise_past_the_default_horizon_is_checked_against_supply_that_far_out(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    dc1, p1 = world["DC1"], world["P1"]
    add_stock(engine, p1, dc1, 0)
    far = place(uow, "C1", ("P1", 5))
    add_purchase_order(engine, dc1, (p1, 5, day(150), 0))
    set_promise(engine, far, day(154))  # day 150's receipt plus the lead of 4: due day 150

    # The horizon reaches the line's due day 150, past the default 120: the receipt still covers it
    with uow:
        assert repromise(uow, p1, dc1, "buyer") == []
        uow.commit()
    assert line_state(engine, far) == [(1, day(154), False)]
    assert promise_events(engine, far) == []


def test_a_lines_new_promise_does_not_depend_on_the_other_sku_locations_re_promised_with_it(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    dc1, p1, p2 = world["DC1"], world["P1"], world["P2"]
    add_stock(engine, p1, dc1, 0)
    add_stock(engine, p2, dc1, 0)
    far = place(uow, "C1", ("P1", 5))
    add_purchase_order(engine, dc1, (p1, 5, day(150), 0))
    set_promise(engine, far, day(154))  # due day 150: P1's horizon reaches day 150
    near = place(uow, "C1", ("P2", 5))
    add_purchase_order(engine, dc1, (p2, 5, day(140), 0))
    set_promise(engine, near, day(14))  # its day-10 receipt is gone: only day 140's comes

    with uow:
        assert repromise_many(uow, [(p1, dc1), (p2, dc1)], "buyer") == [near]
        uow.commit()

    # P2's line is re-promised as it would be alone: day 140 lies past its own 120-day horizon (its
    # due day 10 does not stretch it), whatever P1's line stretches P1's to: no date, at risk
    assert line_state(engine, near) == [(1, None, True)]
    assert line_state(engine, far) == [(1, day(154), False)]


def test_repromising_writes_nothing_until_the_callers_unit_of_work_commits(
    uow: UnitOfWork, engine: Engine, promised: dict[str, Any]
) -> None:
    change_po_line(engine, promised["first"], expected_date=day(8))

    with uow:
        assert repromise(uow, promised["P1"], promised["DC1"], "buyer")

    assert line_state(engine, promised["O2"]) == [(1, day(7), False)]
    assert promise_events(engine, promised["O2"]) == []
