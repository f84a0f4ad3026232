"""Allocation of available stock to order lines at entry, worked by hand."""

from __future__ import annotations

import pytest

from o2c.domain.allocation import LineDemand, LineReservation, StockPosition, allocate
from o2c.domain.order import BackorderPolicy

P = BackorderPolicy
WIDGET, GADGET = 1, 2


def position(
    location_id: int, available: int, region: str = "east", product_id: int = WIDGET
) -> StockPosition:
    """Stock ids are derived from product and location so that a result names both unambiguously."""
    return StockPosition(
        stock_id=product_id * 100 + location_id,
        product_id=product_id,
        location_id=location_id,
        region=region,
        available=available,
    )


def demand(line_no: int, quantity: int, product_id: int = WIDGET) -> LineDemand:
    return LineDemand(line_no=line_no, product_id=product_id, quantity=quantity)


def test_a_line_that_one_location_covers_is_allocated_in_full_from_it() -> None:
    result = allocate([demand(1, 5)], [position(1, 8)], P.ALLOW_PARTIAL, "east")

    assert result == [
        LineReservation(
            line_no=1, product_id=WIDGET, location_id=1, stock_id=101, allocated=5, backordered=0, lost=0
        )
    ]


@pytest.mark.parametrize(
    ("policy", "backordered", "lost"),
    [
        (P.ALLOW_PARTIAL, 4, 0),  # ship the 6, backorder the 4
        (P.SHIP_COMPLETE, 4, 0),  # reserve the 6, backorder the 4; the order waits until it is complete
        (P.CANCEL_REMAINDER, 0, 4),  # ship the 6, the 4 are a lost sale
    ],
)
def test_a_shortage_is_reserved_as_far_as_it_goes_and_the_rest_follows_the_policy(
    policy: BackorderPolicy, backordered: int, lost: int
) -> None:
    # 10 wanted, 6 available: 10 - 6 = 4 short
    [line] = allocate([demand(1, 10)], [position(1, 6)], policy, "east")

    assert (line.allocated, line.backordered, line.lost) == (6, backordered, lost)
    assert line.location_id == 1


def test_two_lines_of_one_product_share_its_availability_in_line_order() -> None:
    # 10 available: line 1 takes 7, line 2 finds 10 - 7 = 3 and is short 5 - 3 = 2
    first, second = allocate([demand(1, 7), demand(2, 5)], [position(1, 10)], P.ALLOW_PARTIAL, "east")

    assert (first.allocated, first.backordered) == (7, 0)
    assert (second.allocated, second.backordered) == (3, 2)


def test_a_second_line_of_one_product_goes_where_the_first_left_most_stock() -> None:
    # A (loc 1) 10, B (loc 2) 4. Line 1 (7) takes A, leaving 3. Line 2 (5): neither 3 nor 4 covers it,
    # so it takes B's 4 and backorders 1.
    first, second = allocate(
        [demand(1, 7), demand(2, 5)], [position(1, 10), position(2, 4)], P.ALLOW_PARTIAL, "east"
    )

    assert (first.location_id, first.allocated) == (1, 7)
    assert (second.location_id, second.allocated, second.backordered) == (2, 4, 1)


def test_lines_of_different_products_do_not_draw_on_each_others_stock() -> None:
    widget, gadget = allocate(
        [demand(1, 3, WIDGET), demand(2, 3, GADGET)],
        [position(1, 3, product_id=WIDGET), position(1, 1, product_id=GADGET)],
        P.ALLOW_PARTIAL,
        "east",
    )

    assert (widget.stock_id, widget.allocated, widget.backordered) == (101, 3, 0)
    assert (gadget.stock_id, gadget.allocated, gadget.backordered) == (201, 1, 2)


def test_a_location_in_the_ship_to_region_is_preferred_when_it_covers_the_line() -> None:
    positions = [position(1, 100, region="west"), position(2, 5, region="east")]

    [line] = allocate([demand(1, 5)], positions, P.ALLOW_PARTIAL, "east")

    assert (line.location_id, line.allocated) == (2, 5)


def test_a_location_outside_the_region_is_used_when_none_inside_covers_the_line() -> None:
    positions = [position(1, 100, region="west"), position(2, 5, region="east")]

    [line] = allocate([demand(1, 6)], positions, P.ALLOW_PARTIAL, "east")

    assert (line.location_id, line.allocated) == (1, 6)


