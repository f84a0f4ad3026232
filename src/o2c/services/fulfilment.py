"""Fulfilment: credit release, warehouse release, pick, pack, ship (with invoice), deliver, cancel.

Each function is one transaction over one order. Stock rows an action touches are locked in id order
before they change, the same order every use case takes, so two actions never deadlock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.money import round_money
from o2c.domain.order import Order, OrderStatus
from o2c.services.backorders import allocate_arrivals
from o2c.services.billing import settle_order
from o2c.services.promising import promise_order_lines
from o2c.services.reservation import reserve_stock
from o2c.services.results import OrderSummary, summarise
from o2c.services.shortfalls import record_cancelled_backorders, record_entry_shortfalls
from o2c.store.billing import InvoiceLineDraft
from o2c.store.events import Event
from o2c.store.numbering import DocumentKind
from o2c.store.uow import UnitOfWork, retrying


def _event(order: Order, event_type: str, now: datetime, actor: str, **payload: object) -> Event:
    return Event("order", order.number, event_type, now, actor, {"status": str(order.status), **payload})


@retrying()
def release_credit_hold(uow: UnitOfWork, number: str, actor: str) -> OrderSummary:
    """A finance user accepts the credit risk; the order is then reserved like a new one."""
    with uow:
        order = uow.orders.get(number)
        now = uow.clock.now()
        order.release_credit_hold()
        uow.events.record(_event(order, "order.credit_released", now, actor))
        region = uow.master.ship_to_by_id(order.ship_to_id).region
        reserve_stock(uow, order, region, actor, now)
        promise_order_lines(uow, order, region, now)
        uow.orders.save(order)
        record_entry_shortfalls(uow, order, now)
        uow.commit()
        return summarise(order)


def _simple_step(uow: UnitOfWork, number: str, actor: str, step: str) -> OrderSummary:
    with uow:
        order = uow.orders.get(number)
        _step(uow, order, step, uow.clock.now(), actor)
        uow.commit()
        return summarise(order)


def _step(uow: UnitOfWork, order: Order, step: str, now: datetime, actor: str) -> None:
    {"release": order.release, "pick": order.pick, "pack": order.pack}[step](now)
    uow.orders.save(order)
    uow.events.record(_event(order, f"order.{order.status}", now, actor))


# Where each status stands on the way to shipped, and the step that moves it on from there.
_ADVANCE_RANK = {"open": 0, "partially_shipped": 0, "released": 1, "picked": 2, "packed": 3, "shipped": 4}
_ADVANCE_STEP = {"open": "release", "partially_shipped": "release", "released": "pick", "picked": "pack"}
ADVANCE_STAGES = ("released", "picked", "packed", "shipped")


@retrying()
def advance_order(
    uow: UnitOfWork, number: str, to: str, ship: ShipRequest | None = None, actor: str = "system"
) -> OrderSummary:
    """Move an order on to ``to`` (one of :data:`ADVANCE_STAGES`) through every step in between —
    release, pick, pack, ship (``ship`` says how) — in one transaction: if a step is refused, none of
    them happened. Shipping a partial quantity stops at ``partially_shipped``."""
    if to not in ADVANCE_STAGES:
        raise ValidationFailed(
            f"cannot advance an order to {to}: use one of {', '.join(ADVANCE_STAGES)}", field="to"
        )
    with uow:
        order = uow.orders.get(number)
        now = uow.clock.now()
        shipped_now = False
        while order.status != to and not (shipped_now and order.status is OrderStatus.PARTIALLY_SHIPPED):
            rank = _ADVANCE_RANK.get(str(order.status))
            if rank is None or rank >= _ADVANCE_RANK[to]:
                raise ValidationFailed(
                    f"order {number} is {order.status}: cannot advance it to {to}", field="to"
                )
            if order.status is OrderStatus.PACKED:
                if ship is None:
                    raise ValidationFailed("shipping needs a carrier and a tracking number", field="carrier")
                _ship(uow, order, ship, now, actor)
                shipped_now = True
            else:
                _step(uow, order, _ADVANCE_STEP[str(order.status)], now, actor)
        uow.commit()
        return summarise(order)


@retrying()
def release_order(uow: UnitOfWork, number: str, actor: str = "system") -> OrderSummary:
    """Send the reserved quantities to the warehouse (a pick list)."""
    return _simple_step(uow, number, actor, "release")


@retrying()
def pick_order(uow: UnitOfWork, number: str, actor: str = "system") -> OrderSummary:
    return _simple_step(uow, number, actor, "pick")


@retrying()
def pack_order(uow: UnitOfWork, number: str, actor: str = "system") -> OrderSummary:
    return _simple_step(uow, number, actor, "pack")


class ShipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    carrier: Annotated[str, Field(min_length=1, max_length=40)]
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]
    quantities: dict[int, Annotated[StrictInt, Field(ge=0)]] | None = None
    freight_cost: Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=14)] = Decimal("0.00")


@retrying()
def ship_order(uow: UnitOfWork, number: str, request: ShipRequest, actor: str = "system") -> OrderSummary:
    """Ship packed goods with a carrier and tracking number, and invoice what shipped."""
    with uow:
        order = uow.orders.get(number)
        _ship(uow, order, request, uow.clock.now(), actor)
        uow.commit()
        return summarise(order)


def _ship(uow: UnitOfWork, order: Order, request: ShipRequest, now: datetime, actor: str) -> None:
    carrier_id = uow.master.carrier_id(request.carrier)
    before = {ln.line_no: ln.qty_shipped for ln in order.lines}
    shipped = order.ship(request.quantities, now)
    stock_ids = {ln.line_no: _stock_of(uow, order, ln.line_no) for ln in order.lines if ln.line_no in shipped}
    uow.stock.lock_ids(stock_ids.values())
    for line_no in sorted(shipped, key=lambda n: stock_ids[n]):
        uow.stock.issue(stock_ids[line_no], shipped[line_no])
    line_ids = {ln.line_no: ln.id for ln in order.lines}
    weight = _shipment_weight(uow, order, shipped)  # freight comes from the request
    shipment_number = uow.next_number(DocumentKind.SHIPMENT)
    shipment_id = uow.billing.add_shipment(
        shipment_number,
        _id(order),
        carrier_id,
        request.tracking_number,
        now,
        request.freight_cost,
        weight,
        {line_ids[n]: q for n, q in shipped.items()},  # type: ignore[misc]
    )
    invoice_number = _invoice_shipment(uow, order, shipment_id, shipped, before, now)
    uow.orders.save(order)
    uow.events.record(
        _event(
            order,
            f"order.{order.status}",
            now,
            actor,
            shipment=shipment_number,
            lines={str(n): q for n, q in shipped.items()},
        )
    )
    uow.events.record(
        Event(
            "shipment",
            shipment_number,
            "shipment.shipped",
            now,
            actor,
            {
                "order": order.number,
                "carrier": request.carrier,
                "tracking_number": request.tracking_number,
            },
        )
    )
    uow.events.record(
        Event(
            "invoice",
            invoice_number,
            "invoice.issued",
            now,
            actor,
            {"order": order.number, "shipment": shipment_number},
        )
    )


def _id(order: Order) -> int:
    assert order.id is not None
    return order.id


def _shipment_weight(uow: UnitOfWork, order: Order, shipped: dict[int, int]) -> int:
    """Grams shipped: quantity times the product's unit weight, the products read in one query."""
    lines = [order.line(n) for n in shipped]
    grams = {p.id: p.weight_g for p in uow.master.products_by_sku(ln.sku for ln in lines).values()}
    return sum(grams[ln.product_id] * shipped[ln.line_no] for ln in lines)


