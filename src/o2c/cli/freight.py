"""``o2c shipment freight-bill``: record the carrier's freight bill of a shipment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import ActorOption, Format, FormatOption, out, print_json, state_of
from o2c.domain.errors import ValidationFailed
from o2c.domain.money import MONEY_SCALE, parse_decimal
from o2c.services.freight_billing import FreightBillSummary, record_freight_bill


def shipment_freight_bill(
    ctx: typer.Context,
    shipment: Annotated[str, typer.Argument(help="Shipment number (SH-…).")],
    amount: Annotated[str, typer.Option("--amount", help="Freight the carrier invoiced, e.g. 18.50.")],
    reference: Annotated[
        str | None, typer.Option("--reference", help="The carrier's invoice number.", show_default=False)
    ] = None,
    dispute: Annotated[
        str | None,
        typer.Option("--dispute", help="Record the bill as disputed, for this reason.", show_default=False),
    ] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Record a carrier's freight bill for a shipment (one per shipment), against the expected freight."""
    try:
        invoiced = parse_decimal(amount, scale=MONEY_SCALE, what="--amount")
    except ValueError as error:
        raise ValidationFailed(str(error), field="amount") from None
    bill = record_freight_bill(
        state_of(ctx).uow(), shipment, invoiced, reference=reference, dispute_reason=dispute, actor=actor
    )
    if fmt is Format.JSON:
        print_json(bill)
    else:
        out.print(_table(bill))


def _table(bill: FreightBillSummary) -> Table:
    table = Table("shipment", "carrier", "invoiced", "expected", "matches", "disputed", title="freight bill")
    table.add_row(
        bill.shipment,
        bill.carrier,
        str(bill.invoiced_amount),
        str(bill.expected_amount),
        "yes" if bill.matches_expected else "no",
        bill.dispute_reason or "no",
    )
    return table


def register_freight_commands(shipment_app: typer.Typer) -> None:
    """Attach ``freight-bill`` to the ``shipment`` group."""
    shipment_app.command("freight-bill")(shipment_freight_bill)
