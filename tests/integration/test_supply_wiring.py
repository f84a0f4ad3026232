"""Supply facts recorded by the core use cases: promises at entry and on quotes, shortfalls, stockouts,
arrivals.

Order entry, credit release, quote conversion, cancellation and stock counts each leave the facts of
issue 3 behind them without the caller asking. Day 0 is the test clock's date (Monday 2026-03-02); DC1
(east) takes 1 day to process and 1 to pick and pack, and its ground lane to east takes 2: lead 4.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import StaleOrder
from o2c.domain.order import Order
from o2c.services.fulfilment import cancel_order, release_credit_hold, release_order
from o2c.services.importing import ImportKind, import_csv
from o2c.services.ordering import OrderLineRequest, get_order
from o2c.services.quoting import QuoteRequest, convert_quote, create_quote, get_quote
from o2c.store.supply_tables import stockout_episodes
from o2c.store.tables import order_lines, orders
from o2c.store.uow import UnitOfWork, retrying
from tests.factories import add_customer, add_product, add_stock, stock_level
from tests.integration.test_atp_service import add_lane, add_purchase_order, add_site, day, place
from tests.integration.test_backorders import outcomes


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    add_customer(engine, "C1", region="east")
    ids = {sku: add_product(engine, sku) for sku in ("P1", "P2")}
    ids["DC1"] = add_site(engine, "DC1", "east", 1, 1)
    add_lane(engine, "east", "east", 2)
    ids["P1@DC1"] = add_stock(engine, ids["P1"], ids["DC1"], 10)
    ids["P2@DC1"] = add_stock(engine, ids["P2"], ids["DC1"], 0)
    return ids


def promised(engine: Engine, number: str) -> tuple[object, list[object]]:
    """The order's promised date and its lines' (line order)."""
    with engine.connect() as conn:
        order = conn.execute(
            select(orders.c.id, orders.c.promised_date).where(orders.c.number == number)
        ).one()
        lines = conn.execute(
            select(order_lines.c.promised_date)
            .where(order_lines.c.order_id == order.id)
            .order_by(order_lines.c.line_no)
        ).scalars()
        return order.promised_date, list(lines)


def open_episodes(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(stockout_episodes.c.product_id, stockout_episodes.c.location_id).where(
                stockout_episodes.c.ended_at.is_(None)
            )
        )
        return sorted((int(p), int(loc)) for p, loc in rows)


def test_an_order_served_from_stock_is_promised_after_the_lead_times(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = place(uow, "C1", ("P1", 3))

    # on hand today: ships 0 + 1 + 1 = day 2, delivered 2 + 2 = day 4
    assert promised(engine, number) == (day(4), [day(4)])
    summary = get_order(uow, number)
    assert summary.promised_date == day(4)
    assert [(ln.promised_date, ln.promise_at_risk) for ln in summary.lines] == [(day(4), False)]


def test_a_backordered_line_is_promised_from_its_receipt_and_the_order_by_its_latest_line(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_purchase_order(engine, world["DC1"], (world["P2"], 10, day(5), 0))

    number = place(uow, "C1", ("P1", 2), ("P2", 4))

    # P1 from stock: day 4. P2 waits for the receipt of day 5: ships day 7, delivered day 9.
    assert promised(engine, number) == (day(9), [day(4), day(9)])


def test_a_shortfall_at_entry_is_recorded_and_the_row_it_emptied_starts_a_stockout(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = place(uow, "C1", ("P1", 12))  # 10 on hand: 10 allocated, 2 backordered

    assert outcomes(engine, "backordered") == [(number, 1, 2)]
    assert open_episodes(engine) == [(world["P1"], world["DC1"])]


def test_an_order_taking_stock_without_emptying_it_records_no_stockout(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    place(uow, "C1", ("P1", 9))
    assert open_episodes(engine) == []
    place(uow, "C1", ("P1", 1))  # the last unit
    assert open_episodes(engine) == [(world["P1"], world["DC1"])]


def test_releasing_a_credit_hold_reserves_promises_and_records_the_shortfall(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    add_customer(engine, "TIGHT", region="east", credit_limit=Decimal("1.00"))
    number = place(uow, "TIGHT", ("P1", 12))
    assert get_order(uow, number).status == "credit_hold"
    assert outcomes(engine, "backordered") == []
    clock.advance(timedelta(days=1))

    summary = release_credit_hold(uow, number, "finance")

    assert (summary.status, summary.lines[0].allocated, summary.lines[0].backordered) == ("open", 10, 2)
    assert outcomes(engine, "backordered") == [(number, 1, 2)]
    # the 2 backordered have no receipt in sight: the line, and so the order, has no date yet
    assert promised(engine, number) == (None, [None])


def test_converting_a_quote_records_the_shortfall_and_promises_the_order(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    quote = create_quote(uow, QuoteRequest(customer="C1", lines=[OrderLineRequest(sku="P1", quantity=11)]))

    number = convert_quote(uow, quote.number).number

    assert outcomes(engine, "backordered") == [(number, 1, 1)]
    assert promised(engine, number) == (None, [None])


def test_cancelling_hands_the_freed_stock_to_a_waiting_backorder_and_ends_the_stockout(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    first = place(uow, "C1", ("P1", 10))
    waiting = place(uow, "C1", ("P1", 4))
    assert open_episodes(engine) == [(world["P1"], world["DC1"])]

    cancel_order(uow, first)

    assert [ln.allocated for ln in get_order(uow, waiting).lines] == [4]
    assert stock_level(engine, world["P1@DC1"]) == (10, 4)
    assert open_episodes(engine) == []
    assert outcomes(engine, "allocated") == [(waiting, 1, 4)]


def test_a_stock_count_allocates_waiting_backorders_and_opens_or_closes_stockouts(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    waiting = place(uow, "C1", ("P2", 3))
    assert outcomes(engine, "backordered") == [(waiting, 1, 3)]

    counted = io.StringIO("sku,location,on_hand\nP2,DC1,5\nP1,DC1,0\n")
    import_csv(uow, ImportKind.STOCK, counted)

    assert [(ln.allocated, ln.backordered) for ln in get_order(uow, waiting).lines] == [(3, 0)]
    assert stock_level(engine, world["P2@DC1"]) == (5, 3)
    assert open_episodes(engine) == [(world["P1"], world["DC1"])]  # P2 recovered, P1 counted out


def test_saving_an_order_someone_else_saved_meanwhile_is_stale_and_a_retried_use_case_recovers(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    number = place(uow, "C1", ("P1", 2))
    with uow:
        stale = uow.orders.get(number)
    release_order(uow, number)  # someone else saves it meanwhile
    with uow, pytest.raises(StaleOrder):
        uow.orders.save(stale)

    reads: list[int] = []

    @retrying()
    def postpone(first_read: Order) -> int:
        with uow:
            order = first_read if not reads else uow.orders.get(number)
            reads.append(order.version)
            order.promised_date = day(20)
            uow.orders.save(order)
            uow.commit()
            return order.version

    assert postpone(stale) == stale.version + 2  # released once by the other, then postponed
    assert reads == [stale.version, stale.version + 1]  # the stale attempt, then a fresh read
    assert get_order(uow, number).promised_date == day(20)


def test_a_quote_promises_each_line_and_the_whole_by_its_latest_line_reserving_nothing(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_purchase_order(engine, world["DC1"], (world["P2"], 10, day(5), 0))
    request = QuoteRequest(
        customer="C1",
        lines=[
            OrderLineRequest(sku="P1", quantity=6),  # on hand: delivered day 4
            OrderLineRequest(sku="P1", quantity=6),  # 4 left on hand, no receipt: not covered
            OrderLineRequest(sku="P2", quantity=10),  # the receipt of day 5: delivered day 9
        ],
    )

    quote = create_quote(uow, request)

    assert quote.line_promises == (day(4), None, day(9))
    assert quote.promised_date is None  # a line has no date: neither has the quote
    assert get_quote(uow, quote.number).line_promises == (day(4), None, day(9))
    assert stock_level(engine, world["P1@DC1"]) == (10, 0)

    covered = create_quote(uow, request.model_copy(update={"lines": request.lines[::2]}))
    assert (covered.line_promises, covered.promised_date) == ((day(4), day(9)), day(9))
    later = create_quote(
        uow, request.model_copy(update={"lines": request.lines[:1], "requested_date": day(12)})
    )
    assert later.promised_date == day(12)  # never before the date the customer asked for


def test_locations_import_their_lead_times_and_promises_use_them(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    rows = "code,name,region,processing_days,pick_pack_days\nDC1,Main,east,0,3\n"
    import_csv(uow, ImportKind.LOCATIONS, io.StringIO(rows))

    number = place(uow, "C1", ("P1", 1))

    assert promised(engine, number) == (day(5), [day(5)])  # 0 + 3 handling, 2 transit
    import_csv(uow, ImportKind.LOCATIONS, io.StringIO("code,name,region\nDC1,Main,east\n"))  # kept
    assert promised(engine, place(uow, "C1", ("P1", 1))) == (day(5), [day(5)])
