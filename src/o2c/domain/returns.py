"""Returns (RMA) and credit memos: the return's states, what may come back, and what is credited.

A return is authorised for delivered units of an order's lines, received (and inspected: each line
gets a disposition) and then credited; or rejected before it is received. Allowed status changes are
data (:data:`ALLOWED`), enforced in one place (:meth:`Return._move_to`). The quantity rule::

    returnable(line) = delivered(line) - already returned(line)

where *already returned* counts the authorised quantity of open returns, the received quantity of
received or credited ones, and nothing of rejected ones. A return credits the received units at the
line's net price plus its tax, as cumulative shares of the line's amounts (the way invoices share a
line between shipments), so returning a whole line in several returns credits exactly the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.money import round_money


class ReturnStatus(StrEnum):
    AUTHORISED = "authorised"
    RECEIVED = "received"
    CREDITED = "credited"
    REJECTED = "rejected"


class ReturnReason(StrEnum):
    WRONG_ITEM = "wrong_item"
    WRONG_QUANTITY = "wrong_quantity"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    NOT_WANTED = "not_wanted"
    OTHER = "other"


class Disposition(StrEnum):
    """What becomes of returned units after inspection; only ``restock`` puts them back on hand."""

    RESTOCK = "restock"
    REFURBISH = "refurbish"
    SCRAP = "scrap"
    RETURN_TO_VENDOR = "return_to_vendor"


class CreditReason(StrEnum):
    RETURN = "return"
    BILLING_ERROR = "billing_error"
    PRICE_ADJUSTMENT = "price_adjustment"
    SERVICE_RECOVERY = "service_recovery"


S = ReturnStatus
ALLOWED: frozenset[tuple[ReturnStatus, ReturnStatus]] = frozenset(
    {(S.AUTHORISED, S.RECEIVED), (S.AUTHORISED, S.REJECTED), (S.RECEIVED, S.CREDITED)}
)


@dataclass
class ReturnLine:
    order_line_id: int
    line_no: int
    product_id: int
    sku: str
    quantity: int
    location_id: int | None
    qty_received: int = 0
    disposition: Disposition | None = None
    id: int | None = None


@dataclass
class Return:
    number: str
    order_id: int
    customer_id: int
    status: ReturnStatus
    reason: ReturnReason
    authorised_at: datetime
    lines: list[ReturnLine] = field(default_factory=list)
    id: int | None = None
    order_number: str = ""
    received_at: datetime | None = None
    credited_at: datetime | None = None
    rejected_at: datetime | None = None

    def line(self, line_no: int) -> ReturnLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise ValidationFailed(f"return {self.number} has no order line {line_no}", field="line_no")

    def _move_to(self, target: ReturnStatus, action: str) -> None:
        self._ensure_can_move(target, action)
        self.status = target

    def _ensure_can_move(self, target: ReturnStatus, action: str) -> None:
        if (self.status, target) not in ALLOWED:
            raise IllegalTransition(
                f"return {self.number} is {self.status}: cannot {action}",
                return_number=self.number,
                status=str(self.status),
                action=action,
            )

    def receive(self, received: dict[int, tuple[int, Disposition]], now: datetime) -> None:
        """Record the inspection of what came back: ``{line_no: (quantity, disposition)}``.

        A line not named came back with nothing; at least one unit must have come back (a return
        that never arrives is rejected instead). Every line is checked before any changes.
        """
        self._ensure_can_move(ReturnStatus.RECEIVED, "receive")
        for line_no, (qty, _) in received.items():
            line = self.line(line_no)
            if not 0 <= qty <= line.quantity:
                raise ValidationFailed(
                    f"return {self.number}, line {line_no}: cannot receive {qty}, {line.quantity} authorised",
                    field=f"lines.{line_no}.quantity",
                )
        if sum(qty for qty, _ in received.values()) == 0:
            raise ValidationFailed(
                f"return {self.number}: nothing received (reject the return if nothing comes back)",
                field="lines",
            )
        for line_no, (qty, disposition) in received.items():
            line = self.line(line_no)
            line.qty_received = qty
            line.disposition = disposition if qty else None
        self._move_to(ReturnStatus.RECEIVED, "receive")
        self.received_at = now

    def reject(self, now: datetime) -> None:
        self._move_to(ReturnStatus.REJECTED, "reject")
        self.rejected_at = now

    def mark_credited(self, now: datetime) -> None:
        self._move_to(ReturnStatus.CREDITED, "credit")
        self.credited_at = now

    @property
    def qty_received(self) -> int:
        return sum(line.qty_received for line in self.lines)


# --- what may come back --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnableLine:
    """An order line as a return sees it: delivered units, and units already on other returns."""

    line_no: int
    delivered: int
    already_returned: int

    @property
    def returnable(self) -> int:
        return self.delivered - self.already_returned


def check_returnable(order_number: str, requested: dict[int, int], lines: dict[int, ReturnableLine]) -> None:
    """Refuse a return of units that were not delivered or are already being returned."""
    if not requested:
        raise ValidationFailed(f"a return of order {order_number} needs at least one line", field="lines")
    for line_no, qty in sorted(requested.items()):
        line = lines.get(line_no)
        if line is None:
            raise ValidationFailed(f"order {order_number} has no line {line_no}", field="lines.line_no")
        if qty <= 0:
            raise ValidationFailed(
                f"line {line_no} of order {order_number}: a return quantity must be positive, not {qty}",
                field=f"lines.{line_no}.quantity",
            )
        if qty > line.returnable:
            raise ValidationFailed(
                f"line {line_no} of order {order_number}: cannot return {qty}, {line.delivered} delivered"
                f" and {line.already_returned} already returned",
                field=f"lines.{line_no}.quantity",
                returnable=line.returnable,
            )


# --- what is credited ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineAmounts:
    """The priced order line a return credits from, and units of it credited by earlier returns."""

    qty_ordered: int
    net_amount: Decimal
    tax_amount: Decimal
    already_credited: int = 0


def _share(amount: Decimal, upto: int, ordered: int) -> Decimal:
    return round_money(amount * upto / ordered)


def return_credit(line: LineAmounts, quantity: int) -> tuple[Decimal, Decimal]:
    """``(net, tax)`` credited for ``quantity`` returned units of ``line``: the cumulative share of the
    line's net and tax amounts for the units credited so far plus these, less the share before."""
    before, after = line.already_credited, line.already_credited + quantity
    if quantity <= 0 or after > line.qty_ordered:
        raise AssertionError(f"cannot credit {quantity} units after {before} of {line.qty_ordered}")
    net = _share(line.net_amount, after, line.qty_ordered) - _share(line.net_amount, before, line.qty_ordered)
    tax = _share(line.tax_amount, after, line.qty_ordered) - _share(line.tax_amount, before, line.qty_ordered)
    return net, tax


