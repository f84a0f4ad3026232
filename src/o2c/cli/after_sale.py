"""``o2c return``, ``o2c credit``, ``o2c case``, ``o2c nps`` and ``o2c order expedite``: after sale.

Choices (reasons, dispositions, categories) are plain text checked by the services, so a bad one is
the usual one line on stderr and exit status 2.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import (
    ActorOption,
    Format,
    FormatOption,
    line_qty,
    money_option,
    out,
    print_json,
    state_of,
)
from o2c.cli.orders import order_app, show_order
from o2c.domain.errors import ValidationFailed
from o2c.services.cases import CaseSummary, get_case, open_case, resolve_case, respond_to_case
from o2c.services.credits import CreditMemoSummary, issue_credit_memo
from o2c.services.expediting import expedite_order
from o2c.services.returns import (
    ReturnSummary,
    authorise_return,
    credit_return,
    get_return,
    receive_return,
    reject_return,
)
from o2c.services.satisfaction import record_nps

return_app = typer.Typer(help="Returns (RMA): authorise, receive, credit, reject.", no_args_is_help=True)
credit_app = typer.Typer(
    help="Credit memos for billing errors, price adjustments, goodwill.", no_args_is_help=True
)
case_app = typer.Typer(help="Service cases: open, respond, resolve.", no_args_is_help=True)
nps_app = typer.Typer(help="Net Promoter Score responses.", no_args_is_help=True)

LineOption = Annotated[list[str] | None, typer.Option("--line", help="LINE:QTY (repeatable).")]


def _lines(values: list[str] | None, option: str) -> dict[int, int]:
    lines: dict[int, int] = {}
    for line_no, qty in (line_qty(v, option) for v in values or []):
        if line_no in lines:
            raise ValidationFailed(f"{option}: line {line_no} given twice", field=option)
        lines[line_no] = qty
    return lines


# --- returns -------------------------------------------------------------------------------------


@return_app.command("authorise")
def return_authorise(
    ctx: typer.Context,
    order: str,
    line: LineOption = None,
    reason: Annotated[
        str, typer.Option(help="wrong_item, wrong_quantity, damaged, defective, not_wanted or other.")
    ] = "other",
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Authorise the return of delivered units of an order (an RMA)."""
    lines = _lines(line, "--line")
    show_return(authorise_return(state_of(ctx).uow(), order, lines, reason, actor), fmt)


