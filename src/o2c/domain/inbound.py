"""Inbound rules: purchase orders to suppliers, receiving with inspection, transfers between own sites.

Pure: the services load these objects, call one method, and write what changed. Every method checks
all of its input before it changes anything, so a refused receipt, notice or shipment leaves the
object (and, because the unit of work rolls back, the database) exactly as it was.

Quantities follow the warehouse's vocabulary::

    received = accepted + rejected          (per receipt line and cumulated on the PO line)
    outstanding = max(ordered - received, 0)

A rejected unit counts as received (the supplier delivered it; the scorecard's quality is rejected ÷
received) and does not come back as outstanding supply: a buyer who wants a replacement raises the
line's quantity or a new order. The supply it stood for is gone, so the services re-promise the SKU
after a rejection, as after a slip or a shrink. Status changes are declared once as data
(:data:`PO_ALLOWED`, :data:`TRANSFER_ALLOWED`) and refused in one place with one kind of error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from o2c.domain.errors import IllegalTransition, ValidationFailed

DEFAULT_OVER_RECEIPT_TOLERANCE = Decimal("0.05")


class PurchaseOrderStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TransferStatus(StrEnum):
    OPEN = "open"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"


P, T = PurchaseOrderStatus, TransferStatus
PO_ALLOWED = frozenset({(P.OPEN, P.CLOSED), (P.OPEN, P.CANCELLED)})
# A partial receipt changes no status: the transfer stays in transit until its last unit arrives.
TRANSFER_ALLOWED = frozenset({(T.OPEN, T.IN_TRANSIT), (T.OPEN, T.CANCELLED), (T.IN_TRANSIT, T.RECEIVED)})


def max_receivable(qty_ordered: int, tolerance: Decimal = DEFAULT_OVER_RECEIPT_TOLERANCE) -> int:
    """The most a PO line may receive in total: ``floor(ordered * (1 + tolerance))``.

    Suppliers ship in cases and pallets, so a little over the order is normal and accepted; far over
    it is a mistake (or a second shipment) that must not slip into stock unnoticed. Exact decimals,
    so 100 at 5 % is 105, never 104 by a float rounding.
    """
    if tolerance < 0:
        raise ValidationFailed(f"over-receipt tolerance {tolerance} is negative", field="tolerance")
    return int((qty_ordered * (1 + tolerance)).to_integral_value(rounding=ROUND_FLOOR))


def ensure_positive(quantity: int, what: str) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed(f"{what} must be a positive whole number, got {quantity!r}", field=what)


def ensure_not_past(day: date, today: date, what: str) -> None:
    """An expected or promised date is a forecast: one before today cannot be met any more."""
    if day < today:
        raise ValidationFailed(f"{what} {day.isoformat()} is in the past (today is {today})", field=what)


@dataclass(frozen=True)
class Inspection:
    """What the receiving dock found on one line: ``received = accepted + rejected``."""

    received: int
    accepted: int
    rejected: int
    reason: str = ""


def inspect(received: int, rejected: int = 0, reason: str = "") -> Inspection:
    """Validate a dock count: received > 0, 0 ≤ rejected ≤ received, and a rejection says why
    (the supplier scorecard and the return to the vendor both need the reason)."""
    ensure_positive(received, "received")
    if isinstance(rejected, bool) or not isinstance(rejected, int) or rejected < 0:
        raise ValidationFailed(f"rejected must be zero or more, got {rejected!r}", field="rejected")
    if rejected > received:
        raise ValidationFailed(f"cannot reject {rejected} of {received} received", field="rejected")
    if rejected and not reason.strip():
        raise ValidationFailed(f"rejecting {rejected} needs a reason", field="reason")
    return Inspection(received, received - rejected, rejected, reason.strip())


def _unique_line_nos(line_nos: Iterable[int], what: str) -> None:
    seen: set[int] = set()
    for line_no in line_nos:
        if line_no in seen:
            raise ValidationFailed(f"line {line_no} appears twice in the {what}", field="lines.line_no")
        seen.add(line_no)


@dataclass
class PurchaseOrderLine:
    line_no: int
    product_id: int
    qty_ordered: int
    unit_cost: Decimal
    promised_date: date
    expected_date: date
    sku: str = ""
    id: int | None = None
    qty_received: int = 0
    qty_accepted: int = 0
    qty_rejected: int = 0

    @property
    def qty_outstanding(self) -> int:
        """Still to come from the supplier: the scheduled receipt that available-to-promise counts."""
        return max(self.qty_ordered - self.qty_received, 0)

    @property
    def is_fully_received(self) -> bool:
        return self.qty_received >= self.qty_ordered


@dataclass
class PurchaseOrder:
    number: str
    status: PurchaseOrderStatus
    supplier_id: int
    location_id: int
    created_at: datetime
    lines: list[PurchaseOrderLine] = field(default_factory=list)
    id: int | None = None
    supplier_code: str = ""
    location_code: str = ""
    closed_at: datetime | None = None

    def line(self, line_no: int) -> PurchaseOrderLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise ValidationFailed(
            f"purchase order {self.number} has no line {line_no}", field="lines.line_no", line_no=line_no
        )

    def check_new(self, today: date) -> None:
        """A new order: at least one line, positive quantities, no negative cost, no promise in the past."""
        if not self.lines:
            raise ValidationFailed("a purchase order needs at least one line", field="lines")
        for ln in self.lines:
            ensure_positive(ln.qty_ordered, "quantity")
            if ln.unit_cost < 0:
                raise ValidationFailed(
                    f"line {ln.line_no}: unit cost {ln.unit_cost} is negative", field="unit_cost"
                )
            ensure_not_past(ln.promised_date, today, "promised_date")

    def _move_to(self, target: PurchaseOrderStatus, action: str) -> None:
        if (self.status, target) not in PO_ALLOWED:
            self._refuse(action)
        self.status = target

    def _ensure_open(self, action: str) -> None:
        if self.status is not PurchaseOrderStatus.OPEN:
            self._refuse(action)

    def _refuse(self, action: str, why: str = "") -> None:
        raise IllegalTransition(
            f"purchase order {self.number} is {self.status}: cannot {action}{why}",
            purchase_order=self.number,
            status=str(self.status),
            action=action,
        )

    def receive(
        self,
        inspections: Iterable[tuple[int, Inspection]],
        now: datetime,
        tolerance: Decimal = DEFAULT_OVER_RECEIPT_TOLERANCE,
    ) -> None:
        """Book a receipt: every line is checked (open PO, known line, within the over-receipt
        tolerance counted over all receipts so far) before any counter moves; the order closes when
        every line is fully received."""
        self._ensure_open("receive goods")
        counted = list(inspections)
        if not counted:
            raise ValidationFailed("a receipt needs at least one line", field="lines")
        _unique_line_nos((n for n, _ in counted), "receipt")
        for line_no, found in counted:
            line = self.line(line_no)
            limit = max_receivable(line.qty_ordered, tolerance)
            if line.qty_received + found.received > limit:
                raise ValidationFailed(
                    f"purchase order {self.number} line {line_no} ({line.sku}): receiving {found.received}"
                    f" would make {line.qty_received + found.received} received of {line.qty_ordered}"
                    f" ordered; at most {limit} may be received"
                    f" ({(tolerance * 100).normalize():f} % over-receipt tolerance)",
                    field="lines.received",
                    line_no=line_no,
                    already_received=line.qty_received,
                    max_receivable=limit,
                )
        for line_no, found in counted:
            line = self.line(line_no)
            line.qty_received += found.received
            line.qty_accepted += found.accepted
            line.qty_rejected += found.rejected
        self._close_if_complete(now)

    def notify_shipment(
        self,
        quantities: Iterable[tuple[int, int]],
        expected_date: date,
        today: date,
        tolerance: Decimal = DEFAULT_OVER_RECEIPT_TOLERANCE,
    ) -> list[PurchaseOrderLine]:
        """An advance shipping notice: the supplier says what is coming and when. The lines it names
        take its date as their expected date; returned are those whose date moved."""
        self._ensure_open("take a shipping notice")
        announced = list(quantities)
        if not announced:
            raise ValidationFailed("a shipping notice needs at least one line", field="lines")
        _unique_line_nos((n for n, _ in announced), "shipping notice")
        ensure_not_past(expected_date, today, "expected_date")
        for line_no, quantity in announced:
            line = self.line(line_no)
            ensure_positive(quantity, "quantity")
            room = max_receivable(line.qty_ordered, tolerance) - line.qty_received
            if quantity > room:
                raise ValidationFailed(
                    f"purchase order {self.number} line {line_no} ({line.sku}): notice of {quantity}"
                    f" exceeds the {max(room, 0)} that may still be received",
                    field="lines.quantity",
                    line_no=line_no,
                )
        moved = [self.line(n) for n, _ in announced if self.line(n).expected_date != expected_date]
        for line in moved:
            line.expected_date = expected_date
        return moved

    def reschedule(
        self, line_no: int, today: date, now: datetime, expected_date: date | None, quantity: int | None
    ) -> PurchaseOrderLine:
        """A slip (new expected date) or a change of quantity, never below what already arrived.
        Shrinking a line to what it received completes it, which may close the order."""
        self._ensure_open("reschedule a line")
        line = self.line(line_no)
        if expected_date is None and quantity is None:
            raise ValidationFailed("give a new expected date, a new quantity, or both", field="expected_date")
        if quantity is not None:
            ensure_positive(quantity, "quantity")
            if quantity < line.qty_received:
                raise ValidationFailed(
                    f"purchase order {self.number} line {line_no} ({line.sku}): quantity {quantity} is"
                    f" below the {line.qty_received} already received",
                    field="quantity",
                    line_no=line_no,
                    received=line.qty_received,
                )
        if expected_date is not None:
            ensure_not_past(expected_date, today, "expected_date")
            line.expected_date = expected_date
        if quantity is not None:
            line.qty_ordered = quantity
        self._close_if_complete(now)
        return line

    def close(self, now: datetime) -> dict[int, int]:
        """Close by hand (the rest will never come); returns the outstanding quantity per line."""
        self._move_to(PurchaseOrderStatus.CLOSED, "close it")
        self.closed_at = now
        return {ln.line_no: ln.qty_outstanding for ln in self.lines if ln.qty_outstanding}

    def cancel(self, now: datetime) -> None:
        """Cancel an order nothing has arrived against; one with receipts is closed instead."""
        self._ensure_open("cancel it")
        if any(ln.qty_received for ln in self.lines):
            self._refuse("cancel it", " goods were received against it (close it instead)")
        self._move_to(PurchaseOrderStatus.CANCELLED, "cancel it")
        self.closed_at = now

    def _close_if_complete(self, now: datetime) -> None:
        if all(ln.is_fully_received for ln in self.lines):
            self._move_to(PurchaseOrderStatus.CLOSED, "close it")
            self.closed_at = now


@dataclass
class TransferLine:
    line_no: int
    product_id: int
    quantity: int
    sku: str = ""
    id: int | None = None
    qty_received: int = 0

    @property
    def qty_remaining(self) -> int:
        """Not yet received at the destination (on the road once the transfer has shipped)."""
        return self.quantity - self.qty_received


@dataclass
class Transfer:
    number: str
    status: TransferStatus
    from_location_id: int
    to_location_id: int
    created_at: datetime
    lines: list[TransferLine] = field(default_factory=list)
    id: int | None = None
    from_code: str = ""
    to_code: str = ""
    shipped_at: datetime | None = None
    expected_date: date | None = None
    received_at: datetime | None = None

    def check_new(self) -> None:
        if self.from_location_id == self.to_location_id:
            where = self.from_code or "a location"
            raise ValidationFailed(f"a transfer cannot go from {where} to itself", field="to_location")
        if not self.lines:
            raise ValidationFailed("a transfer needs at least one line", field="lines")
        for ln in self.lines:
            ensure_positive(ln.quantity, "quantity")

    def line(self, line_no: int) -> TransferLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise ValidationFailed(
            f"transfer {self.number} has no line {line_no}", field="lines.line_no", line_no=line_no
        )

    def _ensure_can_move(self, target: TransferStatus, action: str) -> None:
        if (self.status, target) not in TRANSFER_ALLOWED:
            raise IllegalTransition(
                f"transfer {self.number} is {self.status}: cannot {action}",
                transfer=self.number,
                status=str(self.status),
                action=action,
            )

    def _move_to(self, target: TransferStatus, action: str) -> None:
        self._ensure_can_move(target, action)
        self.status = target

    def ship(self, now: datetime, expected_date: date) -> None:
        """The goods leave the source; they are in transit until received."""
        self._ensure_can_move(TransferStatus.IN_TRANSIT, "ship it")
        ensure_not_past(expected_date, now.date(), "expected_date")
        self._move_to(TransferStatus.IN_TRANSIT, "ship it")
        self.shipped_at = now
        self.expected_date = expected_date

    def receive(self, quantities: Iterable[tuple[int, int]] | None, now: datetime) -> dict[int, int]:
        """Receive at the destination: the given quantity per line, or everything still in transit.

        Partial receipts are allowed; the transfer is received when every line is. Returns what was
        received now, per line number.
        """
        self._ensure_can_move(TransferStatus.RECEIVED, "receive it")  # only goods on the road arrive
        if quantities is None:
            taken = {ln.line_no: ln.qty_remaining for ln in self.lines if ln.qty_remaining}
        else:
            pairs = list(quantities)
            _unique_line_nos((n for n, _ in pairs), "transfer receipt")
            taken = dict(pairs)
            for line_no, quantity in taken.items():
                line = self.line(line_no)
                ensure_positive(quantity, "quantity")
                if quantity > line.qty_remaining:
                    raise ValidationFailed(
                        f"transfer {self.number} line {line_no} ({line.sku}): receiving {quantity} but only"
                        f" {line.qty_remaining} in transit",
                        field="lines.quantity",
                        line_no=line_no,
                        in_transit=line.qty_remaining,
                    )
        if not taken:
            raise ValidationFailed(f"transfer {self.number}: nothing to receive", field="lines")
        for line_no, quantity in taken.items():
            self.line(line_no).qty_received += quantity
        if all(ln.qty_remaining == 0 for ln in self.lines):
            self._move_to(TransferStatus.RECEIVED, "receive it")
            self.received_at = now
        return taken

    def cancel(self) -> None:
        """Only before shipping: goods on the road have to be received (and sent back if unwanted)."""
        self._move_to(TransferStatus.CANCELLED, "cancel it")
