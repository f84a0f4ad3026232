"""Quotes: price a basket for a customer with a validity date and promised delivery dates, then
convert it into an order.

A quote promises each line a delivery date from available-to-promise, as a promise does (nothing is
reserved until the order), and as a whole the latest of them.

An order from a quote keeps the quote's prices, even if the price list changed since: that is
what the customer was promised until the quote expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from o2c.domain.order import Channel, OrderLine
from o2c.domain.quote import ensure_convertible
from o2c.services.ordering import (
    Code,
    OrderLineRequest,
    active_customer,
    active_products,
    customer_ship_to,
    enter_order,
    price_quote_line,
)
from o2c.services.promising import promise_quantities
from o2c.services.results import OrderSummary, summarise
from o2c.services.shortfalls import record_entry_shortfalls
from o2c.store.events import Event
from o2c.store.numbering import DocumentKind
from o2c.store.quotes import Quote, QuoteRepository
from o2c.store.uow import UnitOfWork, retrying


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer: Code
    ship_to: Code | None = None
    lines: Annotated[list[OrderLineRequest], Field(min_length=1, max_length=1000)]
    valid_days: Annotated[int, Field(ge=1, le=365)] = 30
    requested_date: date | None = None  # no delivery is promised before it


@dataclass(frozen=True)
class QuoteSummary:
    number: str
    customer: str
    status: str
    created_at: datetime
    valid_until: datetime
    subtotal: Decimal
    tax_total: Decimal
    lines: tuple[tuple[str, int, Decimal, Decimal], ...]  # sku, quantity, unit price, net amount
    promised_date: date | None = None  # delivery of the whole quote: its latest line's
    line_promises: tuple[date | None, ...] = ()  # per line, in line order (None: supply does not cover)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total


def _summary(quote: Quote) -> QuoteSummary:
    return QuoteSummary(
        quote.number,
        quote.customer_code,
        str(quote.status),
        quote.created_at,
        quote.valid_until,
        quote.subtotal,
        quote.tax_total,
        tuple((ln.sku, ln.priced.quantity, ln.priced.unit_price, ln.priced.net_amount) for ln in quote.lines),
        quote.promised_date,
        tuple(ln.promised_date for ln in quote.lines),
    )


@retrying()
def create_quote(uow: UnitOfWork, request: QuoteRequest, actor: str = "system") -> QuoteSummary:
    with uow:
        customer = active_customer(uow, request.customer)
        ship_to = customer_ship_to(uow, customer, request.ship_to)
        products = active_products(uow, [ln.sku for ln in request.lines])
        contract = (
            uow.master.list_prices(customer.price_list_id, (p.id for p in products.values()))
            if customer.price_list_id is not None
            else {}
        )
        discount = uow.master.segment_discount(customer.segment)
        tax = uow.master.tax_rate(ship_to.region)
        priced = [
            (products[ln.sku].id, price_quote_line(ln.quantity, products[ln.sku], contract, discount, tax))
            for ln in request.lines
        ]
        now = uow.clock.now()
        wanted = [(product_id, line.quantity) for product_id, line in priced]
        promised = promise_quantities(uow, ship_to.region, wanted, request.requested_date, now)
        number = uow.next_number(DocumentKind.QUOTE)
        repo = QuoteRepository(uow.connection)
        valid_until = now + timedelta(days=request.valid_days)
        repo.add(number, customer.id, ship_to.id, now, valid_until, priced, promised)
        uow.events.record(Event("quote", number, "quote.created", now, actor, {"customer": customer.code}))
        quote = repo.get(number)
        uow.commit()
        return _summary(quote)


@retrying()
def convert_quote(
    uow: UnitOfWork,
    number: str,
    *,
    channel: Channel | None = None,
    requested_date: date | None = None,
    actor: str = "system",
) -> OrderSummary:
    """Turn an open, unexpired quote into an order at the quoted prices (credit check and reservation
    run as for any order)."""
    with uow:
        repo = QuoteRepository(uow.connection)
        quote = repo.get(number, lock=True)
        now = uow.clock.now()
        ensure_convertible(quote.number, quote.status, quote.valid_until, now)
        customer = active_customer(uow, quote.customer_code)
        ship_to = customer_ship_to(uow, customer, quote.ship_to_code)
        products = active_products(uow, [ln.sku for ln in quote.lines])
        lines = [
            OrderLine(
                line_no=ln.line_no,
                product_id=ln.product_id,
                sku=ln.sku,
                qty_ordered=ln.priced.quantity,
                qty_pending=ln.priced.quantity,
                unit_price=ln.priced.unit_price,
                discount_amount=ln.priced.discount_amount,
                tax_amount=ln.priced.tax_amount,
                net_amount=ln.priced.net_amount,
                unit_cost=products[ln.sku].standard_cost,
            )
            for ln in quote.lines
        ]
        order = enter_order(
            uow, customer, ship_to, lines, channel, actor, requested_date=requested_date, quote_id=quote.id
        )
        uow.orders.add(order)
        record_entry_shortfalls(uow, order, now)
        repo.mark_converted(quote.id)
        uow.events.record(
            Event("quote", quote.number, "quote.converted", now, actor, {"order": order.number})
        )
        uow.commit()
        return summarise(order)


def get_quote(uow: UnitOfWork, number: str) -> QuoteSummary:
    with uow:
        return _summary(QuoteRepository(uow.connection).get(number))
