"""The supply side: the planner's morning review, suppliers delivering, transfers between DCs.

- 06:00 on workdays the planner reads every SKU-location's inventory position and orders from the
  suppliers whose weekday it is, per DC, what brings positions at or below the reorder point back
  up to ROP + Q
  (:mod:`o2c.sim.policy`); each PO line is promised at the supplier's nominal lead time.
- The supplier's real behaviour is drawn when the PO is placed: late (``late_rate``) by 1 to
  lead/2 days, short (``short_rate``) by 10-50 %, with units rejected at inspection
  (``reject_rate``, ``reject_fraction`` of a line). Two days before the goods arrive, 70 % of
  suppliers send an ASN with the real date and quantity; goods are received between 07:00 and
  11:00; a PO shipped short is then closed.
- Rebalancing: a DC whose position is negative (it owes backorders) gets up to
  ``transfers_per_day`` transfers from the DC with most available above its reorder point.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from o2c.domain.errors import ValidationFailed
from o2c.services.purchasing import (
    PurchaseOrderLineRequest,
    PurchaseOrderRequest,
    PurchaseOrderSummary,
    ShipmentNoticeLine,
    ShipmentNoticeRequest,
    close_purchase_order,
    create_purchase_order,
    notify_shipment,
)
from o2c.services.receiving import ReceiptLineRequest, ReceiptSummary, ReceiveRequest, receive_purchase_order
from o2c.services.transfers import (
    ReceiveTransferRequest,
    ShipTransferRequest,
    TransferLineRequest,
    TransferRequest,
    cancel_transfer,
    create_transfer,
    receive_transfer,
    ship_transfer,
)
from o2c.sim.agenda import instant, next_workday
from o2c.sim.observe import Position, inventory_positions
from o2c.sim.runtime import ACTOR_PLANNER, ACTOR_WAREHOUSE, Run
from o2c.sim.world import LOCATIONS, SimSupplier, transit_days

ASN_SHARE = 0.7
REGION_OF = dict(LOCATIONS)


def review(run: Run, day: date) -> None:
    """The planner's morning: rebalance between DCs, then reorder from suppliers."""
    positions = inventory_positions(run.engine)
    _rebalance(run, day, positions)
    wanted: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    skus = run.world.sku_by_code
    for (sku, location), position in sorted(positions.items()):
        quantity = run.policy.order_quantity(sku, location, position.inventory_position)
        if quantity > 0:
            wanted[(skus[sku].supplier, location)].append((sku, quantity))
    suppliers = run.world.supplier_by_code
    for (supplier, location), lines in sorted(wanted.items()):
        if order_day(supplier) == day.weekday():
            _order(run, day, suppliers[supplier], location, lines)


def order_day(supplier: str) -> int:
    """The weekday (0 = Monday) a supplier is ordered from: SUP-01 on Mondays, SUP-02 Tuesdays..."""
    return (int(supplier.rsplit("-", 1)[1]) - 1) % 5