def test_within_the_region_the_location_with_most_available_is_preferred() -> None:
    positions = [position(1, 6), position(2, 9), position(3, 50, region="west")]

    [line] = allocate([demand(1, 5)], positions, P.ALLOW_PARTIAL, "east")

    assert line.location_id == 2


def test_a_line_that_no_single_location_covers_goes_to_the_one_with_most_available() -> None:
    # 10 wanted; east has 3, west has 4 and 2: the 4 wins even outside the region, 10 - 4 = 6 short
    positions = [position(1, 3, region="east"), position(2, 4, region="west"), position(3, 2, region="west")]

    [line] = allocate([demand(1, 10)], positions, P.ALLOW_PARTIAL, "east")

    assert (line.location_id, line.stock_id, line.allocated, line.backordered) == (2, 102, 4, 6)


@pytest.mark.parametrize(
    ("policy", "backordered", "lost"), [(P.ALLOW_PARTIAL, 4, 0), (P.CANCEL_REMAINDER, 0, 4)]
)
def test_a_product_with_no_stock_row_is_short_in_full_and_has_no_location(
    policy: BackorderPolicy, backordered: int, lost: int
) -> None:
    [line] = allocate([demand(1, 4, GADGET)], [position(1, 50, product_id=WIDGET)], policy, "east")

    assert line == LineReservation(
        line_no=1,
        product_id=GADGET,
        location_id=None,
        stock_id=None,
        allocated=0,
        backordered=backordered,
        lost=lost,
    )


def test_equal_candidates_are_broken_by_the_lowest_location_id_whatever_their_order() -> None:
    for positions in ([position(3, 10), position(2, 10)], [position(2, 10), position(3, 10)]):
        [line] = allocate([demand(1, 5)], positions, P.ALLOW_PARTIAL, "east")
        assert line.location_id == 2


def test_equal_partial_sources_are_broken_by_the_lowest_location_id_whatever_their_order() -> None:
    for positions in ([position(5, 3), position(4, 3)], [position(4, 3), position(5, 3)]):
        [line] = allocate([demand(1, 10)], positions, P.ALLOW_PARTIAL, "east")
        assert (line.location_id, line.allocated, line.backordered) == (4, 3, 7)


def test_allocation_is_repeatable_and_does_not_change_its_inputs() -> None:
    demands = [demand(1, 4), demand(2, 4), demand(3, 4)]
    positions = [position(1, 5), position(2, 5, region="west")]

    first = allocate(demands, positions, P.CANCEL_REMAINDER, "east")
    second = allocate(demands, list(reversed(positions)), P.CANCEL_REMAINDER, "east")

    assert first == second
    assert [p.available for p in positions] == [5, 5]
    # line 1 → loc 1 (5 → 1 left); line 2: loc 1 has 1, loc 2 (west) has 5 → loc 2 (5 → 1 left);
    # line 3: 1 and 1, nobody covers 4 → loc 1 by the lower id, 1 allocated, 3 lost
    assert [(r.location_id, r.allocated, r.lost) for r in first] == [(1, 4, 0), (2, 4, 0), (1, 1, 3)]


def test_a_line_never_takes_more_than_is_available_or_more_than_it_asked_for() -> None:
    demands = [demand(n, q) for n, q in enumerate([3, 8, 1, 6], start=1)]
    positions = [position(1, 7), position(2, 5, region="west")]

    result = allocate(demands, positions, P.ALLOW_PARTIAL, "east")

    for r, d in zip(result, demands, strict=True):
        assert r.allocated + r.backordered + r.lost == d.quantity
    taken: dict[int | None, int] = {}
    for r in result:
        taken[r.location_id] = taken.get(r.location_id, 0) + r.allocated
    assert taken.get(1, 0) <= 7
    assert taken.get(2, 0) <= 5
    assert sum(r.allocated for r in result) == 12  # 3 + 8 + 1 + 6 = 18 wanted, only 7 + 5 = 12 there


def test_a_line_nothing_covers_waits_in_the_ship_to_region_when_every_location_is_empty() -> None:
    # both empty: the tie on available (0) goes to the ship-to's region (west, location 2), not to id 1
    result = allocate(
        [demand(1, 5)],
        [position(1, 0, region="east"), position(2, 0, region="west")],
        P.ALLOW_PARTIAL,
        "west",
    )

    assert [(r.location_id, r.allocated, r.backordered) for r in result] == [(2, 0, 5)]
