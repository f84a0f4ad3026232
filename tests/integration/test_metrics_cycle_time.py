"""Order cycle time by stage and order-to-cash, on stamps worked out by hand (all March unless told).

====  =========  ===========  ==========  ==========  =========  ===========  ==========
      sent       received     released    packed      shipped    delivered    paid
====  =========  ===========  ==========  ==========  =========  ===========  ==========
C1    2nd 08:00  2nd 09:00    2nd 11:00   2nd 15:00   3rd 09:00  4th 09:00    10th 09:00
C2    -          3rd 00:00    3rd 03:00   3rd 04:00   3rd 06:00  3rd 18:00    -
C3    4th 09:00  4th 09:30    4th 13:30   4th 16:30   5th 00:00  5th 06:00    20th 09:30
C4    -          5th 00:00    5th 10:00   1 Apr       -          -            -
C5    -          6th 00:00    -           -           -          -            -
====  =========  ===========  ==========  ==========  =========  ===========  ==========

Hours in March: transmittal 1, 0.5; processing 2, 3, 4, 10; pick & pack 4, 1, 3 (C4's 638 h lands
in April, when it was packed); delivery 24, 12, 6; total (from sent, else received) 49, 18, 21;
order-to-cash 192, 384.

Processing [2, 3, 4, 10]: mean 4.75; median at rank 1.5 = 3.5; p90 at rank 2.7 = 4 + 0.7·6 = 8.2;
sample deviation √((2.75² + 1.75² + 0.75² + 5.25²)/3) = √(38.75/3) = 3.593976.
Delivery [6, 12, 24]: mean 14, median 12, p90 at rank 1.8 = 12 + 0.8·12 = 21.6.
Order-to-cash [192, 384]: mean 288, p90 at rank 0.9 = 364.8, deviation √(2·96²/1) = 135.764502.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from o2c.analytics.cycle_time import StageTime, cycle_times
from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Distribution, Slice
from o2c.analytics.periods import Period
from tests.factories import add_customer, add_product
from tests.integration.metric_rows import Line, add_order, at


@pytest.fixture
def stamped(engine: Engine) -> Engine:
    c = add_customer(engine, "A")
    p = add_product(engine, "P1")
    add_order(
        engine,
        c,
        at(2, 9),
        [Line(p, 1)],
        channel="edi",
        customer_sent_at=at(2, 8),
        released_at=at(2, 11),
        packed_at=at(2, 15),
        shipped_at=at(3, 9),
        delivered_at=at(4, 9),
        paid_at=at(10, 9),
    )
    add_order(
        engine,
        c,
        at(3),
        [Line(p, 1)],
        released_at=at(3, 3),
        packed_at=at(3, 4),
        shipped_at=at(3, 6),
        delivered_at=at(3, 18),
    )
    add_order(
        engine,
        c,
        at(4, 9, 30),
        [Line(p, 1)],
        customer_sent_at=at(4, 9),
        released_at=at(4, 13, 30),
        packed_at=at(4, 16, 30),
        shipped_at=at(5),
        delivered_at=at(5, 6),
        paid_at=at(20, 9, 30),
    )
    add_order(engine, c, at(5), [Line(p, 1)], released_at=at(5, 10), packed_at=at(1, month=4))
    add_order(engine, c, at(6), [Line(p, 1)])
    return engine


def times(engine: Engine, spec: Slice) -> dict[tuple[str, str, str], Distribution]:
    with engine.connect() as conn:
        rows: list[StageTime] = cycle_times(conn, spec)
    return {(r.period, r.member, r.stage): r.hours for r in rows}


def test_each_stage_has_mean_median_p90_and_deviation(stamped: Engine) -> None:
    got = times(stamped, Slice(Period.MONTH))
    assert got["2026-03-01", "all", "processing"] == Distribution(4, 4.75, 3.5, 8.2, 3.593976)
    assert got["2026-03-01", "all", "transmittal"] == Distribution(2, 0.75, 0.75, 0.95, 0.353553)
    assert got["2026-03-01", "all", "pick_pack"] == Distribution(3, 2.666667, 3.0, 3.8, 1.527525)
    assert got["2026-03-01", "all", "delivery"] == Distribution(3, 14.0, 12.0, 21.6, 9.165151)
    assert got["2026-03-01", "all", "total"].median == 21.0
    assert got["2026-03-01", "all", "order_to_cash"] == Distribution(2, 288.0, 288.0, 364.8, 135.764502)


def test_a_stage_is_placed_in_the_period_it_ended(stamped: Engine) -> None:
    got = times(stamped, Slice(Period.MONTH))
    assert got["2026-04-01", "all", "pick_pack"] == Distribution(1, 638.0, 638.0, 638.0, None)
    assert ("2026-04-01", "all", "processing") not in got


def test_cycle_time_by_channel(stamped: Engine) -> None:
    got = times(stamped, Slice(None, Dimension.CHANNEL))
    assert got["all", "edi", "total"] == Distribution(1, 49.0, 49.0, 49.0, None)
    assert got["all", "web", "total"].mean == 19.5  # C2 18 h, C3 21 h


def test_cycle_time_by_customer_and_segment(stamped: Engine) -> None:
    # A second customer, of another segment, with one processing stage of 6 h in March; customer A's
    # four processing stages are those of the table above.
    other = add_customer(stamped, "B", segment="strategic")
    p = add_product(stamped, "P2")
    add_order(stamped, other, at(7), [Line(p, 1)], released_at=at(7, 6))
    by_customer = times(stamped, Slice(Period.MONTH, Dimension.CUSTOMER))
    assert by_customer["2026-03-01", "A", "processing"] == Distribution(4, 4.75, 3.5, 8.2, 3.593976)
    assert by_customer["2026-03-01", "B", "processing"] == Distribution(1, 6.0, 6.0, 6.0, None)
    by_segment = times(stamped, Slice(Period.MONTH, Dimension.SEGMENT))
    assert by_segment["2026-03-01", "retail", "processing"].count == 4
    assert by_segment["2026-03-01", "strategic", "processing"].mean == 6.0
