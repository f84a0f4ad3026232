"""Fill rates at entry, stockout value and backorder rate, on a fixture worked out by hand.

Customers A (retail) and B (wholesale); P1 at 10.00, P2 at 4.00.

=====  ========  =================  ================================================  ============
order  customer  received (UTC)     lines: ordered / allocated at entry               note
=====  ========  =================  ================================================  ============
O1     A         Mon 2 Mar 09:00    P1 10/10, P2 5/5                                  full
O2     A         Fri 20 Mar 10:00   P1 10/6 (2 backordered, 2 substituted), P2 5/0    P2 cut (lost)
                                    and a substitute line P2 2/2 for line 1 (ignored)
O3     B         Tue 31 Mar 23:59   P2 10/10                                          full
O4     B         Wed 1 Apr 00:00    P1 4/2 (2 backordered)
O5     A         Thu 5 Mar          P1 100/0                                          credit hold
=====  ========  =================  ================================================  ============

March, whole company: lines O1L1 O1L2 O2L1 O2L2 O3L1.
units 10+5+10+5+10 = 40, allocated 10+5+6+0+10 = 31; full lines 3 of 5; full orders O1, O3 of 3;
value 100+20+100+20+40 = 280.00, short 4·10 + 5·4 = 60.00; backordered lines: O2L1 (10-6-0 > 0),
not O2L2 (5-0-5 = 0): 1 of 5. April: O4 2/4 units, 0/1 lines and orders, 20.00/40.00, short 20.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Ratio, Slice
from o2c.analytics.fill import EntryFill, entry_fill
from o2c.analytics.periods import Period, Window
from o2c.domain.errors import ValidationFailed
from tests.factories import add_customer, add_location, add_product
from tests.integration.metric_rows import Line, add_order, at


@pytest.fixture
def entered(engine: Engine) -> Engine:
    a = add_customer(engine, "A", segment="retail")
    b = add_customer(engine, "B", segment="wholesale")
    p1 = add_product(engine, "P1", "10.00")
    p2 = add_product(engine, "P2", "4.00")
    dc = add_location(engine)
    add_order(engine, a, at(2, 9), [Line(p1, 10, location_id=dc), Line(p2, 5, price="4.00", location_id=dc)])
    add_order(
        engine,
        a,
        at(20, 10),
        [
            Line(p1, 10, entry=6, backordered=2, substituted=2, location_id=dc),
            Line(p2, 5, entry=0, lost=5, price="4.00"),
            Line(p2, 2, price="4.00", substitute_for=1, location_id=dc),
        ],
    )
    add_order(engine, b, at(31, 23, 59), [Line(p2, 10, price="4.00", location_id=dc)])
    add_order(engine, b, at(1, 0, 0, month=4), [Line(p1, 4, entry=2, backordered=2, location_id=dc)])
    add_order(engine, a, at(5), [Line(p1, 100, entry=0)], status="credit_hold")
    return engine


def fill(engine: Engine, spec: Slice) -> dict[tuple[str, str], EntryFill]:
    with engine.connect() as conn:
        return {(r.period, r.member): r for r in entry_fill(conn, spec)}


def test_fill_rates_by_month_count_units_lines_orders_and_value_at_entry(entered: Engine) -> None:
    rows = fill(entered, Slice(Period.MONTH))
    assert set(rows) == {("2026-03-01", "all"), ("2026-04-01", "all")}
    march = rows["2026-03-01", "all"]
    assert march.unit_fill_rate == Ratio(31, 40)
    assert march.line_fill_rate == Ratio(3, 5)
    assert march.order_fill_rate == Ratio(2, 3)
    assert march.value_fill_rate == Ratio(Decimal("220.00"), Decimal("280.00"))
    assert march.stockout_value == Decimal("60.00")
    assert march.stockout_units == 9
    assert march.backorder_rate == Ratio(1, 5)
    april = rows["2026-04-01", "all"]
    assert april.unit_fill_rate == Ratio(2, 4)
    assert april.value_fill_rate.value == pytest.approx(0.5)
    assert april.stockout_value == Decimal("20.00")
    assert april.backorder_rate == Ratio(1, 1)


def test_a_segment_adds_up_all_its_customers(entered: Engine) -> None:
    # A third customer C, also retail, enters O6 on 10 March: P3 (2.50) 4 ordered, 3 allocated.
    # retail in March: O1 O2 O6: units 30 + 4 = 34, allocated 21 + 3 = 24; full lines 2 of 5;
    # full orders O1 of 3; value 240.00 + 10.00 = 250.00, short 60.00 + 2.50 = 62.50.
    c = add_customer(entered, "C", segment="retail")
    p3 = add_product(entered, "P3", "2.50")
    add_order(entered, c, at(10), [Line(p3, 4, entry=3, backordered=1, price="2.50")])
    retail = fill(entered, Slice(Period.MONTH, Dimension.SEGMENT))["2026-03-01", "retail"]
    assert retail.unit_fill_rate == Ratio(24, 34)
    assert retail.line_fill_rate == Ratio(2, 5)
    assert retail.order_fill_rate == Ratio(1, 3)
    assert retail.stockout_value == Decimal("62.50")


def test_fill_rates_by_segment_split_the_month_between_customers(entered: Engine) -> None:
    # retail (A) in March: O1 and O2: units 30, allocated 21; full lines 2 of 4; O1 full of 2 orders;
    # value 240.00 of which 60.00 short. wholesale (B): O3 in full.
    window = Window.of_dates(at(1).date(), at(31).date())
    rows = fill(entered, Slice(Period.MONTH, Dimension.SEGMENT, window))
    assert set(rows) == {("2026-03-01", "retail"), ("2026-03-01", "wholesale")}
    retail = rows["2026-03-01", "retail"]
    assert retail.unit_fill_rate == Ratio(21, 30)
    assert retail.line_fill_rate == Ratio(2, 4)
    assert retail.order_fill_rate == Ratio(1, 2)
    assert retail.value_fill_rate == Ratio(Decimal("180.00"), Decimal("240.00"))
    wholesale = rows["2026-03-01", "wholesale"]
    assert wholesale.unit_fill_rate == Ratio(10, 10)
    assert wholesale.backorder_rate == Ratio(0, 1)


def test_fill_by_sku_counts_lines_and_has_no_order_fill_rate(entered: Engine) -> None:
    # P1 in March: O1L1 10/10, O2L1 10/6; P2: O1L2 5/5, O2L2 5/0, O3L1 10/10.
    rows = fill(entered, Slice(Period.MONTH, Dimension.SKU, Window.of_dates(at(1).date(), at(31).date())))
    p1, p2 = rows["2026-03-01", "P1"], rows["2026-03-01", "P2"]
    assert p1.unit_fill_rate == Ratio(16, 20)
    assert p1.order_fill_rate is None
    assert p1.stockout_value == Decimal("40.00")
    assert p2.line_fill_rate == Ratio(2, 3)
    assert p2.stockout_value == Decimal("20.00")


def test_weeks_start_on_monday_and_days_are_utc_dates(entered: Engine) -> None:
    weeks = fill(entered, Slice(Period.WEEK))
    # O1 Mon 2 Mar -> week of 2 Mar; O2 Fri 20 Mar -> 16 Mar; O3 Tue 31 Mar and O4 Wed 1 Apr -> 30 Mar.
    assert sorted(weeks) == [("2026-03-02", "all"), ("2026-03-16", "all"), ("2026-03-30", "all")]
    assert weeks["2026-03-30", "all"].unit_fill_rate == Ratio(12, 14)
    days = fill(entered, Slice(Period.DAY))
    assert ("2026-03-31", "all") in days  # 23:59 UTC stays on the 31st
    assert days["2026-04-01", "all"].unit_fill_rate == Ratio(2, 4)


def test_fill_rate_is_not_broken_down_by_carrier(entered: Engine) -> None:
    with pytest.raises(ValidationFailed, match="carrier"), entered.connect() as conn:
        entry_fill(conn, Slice(Period.MONTH, Dimension.CARRIER))


def test_periods_are_utc_whatever_the_session_time_zone(entered: Engine) -> None:
    # O3 at 23:59 UTC on 31 Mar is already 1 Apr in Auckland: it must stay in March.
    with entered.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TIME ZONE 'Pacific/Auckland'")
        days = {(r.period, r.member): r for r in entry_fill(conn, Slice(Period.DAY))}
    assert days["2026-03-31", "all"].unit_fill_rate == Ratio(10, 10)
    assert days["2026-04-01", "all"].unit_fill_rate == Ratio(2, 4)
