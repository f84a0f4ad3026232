"""Customers paying their invoices: on the due date plus the customer's habit.

Each customer has a mean lateness (``late_payer_share`` of them 5-40 days late, the rest between 5
days early and 3 late); an invoice is paid that many days after its due date, +/- 3 days, never
before the day after it was issued. The cash clerk reads the open amounts of the day's invoices at
10:00 and records each payment between 10:00 and 11:00. ``partial_payment_rate`` of invoices are
paid in two instalments, the second 10-30 days after the first.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from o2c.services.billing import PaymentRequest, record_payment
from o2c.sim.agenda import instant, next_workday
from o2c.sim.observe import open_amounts
from o2c.sim.runtime import ACTOR_FINANCE, Run

CASH_HOUR = 10.0
CENT = Decimal("0.01")


def plan_payment(run: Run, customer_code: str, invoice: str, due: date) -> None:
    late = run.customer(customer_code).late_days + run.rng.uniform(-3, 3)
    day = max(due + timedelta(days=round(late)), run.now().date() + timedelta(days=1))
    share = 0.5 if run.chance(run.config.partial_payment_rate) else 1.0
    _plan(run, next_workday(day), invoice, share)


def _plan(run: Run, day: date, invoice: str, share: float) -> None:
    worklist = run.payments_due.setdefault(day, [])
    if not worklist:
        run.agenda.at(instant(day, CASH_HOUR), lambda: collect(run, day))
    worklist.append((invoice, share))


def collect(run: Run, day: date) -> None:
    """Record the day's payments: one read of what is open, then one payment per invoice."""
    worklist = run.payments_due.pop(day, [])
    amounts = open_amounts(run.engine, [invoice for invoice, _ in worklist])
    for invoice, share in sorted(worklist):
        amount = amounts.pop(invoice, Decimal(0))
        paying = amount if share >= 1 else (amount / 2).quantize(CENT)
        if paying <= 0:
            continue
        run.agenda.at(
            instant(day, run.rng.uniform(CASH_HOUR, CASH_HOUR + 1)),
            partial(_pay, run, day, invoice, paying, share),
        )


def _pay(run: Run, day: date, invoice: str, amount: Decimal, share: float) -> None:
    request = PaymentRequest(
        invoice=invoice, amount=amount, reference=f"PAY-{invoice}-{run.tally['payments']}"
    )
    record_payment(run.uow(), request, ACTOR_FINANCE)
    run.tally["payments"] += 1
    if share < 1:
        _plan(run, next_workday(day + timedelta(days=run.rng.randint(10, 30))), invoice, 1.0)
