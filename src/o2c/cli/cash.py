"""``o2c payment`` and ``o2c receivables``: cash and open receivables."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import (
    ActorOption,
    Format,
    FormatOption,
    date_option,
    decimal_option,
    out,
    print_json,
    state_of,
)
from o2c.services.billing import PaymentRequest, receivables_aging, record_payment

payment_app = typer.Typer(help="Record customer payments.", no_args_is_help=True)
receivables_app = typer.Typer(help="Open receivables.", no_args_is_help=True)


@payment_app.command("record")
def payment_record(
    ctx: typer.Context,
    invoice: str,
    amount: str,
    reference: Annotated[str, typer.Option(help="Bank reference.")] = "",
    actor: ActorOption = "finance",
) -> None:
    """Record a payment (partial payments are fine) against an invoice."""
    request = PaymentRequest(invoice=invoice, amount=decimal_option(amount, "amount"), reference=reference)
    status = record_payment(state_of(ctx).uow(), request, actor)
    out.print(f"invoice {invoice}: {status}")


@receivables_app.command("aging")
def receivables_aging_(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD); default today.")] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Open receivables per customer by days past due."""
    rows = receivables_aging(state_of(ctx).uow(), date_option(as_of, "--as-of") if as_of else None)
    if fmt is Format.JSON:
        print_json([{"customer": r.customer_code, **r.buckets, "total": r.total} for r in rows])
        return
    table = Table(
        "customer", "current", "1-30", "31-60", "61-90", "over 90", "total", title="receivables aging"
    )
    for r in rows:
        table.add_row(r.customer_code, *(str(v) for v in r.buckets.values()), str(r.total))
    out.print(table)
