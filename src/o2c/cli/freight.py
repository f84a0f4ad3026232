"""``o2c shipment freight-bill`` and ``freight-dispute``: the carrier's freight bill of a shipment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import ActorOption, Format, FormatOption, money_option, out, print_json, state_of
from o2c.domain.errors import ValidationFailed
from o2c.domain.freight import DisputeOutcome
from o2c.services.freight_billing import (
    FreightBillSummary,
    freight_bill,
    record_freight_bill,
    settle_freight_dispute,
)

ShipmentArgument = Annotated[str, typer.Argument(help="Shipment number (SH-…).")]


def shipment_freight_bill(
    ctx: typer.Context,
    shipment: ShipmentArgument,
    amount: Annotated[
        str | None,
        typer.Option(
            "--amount",
            help="Freight the carrier invoiced, e.g. 18.50 (without it: show the bill).",
            show_default=False,
        ),
    ] = None,
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
    """Record a carrier's freight bill for a shipment (one per shipment), or show it (no --amount)."""
    if amount is None:
        if reference is not None or dispute is not None:
            raise ValidationFailed("--reference and --dispute go with --amount", field="amount")
        _print(freight_bill(state_of(ctx).uow(), shipment), fmt)
        return
    bill = record_freight_bill(
        state_of(ctx).uow(),
        shipment,
        money_option(amount, "--amount", "amount"),
        reference=reference,
        dispute_reason=dispute,
        actor=actor,
    )
    _print(bill, fmt)


def shipment_freight_dispute(
    ctx: typer.Context,
    shipment: ShipmentArgument,
    upheld: Annotated[
        str | None,
        typer.Option(
            "--upheld", help="The carrier corrected its bill to this amount, e.g. 17.40.", show_default=False
        ),
    ] = None,
    withdrawn: Annotated[
        bool, typer.Option("--withdrawn", help="The dispute is dropped: the bill stands as invoiced.")
    ] = False,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Settle the disputed freight bill of a shipment: --upheld AMOUNT or --withdrawn."""
    if (upheld is None) == (not withdrawn):
        raise ValidationFailed("give exactly one of --upheld AMOUNT and --withdrawn", field="settlement")
    bill = settle_freight_dispute(
        state_of(ctx).uow(),
        shipment,
        DisputeOutcome.WITHDRAWN if withdrawn else DisputeOutcome.UPHELD,
        corrected_amount=None if upheld is None else money_option(upheld, "--upheld", "corrected_amount"),
        actor=actor,
    )
    _print(bill, fmt)


def _print(bill: FreightBillSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(bill)
        return
    table = Table(
        "shipment", "carrier", "invoiced", "expected", "matches", "disputed", "settled", title="freight bill"
    )
    settled = "-" if bill.settlement is None else f"{bill.settled_amount} ({bill.settlement})"
    table.add_row(
        bill.shipment,
        bill.carrier,
        str(bill.invoiced_amount),
        str(bill.expected_amount),
        "yes" if bill.matches_expected else "no",
        bill.dispute_reason or "no",
        settled,
    )
    out.print(table)


def register_freight_commands(shipment_app: typer.Typer) -> None:
    """Attach ``freight-bill`` and ``freight-dispute`` to the ``shipment`` group."""
    shipment_app.command("freight-bill")(shipment_freight_bill)
    shipment_app.command("freight-dispute")(shipment_freight_dispute)