def _stock_of(uow: UnitOfWork, order: Order, line_no: int) -> int:
    line = order.line(line_no)
    stock_id = uow.stock.stock_id_for(line.product_id, line.location_id) if line.location_id else None
    if stock_id is None:
        raise AssertionError(f"line {line_no} of order {order.number} is reserved at no stock location")
    return stock_id


def _invoice_shipment(
    uow: UnitOfWork,
    order: Order,
    shipment_id: int,
    shipped: dict[int, int],
    before: dict[int, int],
    now: datetime,
) -> str:
    """Invoice on shipment. Amounts are the line's cumulative share, so shipments add up to the line."""
    drafts = []
    for line_no, qty in sorted(shipped.items()):
        line = order.line(line_no)

        def share(amount: Decimal, upto: int, ordered: int = line.qty_ordered) -> Decimal:
            return round_money(amount * upto / ordered)

        after = before[line_no] + qty
        assert line.id is not None
        drafts.append(
            InvoiceLineDraft(
                line.id,
                qty,
                line.unit_price,
                share(line.net_amount, after) - share(line.net_amount, before[line_no]),
                share(line.tax_amount, after) - share(line.tax_amount, before[line_no]),
            )
        )
    customer = uow.master.customer(order.customer_code)
    number = uow.next_number(DocumentKind.INVOICE)
    due = now.date() + timedelta(days=customer.payment_terms_days)
    uow.billing.add_invoice(number, _id(order), shipment_id, order.customer_id, now, due, drafts)
    order.invoiced_at = order.invoiced_at or now
    return number