@return_app.command("receive")
def return_receive(
    ctx: typer.Context,
    number: str,
    disposition: Annotated[
        str, typer.Option(help="restock, refurbish, scrap or return_to_vendor.")
    ] = "restock",
    received: Annotated[
        list[str] | None, typer.Option(help="LINE:QTY that came back (repeatable); default all.")
    ] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Receive and inspect a return; restocked units go back on hand and to waiting backorders."""
    quantities = _lines(received, "--received") if received else None
    show_return(receive_return(state_of(ctx).uow(), number, disposition, quantities, actor=actor), fmt)


@return_app.command("credit")
def return_credit(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Issue the credit memo of a received return."""
    show_credit(credit_return(state_of(ctx).uow(), number, actor), fmt)


@return_app.command("reject")
def return_reject(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Refuse an authorised return before anything comes back."""
    show_return(reject_return(state_of(ctx).uow(), number, actor), fmt)


@return_app.command("show")
def return_show(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """Show a return and its lines."""
    show_return(get_return(state_of(ctx).uow(), number), fmt)


def show_return(ret: ReturnSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(ret)
        return
    table = Table(
        "line",
        "sku",
        "quantity",
        "received",
        "disposition",
        title=f"return {ret.number} · {ret.order} · {ret.status}",
    )
    for ln in ret.lines:
        table.add_row(str(ln.line_no), ln.sku, str(ln.quantity), str(ln.received), ln.disposition or "-")
    out.print(table)
    allocated = (
        f" · restocked to backorders of {', '.join(ret.backorders_allocated)}"
        if ret.backorders_allocated
        else ""
    )
    out.print(f"reason {ret.reason} · customer {ret.customer}{allocated}")


# --- credit memos ----------------------------------------------------------------------------------


@credit_app.command("issue")
def credit_issue(
    ctx: typer.Context,
    invoice: str,
    amount: Annotated[str, typer.Argument(help="Amount before tax; the invoice's tax rate is added.")],
    reason: Annotated[
        str, typer.Option(help="billing_error, price_adjustment or service_recovery.")
    ] = "billing_error",
    note: Annotated[str, typer.Option(help="Why, in a few words.")] = "",
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "finance",
) -> None:
    """Credit part of an invoice (a billing correction, price adjustment or goodwill)."""
    value = money_option(amount, "amount", "amount")
    show_credit(issue_credit_memo(state_of(ctx).uow(), invoice, value, reason, actor, note), fmt)


def show_credit(memo: CreditMemoSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(memo)
        return
    against = f" against {memo.invoice}" if memo.invoice else ""
    out.print(
        f"credit memo {memo.number} ({memo.reason}) for {memo.customer}{against}: {memo.total}"
        f" (tax {memo.tax_total}); applied {memo.applied}, on account {memo.unapplied}"
    )


# --- cases and satisfaction ------------------------------------------------------------------------


@case_app.command("open")
def case_open(
    ctx: typer.Context,
    customer: str,
    summary: Annotated[str, typer.Option(help="What the customer reports.")],
    category: Annotated[
        str, typer.Option(help="complaint, delivery, billing, quality, inquiry or other.")
    ] = "complaint",
    order: Annotated[str | None, typer.Option(help="The order it is about, if any.")] = None,
    priority: Annotated[str, typer.Option(help="low, normal, high or urgent.")] = "normal",
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Open a service case for a customer."""
    show_case(open_case(state_of(ctx).uow(), customer, category, summary, order, priority, actor), fmt)


@case_app.command("respond")
def case_respond(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Record the first response to the customer."""
    show_case(respond_to_case(state_of(ctx).uow(), number, actor), fmt)


@case_app.command("resolve")
def case_resolve(
    ctx: typer.Context,
    number: str,
    resolution: Annotated[str | None, typer.Option(help="What was done.")] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Resolve a case."""
    show_case(resolve_case(state_of(ctx).uow(), number, resolution, actor), fmt)


@case_app.command("show")
def case_show(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """Show a case and its times."""
    show_case(get_case(state_of(ctx).uow(), number), fmt)


def show_case(case: CaseSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(case)
        return
    about = f" · order {case.order}" if case.order else ""
    times = [f"opened {case.opened_at:%Y-%m-%d %H:%M}"]
    if case.first_response_at:
        times.append(f"responded {case.first_response_at:%Y-%m-%d %H:%M}")
    if case.resolved_at:
        times.append(f"resolved {case.resolved_at:%Y-%m-%d %H:%M}")
    out.print(
        f"case {case.number} · {case.customer}{about} · {case.category} · {case.priority} · {case.status}"
    )
    out.print(f"{case.summary} · {', '.join(times)}")


@nps_app.command("record")
def nps_record(
    ctx: typer.Context,
    customer: str,
    score: Annotated[int, typer.Argument(help="0 (not at all likely to recommend) to 10.")],
    order: Annotated[str | None, typer.Option(help="The order it is about, if any.")] = None,
    comment: Annotated[str, typer.Option(help="The customer's words.")] = "",
    actor: ActorOption = "cli",
) -> None:
    """Record a Net Promoter Score response."""
    response = record_nps(state_of(ctx).uow(), customer, score, order, comment, actor)
    out.print(f"NPS response {response.id} from {response.customer}: {response.score}")


# ``o2c order expedite`` lives with the other after-sale commands but belongs to ``o2c order``.
@order_app.command("expedite")
def order_expedite(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Rush an order that has not shipped in full (recorded once, as an expedite)."""
    show_order(expedite_order(state_of(ctx).uow(), number, actor), fmt)
