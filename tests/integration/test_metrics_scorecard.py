"""The service scorecard lines every metric family up by period and member, and names each metric
with its numerator and denominator.

One retail customer, P1 at 10.00. O1 received 2 Mar 09:00, 10 ordered / 8 allocated at entry
(2 backordered), promised 6 Mar, released 2 Mar 11:00, packed 13:00, shipped 3 Mar 09:00, delivered
5 Mar 09:00 with 8 delivered: so on time but not in full. O2 received 4 Mar, 5 of 5 allocated,
not delivered. As of 6 Mar 00:00, O1's 2 backordered units (20.00) are 87 h old.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Ratio, Slice
from o2c.analytics.periods import Period
from o2c.analytics.service import flatten, service_scorecard
from tests.factories import add_customer, add_product
from tests.integration.metric_rows import Line, add_order, at


def _facts(engine: Engine) -> None:
    c = add_customer(engine, "A", segment="retail")
    p = add_product(engine, "P1")
    add_order(
        engine,
        c,
        at(2, 9),
        [Line(p, 10, entry=8, backordered=2, shipped=8, delivered=8)],
        status="delivered",
        promised=date(2026, 3, 6),
        released_at=at(2, 11),
        packed_at=at(2, 13),
        shipped_at=at(3, 9),
        delivered_at=at(5, 9),
    )
    add_order(engine, c, at(4), [Line(p, 5)])


def test_the_scorecard_joins_fill_delivery_and_cycle_time_by_period(engine: Engine) -> None:
    _facts(engine)
    with engine.connect() as conn:
        card = service_scorecard(conn, Slice(Period.MONTH, Dimension.SEGMENT), at(6))
    (row,) = card.rows
    assert (row.period, row.member) == ("2026-03-01", "retail")
    assert row.fill is not None and row.fill.unit_fill_rate == Ratio(13, 15)  # (8 + 5) / (10 + 5)
    assert row.delivery is not None and row.delivery.otif == Ratio(0, 1)
    assert row.stages["processing"].mean == 2.0
    assert card.open_backorders[0].open_backorder_value == Decimal("20.00")
    assert card.open_backorders[0].average_backorder_age == 87.0  # 2 Mar 09:00 to 6 Mar 00:00
    assert card.not_available == []
    body = card.as_json()["rows"][0]
    assert body["unit_fill_rate"] == {"value": 13 / 15, "numerator": 13, "denominator": 15}
    assert body["on_time"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert body["perfect_order_index"]["components"]["in_full"] == 0.0
    assert body["order_cycle_time"]["pick_pack"]["median"] == 2.0
    flat = flatten(body)
    assert (flat["otif"], flat["otif_numerator"], flat["otif_denominator"]) == (0.0, 0, 1)
    assert flat["order_cycle_time_delivery_p90"] == 48.0


def test_a_breakdown_by_sku_leaves_out_the_order_metrics_and_says_so(engine: Engine) -> None:
    _facts(engine)
    with engine.connect() as conn:
        card = service_scorecard(conn, Slice(None, Dimension.SKU), at(6))
    assert [(r.member, r.fill is not None, r.delivery) for r in card.rows] == [("P1", True, None)]
    assert "on time, in full, OTIF, perfect order" in card.not_available
    assert "days sales outstanding" in card.not_available


def test_read_side_by_side_from_an_engine_it_is_the_same_scorecard(engine: Engine) -> None:
    # The engine path reads O1 and O2 in two spans of order ids on connections of their own; the
    # groups must add up to what one connection reads in one pass, for every kind of breakdown.
    _facts(engine)
    other = add_customer(engine, "B", segment="wholesale")
    add_order(engine, other, at(3), [Line(add_product(engine, "P2"), 4, entry=1, backordered=3)])
    for spec in (Slice(Period.MONTH, Dimension.SEGMENT), Slice(None, None), Slice(Period.DAY, Dimension.SKU)):
        with engine.connect() as conn:
            one_pass = service_scorecard(conn, spec, at(6)).as_json()
        side_by_side = service_scorecard(engine, spec, at(6)).as_json()
        assert side_by_side == one_pass
        assert one_pass["rows"], spec  # not two empty answers
