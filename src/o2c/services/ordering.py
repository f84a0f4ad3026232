"""Order entry: validate, price, credit-check and reserve a customer's order in one transaction.

Idempotent: an order sent again under the same idempotency key returns the first result — the
acknowledgement stored with the order, as first answered, even if the order or the stock changed since —
and stores nothing; the same key with a different body is an
:class:`~o2c.domain.errors.IdempotencyConflict`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy.exc import IntegrityError

from o2c.domain.allocation import StockPosition
from o2c.domain.credit import passes_credit_check
from o2c.domain.errors import IdempotencyConflict, NotFound, ValidationFailed
from o2c.domain.order import Channel, Order, OrderLine, OrderStatus
from o2c.domain.pricing import PricedLine, price_line
from o2c.services.promising import promise_order_lines
from o2c.services.reservation import reserve_stock
from o2c.services.results import OrderSummary, acknowledgement, replayed_acknowledgement, summarise
from o2c.services.shortfalls import record_entry_shortfalls
from o2c.store.events import Event
from o2c.store.master import CustomerTerms, OrderTerms, ShipTo
from o2c.store.numbering import DocumentKind
from o2c.store.product_reads import ProductInfo
from o2c.store.uow import UnitOfWork, retrying

Code = Annotated[str, Field(min_length=1, max_length=60)]


class OrderLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Code
    quantity: Annotated[StrictInt, Field(gt=0, le=1_000_000)]


class PlaceOrderRequest(BaseModel):
    """An order as a customer sends it (web shop, EDI, phone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer: Code
    ship_to: Code | None = None
    channel: Channel | None = None
    lines: Annotated[list[OrderLineRequest], Field(min_length=1, max_length=1000)]
    requested_date: date | None = None
    customer_sent_at: AwareDatetime | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    def fingerprint(self) -> str:
        body = self.model_dump_json(exclude={"idempotency_key"})
        return hashlib.sha256(body.encode()).hexdigest()


@retrying()
def place_order(uow: UnitOfWork, request: PlaceOrderRequest, actor: str = "system") -> OrderSummary:
    try:
        return _place(uow, request, actor)
    except IntegrityError:
        # A concurrent request with the same idempotency key won the race: answer as it did.
        if request.idempotency_key is None:
            raise
        with uow:
            replay = _replay(uow, request)
        if replay is None:
            raise
        return replay


def _place(uow: UnitOfWork, request: PlaceOrderRequest, actor: str) -> OrderSummary:
    with uow:
        replay = _replay(uow, request)
        if replay is not None:
            return replay
        terms = _order_terms(uow, request.customer, request.ship_to)
        customer = _ensure_active(terms.customer)
        ship_to = _ensure_ship_to(customer, terms.ship_to, request.ship_to)
        skus = [ln.sku for ln in request.lines]
        in_stock = uow.master.products_in_stock(skus, ship_to.region)
        products = _ensure_active_products(in_stock.products, skus)
        pricing = _price(uow, terms, request.lines, products)
        lines = [
            _order_line(i, products[ln.sku], priced)
            for i, (ln, priced) in enumerate(zip(request.lines, pricing, strict=True), 1)
        ]
        order = enter_order(
            uow,
            customer,
            ship_to,
            lines,
            request.channel,
            actor,
            requested_date=request.requested_date,
            customer_sent_at=request.customer_sent_at,
            open_receivables=terms.open_receivables,
            locked_stock=in_stock.positions,
            lead_days=in_stock.lead_days,
        )
        summary = summarise(order)
        key = request.idempotency_key
        uow.orders.add(
            order,
            idempotency_key=key,
            request_hash=request.fingerprint() if key else None,  # only a replay compares it
            acknowledgement=acknowledgement(summary) if key else None,
        )
        record_entry_shortfalls(uow, order, order.received_at)
        uow.commit()
        return summary


def _replay(uow: UnitOfWork, request: PlaceOrderRequest) -> OrderSummary | None:
    if request.idempotency_key is None:
        return None
    found = uow.orders.find_by_idempotency_key(request.idempotency_key)
    if found is None:
        return None
    number, request_hash, answered = found
    if request_hash != request.fingerprint():
        raise IdempotencyConflict(
            f"idempotency key {request.idempotency_key!r} was used for a different order ({number})",
            idempotency_key=request.idempotency_key,
            order_number=number,
        )
    if answered is not None:  # what the first request was told, whatever happened to the order since
        return replayed_acknowledgement(answered)
    return summarise(uow.orders.get(number), replayed=True)  # placed before answers were kept


def enter_order(
    uow: UnitOfWork,
    customer: CustomerTerms,
    ship_to: ShipTo,
    lines: list[OrderLine],
    channel: Channel | None,
    actor: str,
    *,
    requested_date: date | None = None,
    customer_sent_at: datetime | None = None,
    quote_id: int | None = None,
    open_receivables: Decimal | None = None,
    locked_stock: Sequence[StockPosition] | None = None,
    lead_days: Mapping[int, tuple[int, int | None]] | None = None,
) -> Order:
    """Build the order, run the credit check, reserve stock and promise delivery dates; the caller
    stores it, records its shortfalls (:func:`~o2c.services.shortfalls.record_entry_shortfalls`) and
    commits.

    ``open_receivables`` are the customer's, when the caller has read them already; ``locked_stock``
    the stock positions of the order's products, when the caller has locked them in this transaction;
    ``lead_days`` their locations' lead days to the ship-to (see
    :func:`~o2c.services.promising.promise_order_lines`).
    """
    now = uow.clock.now()
    order = Order(
        number=uow.next_number(DocumentKind.ORDER),
        customer_id=customer.id,
        customer_code=customer.code,
        ship_to_id=ship_to.id,
        quote_id=quote_id,
        channel=channel or customer.channel,
        backorder_policy=customer.backorder_policy,
        status=OrderStatus.OPEN,
        received_at=now,
        requested_date=requested_date,
        customer_sent_at=customer_sent_at,
        lines=lines,
    )
    total = order.total
    uow.events.record(
        Event(
            "order",
            order.number,
            "order.received",
            now,
            actor,
            {
                "customer": customer.code,
                "channel": str(order.channel),
                "lines": len(lines),
                "total": str(total),
            },
        )
    )
    if open_receivables is None:
        open_receivables = uow.billing.open_receivables(customer.id)
    if passes_credit_check(open_receivables, total, customer.credit_limit):
        reserve_stock(uow, order, ship_to.region, actor, now, locked_stock)
        promise_order_lines(uow, order, ship_to.region, now, lead_days)
    else:
        order.hold_for_credit()
        uow.events.record(
            Event(
                "order",
                order.number,
                "order.credit_held",
                now,
                actor,
                {
                    "open_receivables": str(open_receivables),
                    "order_total": str(total),
                    "credit_limit": str(customer.credit_limit),
                },
            )
        )
    return order


def active_customer(uow: UnitOfWork, code: str) -> CustomerTerms:
    try:
        customer = uow.master.customer(code)
    except NotFound:
        raise _unknown_customer(code) from None
    return _ensure_active(customer)


def customer_ship_to(uow: UnitOfWork, customer: CustomerTerms, code: str | None) -> ShipTo:
    return _ensure_ship_to(customer, uow.master.ship_to(customer.id, code), code)


def _order_terms(uow: UnitOfWork, customer_code: str, ship_to_code: str | None) -> OrderTerms:
    """Customer, ship-to, discount, tax rate and open receivables in one read; the caller validates."""
    try:
        return uow.master.order_terms(customer_code, ship_to_code)
    except NotFound:
        raise _unknown_customer(customer_code) from None


def _unknown_customer(code: str) -> ValidationFailed:
    return ValidationFailed(f"customer {code} does not exist", field="customer")


def _ensure_active(customer: CustomerTerms) -> CustomerTerms:
    if not customer.active:
        raise ValidationFailed(f"customer {customer.code} is inactive", field="customer")
    return customer


def _ensure_ship_to(customer: CustomerTerms, ship_to: ShipTo | None, code: str | None) -> ShipTo:
    if ship_to is None:
        what = f"ship-to {code}" if code else "a ship-to address"
        raise ValidationFailed(f"customer {customer.code} has no {what}", field="ship_to")
    return ship_to


def active_products(uow: UnitOfWork, skus: Sequence[str]) -> dict[str, ProductInfo]:
    return _ensure_active_products(uow.master.products_by_sku(skus), skus)


def _ensure_active_products(products: dict[str, ProductInfo], skus: Sequence[str]) -> dict[str, ProductInfo]:
    for i, sku in enumerate(skus):
        product = products.get(sku)
        if product is None:
            raise ValidationFailed(f"line {i + 1}: unknown SKU {sku}", field=f"lines[{i}].sku")
        if not product.active:
            raise ValidationFailed(f"line {i + 1}: SKU {sku} is inactive", field=f"lines[{i}].sku")
    return products


def _price(
    uow: UnitOfWork, terms: OrderTerms, lines: Sequence[OrderLineRequest], products: dict[str, ProductInfo]
) -> list[PricedLine]:
    price_list_id = terms.customer.price_list_id
    contract = (
        uow.master.list_prices(price_list_id, (p.id for p in products.values()))
        if price_list_id is not None
        else {}
    )
    return [
        price_quote_line(ln.quantity, products[ln.sku], contract, terms.segment_discount, terms.tax_rate)
        for ln in lines
    ]


def price_quote_line(
    quantity: int, product: ProductInfo, contract: dict[int, Decimal], discount: Decimal, tax: Decimal
) -> PricedLine:
    return price_line(quantity, contract.get(product.id, product.list_price), discount, tax)


def _order_line(line_no: int, product: ProductInfo, priced: PricedLine) -> OrderLine:
    return OrderLine(
        line_no=line_no,
        product_id=product.id,
        sku=product.sku,
        qty_ordered=priced.quantity,
        qty_pending=priced.quantity,
        unit_price=priced.unit_price,
        discount_amount=priced.discount_amount,
        tax_amount=priced.tax_amount,
        net_amount=priced.net_amount,
        unit_cost=product.standard_cost,
    )


def get_order(uow: UnitOfWork, number: str) -> OrderSummary:
    with uow:
        return summarise(uow.orders.get(number))
