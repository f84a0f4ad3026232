"""Cash: payments against invoices (partial too) and the aging of open receivables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from o2c.domain.billing import AGING_BUCKETS, AgingRow, InvoiceStatus, aging_bucket, apply_payment
from o2c.domain.order import Order, OrderStatus
from o2c.store.events import Event
from o2c.store.uow import UnitOfWork, retrying


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    invoice: Annotated[str, Field(min_length=1, max_length=30)]
    amount: Annotated[Decimal, Field(gt=0, decimal_places=2, max_digits=14)]
    reference: Annotated[str, Field(max_length=100)] = ""


@retrying()
def record_payment(uow: UnitOfWork, request: PaymentRequest, actor: str = "system") -> InvoiceStatus:
    """Apply a payment; the order closes once it is delivered and all its invoices are paid."""
    with uow:
        invoice = uow.billing.invoice(request.invoice, lock=True)
        now = uow.clock.now()
        # Credit memos set against the invoice lower what is left to pay on it.
        payable = invoice.total - invoice.amount_credited
        new_paid = apply_payment(invoice.number, invoice.status, payable, invoice.amount_paid, request.amount)
        uow.billing.record_payment(invoice, request.amount, new_paid, now, request.reference)
        status = InvoiceStatus.PAID if new_paid == payable else InvoiceStatus.OPEN
        uow.events.record(
            Event(
                "invoice",
                invoice.number,
                f"invoice.{'paid' if status is InvoiceStatus.PAID else 'part_paid'}",
                now,
                actor,
                {"amount": str(request.amount), "paid": str(new_paid)},
            )
        )
        if status is InvoiceStatus.PAID:
            order = uow.orders.get_by_id(invoice.order_id)
            if settle_order(uow, order, now, actor):
                uow.orders.save(order)
        uow.commit()
        return status


def settle_order(uow: UnitOfWork, order: Order, now: datetime, actor: str) -> bool:
    """Mark a fully shipped order paid once no invoice is open, and close it once delivered too.

    Returns whether the order changed (the caller saves it).
    """
    changed = False
    shipped = order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    settled = order.id is not None and uow.billing.open_invoices_of_order(order.id) == 0
    if shipped and order.paid_at is None and settled:
        order.paid_at = now
        uow.events.record(Event("order", order.number, "order.paid", now, actor, {}))
        changed = True
    if order.status is OrderStatus.DELIVERED and order.paid_at is not None:
        order.close(now)
        uow.events.record(Event("order", order.number, "order.closed", now, actor, {}))
        changed = True
    return changed


def receivables_aging(
    uow: UnitOfWork, as_of: date | None = None, limit: int | None = None, offset: int = 0
) -> list[AgingRow]:
    """Open receivables per customer (by code) in buckets of days past due, as of a date (default:
    today); ``limit`` customers from ``offset`` (default: all).

    Open amounts are net of payments and of credit memos set against the invoice; credit left on
    the customer's account (a credit memo on a paid invoice) is a negative amount in ``current``.
    """
    with uow:
        as_of = as_of or uow.clock.now().date()
        rows: dict[str, dict[str, Decimal]] = {}
        for customer, due, open_amount in uow.billing.open_invoice_rows():
            buckets = rows.setdefault(customer, {b: Decimal("0.00") for b in AGING_BUCKETS})
            buckets[aging_bucket(due, as_of)] += open_amount
        for customer, credit in uow.billing.unapplied_credit_rows():
            buckets = rows.setdefault(customer, {b: Decimal("0.00") for b in AGING_BUCKETS})
            buckets["current"] -= credit
        page = sorted(rows.items())[offset : None if limit is None else offset + limit]
        return [AgingRow(code, buckets) for code, buckets in page]
