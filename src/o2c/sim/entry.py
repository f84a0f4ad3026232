"""Order entry as customers and customer service do it: delivery-date inquiries, quotes, orders,
credit reviews and cancellations, each through the service layer at the instant it happens."""

from __future__ import annotations

from datetime import timedelta

from o2c.domain.errors import IllegalTransition
from o2c.services.fulfilment import cancel_order, release_credit_hold
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.promising import PromiseRequest, promise
from o2c.services.quoting import QuoteRequest, convert_quote, create_quote
from o2c.services.results import OrderSummary
from o2c.sim import aftersale
from o2c.sim.agenda import instant, next_workday
from o2c.sim.demand import OrderIntent
from o2c.sim.runtime import ACTOR_CUSTOMER, ACTOR_FINANCE, ACTOR_SERVICE, OrderTrack, Run

CREDIT_RELEASE_RATE = 0.8  # credit holds a finance user releases; the rest are cancelled


def receive(run: Run, intent: OrderIntent) -> None:
    """The customer's order arrives (``run.now()`` is ``intent.at``)."""
    lines = [OrderLineRequest(sku=sku, quantity=qty) for sku, qty in intent.lines]
    customer = intent.customer
    if run.chance(run.config.promise_inquiry_share):
        sku, qty = intent.lines[0]
        inquiry = PromiseRequest(
            sku=sku, quantity=qty, customer=customer.code, requested_date=intent.requested_date
        )
        promise(run.uow(), inquiry)
        run.tally["promise inquiries"] += 1
    if customer.channel == "sales_rep" and run.chance(run.config.quote_share):
        quote = create_quote(run.uow(), QuoteRequest(customer=customer.code, lines=lines), actor="sales-rep")
        run.tally["quotes"] += 1
        if run.chance(run.config.quote_loss_rate):
            run.tally["quotes lost"] += 1
            return
        decided = run.now() + timedelta(hours=run.rng.uniform(2, 96))
        run.agenda.at(decided, lambda: _convert(run, intent, quote.number))
        return
    key = f"{customer.code}-{intent.at:%Y%m%d%H%M%S}" if customer.channel == "edi" else None
    request = PlaceOrderRequest(
        customer=customer.code,
        lines=lines,
        requested_date=intent.requested_date,
        customer_sent_at=intent.sent_at,
        idempotency_key=key,
    )
    _entered(run, intent, place_order(run.uow(), request, actor=ACTOR_CUSTOMER))


def _convert(run: Run, intent: OrderIntent, quote: str) -> None:
    summary = convert_quote(run.uow(), quote, requested_date=intent.requested_date, actor="sales-rep")
    _entered(run, intent, summary)


def _entered(run: Run, intent: OrderIntent, summary: OrderSummary) -> None:
    track = OrderTrack(summary.number, intent.customer, run.now(), skus=tuple(s for s, _ in intent.lines))
    run.orders[track.number] = track
    run.tally["orders"] += 1
    run.tally["order lines"] += len(summary.lines)
    if summary.status == "credit_hold":
        run.tally["credit holds"] += 1
        day = next_workday(run.now().date() + timedelta(days=1))
        run.agenda.at(instant(day, run.rng.uniform(9, 12)), lambda: _review_credit(run, track))
        return
    if not any(ln.allocated or ln.backordered for ln in summary.lines):
        # Nothing could be reserved and the customer takes no backorders: nothing will ever ship.
        cancel(run, track, "nothing to ship")
        return
    run.route(track, summary)
    if run.chance(run.config.cancel_rate):
        later = run.now() + timedelta(hours=run.rng.uniform(0.3, 8))
        run.agenda.at(later, lambda: cancel(run, track, "customer changed their mind", ACTOR_CUSTOMER))


def _review_credit(run: Run, track: OrderTrack) -> None:
    if run.chance(CREDIT_RELEASE_RATE):
        run.route(track, release_credit_hold(run.uow(), track.number, ACTOR_FINANCE))
        run.tally["credit releases"] += 1
    else:
        cancel(run, track, "credit refused")


def cancel(run: Run, track: OrderTrack, why: str, actor: str = ACTOR_SERVICE) -> None:
    """Cancel what has not shipped; too late once it has all shipped, which a customer can be."""
    if track.closed:
        return
    try:
        summary = cancel_order(run.uow(), track.number, actor)
    except IllegalTransition:
        run.tally["cancellations too late"] += 1
        return
    run.tally[f"cancelled: {why}"] += 1
    run.route(track, summary)
    track.closed = True


def lose_patience(run: Run) -> None:
    """Customers cancel the backorders they have waited on longer than their patience."""
    now = run.now()
    for number in list(run.waiting):
        track = run.orders[number]
        if track.patient or track.waiting_since is None:
            continue
        if (now - track.waiting_since).days < track.customer.patience_days:
            continue
        if run.chance(run.config.backorder_cancel_rate):
            cancel(run, track, "backorder waited too long", ACTOR_CUSTOMER)
        else:
            track.patient = True
            aftersale.expedite(run, track)
