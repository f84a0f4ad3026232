"""The sales order and its lines: quantities, statuses and the transitions between them.

Allowed status changes are declared once, as data (:data:`ALLOWED`), and every action goes through
:meth:`Order._move_to`, so an illegal step is refused in one place with one kind of error. The line
quantities obey one balance, checked after every action::

    ordered = pending + allocated + backordered + cancelled + lost + shipped + substituted

``pending`` is not reserved yet (the order waits for its credit check); ``allocated`` is reserved
stock not yet shipped; ``backordered`` waits for supply; ``cancelled`` was
cancelled by the customer; ``lost`` was cut by the ``cancel_remainder`` policy (a lost sale);
``substituted`` was backordered and then filled with an alternate product on a line of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from o2c.domain.errors import IllegalTransition, ValidationFailed


class OrderStatus(StrEnum):
    CREDIT_HOLD = "credit_hold"
    OPEN = "open"
    RELEASED = "released"
    PICKED = "picked"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class BackorderPolicy(StrEnum):
    ALLOW_PARTIAL = "allow_partial"
    SHIP_COMPLETE = "ship_complete"
    CANCEL_REMAINDER = "cancel_remainder"


class Channel(StrEnum):
    WEB = "web"
    EDI = "edi"
    PHONE = "phone"
    SALES_REP = "sales_rep"
    MARKETPLACE = "marketplace"


S = OrderStatus
_ZERO = Decimal("0.00")
ALLOWED: frozenset[tuple[OrderStatus, OrderStatus]] = frozenset(
    {
        (S.CREDIT_HOLD, S.OPEN),
        (S.CREDIT_HOLD, S.CANCELLED),
        (S.OPEN, S.CREDIT_HOLD),
        (S.OPEN, S.RELEASED),
        (S.OPEN, S.CANCELLED),
        (S.RELEASED, S.PICKED),
        (S.RELEASED, S.CANCELLED),
        (S.PICKED, S.PACKED),
        (S.PICKED, S.CANCELLED),
        (S.PACKED, S.PARTIALLY_SHIPPED),
        (S.PACKED, S.SHIPPED),
        (S.PACKED, S.CANCELLED),
        # A partial shipment leaves backorders (or packed goods) behind: they are released again,
        # shipped, or cancelled, which completes the order as far as it shipped.
        (S.PARTIALLY_SHIPPED, S.RELEASED),
        (S.PARTIALLY_SHIPPED, S.PARTIALLY_SHIPPED),
        (S.PARTIALLY_SHIPPED, S.SHIPPED),
        # Cancelling the remainder of a partly shipped order that went round again (released or
        # picked once more) completes it as far as it shipped.
        (S.RELEASED, S.SHIPPED),
        (S.PICKED, S.SHIPPED),
        (S.SHIPPED, S.DELIVERED),
        (S.DELIVERED, S.CLOSED),
    }
)
# Statuses in which the customer can still cancel without a return.
CANCELLABLE = frozenset({S.CREDIT_HOLD, S.OPEN, S.RELEASED, S.PICKED, S.PACKED, S.PARTIALLY_SHIPPED})
# Statuses in which backordered units can still be filled (allocated from supply, or substituted).
BACKORDER_FILLABLE = CANCELLABLE - {S.CREDIT_HOLD}
# Statuses in which a shipment can be on its way: after a partial shipment the rest of the order goes
# round the warehouse again (released, picked, packed) while the first shipment is still travelling.
# Recording its delivery changes no status; only a shipped order becomes delivered.
DELIVERABLE = frozenset({S.RELEASED, S.PICKED, S.PACKED, S.PARTIALLY_SHIPPED, S.SHIPPED})


@dataclass
class OrderLine:
    line_no: int
    product_id: int
    sku: str
    qty_ordered: int
    unit_price: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    net_amount: Decimal
    unit_cost: Decimal
    id: int | None = None
    location_id: int | None = None
    qty_allocated_at_entry: int = 0
    qty_pending: int = 0
    qty_allocated: int = 0
    qty_backordered: int = 0
    qty_cancelled: int = 0
    qty_lost: int = 0
    qty_picked: int = 0
    qty_packed: int = 0
    qty_shipped: int = 0
    qty_delivered: int = 0
    qty_damaged: int = 0
    qty_substituted: int = 0
    qty_wrong_item: int = 0  # delivered but not the product ordered (a delivery exception)
    substitute_for_line_no: int | None = None
    promise_at_risk: bool = False
    promised_date: date | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def qty_open(self) -> int:
        """Quantity still to ship: waiting for credit, reserved or waiting for supply."""
        return self.qty_pending + self.qty_allocated + self.qty_backordered

    def check_balance(self) -> None:
        parts = (
            self.qty_pending,
            self.qty_allocated,
            self.qty_backordered,
            self.qty_cancelled,
            self.qty_lost,
            self.qty_shipped,
            self.qty_substituted,
        )
        if sum(parts) != self.qty_ordered or min(parts) < 0:
            raise AssertionError(f"line {self.line_no} ({self.sku}) quantities do not balance: {self}")


@dataclass
class Order:
    number: str
    customer_id: int
    ship_to_id: int
    channel: Channel
    backorder_policy: BackorderPolicy
    status: OrderStatus
    received_at: datetime
    lines: list[OrderLine] = field(default_factory=list)
    id: int | None = None
    customer_code: str = ""
    quote_id: int | None = None
    currency: str = "USD"
    requested_date: date | None = None
    promised_date: date | None = None
    customer_sent_at: datetime | None = None
    released_at: datetime | None = None
    picked_at: datetime | None = None
    packed_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    invoiced_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    expedited_at: datetime | None = None
    version: int = 1

    # --- totals -----------------------------------------------------------------------------

    # A substitute line fills units its original line already prices: the totals count them once.
    # (Plain loops: every order entered sums its lines three times.)

    @property
    def subtotal(self) -> Decimal:
        total = _ZERO
        for line in self.lines:
            if line.substitute_for_line_no is None:
                total += line.net_amount
        return total

    @property
    def tax_total(self) -> Decimal:
        total = _ZERO
        for line in self.lines:
            if line.substitute_for_line_no is None:
                total += line.tax_amount
        return total

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total

    def line(self, line_no: int) -> OrderLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise ValidationFailed(f"order {self.number} has no line {line_no}", field="line_no")

    # --- transitions ------------------------------------------------------------------------

    def _ensure_can_move(self, target: OrderStatus, action: str) -> None:
        if (self.status, target) not in ALLOWED:
            raise IllegalTransition(
                f"order {self.number} is {self.status}: cannot {action}",
                order_number=self.number,
                status=str(self.status),
                action=action,
            )

    def _move_to(self, target: OrderStatus, action: str) -> None:
        self._ensure_can_move(target, action)
        self.status = target

    def _refuse_unless(self, allowed: set[OrderStatus], action: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                f"order {self.number} is {self.status}: cannot {action}",
                order_number=self.number,
                status=str(self.status),
                action=action,
            )

    def hold_for_credit(self) -> None:
        self._move_to(OrderStatus.CREDIT_HOLD, "hold for credit")

    def release_credit_hold(self) -> None:
        self._move_to(OrderStatus.OPEN, "release the credit hold")

    def accept(self) -> None:
        """An order that passed the credit check stays open for fulfilment (only an open order can)."""
        self._refuse_unless({OrderStatus.OPEN}, "accept")

    def apply_reservation(
        self, line_no: int, location_id: int | None, allocated: int, backordered: int, lost: int
    ) -> None:
        """Turn a line's pending quantity into reserved, backordered and lost (a cut) quantities."""
        self._refuse_unless({OrderStatus.OPEN}, "reserve stock")
        line = self.line(line_no)
        if not line.qty_pending:
            raise IllegalTransition(
                f"line {line_no} of order {self.number} has nothing pending to reserve",
                order_number=self.number,
                status=str(self.status),
                action="reserve stock",
            )
        if allocated + backordered + lost != line.qty_pending or min(allocated, backordered, lost) < 0:
            raise AssertionError(f"reservation of line {line_no} does not cover its pending quantity")
        line.location_id = location_id
        line.qty_allocated += allocated
        line.qty_backordered += backordered
        line.qty_lost += lost
        line.qty_allocated_at_entry = allocated
        line.qty_pending = 0
        line.check_balance()

    def release(self, now: datetime) -> None:
        """Send the reserved quantities to the warehouse."""
        self._ensure_can_move(OrderStatus.RELEASED, "release to the warehouse")
        if not any(line.qty_allocated for line in self.lines):
            raise IllegalTransition(
                f"order {self.number} has nothing reserved to release", order_number=self.number
            )
        if self.backorder_policy is BackorderPolicy.SHIP_COMPLETE and any(
            line.qty_backordered for line in self.lines
        ):
            raise IllegalTransition(
                f"order {self.number} ships complete and still has backordered lines",
                order_number=self.number,
            )
        self._move_to(OrderStatus.RELEASED, "release to the warehouse")
        self.released_at = self.released_at or now

    def pick(self, now: datetime) -> None:
        self._move_to(OrderStatus.PICKED, "pick")
        for line in self.lines:
            line.qty_picked = line.qty_allocated
        self.picked_at = self.picked_at or now

    def pack(self, now: datetime) -> None:
        self._move_to(OrderStatus.PACKED, "pack")
        for line in self.lines:
            line.qty_packed = line.qty_picked
        self.packed_at = self.packed_at or now

    def ship(self, quantities: dict[int, int] | None, now: datetime) -> dict[int, int]:
        """Ship packed quantities (all of them, or ``{line_no: qty}``); returns what shipped per line.

        Stock leaves the building: the caller lowers on hand and allocated by the same amounts.
        """
        self._refuse_unless({OrderStatus.PACKED, OrderStatus.PARTIALLY_SHIPPED}, "ship")
        wanted = quantities if quantities is not None else {ln.line_no: ln.qty_packed for ln in self.lines}
        shipped: dict[int, int] = {}
        for line_no, qty in wanted.items():
            line = self.line(line_no)
            if qty < 0 or qty > line.qty_packed:
                raise ValidationFailed(
                    f"line {line_no} of order {self.number}: cannot ship {qty}, {line.qty_packed} packed",
                    field=f"lines.{line_no}.quantity",
                )
            if qty:
                shipped[line_no] = qty
        if not shipped:
            raise IllegalTransition(
                f"order {self.number} has nothing packed to ship", order_number=self.number
            )
        for line_no, qty in shipped.items():
            line = self.line(line_no)
            line.qty_shipped += qty
            line.qty_allocated -= qty
            line.qty_picked -= qty
            line.qty_packed -= qty
            line.shipped_at = now
            line.check_balance()
        self._settle_shipping_status(now, "ship")
        return shipped

    def _settle_shipping_status(self, now: datetime, action: str) -> None:
        if any(line.qty_open for line in self.lines):
            self._move_to(OrderStatus.PARTIALLY_SHIPPED, action)
        else:
            self._move_to(OrderStatus.SHIPPED, action)
            # The last shipment, not the moment a remainder was cancelled: cycle times read this.
            self.shipped_at = max((ln.shipped_at for ln in self.lines if ln.shipped_at), default=now)

    def record_delivery(
        self,
        delivered: dict[int, tuple[int, int]],
        all_shipments_delivered: bool,
        now: datetime,
        wrong_items: dict[int, int] | None = None,
    ) -> None:
        """Apply proof of delivery: ``{line_no: (qty_delivered, qty_damaged)}`` for one shipment, and
        ``{line_no: qty_wrong_item}``: units that arrived (so delivered) but were not the product
        ordered; damaged and wrong-item units are distinct units of the delivered quantity."""
        self._refuse_unless(set(DELIVERABLE), "deliver")
        if not any(line.qty_shipped > line.qty_delivered for line in self.lines):
            raise IllegalTransition(
                f"order {self.number} is {self.status}: cannot deliver, nothing shipped is undelivered",
                order_number=self.number,
                status=str(self.status),
                action="deliver",
            )
        wrong = wrong_items or {}
        for line_no, (qty, damaged) in delivered.items():  # check every line before changing any
            line = self.line(line_no)
            exceptions = damaged + wrong.get(line_no, 0)
            if not 0 <= damaged <= exceptions <= qty <= line.qty_shipped - line.qty_delivered:
                raise ValidationFailed(
                    f"line {line_no} of order {self.number}: cannot deliver {qty} ({damaged} damaged,"
                    f" {wrong.get(line_no, 0)} wrong item), {line.qty_shipped - line.qty_delivered}"
                    " shipped and not yet delivered",
                    field=f"lines.{line_no}.quantity",
                )
        if set(wrong) - set(delivered):
            raise ValidationFailed(
                f"order {self.number}: wrong items on lines this delivery does not carry", field="wrong_items"
            )
        for line_no, (qty, damaged) in delivered.items():
            line = self.line(line_no)
            line.qty_delivered += qty
            line.qty_damaged += damaged
            line.qty_wrong_item += wrong.get(line_no, 0)
            line.delivered_at = now
        self.complete_delivery_if_shipped(all_shipments_delivered, now)

    def cancel(self, now: datetime) -> dict[int, int]:
        """Cancel everything not yet shipped; returns the reserved quantity released per line.

        Before any shipment the order ends ``cancelled``; after a partial shipment only the remainder
        is cancelled and the order completes as far as it shipped.
        """
        self._refuse_unless(set(CANCELLABLE), "cancel")
        has_shipped = any(line.qty_shipped for line in self.lines)
        self._ensure_can_move(OrderStatus.SHIPPED if has_shipped else OrderStatus.CANCELLED, "cancel")
        released = {ln.line_no: ln.qty_allocated for ln in self.lines if ln.qty_allocated}
        for line in self.lines:
            line.qty_cancelled += line.qty_open
            line.qty_pending = line.qty_allocated = line.qty_backordered = 0
            line.qty_picked = line.qty_packed = 0
            line.check_balance()
        if has_shipped:
            self._settle_shipping_status(now, "cancel")
        else:
            self._move_to(OrderStatus.CANCELLED, "cancel")
            self.cancelled_at = now
        return released

    def complete_delivery_if_shipped(self, all_shipments_delivered: bool, now: datetime) -> None:
        if self.status is OrderStatus.SHIPPED and all_shipments_delivered:
            self._move_to(OrderStatus.DELIVERED, "deliver")
            self.delivered_at = max((ln.delivered_at for ln in self.lines if ln.delivered_at), default=now)

    def close(self, now: datetime) -> None:
        """Delivered and fully paid: nothing more will happen to this order."""
        self._move_to(OrderStatus.CLOSED, "close")
        self.paid_at = self.paid_at or now

    def expedite(self, now: datetime) -> None:
        """Rush an order that has not shipped in full: once (an expedite is a cost-to-serve activity)."""
        self._refuse_unless(set(CANCELLABLE), "expedite")
        if self.expedited_at is not None:
            raise IllegalTransition(
                f"order {self.number} is already expedited", order_number=self.number, action="expedite"
            )
        self.expedited_at = now

    # --- backorders: supply arrived, or an alternate stands in -------------------------------

    def allocate_backorder(self, line_no: int, quantity: int, location_id: int) -> None:
        """Reserve backordered units from supply at ``location_id``: a line is reserved at one location."""
        line = self._backordered_line(line_no, quantity, "allocate a backorder")
        if line.qty_allocated and line.location_id != location_id:
            raise ValidationFailed(
                f"line {line_no} of order {self.number} is reserved at location {line.location_id}",
                field="location_id",
            )
        line.location_id = location_id
        line.qty_backordered -= quantity
        line.qty_allocated += quantity
        line.check_balance()

    def substitute(self, line_no: int, quantity: int, alternate: OrderLine) -> OrderLine:
        """Fill backordered units with ``alternate``, a new line reserved in full for ``quantity``; it
        gets the next line number and points back at the line, whose units become substituted."""
        line = self._backordered_line(line_no, quantity, "substitute a backorder")
        same = alternate.product_id == line.product_id
        if same or not alternate.qty_ordered == alternate.qty_allocated == quantity:
            raise AssertionError(f"line {line_no}: a substitute is another product reserved for {quantity}")
        alternate.check_balance()
        alternate.line_no = max(ln.line_no for ln in self.lines) + 1
        alternate.substitute_for_line_no = line_no
        line.qty_backordered -= quantity
        line.qty_substituted += quantity
        line.check_balance()
        self.lines.append(alternate)
        return alternate

    def _backordered_line(self, line_no: int, quantity: int, action: str) -> OrderLine:
        self._refuse_unless(set(BACKORDER_FILLABLE), action)
        line = self.line(line_no)
        if not 0 < quantity <= line.qty_backordered:
            raise ValidationFailed(
                f"line {line_no} of order {self.number}: cannot {action} of {quantity},"
                f" {line.qty_backordered} backordered",
                field="quantity",
            )
        return line
