"""Time-phased available-to-promise, against tables worked by hand and against brute force.

Each table is a grid of (period, receipt/MPS, orders, expected discrete ATP, expected cumulative ATP);
the comments show the block arithmetic and the look-ahead netting. Periods are numbered from 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import accumulate, pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain.atp import (
    InvalidATPInput,
    bucket_by_day,
    cumulative_atp,
    cumulative_supply,
    discrete_atp,
    earliest_period,
)
from o2c.domain.errors import ValidationFailed

Row = tuple[int, int, int, int, int]  # period, receipt, orders, discrete ATP, cumulative ATP


def columns(rows: Sequence[Row]) -> tuple[list[int], list[int], list[int], list[int]]:
    assert [row[0] for row in rows] == list(range(len(rows))), "periods must be numbered 0, 1, 2, ..."
    return [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows]


# On hand 50, MPS of 100 every second period from period 2; every block covers its own orders.
#   block 0 (periods 0-1): 50 + 0 - (30 + 15) = 5
#   block 2 (periods 2-3): 100 - (40 + 35)    = 25
#   block 4 (periods 4-5): 100 - (20 + 25)    = 55
#   block 6 (periods 6-7): 100 - (60 + 10)    = 30
# No block is negative, so nothing is netted. Total: 50 + 300 - 235 = 115.
EVERY_BLOCK_COVERS_ITSELF: list[Row] = [
    # period, MPS, orders, ATP, cumulative ATP
    (0, 0, 30, 5, 5),
    (1, 0, 15, 0, 5),
    (2, 100, 40, 25, 30),
    (3, 0, 35, 0, 30),
    (4, 100, 20, 55, 85),
    (5, 0, 25, 0, 85),
    (6, 100, 60, 30, 115),
    (7, 0, 10, 0, 115),
]

# On hand 20, MPS of 80 in periods 0 and 3; the second block's orders exceed its receipt.
#   block 0 (periods 0-2): 20 + 80 - (30 + 20 + 10) = 40
#   block 3 (periods 3-5): 80 - (50 + 45 + 0)       = -15
# Look-ahead: block 3's shortfall of 15 comes out of block 0: 40 - 15 = 25, block 3 -> 0.
# Without it, 40 could be promised now and the period-4 order would then be 15 short.
# Projected balances 70, 50, 40, 70, 25, 25: the smallest from period 0 on is 25, as cumulative says.
LATER_BLOCK_SHORT: list[Row] = [
    (0, 80, 30, 25, 25),
    (1, 0, 20, 0, 25),
    (2, 0, 10, 0, 25),
    (3, 80, 50, 0, 25),
    (4, 0, 45, 0, 25),
    (5, 0, 0, 0, 25),
]

# On hand 60, receipts of 60 in periods 1, 3, 5 and 8; block 5 is short by more than block 3 has.
#   block 0 (period 0):      60 - 25             = 35
#   block 1 (periods 1-2):   60 - (30 + 20)      = 10
#   block 3 (periods 3-4):   60 - (45 + 0)       = 15
#   block 5 (periods 5-7):   60 - (40 + 50 + 10) = -40
#   block 8 (period 8):      60 - 15             = 45
# Look-ahead, going backwards: block 8 is positive and stays 45 (later supply never covers earlier
# shortfalls); block 5: -40 -> 0, carry -40; block 3: 15 - 40 = -25 -> 0, carry -25;
# block 1: 10 - 25 = -15 -> 0, carry -15; block 0: 35 - 15 = 20.
# Total: 60 + 240 - 235 = 65 = 20 + 45.
SHORTFALL_CASCADES_OVER_TWO_BLOCKS: list[Row] = [
    (0, 0, 25, 20, 20),
    (1, 60, 30, 0, 20),
    (2, 0, 20, 0, 20),
    (3, 60, 45, 0, 20),
    (4, 0, 0, 0, 20),
    (5, 60, 40, 0, 20),
    (6, 0, 50, 0, 20),
    (7, 0, 10, 0, 20),
    (8, 60, 15, 45, 65),
]

# On hand 10, one receipt of 30 in period 1, whose block is 10 short; block 0 has only 5 to give.
#   block 0 (period 0): 10 - 5 = 5;   block 1 (periods 1-2): 30 - (40 + 0) = -10
# Look-ahead: block 1 -> 0, block 0: 5 - 10 = -5. Period 0 stays negative: customers have been
# promised 5 more than all the supply in the horizon, and every cumulative ATP shows it.
OVERCOMMITTED: list[Row] = [
    (0, 0, 5, -5, -5),
    (1, 30, 40, 0, -5),
    (2, 0, 0, 0, -5),
]

TABLES = {
    "every block covers itself": (50, EVERY_BLOCK_COVERS_ITSELF),
    "a later block is short": (20, LATER_BLOCK_SHORT),
    "a shortfall cascades over two blocks": (60, SHORTFALL_CASCADES_OVER_TWO_BLOCKS),
    "orders exceed all supply": (10, OVERCOMMITTED),
}


@pytest.mark.parametrize(("on_hand", "rows"), TABLES.values(), ids=TABLES.keys())
def test_discrete_and_cumulative_atp_match_the_table_worked_by_hand(on_hand: int, rows: list[Row]) -> None:
    receipts, orders, expected_atp, expected_cumulative = columns(rows)

    assert discrete_atp(on_hand, receipts, orders) == expected_atp
    assert cumulative_atp(on_hand, receipts, orders) == expected_cumulative


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 0), (20, 0), (21, 8), (65, 8), (66, None)],
)
def test_a_promise_waits_for_the_receipt_no_earlier_order_needs(quantity: int, expected: int | None) -> None:
    # Cumulative ATP of the cascade table: 20 from period 0, 65 from period 8.
    receipts, orders, _, _ = columns(SHORTFALL_CASCADES_OVER_TWO_BLOCKS)
    cumulative = cumulative_atp(60, receipts, orders)

    assert earliest_period(cumulative, quantity) == expected


def test_an_overcommitment_must_be_made_up_before_anything_more_is_promised() -> None:
    # Period 0 orders of 20 against 15 on hand; 40 more arrive in period 2.
    # Blocks: 15 - 20 = -5 and 40 - 0 = 40; cumulative -5, -5, 35.
    cumulative = cumulative_atp(15, [0, 0, 40], [20, 0, 0])

    assert cumulative == [-5, -5, 35]
    assert earliest_period(cumulative, 35) == 2
    assert earliest_period(cumulative, 36) is None


def test_a_receipt_in_period_0_is_part_of_the_first_block() -> None:
    # 5 + 10 - 12 = 3 now; the period-1 order is covered by period 1's own receipt: 4 - 4 = 0.
    assert discrete_atp(5, [10, 4], [12, 4]) == [3, 0]


def test_a_single_period_is_on_hand_plus_receipt_less_orders() -> None:
    assert discrete_atp(7, [3], [4]) == [6]
    assert cumulative_atp(7, [3], [4]) == [6]


# --- input validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_hand", "receipts", "orders", "message"),
    [
        (10, [0, 5], [1], "receipts has 2 periods but orders has 1"),
        (10, [], [], "at least one period"),
        (-1, [0], [0], "on_hand is negative"),
        (10, [0, 5, -3], [0, 0, 0], r"receipts\[2\] is negative"),
        (10, [0, 5], [0, -2], r"orders\[1\] is negative"),
    ],
)
def test_a_plan_that_cannot_exist_is_refused_with_the_reason(
    on_hand: int, receipts: list[int], orders: list[int], message: str
) -> None:
    for atp in (discrete_atp, cumulative_atp):
        with pytest.raises(ValueError, match=message):
            atp(on_hand, receipts, orders)
    if not any(orders) and len(orders) == len(receipts):
        with pytest.raises(InvalidATPInput, match=message):
            cumulative_supply(on_hand, receipts)


def test_refusals_belong_to_the_o2c_error_family_and_name_the_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        discrete_atp(10, [0, 5], [0, -2])

    assert isinstance(refused.value, InvalidATPInput)
    assert refused.value.field == "orders"


@pytest.mark.parametrize("quantity", [0, -4])
def test_a_promise_of_nothing_is_refused(quantity: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        earliest_period([5, 5], quantity)


def test_a_cumulative_without_look_ahead_is_refused() -> None:
    # Block sums 40 then -15 without netting: 40, 40, 40, 25, 25, 25 would promise 40 now.
    with pytest.raises(ValueError, match="decreases at period 3"):
        earliest_period([40, 40, 40, 25, 25, 25], 30)


# --- daily buckets ---------------------------------------------------------------------------------

START = date(2024, 3, 4)


def test_quantities_are_summed_per_day_from_the_start() -> None:
    events = [(START, 5), (date(2024, 3, 6), 7), (date(2024, 3, 6), 3), (date(2024, 3, 5), 0)]

    assert bucket_by_day(START, 4, events) == [5, 0, 10, 0]


def test_overdue_events_count_as_today_and_events_beyond_the_horizon_are_dropped() -> None:
    events = [(date(2024, 2, 28), 4), (date(2024, 3, 3), 1), (START, 2), (date(2024, 3, 7), 9)]

    assert bucket_by_day(START, 3, events) == [7, 0, 0]


def test_daily_buckets_refuse_an_empty_horizon_and_negative_quantities() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        bucket_by_day(START, 0, [])
    with pytest.raises(ValueError, match="negative quantity -2 on 2024-03-05"):
        bucket_by_day(START, 3, [(date(2024, 3, 5), -2)])


@given(
    days=st.integers(1, 10),
    events=st.lists(st.tuples(st.integers(-5, 15), st.integers(0, 50)), max_size=12),
)
def test_daily_buckets_keep_every_quantity_inside_the_horizon(
    days: int, events: list[tuple[int, int]]
) -> None:
    dated = [(START + timedelta(days=offset), quantity) for offset, quantity in events]

    buckets = bucket_by_day(START, days, dated)

    assert len(buckets) == days
    assert sum(buckets) == sum(quantity for offset, quantity in events if offset < days)


# --- properties ------------------------------------------------------------------------------------

Plan = tuple[int, list[int], list[int]]


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """Small horizons with sparse receipts, so that blocks of several periods and shortfalls are common."""
    periods = draw(st.integers(1, 8))
    on_hand = draw(st.integers(0, 40))
    receipt = st.one_of(st.just(0), st.just(0), st.integers(1, 60))
    receipts = draw(st.lists(receipt, min_size=periods, max_size=periods))
    orders = draw(st.lists(st.integers(0, 30), min_size=periods, max_size=periods))
    return on_hand, receipts, orders


def projected_balances(on_hand: int, receipts: Sequence[int], orders: Sequence[int]) -> list[int]:
    """B(t) = on hand + receipts - orders up to and including period t: the oracle the ATP must agree with."""
    return list(accumulate((r - o for r, o in zip(receipts, orders, strict=True)), initial=on_hand))[1:]


def with_promise(orders: Sequence[int], period: int, quantity: int) -> list[int]:
    return [due + quantity if p == period else due for p, due in enumerate(orders)]


def keeps_every_promise(plan: Plan, period: int, quantity: int) -> bool:
    """Brute force: no projected balance goes negative, or lower than an overcommitment already made it."""
    on_hand, receipts, orders = plan
    before = projected_balances(on_hand, receipts, orders)
    after = projected_balances(on_hand, receipts, with_promise(orders, period, quantity))
    return all(b_after >= min(b_before, 0) for b_before, b_after in zip(before, after, strict=True))


@given(plans())
def test_netting_moves_quantities_between_periods_but_never_creates_or_loses_any(plan: Plan) -> None:
    on_hand, receipts, orders = plan

    atp = discrete_atp(on_hand, receipts, orders)

    assert len(atp) == len(receipts)
    assert sum(atp) == on_hand + sum(receipts) - sum(orders)


@given(plans())
def test_only_period_0_can_be_negative_and_only_periods_with_a_receipt_carry_atp(plan: Plan) -> None:
    on_hand, receipts, orders = plan

    atp = discrete_atp(on_hand, receipts, orders)

    assert all(quantity >= 0 for quantity in atp[1:])
    assert all(atp[p] == 0 for p in range(1, len(atp)) if receipts[p] == 0)
    assert (atp[0] < 0) == (min(projected_balances(on_hand, receipts, orders)) < 0)


@given(plans())
def test_cumulative_atp_is_the_least_projected_balance_from_that_period_on(plan: Plan) -> None:
    on_hand, receipts, orders = plan
    balances = projected_balances(on_hand, receipts, orders)

    cumulative = cumulative_atp(on_hand, receipts, orders)

    assert cumulative == [min(balances[p:]) for p in range(len(balances))]
    assert all(a <= b for a, b in pairwise(cumulative))


@given(plans(), st.integers(1, 80))
def test_the_earliest_period_is_the_first_where_a_promise_breaks_nothing(plan: Plan, quantity: int) -> None:
    on_hand, receipts, orders = plan
    periods = range(len(receipts))

    found = earliest_period(cumulative_atp(on_hand, receipts, orders), quantity)

    brute_force = next((p for p in periods if keeps_every_promise(plan, p, quantity)), None)
    assert found == brute_force


@given(plans(), st.integers(1, 80))
def test_promising_in_the_earliest_period_leaves_no_negative_atp_and_earlier_would(
    plan: Plan, quantity: int
) -> None:
    on_hand, receipts, orders = plan
    atp_before = discrete_atp(on_hand, receipts, orders)
    cumulative_before = cumulative_atp(on_hand, receipts, orders)
    found = earliest_period(cumulative_before, quantity)
    if found is None:
        # Too much even for the last period. Under an overcommitment the discrete ATP of period 0 may
        # not move (it already shows the worst balance), so the cumulative ATP is what tells.
        last = len(receipts) - 1
        too_much = cumulative_atp(on_hand, receipts, with_promise(orders, last, quantity))
        assert too_much[last] < min(cumulative_before[last], 0)
        return

    atp_after = discrete_atp(on_hand, receipts, with_promise(orders, found, quantity))
    assert all(quantity >= 0 for quantity in atp_after[1:])
    assert atp_after[0] >= min(atp_before[0], 0)
    for earlier in range(found):
        too_early = cumulative_atp(on_hand, receipts, with_promise(orders, earlier, quantity))
        assert too_early[earlier] < min(cumulative_before[earlier], 0)
        if atp_before[0] >= 0:  # no overcommitment yet: the discrete ATP itself turns negative
            assert discrete_atp(on_hand, receipts, with_promise(orders, earlier, quantity))[0] < 0


@given(plans())
def test_with_no_orders_the_cumulative_atp_is_the_running_supply(plan: Plan) -> None:
    on_hand, receipts, _ = plan
    assert cumulative_supply(on_hand, receipts) == cumulative_atp(on_hand, receipts, [0] * len(receipts))
