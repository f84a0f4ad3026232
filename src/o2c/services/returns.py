"""Returns (RMA): authorise, receive with inspection and disposition, credit, or reject.

Use cases, for the CLI, the API and the simulator (each one transaction; the clock is ``uow.clock``;
``lines`` are ``{order line number: quantity}``)::

    authorise_return(uow, order_number: str, lines: Mapping[int, int], reason: ReturnReason | str,
                     actor: str = "system") -> ReturnSummary
    receive_return(uow, return_number: str, disposition: Disposition | str = "restock",
                   received: Mapping[int, int] | None = None,
                   dispositions: Mapping[int, Disposition | str] | None = None,
                   actor: str = "system") -> ReturnSummary
    credit_return(uow, return_number: str, actor: str = "system") -> CreditMemoSummary
    reject_return(uow, return_number: str, actor: str = "system") -> ReturnSummary

A return may take back what was delivered of a line less what other returns already claim
(:func:`o2c.domain.returns.check_returnable`); returns of one order are serialised by locking the
order row. Receiving records per line the quantity that came back (default: all authorised) and its
disposition (one for all lines, or per line); ``restock`` units go back on hand at the line's
location and are offered at once to waiting backorders
(:func:`o2c.services.backorders.allocate_arrivals`), in the same transaction. Crediting issues one
credit memo for the received units at the line's net price plus tax (see
:mod:`o2c.services.credits` for how it nets against receivables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select

from o2c.domain.billing import InvoiceStatus
from o2c.domain.errors import ValidationFailed
from o2c.domain.returns import (
    CreditReason,
    Disposition,
    Return,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
    applied_amount,
    check_returnable,
    return_credit,
)
from o2c.services.backorders import allocate_arrivals
from o2c.services.credits import CreditMemoSummary, record_credit_memo
from o2c.store.events import Event
from o2c.store.master_tables import locations
from o2c.store.numbering import DocumentKind
from o2c.store.returns import CreditMemoDraft, ReturnRepository, codes_of
from o2c.store.uow import UnitOfWork, retrying


@dataclass(frozen=True)
class ReturnLineSummary:
    line_no: int
    sku: str
    quantity: int
    received: int
    disposition: str | None


@dataclass(frozen=True)
class ReturnSummary:
    number: str
    order: str
    customer: str
    status: str
    reason: str
    authorised_at: datetime
    received_at: datetime | None
    credited_at: datetime | None
    rejected_at: datetime | None
    lines: tuple[ReturnLineSummary, ...]
    backorders_allocated: tuple[str, ...] = ()  # orders that restocked units went to


def _summary(uow: UnitOfWork, ret: Return, allocated: list[str] | None = None) -> ReturnSummary:
    customer, order = codes_of(uow.connection, ret.customer_id, ret.order_id)
    return ReturnSummary(
        number=ret.number,
        order=order,
        customer=customer,
        status=str(ret.status),
        reason=str(ret.reason),
        authorised_at=ret.authorised_at,
        received_at=ret.received_at,
        credited_at=ret.credited_at,
        rejected_at=ret.rejected_at,
        lines=tuple(
            ReturnLineSummary(
                ln.line_no,
                ln.sku,
                ln.quantity,
                ln.qty_received,
                str(ln.disposition) if ln.disposition else None,
            )
            for ln in ret.lines
        ),
        backorders_allocated=tuple(allocated or ()),
    )


E = TypeVar("E", ReturnReason, Disposition)


def _enum(kind: type[E], value: E | str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise ValidationFailed(f"unknown {what} {value!r} (one of {choices})", field=what) from None


def _event(ret: Return, event_type: str, now: datetime, actor: str, **payload: object) -> Event:
    return Event("return", ret.number, event_type, now, actor, {"order": ret.order_number, **payload})


@retrying()
def authorise_return(
    uow: UnitOfWork,
    order_number: str,
    lines: Mapping[int, int],
    reason: ReturnReason | str,
    actor: str = "system",
) -> ReturnSummary:
    """Authorise the return of delivered units of an order's lines (an RMA)."""
    why = _enum(ReturnReason, reason, "reason")
    with uow:
        order = uow.orders.get(order_number)
        assert order.id is not None
        repo = ReturnRepository(uow.connection)
        repo.lock_order(order.id)
        now = uow.clock.now()
        check_returnable(order.number, dict(lines), repo.returnable_lines(order.id))
        ret = Return(
            number=uow.next_number(DocumentKind.RETURN),
            order_id=order.id,
            customer_id=order.customer_id,
            status=ReturnStatus.AUTHORISED,
            reason=why,
            authorised_at=now,
            order_number=order.number,
            lines=[
                ReturnLine(
                    order_line_id=order.line(n).id or 0,
                    line_no=n,
                    product_id=order.line(n).product_id,
                    sku=order.line(n).sku,
                    quantity=q,
                    location_id=order.line(n).location_id,
                )
                for n, q in sorted(lines.items())
            ],
        )
        repo.add(ret)
        payload = {"reason": why.value, "lines": {str(ln.line_no): ln.quantity for ln in ret.lines}}
        uow.events.record(_event(ret, "return.authorised", now, actor, **payload))
        uow.events.record(
            Event("order", order.number, "order.return_authorised", now, actor, {"return": ret.number})
        )
        summary = _summary(uow, ret)
        uow.commit()
        return summary


