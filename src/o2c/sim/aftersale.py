"""After the sale, through the after-sale services: returns, billing corrections, cases, NPS, expedites.

- **Returns**: every damaged or wrong-item unit delivered comes back (reason ``damaged`` /
  ``wrong_item``, scrapped or restocked), and ``return_rate`` of clean deliveries send back part of
  a line as ``not_wanted`` (restocked). Authorised 1-3 days after delivery, received 3-8 days later,
  credited the next working day.
- **Billing errors**: ``billing_error_rate`` of invoices get a credit memo of 2-10 % of their
  subtotal, at 09:00 two to ten days after the invoice (before that day's cash run).
- **Cases**: ``case_rate`` of deliveries (every one with an exception) open a service case,
  answered within 1-8 working hours and resolved 1-5 days later. 10 % of delivered orders answer
  an NPS survey: promoters mostly, detractors more often after an exception.
- **Expedites**: a strategic customer who decides to wait for a backorder gets the order expedited.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial

from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.services.cases import open_case, resolve_case, respond_to_case
from o2c.services.credits import issue_credit_memo
from o2c.services.expediting import expedite_order
from o2c.services.fulfilment import DeliveryException
from o2c.services.results import OrderSummary
from o2c.services.returns import authorise_return, credit_return, receive_return
from o2c.services.satisfaction import record_nps
from o2c.sim.agenda import instant, next_workday
from o2c.sim.runtime import ACTOR_CUSTOMER, ACTOR_FINANCE, ACTOR_SERVICE, ACTOR_WAREHOUSE, OrderTrack, Run

NPS_SHARE = 0.1
CENT = Decimal("0.01")


def after_delivery(
    run: Run, track: OrderTrack | None, summary: OrderSummary, exceptions: list[DeliveryException]
) -> None:
    """A delivery was recorded: schedule what the customer does about it."""
    if track is None:
        return
    claims = {e.line_no: (e.damaged, e.wrong_item) for e in exceptions if e.damaged or e.wrong_item}
    for line_no, (damaged, wrong) in sorted(claims.items()):
        for reason, qty in (("damaged", damaged), ("wrong_item", wrong)):
            if qty:
                _plan_return(run, track.number, line_no, qty, reason)
    if not claims and run.chance(run.config.return_rate):
        line = run.rng.choice(
            [ln for ln in summary.lines if ln.delivered > ln.damaged] or list(summary.lines)
        )
        if line.delivered > line.damaged:
            _plan_return(
                run,
                track.number,
                line.line_no,
                run.rng.randint(1, line.delivered - line.damaged),
                "not_wanted",
            )
    if exceptions or run.chance(run.config.case_rate):
        category = (
            "delivery" if exceptions else run.rng.choice(("complaint", "quality", "inquiry", "billing"))
        )
        at = instant(next_workday(run.now().date() + timedelta(days=1)), run.rng.uniform(8, 17))
        run.agenda.at(at, partial(_open_case, run, track, category))
    if run.chance(NPS_SHARE):
        at = instant(run.now().date() + timedelta(days=run.rng.randint(2, 7)), run.rng.uniform(8, 20))
        run.agenda.at(at, partial(_answer_survey, run, track, bool(exceptions)))


def _plan_return(run: Run, order: str, line_no: int, qty: int, reason: str) -> None:
    day = next_workday(run.now().date() + timedelta(days=run.rng.randint(1, 3)))
    run.agenda.at(instant(day, run.rng.uniform(9, 16)), partial(_authorise, run, order, line_no, qty, reason))


def _authorise(run: Run, order: str, line_no: int, qty: int, reason: str) -> None:
    try:
        authorised = authorise_return(run.uow(), order, {line_no: qty}, reason, ACTOR_SERVICE)
    except ValidationFailed:  # more than is still returnable (an earlier return claimed it): refused
        run.tally["returns refused"] += 1
        return
    run.tally["returns"] += 1
    day = next_workday(run.now().date() + timedelta(days=run.rng.randint(3, 8)))
    disposition = "scrap" if reason == "damaged" else "restock"
    run.agenda.at(
        instant(day, run.rng.uniform(8, 12)), partial(_receive, run, authorised.number, disposition)
    )


def _receive(run: Run, number: str, disposition: str) -> None:
    received = receive_return(run.uow(), number, disposition, actor=ACTOR_WAREHOUSE)
    for order in received.backorders_allocated:
        track = run.orders.get(order)
        if track is not None and not track.closed:
            run.waiting.pop(order, None)
            run.release_queue[order] = None
    day = next_workday(run.now().date() + timedelta(days=1))
    run.agenda.at(instant(day, 9), partial(_credit, run, number))


def _credit(run: Run, number: str) -> None:
    credit_return(run.uow(), number, ACTOR_FINANCE)
    run.tally["credit memos (returns)"] += 1


def plan_billing_error(run: Run, invoice: str, subtotal: Decimal) -> None:
    """Some invoices are wrong; finance corrects them with a credit memo before the customer pays."""
    if not run.chance(run.config.billing_error_rate) or subtotal <= 0:
        return
    amount = max(CENT, (subtotal * Decimal(str(run.rng.uniform(0.02, 0.1)))).quantize(CENT))
    day = next_workday(run.now().date() + timedelta(days=run.rng.randint(2, 10)))
    run.agenda.at(instant(day, 9), partial(_correct_invoice, run, invoice, amount))


def _correct_invoice(run: Run, invoice: str, amount: Decimal) -> None:
    issue_credit_memo(run.uow(), invoice, amount, "billing_error", ACTOR_FINANCE, note="price keyed wrong")
    run.tally["credit memos (billing errors)"] += 1


def _open_case(run: Run, track: OrderTrack, category: str) -> None:
    case = open_case(
        run.uow(),
        track.customer.code,
        category,
        f"{category} about {track.number}",
        track.number,
        actor=ACTOR_CUSTOMER,
    )
    run.tally["service cases"] += 1
    respond = run.now() + timedelta(hours=run.rng.uniform(1, 8))
    run.agenda.at(respond, partial(_respond, run, case.number))


def _respond(run: Run, number: str) -> None:
    respond_to_case(run.uow(), number, ACTOR_SERVICE)
    resolve = run.now() + timedelta(days=run.rng.uniform(1, 5))
    run.agenda.at(resolve, partial(_resolve, run, number))


def _resolve(run: Run, number: str) -> None:
    resolve_case(run.uow(), number, "resolved with the customer", ACTOR_SERVICE)


def _answer_survey(run: Run, track: OrderTrack, had_exception: bool) -> None:
    weights = (0.35, 0.35, 0.3) if had_exception else (0.7, 0.2, 0.1)  # promoter, passive, detractor
    kind = run.rng.choices(("promoter", "passive", "detractor"), weights=weights)[0]
    score = {"promoter": run.rng.randint(9, 10), "passive": run.rng.randint(7, 8)}.get(
        kind, run.rng.randint(0, 6)
    )
    record_nps(run.uow(), track.customer.code, score, track.number, actor=ACTOR_CUSTOMER)
    run.tally["NPS answers"] += 1


def expedite(run: Run, track: OrderTrack) -> None:
    """A strategic customer waiting on a backorder gets its order rushed, once."""
    if track.customer.segment.name == "strategic" and not track.closed:
        try:
            expedite_order(run.uow(), track.number, ACTOR_SERVICE)
        except IllegalTransition:  # already expedited, or no longer expeditable
            return
        run.tally["expedites"] += 1
