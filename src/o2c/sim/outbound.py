"""The warehouse and the carriers: release waves, pick, pack, ship, and deliveries with exceptions.

- Release waves at 10:00 and 14:00 on workdays take every order queued since the last wave.
- Picking takes 0.5-2.5 h after release, packing 0.2-1 h after picking; carriers collect at 17:00
  what was packed by 16:30 (else the next workday).
- Carrier: express for 30 % of strategic orders, otherwise a ground carrier drawn at random. Freight
  is the carrier's base rate plus its rate per kg of the SKUs' weight.
- Transit: the lane's days (express: 1) plus 1-3 days with the carrier's delay rate; deliveries on
  workdays between 09:00 and 17:00. Exceptions per shipment: damage (carrier's damage rate), short
  delivery and wrong-item picks (``short_delivery_rate``, ``wrong_pick_rate`` per line).
- Freight bills: 2-10 days after delivery the carrier bills the shipment; at
  ``freight_billing_error_rate`` it bills 3-15 % above the rated freight, and finance disputes half
  of those. 5-20 days later the carrier upholds seven disputes in ten (the bill corrected to the rated
  freight); the others are withdrawn.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from o2c.domain.errors import IllegalTransition
from o2c.domain.freight import DisputeOutcome
from o2c.services.freight_billing import record_freight_bill, settle_freight_dispute
from o2c.services.fulfilment import (
    DeliverRequest,
    DeliveryException,
    ShipRequest,
    deliver_shipment,
    pack_order,
    pick_order,
    release_order,
    ship_order,
)
from o2c.services.results import OrderSummary
from o2c.sim import aftersale, cash
from o2c.sim.agenda import instant, next_workday
from o2c.sim.observe import Dispatched, dispatched_between
from o2c.sim.runtime import ACTOR_CARRIER, ACTOR_FINANCE, ACTOR_WAREHOUSE, OrderTrack, Run
from o2c.sim.world import SimCarrier, transit_days

WAVES = (10.0, 14.0)
PICKUP = 17.0
LAST_PACK = 16.5
CENT = Decimal("0.01")


# The carriers' billing model, shared with the bulk generator (sim.bulk_freight).
DISPUTED_SHARE = 0.5  # of the bills in error, those finance disputes
UPHELD_SHARE = 0.7  # of the disputes, those the carrier upholds (correcting to the rated freight)
DISPUTE_REASON = "billed above the rated freight"


def release_wave(run: Run) -> None:
    queued, run.release_queue = list(run.release_queue), {}
    for number in queued:
        track = run.orders[number]
        try:
            release_order(run.uow(), number, ACTOR_WAREHOUSE)
        except IllegalTransition:  # ship-complete still short, or nothing reserved any more
            run.waiting[number] = None
            continue
        run.tally["releases"] += 1
        run.agenda.at(run.now() + timedelta(hours=run.rng.uniform(0.5, 2.5)), partial(_pick, run, track))


def _pick(run: Run, track: OrderTrack) -> None:
    if track.closed:
        return
    try:
        pick_order(run.uow(), track.number, ACTOR_WAREHOUSE)
    except IllegalTransition:  # cancelled meanwhile
        return
    run.agenda.at(run.now() + timedelta(hours=run.rng.uniform(0.2, 1.0)), lambda: _pack(run, track))


def _pack(run: Run, track: OrderTrack) -> None:
    if track.closed:
        return
    try:
        summary = pack_order(run.uow(), track.number, ACTOR_WAREHOUSE)
    except IllegalTransition:
        return
    now = run.now()
    day = now.date() if now.hour + now.minute / 60 <= LAST_PACK else now.date() + timedelta(days=1)
    pickup = instant(next_workday(day), PICKUP)
    run.agenda.at(pickup, lambda: _ship(run, track, summary))


def _carrier(run: Run, track: OrderTrack) -> SimCarrier:
    carriers = run.world.carriers
    express = [c for c in carriers if c.service == "express"]
    ground = [c for c in carriers if c.service != "express"] or carriers
    if express and track.customer.segment.name == "strategic" and run.chance(0.3):
        return run.rng.choice(express)
    return run.rng.choice(ground)


def _ship(run: Run, track: OrderTrack, packed: OrderSummary) -> None:
    if track.closed:
        return
    carrier = _carrier(run, track)
    skus = run.world.sku_by_code
    weight = sum((skus[ln.sku].weight_kg * ln.allocated for ln in packed.lines), Decimal(0))
    freight = (carrier.base_freight + carrier.per_kg * weight).quantize(CENT)
    run.tally["shipments"] += 1
    request = ShipRequest(
        carrier=carrier.code,
        tracking_number=f"{carrier.code}-{track.number}-{run.tally['shipments']}",
        freight_cost=freight,
    )
    try:
        summary = ship_order(run.uow(), track.number, request, ACTOR_WAREHOUSE)
    except IllegalTransition:  # cancelled meanwhile
        run.tally["shipments"] -= 1
        return
    run.route(track, summary)


def dispatch(run: Run, day: date) -> None:
    """End of the day: hand today's shipments to their carriers and their invoices to the customers."""
    carriers = {c.code: c for c in run.world.carriers}
    for shipped in dispatched_between(run.engine, instant(day, 0), instant(day, 24)):
        carrier = carriers[shipped.carrier]
        days = (
            1
            if carrier.service == "express"
            else transit_days(shipped.origin_region, shipped.destination_region)
        )
        if run.chance(carrier.delay_rate):
            days += run.rng.randint(1, 3)
        arrival = instant(next_workday(day + timedelta(days=days)), run.rng.uniform(9, 17))
        run.agenda.at(arrival, partial(_deliver, run, shipped, carrier))
        if shipped.invoice and shipped.due_date:
            cash.plan_payment(run, shipped.customer, shipped.invoice, shipped.due_date)
            aftersale.plan_billing_error(run, shipped.invoice, shipped.subtotal)