class DeliveryException(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    line_no: StrictInt
    short: Annotated[StrictInt, Field(ge=0)] = 0
    damaged: Annotated[StrictInt, Field(ge=0)] = 0
    wrong_item: Annotated[StrictInt, Field(ge=0)] = 0  # arrived, but not the product ordered


class DeliverRequest(BaseModel):
    """Proof of delivery for one shipment, with short, damaged or wrong-item quantities per order line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    received_by: Annotated[str, Field(min_length=1, max_length=200)] = "consignee"
    exceptions: list[DeliveryException] = Field(default_factory=list)


@retrying()
def deliver_shipment(
    uow: UnitOfWork, shipment_number: str, request: DeliverRequest, actor: str = "system"
) -> OrderSummary:
    with uow:
        shipment = uow.billing.shipment(shipment_number)
        if shipment.status != "shipped":
            raise IllegalTransition(
                f"shipment {shipment_number} is already {shipment.status}", shipment_number=shipment_number
            )
        order = uow.orders.get_by_id(shipment.order_id)
        now = uow.clock.now()
        by_line_no = {ln.line_no: ln for ln in order.lines}
        exceptions: dict[int, tuple[int, int, int]] = {}
        for exc in request.exceptions:
            line = by_line_no.get(exc.line_no)
            shipped = shipment.lines.get(line.id or 0, 0) if line else 0
            if line is None or shipped == 0:
                raise ValidationFailed(
                    f"shipment {shipment_number} carries no line {exc.line_no}", field="exceptions.line_no"
                )
            if exc.short + exc.damaged + exc.wrong_item > shipped:
                raise ValidationFailed(
                    f"line {exc.line_no}: short {exc.short} + damaged {exc.damaged}"
                    f" + wrong item {exc.wrong_item} exceed the {shipped} shipped",
                    field="exceptions",
                )
            exceptions[line.id or 0] = (exc.short, exc.damaged, exc.wrong_item)
        delivered = {
            ln.line_no: (
                shipment.lines[ln.id] - exceptions.get(ln.id, (0, 0, 0))[0],
                exceptions.get(ln.id, (0, 0, 0))[1],
            )
            for ln in order.lines
            if ln.id in shipment.lines
        }
        wrong_items = {ln.line_no: exceptions[ln.id][2] for ln in order.lines if ln.id in exceptions}
        uow.billing.record_delivery(shipment.id, now, request.received_by, exceptions)
        order.record_delivery(delivered, uow.billing.undelivered_shipments(_id(order)) == 0, now, wrong_items)
        settle_order(uow, order, now, actor)
        uow.orders.save(order)
        uow.events.record(
            Event(
                "shipment",
                shipment_number,
                "shipment.delivered",
                now,
                actor,
                {
                    "received_by": request.received_by,
                    "exceptions": [e.model_dump() for e in request.exceptions],
                },
            )
        )
        uow.events.record(_event(order, "order.delivery_recorded", now, actor, shipment=shipment_number))
        uow.commit()
        return summarise(order)


@retrying()
def cancel_order(uow: UnitOfWork, number: str, actor: str = "system") -> OrderSummary:
    """Cancel what has not shipped; the stock it reserved goes to backorders waiting for it, or
    becomes available again. Backordered units cancelled are recorded as lost sales."""
    with uow:
        order = uow.orders.get(number)
        now = uow.clock.now()
        stock_ids = {ln.line_no: _stock_of(uow, order, ln.line_no) for ln in order.lines if ln.qty_allocated}
        uow.stock.lock_ids(stock_ids.values())
        record_cancelled_backorders(uow, order, now)  # rolled back with the rest if cancel refuses
        released = order.cancel(now)
        for line_no in sorted(released, key=lambda n: stock_ids[n]):
            uow.stock.unreserve(stock_ids[line_no], released[line_no])
        if order.status is OrderStatus.SHIPPED:
            order.complete_delivery_if_shipped(uow.billing.undelivered_shipments(_id(order)) == 0, now)
            settle_order(uow, order, now, actor)
        uow.orders.save(order)
        uow.events.record(
            _event(order, "order.cancelled", now, actor, released={str(n): q for n, q in released.items()})
        )
        freed = {(order.line(n).product_id, order.line(n).location_id) for n in released}
        allocate_arrivals(uow, ((p, at) for p, at in freed if at is not None), actor)
        uow.commit()
        return summarise(order)
