"""Service-level economics on a hand-computed fixture.

Window 2026-03-02 .. 03-05 (four days). P1 (standard cost 6): units ordered per day 10, 0, 20, 10 ->
d = 10, sample sd sqrt((0 + 100 + 100 + 0) / 3) = 8.165. Two receipts of P1: PO of 02-20 received
03-02 (10 days), PO of 02-25 received 03-05 (8 days) -> LT = 9, sd sqrt((1 + 1) / 1) = 1.4142.
At 95 % (z = 1.644854): SS = z * sqrt(9 * 66.667 + 10^2 * 2) = z * sqrt(800) = 46.523 units;
holding cost at 25 % a year = 46.523 * 6 * 0.25 = 69.785.
P2 (cost 6): 5 units on day 1 -> d = 1.25, sd sqrt((3.75^2 + 3 * 1.25^2) / 3) = 2.5; never received:
lead time of all receipts, 9 +- 1.4142.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from o2c.analytics.periods import Window
from o2c.analytics.service_economics import safety_stock, service_economics, totals_by_class, totals_by_level
from o2c.domain.errors import ValidationFailed
from tests.factories import add_customer, add_location, add_product, add_supplier
from tests.integration.customer_facts import _ship_to, add_order, add_po_receipt, at

WINDOW = Window(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC))


@pytest.fixture
def history(engine: Engine) -> None:
    p1, p2 = add_product(engine, "P1"), add_product(engine, "P2")
    customer = add_customer(engine, "A")
    ship_to = _ship_to(engine, customer)
    for day, qty in ((2, 10), (4, 20), (5, 10)):
        add_order(engine, customer, ship_to, at(3, day), [(p1, qty, "10.00", "6")])
    add_order(engine, customer, ship_to, at(3, 2, hour=15), [(p2, 5, "10.00", "6")])
    add_order(engine, customer, ship_to, at(3, 6), [(p1, 99, "10.00", "6")])  # after the window
    supplier, dc = add_supplier(engine), add_location(engine)
    add_po_receipt(engine, supplier, dc, p1, at(2, 20), at(3, 2))
    add_po_receipt(engine, supplier, dc, p1, at(2, 25), at(3, 5))


def test_safety_stock_follows_the_formula() -> None:
    # z = 1.645, d = 10, sd 3, LT 4, sd 1: 1.645 * sqrt(4 * 9 + 100 * 1) = 1.645 * 11.662
    assert safety_stock(1.645, 10, 3, 4, 1) == pytest.approx(1.645 * math.sqrt(136))
    assert safety_stock(1.645, 10, 0, 4, 0) == 0  # no variability, no safety stock


def test_safety_stock_and_holding_cost_per_sku(engine: Engine, history: None) -> None:
    with engine.connect() as conn:
        rows = {r.sku: r for r in service_economics(conn, WINDOW)}
    p1, p2 = rows["P1"], rows["P2"]
    assert (p1.demand_per_day, p1.demand_sd) == (pytest.approx(10), pytest.approx(math.sqrt(200 / 3)))
    assert (p1.lead_time_days, p1.lead_time_sd) == (pytest.approx(9), pytest.approx(math.sqrt(2)))
    assert p1.lead_time_observed and not p2.lead_time_observed
    at_95 = next(level for level in p1.levels if level.service_level == 0.95)
    assert at_95.z == pytest.approx(1.644854, abs=1e-6)
    assert at_95.safety_stock == pytest.approx(46.523, abs=1e-3)
    assert at_95.holding_cost == pytest.approx(69.785, abs=1e-3)
    assert (p2.demand_per_day, p2.demand_sd, p2.lead_time_days) == (
        1.25,
        pytest.approx(2.5),
        pytest.approx(9),
    )


def test_each_point_of_service_costs_more_than_the_one_before(engine: Engine, history: None) -> None:
    with engine.connect() as conn:
        totals = totals_by_level(service_economics(conn, WINDOW, service_levels=(0.8, 0.9, 0.99, 0.999)))
    cost = [t.holding_cost for t in totals]
    per_point = [
        (cost[i + 1] - cost[i]) / (100 * (totals[i + 1].service_level - totals[i].service_level))
        for i in range(3)
    ]
    assert per_point[0] < per_point[1] < per_point[2]


def test_an_open_period_is_refused(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(ValidationFailed):
        service_economics(conn, Window(None, WINDOW.end))


def test_totals_per_class_add_up_the_skus_of_each_class(engine: Engine, history: None) -> None:
    with engine.connect() as conn:
        rows = service_economics(conn, WINDOW)
    classes = totals_by_class(rows, {"P1": "A"})  # P2 has no class: "-"
    assert list(classes) == ["-", "A"]
    p1 = next(r for r in rows if r.sku == "P1")
    assert [t.safety_stock for t in classes["A"]] == [level.safety_stock for level in p1.levels]
    overall = totals_by_level(rows)
    both = [a.holding_cost + b.holding_cost for a, b in zip(classes["A"], classes["-"], strict=True)]
    assert both == pytest.approx([t.holding_cost for t in overall])