@retrying()
def receive_return(
    uow: UnitOfWork,
    return_number: str,
    disposition: Disposition | str = Disposition.RESTOCK,
    received: Mapping[int, int] | None = None,
    dispositions: Mapping[int, Disposition | str] | None = None,
    actor: str = "system",
) -> ReturnSummary:
    """Receive and inspect returned goods; restocked units go on hand and to waiting backorders."""
    default = _enum(Disposition, disposition, "disposition")
    per_line = {n: _enum(Disposition, d, "disposition") for n, d in (dispositions or {}).items()}
    with uow:
        repo = ReturnRepository(uow.connection)
        ret = repo.get(return_number, lock=True)
        now = uow.clock.now()
        quantities = dict(received) if received is not None else {ln.line_no: ln.quantity for ln in ret.lines}
        for line_no in per_line.keys() - quantities.keys():
            ret.line(line_no)  # an unknown line is refused; a known one simply received nothing
        ret.receive({n: (q, per_line.get(n, default)) for n, q in quantities.items()}, now)
        repo.save(ret)
        restocked = [ln for ln in ret.lines if ln.disposition is Disposition.RESTOCK and ln.qty_received]
        allocated = _restock(uow, ret, restocked, now, actor)
        lines = {
            str(ln.line_no): [ln.qty_received, ln.disposition and ln.disposition.value] for ln in ret.lines
        }
        uow.events.record(_event(ret, "return.received", now, actor, lines=lines, allocated=allocated))
        summary = _summary(uow, ret, allocated)
        uow.commit()
        return summary


def _restock(uow: UnitOfWork, ret: Return, lines: list[ReturnLine], now: datetime, actor: str) -> list[str]:
    """Put restocked units back on hand where the line shipped from, then allocate backorders."""
    if not lines:
        return []
    missing = [ln.line_no for ln in lines if ln.location_id is None]
    if missing:
        raise ValidationFailed(
            f"return {ret.number}: lines {missing} shipped from no known location, cannot restock",
            field="disposition",
        )
    places = sorted({ln.location_id for ln in lines if ln.location_id is not None})
    codes = dict(
        uow.connection.execute(
            select(locations.c.id, locations.c.code).where(locations.c.id.in_(places))
        ).all()
    )
    arrivals: list[tuple[int, int]] = []
    for place in places:
        here = [ln for ln in lines if ln.location_id == place]
        uow.stock.put_away_all(place, [(ln.product_id, ln.qty_received) for ln in here])
        arrivals += [(ln.product_id, place) for ln in here]
        for ln in here:
            payload = {"quantity": ln.qty_received, "return": ret.number}
            uow.events.record(
                Event("stock", f"{ln.sku}@{codes[place]}", "stock.restocked", now, actor, payload)
            )
    return allocate_arrivals(uow, arrivals, actor)


@retrying()
def credit_return(uow: UnitOfWork, return_number: str, actor: str = "system") -> CreditMemoSummary:
    """Issue the credit memo of a received return: received units at the line's net price plus tax."""
    with uow:
        repo = ReturnRepository(uow.connection)
        ret = repo.get(return_number, lock=True)
        now = uow.clock.now()
        ret.mark_credited(now)
        amounts = repo.line_amounts(ret)
        subtotal = tax = Decimal("0.00")
        for ln in ret.lines:
            if ln.qty_received:
                net, line_tax = return_credit(amounts[ln.order_line_id], ln.qty_received)
                subtotal, tax = subtotal + net, tax + line_tax
        invoice = repo.invoice_for_return(ret)
        is_open = invoice is not None and invoice.status is InvoiceStatus.OPEN
        open_amount = invoice.terms.open_amount if invoice is not None and is_open else Decimal("0.00")
        draft = CreditMemoDraft(
            customer_id=ret.customer_id,
            order_id=ret.order_id,
            invoice_id=invoice.id if invoice else None,
            return_id=ret.id,
            reason=CreditReason.RETURN,
            subtotal=subtotal,
            tax_total=tax,
            amount_applied=applied_amount(subtotal + tax, open_amount),
            issued_at=now,
        )
        repo.save(ret)
        memo = record_credit_memo(
            uow, repo, draft, invoice.terms.number if invoice else None, ret.number, actor
        )
        uow.events.record(_event(ret, "return.credited", now, actor, credit_memo=memo.number))
        uow.commit()
        return memo


@retrying()
def reject_return(uow: UnitOfWork, return_number: str, actor: str = "system") -> ReturnSummary:
    """Refuse an authorised return before anything comes back (its units may be returned again)."""
    with uow:
        repo = ReturnRepository(uow.connection)
        ret = repo.get(return_number, lock=True)
        now = uow.clock.now()
        ret.reject(now)
        repo.save(ret)
        uow.events.record(_event(ret, "return.rejected", now, actor))
        summary = _summary(uow, ret)
        uow.commit()
        return summary


def get_return(uow: UnitOfWork, return_number: str) -> ReturnSummary:
    with uow:
        return _summary(uow, ReturnRepository(uow.connection).get(return_number))
