"""The order state machine, one (status, action) pair at a time, on orders built by hand."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.order import ALLOWED, CANCELLABLE, BackorderPolicy, Order, OrderStatus
from tests.unit.builders import LATER, NOW, T0, fresh_order, make_line, make_order, order_in

S = OrderStatus


def _reserve_line_1(order: Order) -> None:
    order.apply_reservation(1, 7, order.line(1).qty_pending, 0, 0)


def _deliver_everything_shipped(order: Order) -> None:
    delivered = {
        ln.line_no: (ln.qty_shipped - ln.qty_delivered, 0)
        for ln in order.lines
        if ln.qty_shipped > ln.qty_delivered
    }
    order.record_delivery(delivered, True, NOW)


ACTIONS: dict[str, Callable[[Order], object]] = {
    "release_credit_hold": lambda o: o.release_credit_hold(),
    "accept": lambda o: o.accept(),
    "hold_for_credit": lambda o: o.hold_for_credit(),
    "reserve": _reserve_line_1,
    "release": lambda o: o.release(NOW),
    "pick": lambda o: o.pick(NOW),
    "pack": lambda o: o.pack(NOW),
    "ship": lambda o: o.ship(None, NOW),
    "deliver": _deliver_everything_shipped,
    "cancel": lambda o: o.cancel(NOW),
    "close": lambda o: o.close(NOW),
}

# The documented next status of every allowed (status, action) pair; every other pair is illegal.
NEXT: dict[tuple[OrderStatus, str], OrderStatus] = {
    (S.CREDIT_HOLD, "release_credit_hold"): S.OPEN,
    (S.CREDIT_HOLD, "cancel"): S.CANCELLED,
    (S.OPEN, "accept"): S.OPEN,
    (S.OPEN, "hold_for_credit"): S.CREDIT_HOLD,
    (S.OPEN, "reserve"): S.OPEN,
    (S.OPEN, "release"): S.RELEASED,
    (S.OPEN, "cancel"): S.CANCELLED,
    (S.RELEASED, "pick"): S.PICKED,
    (S.RELEASED, "cancel"): S.CANCELLED,
    (S.PICKED, "pack"): S.PACKED,
    (S.PICKED, "cancel"): S.CANCELLED,
    (S.PACKED, "ship"): S.SHIPPED,
    (S.PACKED, "cancel"): S.CANCELLED,
    (S.PARTIALLY_SHIPPED, "release"): S.RELEASED,
    (S.PARTIALLY_SHIPPED, "ship"): S.SHIPPED,
    (S.PARTIALLY_SHIPPED, "cancel"): S.SHIPPED,
    (S.PARTIALLY_SHIPPED, "deliver"): S.PARTIALLY_SHIPPED,
    (S.SHIPPED, "deliver"): S.DELIVERED,
    (S.DELIVERED, "close"): S.CLOSED,
}

# Entry decisions (credit hold, reservation) are taken on an order that has nothing reserved yet.
NEEDS_FRESH_ORDER = {(S.OPEN, "reserve"), (S.OPEN, "hold_for_credit")}

PAIRS = [(status, action) for status in OrderStatus for action in ACTIONS]


def starting_order(status: OrderStatus, action: str) -> Order:
    return fresh_order(status) if (status, action) in NEEDS_FRESH_ORDER else order_in(status)


def status_of(order: Order) -> OrderStatus:
    """The status now (a plain read, so that the type checker does not keep an earlier narrowing)."""
    return order.status


def assert_refused_unchanged(order: Order, action: Callable[[Order], object], error: type[Exception]) -> str:
    before = copy.deepcopy(order)
    with pytest.raises(error) as caught:
        action(order)
    assert order == before, "a refused action must leave the order exactly as it was"
    return str(caught.value)


def test_every_status_has_a_consistent_sample_order() -> None:
    for status in OrderStatus:
        order = order_in(status)
        assert order.status is status
        for line in order.lines:
            line.check_balance()


def test_the_table_of_next_statuses_agrees_with_the_declared_transitions() -> None:
    for (status, _action), target in NEXT.items():
        assert status == target or (status, target) in ALLOWED, (status, target)


@pytest.mark.parametrize(("status", "action"), [p for p in PAIRS if p in NEXT], ids=str)
def test_an_allowed_action_moves_the_order_to_its_documented_next_status(
    status: OrderStatus, action: str
) -> None:
    order = starting_order(status, action)

    ACTIONS[action](order)

    assert order.status is NEXT[status, action]
    for line in order.lines:
        line.check_balance()


@pytest.mark.parametrize(("status", "action"), [p for p in PAIRS if p not in NEXT], ids=str)
def test_an_illegal_action_is_refused_naming_the_order_and_its_status_and_changes_nothing(
    status: OrderStatus, action: str
) -> None:
    order = starting_order(status, action)
    before = copy.deepcopy(order)

    with pytest.raises(IllegalTransition) as caught:
        ACTIONS[action](order)

    message = str(caught.value)
    assert order.number in message
    assert f" is {status}" in message
    assert caught.value.context["status"] == str(status)
    assert caught.value.code == "illegal_transition"
    assert order == before


def test_the_cancellable_statuses_are_exactly_those_before_full_shipment() -> None:
    assert {s for s, a in NEXT if a == "cancel"} == set(CANCELLABLE)


# --- release ---------------------------------------------------------------------------------


def test_an_order_with_nothing_reserved_cannot_be_released() -> None:
    order = make_order(S.OPEN, make_line(1, 10, backordered=10), make_line(2, 5, lost=5))

    message = assert_refused_unchanged(order, lambda o: o.release(NOW), IllegalTransition)

    assert "nothing reserved" in message
    assert order.number in message


def test_a_ship_complete_order_is_not_releasable_while_a_line_is_backordered() -> None:
    order = make_order(
        S.OPEN,
        make_line(1, 10, allocated=10),
        make_line(2, 5, allocated=3, backordered=2),
        policy=BackorderPolicy.SHIP_COMPLETE,
    )

    message = assert_refused_unchanged(order, lambda o: o.release(NOW), IllegalTransition)

    assert "ships complete" in message
    assert order.released_at is None


def test_a_ship_complete_order_is_released_once_nothing_is_backordered() -> None:
    order = make_order(
        S.OPEN,
        make_line(1, 10, allocated=10),
        make_line(2, 5, allocated=5),
        policy=BackorderPolicy.SHIP_COMPLETE,
    )

    order.release(NOW)

    assert order.status is S.RELEASED
    assert order.released_at == NOW


def test_an_allow_partial_order_is_released_with_a_line_still_backordered() -> None:
    order = make_order(S.OPEN, make_line(1, 10, allocated=10), make_line(2, 5, allocated=3, backordered=2))

    order.release(NOW)

    assert order.status is S.RELEASED


# --- pick, pack, ship --------------------------------------------------------------------------


def test_picking_and_packing_take_the_whole_reserved_quantity_of_every_line() -> None:
    order = make_order(
        S.RELEASED, make_line(1, 10, allocated=10), make_line(2, 5, allocated=3, backordered=2)
    )

    order.pick(NOW)
    assert [(ln.qty_picked, ln.qty_packed) for ln in order.lines] == [(10, 0), (3, 0)]
    order.pack(LATER)
    assert [(ln.qty_picked, ln.qty_packed) for ln in order.lines] == [(10, 10), (3, 3)]
    assert (order.picked_at, order.packed_at) == (NOW, LATER)


def test_shipping_more_than_is_packed_is_refused_and_changes_nothing() -> None:
    order = order_in(S.PACKED)  # line 2 has 5 packed

    message = assert_refused_unchanged(order, lambda o: o.ship({1: 10, 2: 6}, NOW), ValidationFailed)

    assert "cannot ship 6, 5 packed" in message


def test_shipping_more_than_is_packed_names_the_offending_line_as_the_field() -> None:
    order = order_in(S.PACKED)

    with pytest.raises(ValidationFailed) as caught:
        order.ship({2: 6}, NOW)

    assert caught.value.field == "lines.2.quantity"


def test_shipping_a_negative_quantity_or_an_unknown_line_is_refused_and_changes_nothing() -> None:
    order = order_in(S.PACKED)

    assert_refused_unchanged(order, lambda o: o.ship({1: -1}, NOW), ValidationFailed)
    assert_refused_unchanged(order, lambda o: o.ship({1: 2, 9: 1}, NOW), ValidationFailed)


def test_shipping_nothing_at_all_is_refused_and_changes_nothing() -> None:
    order = order_in(S.PACKED)

    message = assert_refused_unchanged(order, lambda o: o.ship({1: 0, 2: 0}, NOW), IllegalTransition)

    assert "nothing packed to ship" in message


def test_shipping_everything_packed_ships_the_order_and_moves_stock_out_of_allocated() -> None:
    order = order_in(S.PACKED)

    shipped = order.ship(None, NOW)

    assert shipped == {1: 10, 2: 5}
    assert order.status is S.SHIPPED
    assert order.shipped_at == NOW
    line = order.line(1)
    assert (line.qty_shipped, line.qty_allocated, line.qty_picked, line.qty_packed) == (10, 0, 0, 0)
    assert line.shipped_at == NOW


def test_a_partial_shipment_leaves_the_order_partially_shipped_and_cancel_completes_it_as_shipped() -> None:
    order = order_in(S.PACKED)  # 10 + 5 packed

    shipped = order.ship({1: 4}, NOW)

    assert shipped == {1: 4}
    assert order.status is S.PARTIALLY_SHIPPED
    assert order.shipped_at is None
    # line 1: 10 ordered = 4 shipped + 6 still allocated (and packed)
    assert (order.line(1).qty_shipped, order.line(1).qty_allocated, order.line(1).qty_packed) == (4, 6, 6)

    released = order.cancel(LATER)

    assert released == {1: 6, 2: 5}
    assert status_of(order) is S.SHIPPED
    assert order.shipped_at == NOW  # the last shipment, not the moment the remainder was cancelled
    assert order.cancelled_at is None
    # 10 = 4 shipped + 6 cancelled; 5 = 5 cancelled
    assert [(ln.qty_shipped, ln.qty_cancelled, ln.qty_open) for ln in order.lines] == [(4, 6, 0), (0, 5, 0)]
    assert all((ln.qty_picked, ln.qty_packed) == (0, 0) for ln in order.lines)


def test_a_shipment_that_leaves_a_backorder_behind_is_partial_and_cancel_cuts_the_backorder() -> None:
    order = make_order(
        S.PACKED,
        make_line(1, 10, allocated=10, picked=10, packed=10),
        make_line(2, 5, allocated=3, picked=3, packed=3, backordered=2),
    )

    order.ship(None, NOW)

    assert order.status is S.PARTIALLY_SHIPPED
    assert order.line(2).qty_backordered == 2

    released = order.cancel(LATER)

    assert released == {}  # nothing was reserved any more, only backordered
    assert status_of(order) is S.SHIPPED
    # line 2: 5 ordered = 3 shipped + 2 cancelled
    assert (order.line(2).qty_shipped, order.line(2).qty_cancelled) == (3, 2)


def test_the_rest_of_a_partial_shipment_can_ship_later_and_completes_the_order() -> None:
    order = order_in(S.PARTIALLY_SHIPPED)  # line 1 shipped, line 2 packed

    assert order.ship({2: 2}, NOW) == {2: 2}
    assert order.status is S.PARTIALLY_SHIPPED
    assert order.ship(None, LATER) == {2: 3}
    assert status_of(order) is S.SHIPPED
    assert order.shipped_at == LATER
    assert order.line(2).qty_shipped == 5


def test_the_remainder_of_a_partly_shipped_order_can_be_cancelled_after_it_was_released_again() -> None:
    order = make_order(
        S.PARTIALLY_SHIPPED,
        make_line(1, 10, shipped=6, allocated=4),
        released_at=T0,
        picked_at=T0,
        packed_at=T0,
    )
    order.release(NOW)
    assert order.status is S.RELEASED

    released = order.cancel(LATER)

    assert released == {1: 4}
    assert status_of(order) is S.SHIPPED
    assert (order.line(1).qty_shipped, order.line(1).qty_cancelled) == (6, 4)


def test_the_remainder_of_a_partly_shipped_order_can_be_cancelled_after_it_was_picked_again() -> None:
    order = make_order(S.PARTIALLY_SHIPPED, make_line(1, 10, shipped=6, allocated=4), released_at=T0)
    order.release(NOW)
    order.pick(NOW)

    released = order.cancel(LATER)

    assert released == {1: 4}
    assert order.status is S.SHIPPED


# --- cancel ------------------------------------------------------------------------------------


def test_cancelling_before_any_shipment_cancels_every_open_unit_and_returns_the_reserved_ones() -> None:
    order = make_order(
        S.PICKED,
        make_line(1, 10, allocated=10, picked=10),
        make_line(2, 5, allocated=3, picked=3, backordered=2),
    )

    released = order.cancel(NOW)

    assert released == {1: 10, 2: 3}
    assert order.status is S.CANCELLED
    assert order.cancelled_at == NOW
    assert [(ln.qty_cancelled, ln.qty_open, ln.qty_picked) for ln in order.lines] == [(10, 0, 0), (5, 0, 0)]


def test_a_held_order_is_cancelled_with_its_pending_quantity_and_releases_no_stock() -> None:
    order = fresh_order(S.CREDIT_HOLD)

    assert order.cancel(NOW) == {}
    assert order.status is S.CANCELLED
    assert [ln.qty_cancelled for ln in order.lines] == [10, 5]


def test_cancel_after_full_shipment_is_refused() -> None:
    order = order_in(S.SHIPPED)

    message = assert_refused_unchanged(order, lambda o: o.cancel(NOW), IllegalTransition)

    assert message == f"order {order.number} is shipped: cannot cancel"


# --- deliver and close -------------------------------------------------------------------------


def test_delivery_is_recorded_only_on_a_shipped_or_partially_shipped_order() -> None:
    for status in OrderStatus:
        order = order_in(status)
        before = copy.deepcopy(order)
        if status in (S.SHIPPED, S.PARTIALLY_SHIPPED):
            order.record_delivery({1: (10, 0)}, False, NOW)
            assert order.line(1).qty_delivered == 10
            assert order.status is status
        else:
            with pytest.raises(IllegalTransition):
                order.record_delivery({1: (1, 0)}, False, NOW)
            assert order == before


def test_a_delivery_with_damage_is_recorded_on_the_line() -> None:
    order = order_in(S.SHIPPED)

    order.record_delivery({1: (10, 2), 2: (4, 0)}, False, NOW)

    assert (order.line(1).qty_delivered, order.line(1).qty_damaged) == (10, 2)
    assert (order.line(2).qty_delivered, order.line(2).delivered_at) == (4, NOW)
    assert order.status is S.SHIPPED  # another shipment is still on its way


def test_a_shipped_order_is_delivered_when_its_last_shipment_is() -> None:
    order = order_in(S.SHIPPED)

    order.record_delivery({1: (10, 0)}, False, NOW)
    assert (order.status, order.delivered_at) == (S.SHIPPED, None)
    order.record_delivery({2: (5, 0)}, True, LATER)

    assert (order.status, order.delivered_at) == (S.DELIVERED, LATER)


def test_a_partially_shipped_order_is_not_delivered_even_when_every_shipment_so_far_is() -> None:
    order = order_in(S.PARTIALLY_SHIPPED)

    order.record_delivery({1: (10, 0)}, True, NOW)

    assert order.status is S.PARTIALLY_SHIPPED
    assert order.delivered_at is None


def test_cancelling_the_rest_of_an_order_whose_shipments_all_arrived_lets_it_be_delivered() -> None:
    order = order_in(S.PARTIALLY_SHIPPED)
    order.record_delivery({1: (10, 0)}, True, NOW)
    order.cancel(LATER)

    order.complete_delivery_if_shipped(True, LATER)

    assert (order.status, order.delivered_at) == (S.DELIVERED, NOW)  # when the goods arrived, not the cancel


def _partly_shipped_and_back_in_the_warehouse(status: OrderStatus) -> Order:
    """Line 1 shipped 6 of 10 on T0; its 4 backordered units were allocated since and went round again."""
    order = make_order(S.PARTIALLY_SHIPPED, make_line(1, 10, shipped=6, backordered=4))
    order.allocate_backorder(1, 4, 7)
    steps = {S.RELEASED: ["release"], S.PICKED: ["release", "pick"], S.PACKED: ["release", "pick", "pack"]}
    for step in steps[status]:
        ACTIONS[step](order)
    assert order.status is status
    return order


@pytest.mark.parametrize("status", [S.RELEASED, S.PICKED, S.PACKED], ids=str)
def test_an_earlier_shipment_is_delivered_while_the_rest_of_the_order_is_back_in_the_warehouse(
    status: OrderStatus,
) -> None:
    order = _partly_shipped_and_back_in_the_warehouse(status)

    order.record_delivery({1: (6, 0)}, True, NOW)

    assert (order.line(1).qty_delivered, order.line(1).delivered_at) == (6, NOW)
    assert (order.status, order.delivered_at) == (status, None)  # 4 units are still to ship


def test_an_order_delivered_in_two_shipments_is_delivered_when_the_second_arrives() -> None:
    order = _partly_shipped_and_back_in_the_warehouse(S.PACKED)
    order.record_delivery({1: (6, 0)}, True, NOW)

    order.ship(None, NOW)
    assert (order.status, order.delivered_at) == (S.SHIPPED, None)
    order.record_delivery({1: (4, 0)}, True, LATER)

    assert (order.status, order.delivered_at, order.line(1).qty_delivered) == (S.DELIVERED, LATER, 10)


def test_a_second_delivery_of_the_same_units_is_refused_while_the_rest_is_in_the_warehouse() -> None:
    order = _partly_shipped_and_back_in_the_warehouse(S.PICKED)
    order.record_delivery({1: (6, 0)}, True, NOW)

    assert_refused_unchanged(order, lambda o: o.record_delivery({1: (1, 0)}, True, LATER), IllegalTransition)


def test_completing_delivery_does_nothing_while_a_shipment_is_undelivered() -> None:
    order = order_in(S.SHIPPED)

    order.complete_delivery_if_shipped(False, NOW)

    assert order.status is S.SHIPPED


def test_delivering_more_than_was_shipped_is_refused_and_changes_nothing() -> None:
    order = order_in(S.SHIPPED)  # line 1: 10 shipped
    order.record_delivery({1: (8, 0)}, False, NOW)

    message = assert_refused_unchanged(
        order, lambda o: o.record_delivery({1: (3, 0)}, True, LATER), ValidationFailed
    )  # 8 + 3 = 11 > 10

    assert "line 1" in message


def test_a_delivery_naming_an_unknown_line_is_refused_without_recording_the_other_lines() -> None:
    order = order_in(S.SHIPPED)

    assert_refused_unchanged(
        order, lambda o: o.record_delivery({1: (10, 0), 9: (1, 0)}, True, NOW), ValidationFailed
    )


def test_more_damaged_than_delivered_or_negative_quantities_are_refused() -> None:
    order = order_in(S.SHIPPED)

    assert_refused_unchanged(order, lambda o: o.record_delivery({1: (2, 3)}, False, NOW), ValidationFailed)
    assert_refused_unchanged(order, lambda o: o.record_delivery({1: (-1, 0)}, False, NOW), ValidationFailed)
    assert_refused_unchanged(order, lambda o: o.record_delivery({1: (1, -1)}, False, NOW), ValidationFailed)


def test_closing_is_allowed_only_from_delivered_and_stamps_payment_once() -> None:
    for status in OrderStatus:
        order = order_in(status)
        if status is S.DELIVERED:
            order.close(NOW)
            assert (order.status, order.paid_at) == (S.CLOSED, NOW)
        else:
            assert_refused_unchanged(order, lambda o: o.close(NOW), IllegalTransition)


def test_closing_keeps_a_payment_date_that_was_already_recorded() -> None:
    order = order_in(S.DELIVERED)
    order.paid_at = T0

    order.close(LATER)

    assert order.paid_at == T0


# --- stage timestamps ----------------------------------------------------------------------------


def test_stage_timestamps_keep_the_first_release_pick_and_pack_when_a_backorder_goes_round_again() -> None:
    day = [T0 + timedelta(days=n) for n in range(7)]
    order = make_order(S.OPEN, make_line(1, 10, allocated=6, backordered=4))
    order.release(day[1])
    order.pick(day[2])
    order.pack(day[3])
    order.ship(None, day[4])
    assert order.status is S.PARTIALLY_SHIPPED
    assert order.shipped_at is None  # the order has not shipped in full

    # The backorder is filled (by receiving supply, outside this module) and goes round again.
    line = order.line(1)
    line.qty_backordered, line.qty_allocated = 0, 4
    order.release(day[5])
    order.pick(day[5])
    order.pack(day[5])
    order.ship(None, day[6])

    assert status_of(order) is S.SHIPPED
    assert (order.released_at, order.picked_at, order.packed_at) == (day[1], day[2], day[3])
    assert order.shipped_at == day[6]  # the day it shipped in full
    assert line.shipped_at == day[6]  # a line keeps its latest shipment


def test_cancelling_an_unshipped_order_stamps_the_cancellation_only() -> None:
    order = order_in(S.OPEN)

    order.cancel(NOW)

    assert order.cancelled_at == NOW
    assert (order.released_at, order.shipped_at) == (None, None)


def test_releasing_a_credit_hold_does_not_reserve_anything_by_itself() -> None:
    order = fresh_order(S.CREDIT_HOLD)

    order.release_credit_hold()

    assert order.status is S.OPEN
    assert [ln.qty_pending for ln in order.lines] == [10, 5]


# --- reservation ----------------------------------------------------------------------------------


def test_a_reservation_turns_pending_into_allocated_backordered_and_lost() -> None:
    order = fresh_order()

    order.apply_reservation(1, 7, 6, 4, 0)
    order.apply_reservation(2, None, 0, 0, 5)

    line1, line2 = order.lines
    assert (line1.qty_pending, line1.qty_allocated, line1.qty_backordered, line1.location_id) == (0, 6, 4, 7)
    assert line1.qty_allocated_at_entry == 6
    assert (line2.qty_pending, line2.qty_lost, line2.qty_allocated_at_entry) == (0, 5, 0)


def test_a_reservation_that_does_not_cover_the_pending_quantity_is_a_programming_error() -> None:
    order = fresh_order()

    assert_refused_unchanged(order, lambda o: o.apply_reservation(1, 7, 6, 3, 0), AssertionError)
    assert_refused_unchanged(order, lambda o: o.apply_reservation(1, 7, 11, -1, 0), AssertionError)


def test_a_line_with_nothing_pending_cannot_be_reserved_again() -> None:
    order = fresh_order()
    order.apply_reservation(1, 7, 10, 0, 0)

    message = assert_refused_unchanged(order, lambda o: o.apply_reservation(1, 8, 0, 0, 0), IllegalTransition)

    assert order.line(1).qty_allocated_at_entry == 10
    assert "line 1" in message


def test_a_held_order_cannot_reserve_stock() -> None:
    order = fresh_order(S.CREDIT_HOLD)

    assert_refused_unchanged(order, lambda o: o.apply_reservation(1, 7, 10, 0, 0), IllegalTransition)


# --- lines and totals -------------------------------------------------------------------------------


def test_asking_for_a_line_the_order_does_not_have_is_a_validation_error() -> None:
    order = fresh_order()

    with pytest.raises(ValidationFailed, match="has no line 3"):
        order.line(3)


def test_order_totals_add_the_lines_net_and_tax() -> None:
    order = fresh_order()
    order.lines[0].tax_amount = Decimal("8.00")
    order.lines[1].tax_amount = Decimal("4.00")

    # net: 10 * 10.00 + 5 * 10.00 = 150.00; tax 8.00 + 4.00 = 12.00
    assert (order.subtotal, order.tax_total, order.total) == (
        Decimal("150.00"),
        Decimal("12.00"),
        Decimal("162.00"),
    )


def test_a_line_whose_quantities_do_not_balance_fails_its_check() -> None:
    line = make_line(1, 10, allocated=10)
    line.qty_shipped = 1  # 10 + 1 ≠ 10

    with pytest.raises(AssertionError, match="do not balance"):
        line.check_balance()
