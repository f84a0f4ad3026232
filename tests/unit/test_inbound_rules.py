"""The inbound rules without a database: tolerance, inspection, PO status, the transfer state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.inbound import (
    PO_ALLOWED,
    TRANSFER_ALLOWED,
    Inspection,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Transfer,
    TransferLine,
    TransferStatus,
    inspect,
    max_receivable,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
DUE = date(2026, 3, 16)


def make_po(*ordered: int) -> PurchaseOrder:
    lines = [
        PurchaseOrderLine(i, 100 + i, qty, Decimal("4.2500"), DUE, DUE, f"SKU-{i}")
        for i, qty in enumerate(ordered, 1)
    ]
    return PurchaseOrder("PO-1", PurchaseOrderStatus.OPEN, 1, 1, NOW, lines)


def make_transfer(*quantities: int, status: TransferStatus = TransferStatus.OPEN) -> Transfer:
    lines = [TransferLine(i, 100 + i, qty, f"SKU-{i}") for i, qty in enumerate(quantities, 1)]
    return Transfer("TR-1", status, 1, 2, NOW, lines, from_code="DC1", to_code="DC2")


def ok(received: int, rejected: int = 0) -> Inspection:
    return inspect(received, rejected, "damaged" if rejected else "")


# --- over-receipt tolerance ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered", "tolerance", "limit"),
    [
        (100, "0.05", 105),  # 100 x 1.05 = 105
        (10, "0.05", 10),  # 10.5 rounds down: one unit over is already 10 %
        (19, "0.05", 19),  # 19.95
        (20, "0.05", 21),  # 21.00 exactly, no float error
        (40, "0", 40),
        (40, "0.10", 44),
        (1, "1", 2),
    ],
)
def test_the_most_a_line_may_receive_is_the_ordered_quantity_plus_the_tolerance_rounded_down(
    ordered: int, tolerance: str, limit: int
) -> None:
    assert max_receivable(ordered, Decimal(tolerance)) == limit


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        max_receivable(10, Decimal("-0.01"))
    assert refused.value.field == "tolerance"


def test_the_tolerance_counts_every_receipt_so_far() -> None:
    po = make_po(100)
    po.receive([(1, ok(60))], NOW)
    with pytest.raises(ValidationFailed, match="would make 106 received of 100 ordered; at most 105"):
        po.receive([(1, ok(46))], NOW)
    assert po.line(1).qty_received == 60  # the refused receipt changed nothing
    po.receive([(1, ok(45))], NOW)
    assert po.status is PurchaseOrderStatus.CLOSED


# --- inspection ----------------------------------------------------------------------------------


def test_inspection_splits_what_was_received_into_accepted_and_rejected() -> None:
    assert inspect(12, 2, " torn wrap ") == Inspection(
        received=12, accepted=10, rejected=2, reason="torn wrap"
    )
    assert inspect(5) == Inspection(5, 5, 0, "")


@pytest.mark.parametrize(
    ("received", "rejected", "reason", "field"),
    [
        (0, 0, "", "received"),
        (-3, 0, "", "received"),
        (5, -1, "x", "rejected"),
        (5, 6, "x", "rejected"),
        (5, 1, "", "reason"),
        (5, 1, "   ", "reason"),
    ],
)
def test_an_inspection_that_does_not_add_up_is_refused_naming_the_field(
    received: int, rejected: int, reason: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        inspect(received, rejected, reason)
    assert refused.value.field == field


# --- purchase order status -----------------------------------------------------------------------


def test_a_purchase_order_closes_when_every_line_is_fully_received_rejections_included() -> None:
    po = make_po(10, 5)
    po.receive([(1, ok(10, 3))], NOW)  # 10 received: 7 accepted, 3 rejected; line 1 is complete
    assert po.status is PurchaseOrderStatus.OPEN
    assert (po.line(1).qty_outstanding, po.line(2).qty_outstanding) == (0, 5)
    later = NOW + timedelta(days=1)
    po.receive([(2, ok(5))], later)
    assert (po.status, po.closed_at) == (PurchaseOrderStatus.CLOSED, later)


@pytest.mark.parametrize("status", [PurchaseOrderStatus.CLOSED, PurchaseOrderStatus.CANCELLED])
def test_nothing_can_be_received_noticed_rescheduled_or_closed_on_a_finished_order(
    status: PurchaseOrderStatus,
) -> None:
    po = make_po(10)
    po.status = status
    with pytest.raises(IllegalTransition, match=f"is {status}: cannot receive"):
        po.receive([(1, ok(1))], NOW)
    with pytest.raises(IllegalTransition):
        po.notify_shipment([(1, 1)], DUE, TODAY)
    with pytest.raises(IllegalTransition):
        po.reschedule(1, TODAY, NOW, DUE, None)
    with pytest.raises(IllegalTransition):
        po.close(NOW)
    with pytest.raises(IllegalTransition):
        po.cancel(NOW)


def test_the_purchase_order_transitions_are_only_open_to_closed_or_cancelled() -> None:
    assert {(str(a), str(b)) for a, b in PO_ALLOWED} == {("open", "closed"), ("open", "cancelled")}


def test_a_receipt_naming_a_line_twice_or_an_unknown_line_or_no_line_is_refused() -> None:
    po = make_po(10)
    with pytest.raises(ValidationFailed, match="line 1 appears twice"):
        po.receive([(1, ok(1)), (1, ok(1))], NOW)
    with pytest.raises(ValidationFailed, match="has no line 2"):
        po.receive([(2, ok(1))], NOW)
    with pytest.raises(ValidationFailed, match="at least one line"):
        po.receive([], NOW)
    assert po.line(1).qty_received == 0


def test_closing_by_hand_reports_what_will_not_come() -> None:
    po = make_po(10, 5)
    po.receive([(1, ok(4))], NOW)
    assert po.close(NOW) == {1: 6, 2: 5}
    assert po.status is PurchaseOrderStatus.CLOSED


def test_only_an_order_nothing_arrived_against_can_be_cancelled() -> None:
    untouched, started = make_po(10), make_po(10)
    untouched.cancel(NOW)
    assert untouched.status is PurchaseOrderStatus.CANCELLED
    started.receive([(1, ok(1))], NOW)
    with pytest.raises(IllegalTransition, match="close it instead"):
        started.cancel(NOW)


def test_a_shipping_notice_moves_the_expected_date_of_the_lines_it_names() -> None:
    po = make_po(10, 5)
    moved = po.notify_shipment([(1, 10)], date(2026, 3, 20), TODAY)
    assert [ln.line_no for ln in moved] == [1]
    assert (po.line(1).expected_date, po.line(1).promised_date, po.line(2).expected_date) == (
        date(2026, 3, 20),
        DUE,
        DUE,
    )
    assert po.notify_shipment([(1, 10)], date(2026, 3, 20), TODAY) == []  # same date: nothing moved
    with pytest.raises(ValidationFailed, match="exceeds the 5 that may still be received"):
        po.notify_shipment([(2, 6)], DUE, TODAY)  # floor(5 x 1.05) = 5


def test_rescheduling_refuses_a_quantity_below_what_was_received_or_a_date_in_the_past() -> None:
    po = make_po(100)
    po.receive([(1, ok(30))], NOW)
    with pytest.raises(ValidationFailed, match="below the 30 already received"):
        po.reschedule(1, TODAY, NOW, None, 29)
    with pytest.raises(ValidationFailed, match="in the past"):
        po.reschedule(1, TODAY, NOW, TODAY - timedelta(days=1), 50)
    with pytest.raises(ValidationFailed, match="a new expected date, a new quantity, or both"):
        po.reschedule(1, TODAY, NOW, None, None)
    assert (po.line(1).qty_ordered, po.line(1).expected_date) == (100, DUE)  # refusals changed nothing
    po.reschedule(1, TODAY, NOW, date(2026, 4, 1), 30)
    assert (po.line(1).qty_ordered, po.line(1).expected_date, po.status) == (
        30,
        date(2026, 4, 1),
        PurchaseOrderStatus.CLOSED,
    )


def test_a_new_purchase_order_needs_positive_quantities_and_no_promise_in_the_past() -> None:
    make_po(1).check_new(TODAY)
    with pytest.raises(ValidationFailed, match="positive"):
        make_po(0).check_new(TODAY)
    late = make_po(5)
    late.lines[0].promised_date = TODAY - timedelta(days=1)
    with pytest.raises(ValidationFailed, match="in the past"):
        late.check_new(TODAY)


# --- transfers -----------------------------------------------------------------------------------

ACTIONS = {
    "ship": lambda t: t.ship(NOW, DUE),
    "receive": lambda t: t.receive(None, NOW),
    "cancel": lambda t: t.cancel(),
}
# What each action may start from, and where it leads (receiving everything in transit ends it).
LEGAL = {
    ("ship", TransferStatus.OPEN): TransferStatus.IN_TRANSIT,
    ("cancel", TransferStatus.OPEN): TransferStatus.CANCELLED,
    ("receive", TransferStatus.IN_TRANSIT): TransferStatus.RECEIVED,
}


@pytest.mark.parametrize("status", list(TransferStatus))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_transfer_action_is_allowed_only_where_the_state_machine_says(
    action: str, status: TransferStatus
) -> None:
    transfer = make_transfer(5, status=status)
    target = LEGAL.get((action, status))
    if target is None:
        with pytest.raises(IllegalTransition, match=f"transfer TR-1 is {status}: cannot {action}"):
            ACTIONS[action](transfer)
        assert transfer.status is status
    else:
        ACTIONS[action](transfer)
        assert transfer.status is target
        assert (status, target) in TRANSFER_ALLOWED


def test_a_partial_transfer_receipt_stays_in_transit_until_the_last_unit_arrives() -> None:
    transfer = make_transfer(10, 4, status=TransferStatus.IN_TRANSIT)
    assert transfer.receive([(1, 6)], NOW) == {1: 6}
    assert (transfer.status, transfer.received_at) == (TransferStatus.IN_TRANSIT, None)
    assert transfer.receive(None, NOW) == {1: 4, 2: 4}  # the rest of line 1 and all of line 2
    assert (transfer.status, transfer.received_at) == (TransferStatus.RECEIVED, NOW)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([(1, 11)], "receiving 11 but only 10 in transit"),
        ([(1, 0)], "positive"),
        ([(3, 1)], "has no line 3"),
        ([(1, 1), (1, 1)], "appears twice"),
    ],
)
def test_a_transfer_receipt_beyond_what_is_in_transit_is_refused(
    lines: list[tuple[int, int]], message: str
) -> None:
    transfer = make_transfer(10, status=TransferStatus.IN_TRANSIT)
    with pytest.raises(ValidationFailed, match=message):
        transfer.receive(lines, NOW)
    assert transfer.line(1).qty_received == 0


def test_a_transfer_goes_between_two_locations_and_arrives_no_earlier_than_today() -> None:
    same = make_transfer(1)
    same.to_location_id = same.from_location_id
    with pytest.raises(ValidationFailed, match="from DC1 to itself"):
        same.check_new()
    late = make_transfer(1)
    with pytest.raises(ValidationFailed, match="in the past"):
        late.ship(NOW, TODAY - timedelta(days=1))
    assert late.status is TransferStatus.OPEN
