"""Backorder allocation rules, worked by hand: priority, fair share, substitution, and the order methods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.backorders import (
    Alternate,
    BackorderLine,
    BackorderRule,
    Substitution,
    allocate_backorders,
    allocate_by_priority,
    allocate_fair_share,
    choose_substitutes,
    substitute_line,
)
from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.order import BackorderPolicy, OrderStatus
from tests.unit.builders import NOW, T0, make_line, make_order

S = OrderStatus


def waiting(
    line_id: int,
    quantity: int,
    *,
    tier: int = 2,
    promised: date | None = None,
    hours: int = 0,
    number: str | None = None,
    product_id: int = 7,
    substitutes: bool = False,
) -> BackorderLine:
    """A backordered line of order SO-<line_id> (unless ``number``), received ``hours`` after T0."""
    return BackorderLine(
        line_id=line_id,
        order_number=number or f"SO-{line_id:06d}",
        line_no=1,
        product_id=product_id,
        quantity=quantity,
        tier=tier,
        promised_date=promised,
        received_at=T0 + timedelta(hours=hours),
        allow_substitution=substitutes,
    )


# --- priority --------------------------------------------------------------------------------------


def test_priority_serves_tier_then_promised_date_then_first_come() -> None:
    lines = [
        waiting(1, 4, tier=2, promised=date(2026, 3, 10), hours=0),
        waiting(2, 5, tier=1, promised=None, hours=2),  # the strategic account, though undated and last in
        waiting(3, 3, tier=2, promised=date(2026, 3, 5), hours=1),
        waiting(4, 4, tier=2, promised=date(2026, 3, 5), hours=0),  # same date as 3, came first
    ]
    # 10 units: line 2 (tier 1) takes 5, line 4 (tier 2, 5 March, first) 4, line 3 the last 1, line 1 none.
    assert allocate_by_priority(10, lines) == {2: 5, 4: 4, 3: 1}


def test_an_undated_line_waits_behind_every_dated_one_of_its_tier() -> None:
    lines = [waiting(1, 3, promised=None, hours=0), waiting(2, 3, promised=date(2026, 12, 31), hours=5)]
    assert allocate_by_priority(4, lines) == {2: 3, 1: 1}


def test_same_tier_date_and_time_fall_back_to_order_number() -> None:
    lines = [waiting(1, 2, number="SO-000009"), waiting(2, 2, number="SO-000003")]
    assert allocate_by_priority(3, lines) == {2: 2, 1: 1}


def test_nothing_available_allocates_nothing_and_plenty_fills_every_line() -> None:
    lines = [waiting(1, 2), waiting(2, 3)]
    assert allocate_by_priority(0, lines) == {}
    assert allocate_by_priority(50, lines) == {1: 2, 2: 3}


# --- fair share ------------------------------------------------------------------------------------


def test_fair_share_of_ten_over_needs_of_six_four_and_five() -> None:
    # Total need 15 > 10. Exact shares 10*6/15 = 4, 10*4/15 = 2.67, 10*5/15 = 3.33: floors 4, 2, 3 = 9.
    # Remainders (10*n mod 15): 0, 10, 5: the one unit left goes to the largest, the need of four.
    lines = [waiting(1, 6), waiting(2, 4), waiting(3, 5)]
    assert allocate_fair_share(10, lines) == {1: 4, 2: 3, 3: 3}


def test_fair_share_breaks_equal_remainders_by_priority() -> None:
    # 2 units over three needs of 1: shares 0.67 each, all floors 0 and remainders equal; tier 1 first,
    # then the earlier order of the two tier-2 lines.
    lines = [waiting(1, 1, tier=2, hours=3), waiting(2, 1, tier=2, hours=1), waiting(3, 1, tier=1, hours=9)]
    assert allocate_fair_share(2, lines) == {3: 1, 2: 1}


def test_fair_share_fills_every_need_when_supply_covers_it() -> None:
    assert allocate_fair_share(20, [waiting(1, 6), waiting(2, 4)]) == {1: 6, 2: 4}


def test_the_rule_is_chosen_by_name() -> None:
    lines = [waiting(1, 6, tier=1), waiting(2, 6, tier=2)]
    assert allocate_backorders(BackorderRule.PRIORITY, 6, lines) == {1: 6}
    assert allocate_backorders(BackorderRule.FAIR_SHARE, 6, lines) == {1: 3, 2: 3}
    assert BackorderRule("fair_share") is BackorderRule.FAIR_SHARE


needs = st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=6)


@settings(max_examples=200)
@given(
    available=st.integers(min_value=0, max_value=80), quantities=needs, rule=st.sampled_from(BackorderRule)
)
def test_no_rule_gives_a_line_more_than_it_needs_nor_more_than_is_available(
    available: int, quantities: list[int], rule: BackorderRule
) -> None:
    lines = [waiting(i, q, tier=1 + i % 3, hours=i) for i, q in enumerate(quantities, 1)]
    result = allocate_backorders(rule, available, lines)
    assert all(0 < result[ln.line_id] <= ln.quantity for ln in lines if ln.line_id in result)
    assert sum(result.values()) == min(available, sum(quantities))
    if rule is BackorderRule.FAIR_SHARE:  # within one unit of the exact pro-rata share
        total = sum(quantities)
        for ln in lines:
            exact = Decimal(min(available, total) * ln.quantity) / total if total else Decimal(0)
            assert abs(result.get(ln.line_id, 0) - exact) < 1


# --- substitution ----------------------------------------------------------------------------------


def test_substitutes_are_taken_by_rank_for_customers_who_accept_them() -> None:
    alternates = {7: [Alternate(product_id=21, rank=2), Alternate(product_id=22, rank=1)]}
    available = {7: 0, 21: 10, 22: 2}
    lines = [waiting(1, 5, substitutes=True), waiting(2, 4, substitutes=False)]
    # Line 1 takes the rank-1 alternate's 2 units, then 3 of rank 2; line 2's customer does not accept.
    assert choose_substitutes(lines, alternates, available) == [
        Substitution(line_id=1, alternate_id=22, quantity=2),
        Substitution(line_id=1, alternate_id=21, quantity=3),
    ]


def test_no_substitute_while_the_sku_itself_has_stock() -> None:
    alternates = {7: [Alternate(21, 1)]}
    assert choose_substitutes([waiting(1, 5, substitutes=True)], alternates, {7: 1, 21: 10}) == []


def test_scarce_alternates_go_to_the_most_important_line_first() -> None:
    alternates = {7: [Alternate(21, 1)]}
    lines = [waiting(1, 3, tier=3, substitutes=True), waiting(2, 3, tier=1, substitutes=True)]
    assert choose_substitutes(lines, alternates, {21: 4}) == [Substitution(2, 21, 3), Substitution(1, 21, 1)]


def test_a_substitute_line_is_priced_as_the_share_of_the_line_it_stands_in_for() -> None:
    original = make_line(1, 10, allocated=4, backordered=6)
    original.discount_amount, original.tax_amount, original.net_amount = (
        Decimal("10.00"),
        Decimal("8.00"),
        Decimal("100.00"),
    )
    line = substitute_line(original, 3, product_id=500, sku="ALT", unit_cost=Decimal("7.5000"), location_id=9)
    assert (line.product_id, line.sku, line.qty_ordered, line.qty_allocated, line.location_id) == (
        500,
        "ALT",
        3,
        3,
        9,
    )
    assert (line.unit_price, line.net_amount, line.tax_amount, line.discount_amount, line.unit_cost) == (
        Decimal("10.00"),
        Decimal("30.00"),
        Decimal("2.40"),
        Decimal("3.00"),
        Decimal("7.5000"),
    )
    assert line.qty_allocated_at_entry == 0


def test_cumulative_shares_make_the_substituted_units_add_up_to_the_line() -> None:
    original = make_line(1, 3, backordered=3)
    original.net_amount = Decimal("10.00")
    amounts = []
    for _ in range(3):  # one unit at a time: 3.33, 3.34, 3.33
        amounts.append(substitute_line(original, 1, 500, "ALT", Decimal(1), 9).net_amount)
        original.qty_backordered -= 1
        original.qty_substituted += 1
    assert amounts == [Decimal("3.33"), Decimal("3.34"), Decimal("3.33")]
    assert sum(amounts) == Decimal("10.00")


# --- the order's own methods -----------------------------------------------------------------------


def test_allocating_a_backorder_moves_units_from_backordered_to_allocated() -> None:
    order = make_order(S.OPEN, make_line(1, 10, allocated=4, backordered=6))
    order.lines[0].location_id = 3
    order.allocate_backorder(1, 5, location_id=3)
    line = order.lines[0]
    assert (line.qty_allocated, line.qty_backordered, line.location_id) == (9, 1, 3)
    with pytest.raises(ValidationFailed):
        order.allocate_backorder(1, 2, location_id=3)  # only 1 still backordered
    with pytest.raises(ValidationFailed):
        order.allocate_backorder(1, 1, location_id=4)  # reserved at location 3 already


def test_a_line_sourced_nowhere_takes_the_location_of_its_first_allocation() -> None:
    order = make_order(S.PARTIALLY_SHIPPED, make_line(1, 5, shipped=2, backordered=3))
    order.allocate_backorder(1, 3, location_id=8)
    assert (order.lines[0].location_id, order.lines[0].qty_allocated) == (8, 3)


@pytest.mark.parametrize("status", [S.CREDIT_HOLD, S.CANCELLED, S.SHIPPED])
def test_backorders_of_held_or_finished_orders_are_not_allocated(status: OrderStatus) -> None:
    order = make_order(status, make_line(1, 10, backordered=10))
    with pytest.raises(IllegalTransition):
        order.allocate_backorder(1, 1, location_id=1)


def test_substitution_adds_a_line_that_points_at_the_line_it_fills() -> None:
    order = make_order(S.OPEN, make_line(1, 10, allocated=4, backordered=6), make_line(2, 5, allocated=5))
    new = substitute_line(order.lines[0], 4, 500, "ALT", Decimal(1), location_id=3)
    added = order.substitute(1, 4, new)
    assert (added.line_no, added.substitute_for_line_no) == (3, 1)
    first = order.lines[0]
    assert (first.qty_backordered, first.qty_substituted, first.qty_allocated) == (2, 4, 4)
    assert order.lines[-1] is added
    with pytest.raises(AssertionError):  # a product does not stand in for itself
        order.substitute(1, 1, substitute_line(first, 1, first.product_id, first.sku, Decimal(1), 3))


def test_a_ship_complete_order_is_released_only_once_every_backorder_is_covered() -> None:
    order = make_order(
        S.OPEN,
        make_line(1, 4, allocated=4),
        make_line(2, 6, allocated=2, backordered=4),
        policy=BackorderPolicy.SHIP_COMPLETE,
    )
    order.lines[1].location_id = 1
    with pytest.raises(IllegalTransition):
        order.release(NOW)
    order.allocate_backorder(2, 3, location_id=1)
    with pytest.raises(IllegalTransition):
        order.release(NOW)
    order.substitute(2, 1, substitute_line(order.lines[1], 1, 500, "ALT", Decimal(1), location_id=1))
    order.release(NOW)
    assert order.status is S.RELEASED
