"""``o2c demo``: load the sample data and walk a handful of orders through the whole cycle.

Each scenario shows one rule of the cycle at work (backorder policies, credit hold, cancellation,
delivery exceptions, partial payment). Time is a :class:`ManualClock`, so the stage timestamps are
those of a plausible week rather than of the second the demo ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition
from o2c.services.billing import PaymentRequest, receivables_aging, record_payment
from o2c.services.cases import open_case, resolve_case, respond_to_case
from o2c.services.fulfilment import (
    DeliverRequest,
    DeliveryException,
    ShipRequest,
    cancel_order,
    deliver_shipment,
    pack_order,
    pick_order,
    release_credit_hold,
    release_order,
    ship_order,
)
from o2c.services.importing import load_sample_data
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.services.results import OrderSummary
from o2c.services.returns import authorise_return, credit_return, receive_return
from o2c.store.master_tables import carriers, customers, products, stock
from o2c.store.tables import invoices, orders, shipments
from o2c.store.uow import UnitOfWork

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Cast:
    """The customers and products the demo uses, picked from whatever sample data is loaded."""

    allow_partial: str
    ship_complete: str
    cancel_remainder: str
    low_credit: str
    plenty: list[str]
    scarce: str
    scarce_available: int
    carrier: str


@dataclass
class Scene:
    clock: ManualClock
    engine: Engine
    carrier: str
    notes: dict[str, str]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock)

    def later(self, hours: float) -> None:
        self.clock.advance(timedelta(hours=hours))

    def place(self, customer: str, lines: list[tuple[str, int]], note: str) -> OrderSummary:
        request = PlaceOrderRequest(
            customer=customer,
            lines=[OrderLineRequest(sku=sku, quantity=qty) for sku, qty in lines],
            customer_sent_at=self.clock.now() - timedelta(minutes=20),
        )
        order = place_order(self.uow(), request, actor="demo")
        self.notes[order.number] = note
        return order

    def fulfil(self, number: str) -> OrderSummary:
        for step in (release_order, pick_order, pack_order):
            self.later(2)
            step(self.uow(), number, "warehouse")
        self.later(3)
        request = ShipRequest(
            carrier=self.carrier, tracking_number=f"TRK-{number}", freight_cost=Decimal("18.50")
        )
        return ship_order(self.uow(), number, request, "warehouse")

    def shipment_of(self, number: str) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.execute(
                    select(shipments.c.number)
                    .join(orders, orders.c.id == shipments.c.order_id)
                    .where(orders.c.number == number)
                    .order_by(shipments.c.id.desc())
                ).first()[0]  # type: ignore[index]
            )

    def invoice_of(self, number: str) -> tuple[str, Decimal]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(invoices.c.number, invoices.c.subtotal, invoices.c.tax_total)
                .join(orders, orders.c.id == invoices.c.order_id)
                .where(orders.c.number == number)
            ).one()
            return row.number, row.subtotal + row.tax_total


def run_walkthrough(engine: Engine, out: Console) -> list[str]:
    """Walk sample orders through the cycle; returns the commands worth running next."""
    clock = ManualClock(START)
    reports = load_sample_data(UnitOfWork(engine, clock))
    out.print("[bold]Sample data loaded:[/bold] " + ", ".join(f"{r.created} {r.kind}" for r in reports))
    cast = _cast(engine)
    scene = Scene(clock, engine, cast.carrier, {})
    plenty, scarce, scarce_qty = cast.plenty, cast.scarce, cast.scarce_available

    happy = scene.place(cast.allow_partial, [(plenty[0], 4), (plenty[1], 2)], "delivered, paid: closed")
    scene.fulfil(happy.number)
    scene.later(30)
    deliver_shipment(
        scene.uow(), scene.shipment_of(happy.number), DeliverRequest(received_by="R. Ortiz"), "carrier"
    )
    scene.later(24 * 12)
    invoice, amount = scene.invoice_of(happy.number)
    record_payment(scene.uow(), PaymentRequest(invoice=invoice, amount=amount, reference="WIRE-1"), "finance")

    short = scene.place(cast.allow_partial, [(scarce, scarce_qty // 2 + 3)], "partial ship, rest backordered")
    scene.fulfil(short.number)

    complete = scene.place(cast.ship_complete, [(scarce, scarce_qty), (plenty[2], 1)], "")
    try:
        release_order(scene.uow(), complete.number, "warehouse")
        scene.notes[complete.number] = "released"
    except IllegalTransition:  # the ship-complete rule: not releasable while a line is backordered
        scene.notes[complete.number] = "ships complete: held"

    cut = scene.place(cast.cancel_remainder, [(plenty[0], 3), (scarce, 5)], "shortfall cut: a lost sale")
    scene.fulfil(cut.number)

    held = scene.place(cast.low_credit, [(plenty[1], 40)], "")
    scene.notes[held.number] = f"{held.status}"
    if held.status == "credit_hold":
        scene.later(4)
        released = release_credit_hold(scene.uow(), held.number, "finance")
        scene.notes[held.number] = f"credit hold released: {released.status}"

    dropped = scene.place(cast.allow_partial, [(plenty[2], 6)], "customer cancelled")
    scene.later(1)
    cancel_order(scene.uow(), dropped.number, "customer-service")

    bumpy = scene.place(cast.ship_complete, [(plenty[3], 10)], "1 damaged, half paid")
    scene.fulfil(bumpy.number)
    scene.later(48)
    deliver_shipment(
        scene.uow(),
        scene.shipment_of(bumpy.number),
        DeliverRequest(received_by="dock 4", exceptions=[DeliveryException(line_no=1, damaged=1)]),
        "carrier",
    )
    _return_and_case(scene, bumpy.number, cast.ship_complete)
    invoice, amount = scene.invoice_of(bumpy.number)
    scene.later(24 * 50)
    record_payment(
        scene.uow(), PaymentRequest(invoice=invoice, amount=(amount / 2).quantize(Decimal("0.01"))), "finance"
    )

    _print_orders(scene, out)
    _print_aging(scene, out)
    return [
        f"order show {bumpy.number}",
        f"order events {happy.number}",
        "report carriers --period all",
        "receivables aging",
    ]


def _return_and_case(scene: Scene, number: str, customer: str) -> None:
    """After sale: the damaged unit comes back (scrapped) and is credited; the complaint is resolved."""
    rma = authorise_return(scene.uow(), number, {1: 1}, "damaged", "customer-service")
    case = open_case(
        scene.uow(), customer, "quality", "one unit arrived damaged", number, "high", "customer-service"
    )
    scene.later(3)
    respond_to_case(scene.uow(), case.number, "customer-service")
    scene.later(72)
    receive_return(scene.uow(), rma.number, "scrap", actor="warehouse")
    memo = credit_return(scene.uow(), rma.number, "finance")
    resolve_case(scene.uow(), case.number, f"credited {memo.total} ({memo.number})", "customer-service")
    scene.notes[number] = f"1 damaged: {rma.number} credited ({memo.number}), {case.number}; half paid"


def _cast(engine: Engine) -> Cast:
    with engine.connect() as conn:
        by_policy = {
            policy: conn.execute(
                select(customers.c.code)
                .where(customers.c.backorder_policy == policy, customers.c.credit_limit.is_(None))
                .order_by(customers.c.id)
            )
            .scalars()
            .first()
            for policy in ("allow_partial", "ship_complete", "cancel_remainder")
        }
        low_credit = (
            conn.execute(
                select(customers.c.code)
                .where(customers.c.credit_limit.is_not(None))
                .order_by(customers.c.credit_limit)
            )
            .scalars()
            .first()
        )
        available = (
            select(products.c.sku, func.sum(stock.c.on_hand - stock.c.allocated).label("available"))
            .join(stock, stock.c.product_id == products.c.id)
            .where(products.c.active.is_(True))
            .group_by(products.c.sku)
        ).subquery()
        ranked = conn.execute(select(available).order_by(available.c.available.desc(), available.c.sku)).all()
        scarce = min((r for r in ranked if r.available > 0), key=lambda r: (r.available, r.sku))
        carrier = conn.execute(select(carriers.c.code).order_by(carriers.c.id)).scalars().first()
    missing = [policy for policy, code in by_policy.items() if code is None]
    if missing or carrier is None or len(ranked) < 4:
        raise ValueError(
            f"sample data lacks what the demo needs (customers for {missing}, a carrier, 4 products)"
        )
    return Cast(
        allow_partial=str(by_policy["allow_partial"]),
        ship_complete=str(by_policy["ship_complete"]),
        cancel_remainder=str(by_policy["cancel_remainder"]),
        low_credit=str(low_credit or by_policy["allow_partial"]),
        plenty=[r.sku for r in ranked[:4]],
        scarce=scarce.sku,
        scarce_available=int(scarce.available),
        carrier=str(carrier),
    )


def _print_orders(scene: Scene, out: Console) -> None:
    table = Table(
        "order",
        "customer",
        "status",
        "ordered",
        "at entry",
        "backordered",
        "lost",
        "shipped",
        "what happened",
        title="Orders of the demo week",
    )
    for number, note in scene.notes.items():
        order = get_order(scene.uow(), number)
        table.add_row(
            number,
            order.customer,
            order.status,
            str(sum(ln.ordered for ln in order.lines)),
            str(sum(ln.allocated_at_entry for ln in order.lines)),
            str(sum(ln.backordered for ln in order.lines)),
            str(sum(ln.lost for ln in order.lines)),
            str(sum(ln.shipped for ln in order.lines)),
            note,
        )
    out.print(table)


def _print_aging(scene: Scene, out: Console) -> None:
    table = Table(
        "customer",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "over 90",
        "total",
        title=f"Receivables aging on {scene.clock.now():%Y-%m-%d}",
    )
    for row in receivables_aging(scene.uow()):
        table.add_row(row.customer_code, *(str(v) for v in row.buckets.values()), str(row.total))
    out.print(table)