def _order(run: Run, day: date, supplier: SimSupplier, location: str, lines: list[tuple[str, int]]) -> None:
    skus = run.world.sku_by_code
    promised = day + timedelta(days=supplier.lead_days)
    request = PurchaseOrderRequest(
        supplier=supplier.code,
        location=location,
        lines=[
            PurchaseOrderLineRequest(sku=sku, quantity=q, unit_cost=skus[sku].cost, promised_date=promised)
            for sku, q in lines
        ],
    )
    po = create_purchase_order(run.uow(), request, ACTOR_PLANNER)
    run.tally["purchase orders"] += 1
    rng = run.rng
    late = rng.randint(1, max(1, supplier.lead_days // 2)) if run.chance(supplier.late_rate) else 0
    arrival = next_workday(promised + timedelta(days=late))
    short = run.chance(supplier.short_rate)
    shipped = {
        ln.line_no: max(1, round(ln.ordered * rng.uniform(0.5, 0.9))) if short else ln.ordered
        for ln in po.lines
    }
    if run.chance(ASN_SHARE):
        notice_day = max(arrival - timedelta(days=2), day + timedelta(days=1))
        run.agenda.at(instant(notice_day, 8), lambda: _notify(run, po, arrival, shipped))
    rejects = run.chance(supplier.reject_rate)
    run.agenda.at(
        instant(arrival, rng.uniform(7, 11)), lambda: _receive(run, po, shipped, short, rejects, supplier)
    )


def _notify(run: Run, po: PurchaseOrderSummary, arrival: date, shipped: dict[int, int]) -> None:
    if arrival <= run.now().date():
        return
    lines = [ShipmentNoticeLine(line_no=n, quantity=q) for n, q in sorted(shipped.items())]
    request = ShipmentNoticeRequest(expected_date=arrival, reference=f"ASN-{po.number}", lines=lines)
    notify_shipment(run.uow(), po.number, request, po.supplier)
    run.tally["shipping notices"] += 1


def _receive(
    run: Run,
    po: PurchaseOrderSummary,
    shipped: dict[int, int],
    short: bool,
    rejects: bool,
    supplier: SimSupplier,
) -> None:
    lines = []
    for line_no, quantity in sorted(shipped.items()):
        rejected = 0
        if rejects and run.chance(0.5):
            rejected = min(quantity, max(1, round(quantity * supplier.reject_fraction)))
        reason = "failed inspection" if rejected else ""
        lines.append(ReceiptLineRequest(line_no=line_no, received=quantity, rejected=rejected, reason=reason))
    receipt = receive_purchase_order(run.uow(), po.number, ReceiveRequest(lines=lines), ACTOR_WAREHOUSE)
    run.tally["receipts"] += 1
    _arrived(run, receipt)
    if short and receipt.source_status == "open":
        close_purchase_order(run.uow(), po.number, ACTOR_PLANNER)


def _arrived(run: Run, receipt: ReceiptSummary) -> None:
    """Orders whose backorders the arrival filled go to the next release wave."""
    for number in receipt.allocated_orders:
        track = run.orders.get(number)
        if track is not None and not track.closed:
            run.waiting.pop(number, None)
            track.waiting_since = None
            run.release_queue[number] = None


def _rebalance(run: Run, day: date, positions: dict[tuple[str, str], Position]) -> None:
    short = sorted(
        ((p.inventory_position, sku, loc) for (sku, loc), p in positions.items() if p.inventory_position < 0)
    )
    for _, sku, to in short[: run.config.transfers_per_day]:
        need = -positions[(sku, to)].inventory_position
        best = max(
            (
                (positions[(sku, loc)].available - run.policy.targets[(sku, loc)].reorder_point, loc)
                for loc, _ in LOCATIONS
                if loc != to and (sku, loc) in positions
            ),
            default=(0, ""),
        )
        quantity = min(need, best[0])
        if quantity > 0:
            _transfer(run, day, sku, best[1], to, quantity)
            positions[(sku, best[1])].on_hand -= quantity
            positions[(sku, to)].in_transit += quantity


def _transfer(run: Run, day: date, sku: str, source: str, to: str, quantity: int) -> None:
    request = TransferRequest(
        from_location=source, to_location=to, lines=[TransferLineRequest(sku=sku, quantity=quantity)]
    )
    transfer = create_transfer(run.uow(), request, ACTOR_PLANNER)
    expected = next_workday(day + timedelta(days=transit_days(REGION_OF[source], REGION_OF[to])))
    try:
        ship_transfer(
            run.uow(), transfer.number, ShipTransferRequest(expected_date=expected), ACTOR_WAREHOUSE
        )
    except ValidationFailed:  # reserved since the morning read: the planner calls it off
        cancel_transfer(run.uow(), transfer.number, ACTOR_PLANNER)
        return
    run.tally["transfers"] += 1
    run.agenda.at(instant(expected, run.rng.uniform(8, 12)), lambda: _receive_transfer(run, transfer.number))


def _receive_transfer(run: Run, number: str) -> None:
    _arrived(run, receive_transfer(run.uow(), number, ReceiveTransferRequest(), ACTOR_WAREHOUSE))
