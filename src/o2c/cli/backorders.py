"""``o2c backorders``: open backorders, and allocating stock on hand to them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import ActorOption, Format, FormatOption, out, print_json, state_of
from o2c.domain.backorders import BackorderRule
from o2c.services.backorders import allocate_backorders, open_backorders

backorders_app = typer.Typer(
    help="Open backorders (oldest first), and allocating stock to them.", invoke_without_command=True
)

SkuOption = Annotated[str | None, typer.Option("--sku", help="Only this SKU.", show_default=False)]


@backorders_app.callback(invoke_without_command=True)
def backorders_list(ctx: typer.Context, sku: SkuOption = None, fmt: FormatOption = Format.TABLE) -> None:
    """List open backorders: order, customer, SKU, quantity, age in days, promised date."""
    if ctx.invoked_subcommand is not None:
        return
    rows = open_backorders(state_of(ctx).uow(), sku)
    if fmt is Format.JSON:
        print_json(rows)
        return
    table = Table(
        "order",
        "customer",
        "tier",
        "line",
        "sku",
        "location",
        "backordered",
        "age (days)",
        "promised",
        "status",
    )
    for b in rows:
        table.add_row(
            b.order_number,
            b.customer,
            str(b.tier),
            str(b.line_no),
            b.sku,
            b.location or "-",
            str(b.quantity),
            str(b.age_days),
            b.promised_date.isoformat() if b.promised_date else "-",
            b.status,
        )
    out.print(table)
    out.print(f"{len(rows)} open backorder line(s), {sum(b.quantity for b in rows)} unit(s)")


@backorders_app.command("allocate")
def backorders_allocate(
    ctx: typer.Context,
    rule: Annotated[
        BackorderRule | None,
        typer.Option(
            help="Allocation rule (default: $O2C_BACKORDER_RULE, else priority).", show_default=False
        ),
    ] = None,
    sku: SkuOption = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Allocate stock on hand to open backorders (of one SKU), substituting where customers allow."""
    report = allocate_backorders(state_of(ctx).uow(), sku=sku, rule=rule, actor=actor)
    if fmt is Format.JSON:
        print_json(report)
        return
    table = Table("order", "line", "sku", "quantity", "outcome", "substitute", title=f"rule: {report.rule}")
    for f in report.fills:
        substitute = f"{f.substitute_sku} (line {f.substitute_line_no})" if f.substitute_sku else "-"
        table.add_row(f.order_number, str(f.line_no), f.sku, str(f.quantity), f.outcome, substitute)
    out.print(table)
    units = sum(f.quantity for f in report.fills)
    out.print(f"{units} unit(s) allocated on {len(report.order_numbers)} order(s)")