def _exceptions(run: Run, shipped: Dispatched, carrier: SimCarrier) -> list[DeliveryException]:
    found: dict[int, dict[str, int]] = {}
    rng = run.rng
    if run.chance(carrier.damage_rate):
        line_no, qty = rng.choice(shipped.lines)
        found.setdefault(line_no, {})["damaged"] = rng.randint(1, qty)
    if run.chance(run.config.short_delivery_rate):
        line_no, qty = rng.choice(shipped.lines)
        found.setdefault(line_no, {})["short"] = rng.randint(1, qty)
    for line_no, qty in shipped.lines:
        if run.chance(run.config.wrong_pick_rate):
            found.setdefault(line_no, {})["wrong_item"] = rng.randint(1, qty)
    quantities = dict(shipped.lines)
    exceptions = []
    for line_no, kinds in sorted(found.items()):
        # The exceptions of a line are distinct units of what shipped: trim the later ones to fit.
        room = quantities[line_no]
        fitted = {}
        for kind, qty in kinds.items():
            fitted[kind] = min(qty, room)
            room -= fitted[kind]
        exceptions.append(DeliveryException(line_no=line_no, **fitted))
    return exceptions


def _deliver(
    run: Run, shipped: Dispatched, carrier: SimCarrier, exceptions: list[DeliveryException] | None = None
) -> None:
    exceptions = _exceptions(run, shipped, carrier) if exceptions is None else exceptions
    request = DeliverRequest(received_by="dock", exceptions=exceptions)
    try:
        summary = deliver_shipment(run.uow(), shipped.shipment, request, ACTOR_CARRIER)
    except IllegalTransition:
        # The domain accepts proof of delivery only while the order is (partially) shipped, not
        # while its backorders are back in the warehouse: the carrier's POD is recorded later.
        run.tally["deliveries recorded late (order in the warehouse)"] += 1
        run.agenda.at(run.now() + timedelta(hours=4), partial(_deliver, run, shipped, carrier, exceptions))
        return
    run.tally["deliveries"] += 1
    run.tally["deliveries with exceptions"] += bool(exceptions)
    run.agenda.at(run.now() + timedelta(days=run.rng.uniform(2, 10)), partial(_bill_freight, run, shipped))
    if exceptions or summary.status in ("delivered", "closed"):
        aftersale.after_delivery(run, run.orders.get(shipped.order), summary, exceptions)


def _bill_freight(run: Run, shipped: Dispatched) -> None:
    """The carrier's freight bill: the rated freight, or at the error rate 3-15 % more."""
    amount, dispute = shipped.freight, None
    if run.chance(run.config.freight_billing_error_rate):
        over = Decimal(run.rng.randint(300, 1500)) / 10_000  # 3.00 % to 15.00 %
        amount = (shipped.freight * (1 + over)).quantize(CENT)
        run.tally["freight bills in error"] += 1
        if run.chance(DISPUTED_SHARE):
            dispute = DISPUTE_REASON
    record_freight_bill(run.uow(), shipped.shipment, amount, dispute_reason=dispute, actor=ACTOR_FINANCE)
    run.tally["freight bills"] += 1
    if dispute is not None:
        settle = partial(_settle_freight_dispute, run, shipped)
        run.agenda.at(run.now() + timedelta(days=run.rng.uniform(5, 20)), settle)


def _settle_freight_dispute(run: Run, shipped: Dispatched) -> None:
    """The carrier answers a dispute: seven in ten upheld at the rated freight, the rest withdrawn."""
    if run.chance(UPHELD_SHARE):
        outcome, corrected = DisputeOutcome.UPHELD, shipped.freight
    else:
        outcome, corrected = DisputeOutcome.WITHDRAWN, None
    settle_freight_dispute(
        run.uow(), shipped.shipment, outcome, corrected_amount=corrected, actor=ACTOR_FINANCE
    )
    run.tally[f"freight disputes {outcome.value}"] += 1
