"""Profitability, cost-to-serve, zones, Pareto and ABC/XYZ on a hand-computed fixture.

The fixture (March 2026, default activity rates: order 15, line 2.50, shipment 12, delivery 3,
expedite 40, return 35, service case 25, credit hold 20, invoice 5):

A (retail): order 03-02, expedited; lines P1 10 @ 10.00 (cost 6) and P2 5 @ 4.00 (cost 2); shipped 03-03
   (freight 8.00), delivered 03-05; invoiced 120.00 on 03-03; credit memo 10.00 on 03-10; case 03-12.
   net sales 120 - 10 = 110; COGS 10*6 + 5*2 = 70; gross profit 40.
   activities: 1 order 15 + 2 lines 5 + 1 shipment 12 + 1 delivery 3 + 1 expedite 40 + 1 case 25 = 100;
   cost-to-serve 100 + 8 = 108; net profit 40 - 108 = -68; operating contribution 40 - 1*5 = 35.
B (wholesale): order 03-05, P1 20 @ 9.00 (cost 6), shipped 03-06 (freight 15), delivered 03-08,
   invoiced 180 on 03-06; return of 2 units authorised 03-15, received 03-16 and restocked, credited
   18.00 on 03-16; order 03-20 of P2 10 @ 5.00 held for credit (event 03-20). Also an order of 02-20,
   shipped and invoiced in February: outside the period.
   net sales 180 - 18 = 162; COGS 20*6 - 2*6 = 108; gross profit 54.
   activities: 2 orders 30 + 2 lines 5 + shipment 12 + delivery 3 + return 35 + credit hold 20 = 105;
   cost-to-serve 105 + 15 = 120; net profit 54 - 120 = -66; operating contribution 54 - 5 = 49.
C (retail): order 03-10, P1 100 @ 10.00 (cost 6), shipped 03-11 (freight 20), delivered 04-02 (after
   the period), invoiced 1000 on 03-11.
   net sales 1000; COGS 600; gross profit 400; activities 15 + 2.50 + 12 = 29.50; cost-to-serve 49.50;
   net profit 350.50; operating contribution 395.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from o2c.analytics.abc_xyz import Subject, classify
from o2c.analytics.cost_to_serve import set_activity_rate
from o2c.analytics.periods import Window
from o2c.analytics.profitability import customer_profitability, segment_profitability
from o2c.analytics.segmentation import Zone, pareto, zone_of, zone_split
from tests.integration.customer_facts import World, at, build_march_world

MARCH = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@pytest.fixture
def world(engine: Engine) -> World:
    return build_march_world(engine)


def test_profitability_per_customer_matches_the_hand_computation(engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        rows = {r.code: r for r in customer_profitability(conn, MARCH)}
    assert set(rows) == {"A", "B", "C"}
    a, b, c = rows["A"].profit, rows["B"].profit, rows["C"].profit
    assert (a.net_sales, a.cost_of_goods, a.gross_profit) == (Decimal(110), Decimal(70), Decimal(40))
    assert a.activities == {
        "order": 1,
        "line": 2,
        "shipment": 1,
        "delivery": 1,
        "expedite": 1,
        "return": 0,
        "service_case": 1,
        "credit_hold": 0,
    }
    assert (a.cost_to_serve, a.net_profit, a.operating_profit_contribution) == (
        Decimal(108),
        Decimal(-68),
        Decimal(35),
    )
    assert (b.net_sales, b.cost_of_goods, b.gross_profit) == (Decimal(162), Decimal(108), Decimal(54))
    assert (b.activities["order"], b.activities["return"], b.activities["credit_hold"]) == (2, 1, 1)
    assert (b.cost_to_serve, b.net_profit, b.operating_profit_contribution) == (
        Decimal(120),
        Decimal(-66),
        Decimal(49),
    )
    assert c.activities["delivery"] == 0  # delivered in April
    assert (c.net_sales, c.cost_to_serve, c.net_profit) == (
        Decimal(1000),
        Decimal("49.50"),
        Decimal("350.50"),
    )


def test_stored_and_one_off_rates_override_the_defaults(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        set_activity_rate(conn, "order", Decimal("20"), at(3, 31))
    with engine.connect() as conn:
        stored = {r.code: r.profit for r in customer_profitability(conn, MARCH)}
        one_off = {
            r.code: r.profit for r in customer_profitability(conn, MARCH, rates={"expedite": Decimal(0)})
        }
    # A: one order at 20 instead of 15 -> 113; then without the expedite's 40 -> 73.
    assert stored["A"].cost_to_serve == Decimal(113)
    assert one_off["A"].cost_to_serve == Decimal(73)
    assert stored["B"].cost_to_serve == Decimal(130)  # two orders: +10


def test_segments_sum_their_customers(engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        segments = segment_profitability(customer_profitability(conn, MARCH))
    assert list(segments) == ["retail", "wholesale"]
    # retail = A + C: net sales 110 + 1000, net profit -68 + 350.50
    assert segments["retail"].net_sales == Decimal(1110)
    assert segments["retail"].net_profit == Decimal("282.50")
    assert segments["wholesale"].net_profit == Decimal(-66)


def test_zones_split_at_the_medians_or_at_thresholds(engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        rows = customer_profitability(conn, MARCH)
    sales = [r.profit.net_sales for r in rows]
    cost = [r.profit.cost_to_serve for r in rows]
    split = zone_split(sales, cost)
    # medians: net sales of 110, 162, 1000 -> 162; cost-to-serve of 108, 120, 49.50 -> 108.
    assert (split.net_sales, split.cost_to_serve) == (Decimal(162), Decimal(108))
    zones = {r.code: zone_of(r.profit.net_sales, r.profit.cost_to_serve, split) for r in rows}
    assert zones == {"A": Zone.BUILD, "B": Zone.DANGER, "C": Zone.PROTECT}
    fixed = zone_split(sales, cost, sales_threshold=Decimal(100), cost_threshold=Decimal(100))
    zones = {r.code: zone_of(r.profit.net_sales, r.profit.cost_to_serve, fixed) for r in rows}
    assert zones == {"A": Zone.IMPROVE, "B": Zone.IMPROVE, "C": Zone.PROTECT}


def test_pareto_of_customers_by_net_profit(engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        rows = customer_profitability(conn, MARCH)
    curve = pareto({r.code: r.profit.net_profit for r in rows})
    # C makes all of the positive profit (350.50); B (-66) and A (-68) bring the curve back down.
    assert [r.key for r in curve.ranks] == ["C", "B", "A"]
    assert curve.vital_few == 1
    assert curve.ranks[1].cumulative_share == pytest.approx((350.50 - 66) / 350.50)


def test_abc_by_revenue_and_xyz_by_weekly_demand(engine: Engine, world: World) -> None:
    # Four whole ISO weeks from Monday 03-02: orders fall in weeks 1 (A, B), 2 (C) and 3 (B held).
    weeks = Window(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC))
    with engine.connect() as conn:
        customers = {i.key: i for i in classify(conn, Subject.CUSTOMER, weeks)}
        skus = {i.key: i for i in classify(conn, Subject.SKU, weeks, xyz=(1.2, 1.3))}
    # Customers by net sales C 1000, B 162, A 110 (total 1272): share before C 0 -> A, before B
    # 1000/1272 = 0.786 -> A, before A 1162/1272 = 0.914 -> B.
    assert {k: i.abc for k, i in customers.items()} == {"C": "A", "B": "A", "A": "B"}
    # SKUs by invoiced amount: P1 100 + 180 + 1000 = 1280, P2 20 (total 1300): P2's share before it
    # is 0.985 -> C.
    assert (skus["P1"].revenue, skus["P1"].abc, skus["P2"].abc) == (Decimal(1280), "A", "C")
    # P1 units per week [30, 100, 0, 0]: mean 32.5, population sd sqrt(6675 / 4) = 40.850,
    # CV 40.850 / 32.5 = 1.2569.
    # P2 units per week [5, 0, 10, 0]: mean 3.75, sd sqrt(68.75 / 4) = 4.146, CV 1.106.
    assert skus["P1"].weekly_cv == pytest.approx(1.2569, abs=1e-4)
    assert skus["P2"].weekly_cv == pytest.approx(1.1055, abs=1e-4)
    assert (skus["P1"].xyz, skus["P2"].xyz) == ("Y", "X")  # with X <= 1.2 < Y <= 1.3
    # Customer A ordered 120.00 in week 1 only: [120, 0, 0, 0], CV = sqrt(3) = 1.732 -> Z by default.
    assert customers["A"].weekly_cv == pytest.approx(3**0.5)
    assert customers["A"].abc_xyz == "BZ"


def test_the_customer_report_filters_after_zoning_and_explains_a_missing_clv(
    engine: Engine, world: World
) -> None:
    from o2c.analytics.customer_report import customer_report

    with engine.connect() as conn:
        everyone = customer_report(conn, MARCH)
        danger = customer_report(conn, MARCH, zone=Zone.DANGER)
        retail = customer_report(conn, MARCH, segment="retail")
    assert [line.customer.code for line in everyone.lines] == ["A", "B", "C"]
    assert [line.customer.code for line in danger.lines] == ["B"]  # medians of all three, as above
    assert [line.customer.code for line in retail.lines] == ["A", "C"]
    assert danger.lines[0].action.startswith("influence")
    assert {line.customer.code: line.pareto_rank for line in everyone.lines} == {"C": 1, "B": 2, "A": 3}
    assert everyone.segments["wholesale"].net_profit == Decimal(-66)  # not filtered
    # Three customers are too few for BG/NBD's four parameters (and only B bought twice, while
    # Gamma-Gamma needs at least two repeat buyers): the report says why there is no CLV.
    assert everyone.clv_note is not None and "BG/NBD: 3 customer(s) are too few" in everyone.clv_note
    assert all(line.clv is None for line in everyone.lines)


def test_the_customer_report_values_customers_from_their_invoice_history(engine: Engine) -> None:
    from o2c.analytics.customer_report import customer_report
    from tests.factories import add_carrier, add_customer, add_product
    from tests.integration.customer_facts import _ship_to, add_invoice, add_order, add_shipment

    product, carrier = add_product(engine, "P1"), add_carrier(engine)
    # Customer k buys on k + 1 distinct March days, every (6 - k) days from 03-01, 10 units at 10.00.
    for k in range(6):
        customer = add_customer(engine, f"K{k}")
        for n in range(k + 1):
            when = at(3, 1 + n * (6 - k))
            order, _, (line,) = add_order(
                engine, customer, _ship_to(engine, customer), when, [(product, 10, "10.00", "6")]
            )
            add_shipment(engine, order, carrier, when, "1.00", delivered=None)
            add_invoice(engine, order, customer, when, [(line, 10, "100.00")])
    with engine.connect() as conn:
        report = customer_report(conn, MARCH)
    assert report.clv_note is None
    lines = {line.customer.code: line for line in report.lines}
    for line in lines.values():
        assert line.clv is not None and line.p_alive is not None and line.expected_purchases is not None
        assert 0 < line.p_alive <= 1
        # CLV = discounted expected revenue (> 0) * net profit margin in the period: same sign.
        assert (line.clv > 0) == (line.customer.profit.net_profit > 0)
    assert lines["K0"].p_alive == 1.0  # no repeat purchase: BG/NBD cannot have seen a dropout
    assert lines["K5"].expected_purchases > lines["K1"].expected_purchases  # the frequent buyer buys more
    # From the engine, the facts of each table and the lifetime values are read side by side on
    # connections of their own: the same report.
    side_by_side = customer_report(engine, MARCH)
    assert side_by_side == report


def test_profitability_read_side_by_side_from_an_engine_is_the_same(engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        one_pass = customer_profitability(conn, MARCH)
    assert one_pass  # three customers, as above
    assert customer_profitability(engine, MARCH) == one_pass
