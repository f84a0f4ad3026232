"""Credit memos: money given back to a customer for a billing error, a price adjustment, service
recovery (goodwill), or a return (see :func:`o2c.services.returns.credit_return`).

A credit memo is issued against an invoice. It settles as much of the invoice's open amount as it
can (``invoices.amount_credited``; an invoice with nothing left open is ``paid``), and never more,
so no invoice goes negative; what is left over (the invoice was already paid) stays on the
customer's account as unapplied credit. Open receivables, the credit check and receivables aging all
net both: credit applied lowers the invoice's open amount, unapplied credit is a negative amount.

Use case, for the CLI, the API and the simulator (one transaction; the clock is ``uow.clock``)::

    issue_credit_memo(uow, invoice_number: str, amount: Decimal, reason: CreditReason | str,
                      actor: str = "system", note: str = "") -> CreditMemoSummary

``amount`` is before tax; the tax follows the invoice's own tax rate, and all credits of an invoice
together never exceed what it billed. ``reason`` is ``billing_error``, ``price_adjustment`` or
``service_recovery`` (``return`` credits come from returns only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from o2c.domain.billing import InvoiceStatus
from o2c.domain.errors import ValidationFailed
from o2c.domain.returns import CreditReason, applied_amount, invoice_credit
from o2c.services.billing import settle_order
from o2c.store.events import Event
from o2c.store.numbering import DocumentKind
from o2c.store.returns import CreditMemoDraft, ReturnRepository, codes_of
from o2c.store.uow import UnitOfWork, retrying


@dataclass(frozen=True)
class CreditMemoSummary:
    number: str
    customer: str
    order: str
    invoice: str | None
    return_number: str | None
    reason: str
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    applied: Decimal  # set against the invoice's open amount
    unapplied: Decimal  # left as credit on the customer's account
    issued_at: datetime


@retrying()
def issue_credit_memo(
    uow: UnitOfWork,
    invoice_number: str,
    amount: Decimal,
    reason: CreditReason | str,
    actor: str = "system",
    note: str = "",
) -> CreditMemoSummary:
    """Credit ``amount`` (before tax) of an invoice for a billing error, price adjustment or goodwill."""
    why = _reason(reason)
    with uow:
        repo = ReturnRepository(uow.connection)
        invoice = repo.invoice_to_credit(invoice_number)
        now = uow.clock.now()
        subtotal, tax = invoice_credit(invoice.terms, amount)
        open_amount = invoice.terms.open_amount if invoice.status is InvoiceStatus.OPEN else Decimal("0.00")
        draft = CreditMemoDraft(
            customer_id=invoice.customer_id,
            order_id=invoice.order_id,
            invoice_id=invoice.id,
            return_id=None,
            reason=why,
            subtotal=subtotal,
            tax_total=tax,
            amount_applied=applied_amount(subtotal + tax, open_amount),
            issued_at=now,
            note=note[:500],
        )
        summary = record_credit_memo(uow, repo, draft, invoice_number, None, actor)
        uow.commit()
        return summary


def _reason(reason: CreditReason | str) -> CreditReason:
    try:
        why = CreditReason(reason)
    except ValueError:
        raise ValidationFailed(f"unknown credit reason {reason!r}", field="reason") from None
    if why is CreditReason.RETURN:
        raise ValidationFailed("a return is credited from the return (o2c return credit RMA)", field="reason")
    return why


def record_credit_memo(
    uow: UnitOfWork,
    repo: ReturnRepository,
    draft: CreditMemoDraft,
    invoice_number: str | None,
    return_number: str | None,
    actor: str,
) -> CreditMemoSummary:
    """Write a credit memo and set its applied part against the invoice, in the caller's unit of
    work; an order whose last open invoice this settles is marked paid (and closed if delivered)."""
    number = uow.next_number(DocumentKind.CREDIT_MEMO)
    repo.add_credit_memo(number, draft)
    customer, order_number = codes_of(uow.connection, draft.customer_id, draft.order_id)
    now = draft.issued_at
    uow.events.record(
        Event(
            "credit_memo",
            number,
            "credit_memo.issued",
            now,
            actor,
            {
                "reason": draft.reason.value,
                "order": order_number,
                "invoice": invoice_number,
                "return": return_number,
                "subtotal": str(draft.subtotal),
                "tax_total": str(draft.tax_total),
                "applied": str(draft.amount_applied),
            },
        )
    )
    if draft.invoice_id is None or not draft.amount_applied:
        return _summary(number, customer, order_number, invoice_number, return_number, draft)
    settled = repo.apply_to_invoice(draft.invoice_id, draft.amount_applied, now)
    applied = {"credit_memo": number, "amount": str(draft.amount_applied)}
    uow.events.record(Event("invoice", invoice_number or "", "invoice.credited", now, actor, applied))
    if settled:
        uow.events.record(
            Event("invoice", invoice_number or "", "invoice.paid", now, actor, {"credit_memo": number})
        )
        order = uow.orders.get_by_id(draft.order_id)
        if settle_order(uow, order, now, actor):
            uow.orders.save(order)
    return _summary(number, customer, order_number, invoice_number, return_number, draft)


def _summary(
    number: str,
    customer: str,
    order_number: str,
    invoice_number: str | None,
    return_number: str | None,
    draft: CreditMemoDraft,
) -> CreditMemoSummary:
    return CreditMemoSummary(
        number=number,
        customer=customer,
        order=order_number,
        invoice=invoice_number,
        return_number=return_number,
        reason=draft.reason.value,
        subtotal=draft.subtotal,
        tax_total=draft.tax_total,
        total=draft.total,
        applied=draft.amount_applied,
        unapplied=draft.total - draft.amount_applied,
        issued_at=draft.issued_at,
    )
