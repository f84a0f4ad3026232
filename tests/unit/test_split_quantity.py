"""A split promise (services.atp.split_quantity) finds its day by bisection: it must be the first day a
scan day by day finds, for any supply and demand, since cumulative ATP never decreases."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.services.atp import DailyPlan, SourcePromise, source_promise, split_quantity
from o2c.store.supply_demand import SourcingLocation

START = date(2026, 3, 2)
DAYS = 30


def first_day_by_scan(
    candidates: list[tuple[SourcingLocation, DailyPlan]], quantity: int
) -> tuple[SourcePromise, ...]:
    """The definition: try every delivery day in turn."""
    lead = max(s.handling_days + (s.transit_days or 0) for s, _ in candidates)
    for offset in range(DAYS + lead):
        can = []
        for source, plan in candidates:
            assert source.transit_days is not None
            latest = offset - source.handling_days - source.transit_days
            if latest >= 0 and (q := plan.cumulative()[min(latest, DAYS - 1)]) > 0:
                can.append((source, plan, q))
        if sum(q for *_, q in can) >= quantity:
            parts, left = [], quantity
            for source, plan, q in sorted(can, key=lambda c: (-c[2], c[0].code)):
                if left > 0:
                    parts.append(source_promise(source, plan, min(q, left), None))
                    left -= min(q, left)
            return tuple(parts)
    return ()


quantities = st.lists(st.integers(0, 40), min_size=DAYS, max_size=DAYS)
location = st.tuples(
    st.integers(0, 30), quantities, quantities, st.integers(0, 3), st.integers(0, 3), st.integers(0, 6)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(location, min_size=1, max_size=4), st.integers(1, 400))
def test_the_split_is_dated_by_the_first_day_that_covers_it(
    drawn: list[tuple[int, list[int], list[int], int, int, int]], quantity: int
) -> None:
    candidates = [
        (
            SourcingLocation(n, f"DC{n}", "east", processing, pick_pack, transit),
            DailyPlan(START, available, receipts, orders),
        )
        for n, (available, receipts, orders, processing, pick_pack, transit) in enumerate(drawn)
    ]
    assert split_quantity(candidates, quantity) == first_day_by_scan(candidates, quantity)


def test_no_split_when_the_horizon_does_not_cover_it() -> None:
    source = SourcingLocation(1, "DC1", "east", 1, 1, 2)
    plan = DailyPlan(START, 5, [0] * DAYS, [0] * DAYS)
    assert split_quantity([(source, plan)], 6) == ()
    (part,) = split_quantity([(source, plan)], 5)
    assert part.delivery_date == START + timedelta(days=4)
