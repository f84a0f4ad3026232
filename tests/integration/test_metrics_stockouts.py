"""Items in stockout (at a date and time-weighted), age of open stockouts, time to recover.

Items (stock rows of active products): P1@DC1, P1@DC2, P2@DC1 = 3; P3@DC1 is inactive (its episode is
ignored). Episodes (2026, UTC midnight):

==  ========  ========  ========  =====================================
E1  P1@DC1    2 Mar     4 Mar     48 h, recovered in March
E2  P2@DC1    30 Mar    2 Apr     72 h, recovered in April
E3  P1@DC2    10 Apr    open
E4  P3@DC1    5 Mar     open      inactive product: not an item
==  ========  ========  ========  =====================================

As of 11 Apr: 1 of 3 items out (E3), 24 h old. March (744 h): E1 48 h + E2 48 h = 96 of 3·744 item-
hours. April up to 11 Apr (240 h): E2 24 h + E3 24 h = 48 of 3·240.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, insert

from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Distribution, Ratio, Slice
from o2c.analytics.periods import Period, Window
from o2c.analytics.stockouts import stockout_periods, stockout_snapshot
from o2c.store.supply_tables import stockout_episodes
from tests.factories import add_location, add_product, add_stock
from tests.integration.metric_rows import at

AS_OF = at(11, month=4)
HOUR = 3600


@pytest.fixture
def episodes(engine: Engine) -> Engine:
    p1, p2, p3 = add_product(engine, "P1"), add_product(engine, "P2"), add_product(engine, "P3", active=False)
    dc1, dc2 = add_location(engine, "DC1"), add_location(engine, "DC2", "west")
    for product, location in ((p1, dc1), (p1, dc2), (p2, dc1), (p3, dc1)):
        add_stock(engine, product, location, 0)
    rows: list[tuple[int, int, datetime, datetime | None]] = [
        (p1, dc1, at(2), at(4)),
        (p2, dc1, at(30), at(2, month=4)),
        (p1, dc2, at(10, month=4), None),
        (p3, dc1, at(5), None),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(stockout_episodes),
            [{"product_id": p, "location_id": loc, "started_at": s, "ended_at": e} for p, loc, s, e in rows],
        )
    return engine


def test_items_in_stockout_at_a_date_and_the_age_of_open_stockouts(episodes: Engine) -> None:
    with episodes.connect() as conn:
        now = stockout_snapshot(conn, AS_OF)
        end_of_march = stockout_snapshot(conn, at(31))
        by_location = {r.member: r for r in stockout_snapshot(conn, AS_OF, Dimension.LOCATION)}
    assert [(r.member, r.items_in_stockout, r.average_age_of_stockouts) for r in now] == [
        ("all", Ratio(1, 3), 24.0)
    ]
    assert end_of_march[0].items_in_stockout == Ratio(1, 3)  # E2, a day old
    assert end_of_march[0].average_age_of_stockouts == 24.0
    assert by_location["DC2"].items_in_stockout == Ratio(1, 1)
    assert by_location["DC1"].items_in_stockout == Ratio(0, 2)
    assert by_location["DC1"].average_age_of_stockouts is None


def test_time_weighted_stockouts_and_time_to_recover_by_month(episodes: Engine) -> None:
    window = Window.of_dates(date(2026, 3, 1), date(2026, 4, 30))
    with episodes.connect() as conn:
        rows = {r.period: r for r in stockout_periods(conn, Slice(Period.MONTH, None, window), AS_OF)}
    assert list(rows) == ["2026-03-01", "2026-04-01"]
    assert rows["2026-03-01"].items_in_stockout == Ratio(96 * HOUR, 3 * 744 * HOUR)
    assert rows["2026-04-01"].items_in_stockout == Ratio(48 * HOUR, 3 * 240 * HOUR)
    assert rows["2026-03-01"].time_to_recover == Distribution(1, 48.0, 48.0, 48.0, None)
    assert rows["2026-04-01"].time_to_recover.mean == 72.0


def test_stockouts_by_sku(episodes: Engine) -> None:
    # P1 has two items: March E1 48 h of 2·744; P2 one item: E2 48 h of 744.
    window = Window.of_dates(date(2026, 3, 1), date(2026, 3, 31))
    with episodes.connect() as conn:
        rows = {
            r.member: r for r in stockout_periods(conn, Slice(Period.MONTH, Dimension.SKU, window), AS_OF)
        }
    assert set(rows) == {"P1", "P2"}
    assert rows["P1"].items_in_stockout == Ratio(48 * HOUR, 2 * 744 * HOUR)
    assert rows["P2"].items_in_stockout == Ratio(48 * HOUR, 744 * HOUR)