@dataclass(frozen=True)
class CreditableInvoice:
    """An invoice as a credit memo sees it: what it billed, what earlier credits took back, and what
    the customer still owes on it."""

    number: str
    subtotal: Decimal
    tax_total: Decimal
    credited_subtotal: Decimal
    credited_tax: Decimal
    open_amount: Decimal


def invoice_credit(invoice: CreditableInvoice, amount: Decimal) -> tuple[Decimal, Decimal]:
    """``(net, tax)`` of a credit of ``amount`` (net of tax) against an invoice: the tax follows the
    invoice's own tax rate; together with earlier credits it never exceeds what the invoice billed."""
    if not amount.is_finite() or amount <= 0 or amount != round_money(amount):
        raise ValidationFailed(f"a credit amount is a positive amount in cents, not {amount}", field="amount")
    room = invoice.subtotal - invoice.credited_subtotal
    if amount > room:
        raise ValidationFailed(
            f"a credit of {amount} exceeds the {room} of invoice {invoice.number} not yet credited"
            f" (billed {invoice.subtotal} before tax)",
            field="amount",
            creditable=str(room),
        )
    if amount == room:  # the last of it: take the rest of the tax too, whatever earlier rounding did
        return amount, invoice.tax_total - invoice.credited_tax
    tax = round_money(amount * invoice.tax_total / invoice.subtotal)
    return amount, min(tax, invoice.tax_total - invoice.credited_tax)


def applied_amount(credit_total: Decimal, open_amount: Decimal) -> Decimal:
    """What a credit settles of an invoice: never more than is open, so no invoice goes negative; the
    rest stays on the customer's account as unapplied credit."""
    return max(Decimal("0.00"), min(credit_total, open_amount))
