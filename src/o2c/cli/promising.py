"""``o2c atp`` and ``o2c promise``: time-phased availability, and the delivery date a customer can get."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import Format, FormatOption, date_option, out, print_json, state_of
from o2c.services.atp import DEFAULT_HORIZON, AtpTable, SourcePromise, atp
from o2c.services.promising import Promise, PromiseRequest, promise
from o2c.store.supply_demand import DEFAULT_SERVICE

promising_app = typer.Typer()

DaysOption = Annotated[int, typer.Option("--days", min=1, max=730, help="Horizon in days (today is day 0).")]


@promising_app.command("atp")
def atp_command(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The product.")],
    location: Annotated[str | None, typer.Option("--location", help="One location code.")] = None,
    days: DaysOption = DEFAULT_HORIZON,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Time-phased available-to-promise per location: receipts, orders, discrete and cumulative ATP."""
    table = atp(state_of(ctx).uow(), sku, location, days)
    if fmt is Format.JSON:
        print_json(table)
    else:
        show_atp(table)


def show_atp(table: AtpTable) -> None:
    """One table per location; days without receipts or orders are left out (day 0 always shows)."""
    if not table.locations:
        out.print(f"{table.sku}: no stock, receipts or orders at any location")
    for at in table.locations:
        grid = Table(
            title=f"{table.sku} at {at.location} ({at.region}), {table.days} days from {table.as_of}",
            caption=f"available now {at.available_now}; days without receipts or orders omitted",
        )
        for name in ("day", "receipts", "orders", "ATP", "cumulative ATP"):
            grid.add_column(name, justify="left" if name == "day" else "right")
        for i, row in enumerate(at.rows):
            if i == 0 or row.receipts or row.orders:
                grid.add_row(
                    str(row.day), *(str(n) for n in (row.receipts, row.orders, row.atp, row.cumulative))
                )
        out.print(grid)


@promising_app.command("promise")
def promise_command(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The product.")],
    quantity: Annotated[int, typer.Argument(min=1, help="How many.")],
    customer: Annotated[str, typer.Option("--customer", help="Customer code.")],
    ship_to: Annotated[
        str | None, typer.Option("--ship-to", help="Ship-to code (default: the first).")
    ] = None,
    requested_date: Annotated[
        str | None, typer.Option("--requested-date", help="Delivery date asked for (YYYY-MM-DD).")
    ] = None,
    service: Annotated[str, typer.Option("--service", help="Carrier service of the lane.")] = DEFAULT_SERVICE,
    days: DaysOption = DEFAULT_HORIZON,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """The earliest delivery date for a quantity, per location and overall (split if need be)."""
    requested = date_option(requested_date, "requested-date") if requested_date else None
    request = PromiseRequest(
        sku=sku,
        quantity=quantity,
        customer=customer,
        ship_to=ship_to,
        requested_date=requested,
        service=service,
        horizon_days=days,
    )
    result = promise(state_of(ctx).uow(), request)
    if fmt is Format.JSON:
        print_json(
            {**asdict(result), "split": result.split, "meets_requested_date": result.meets_requested_date}
        )
    else:
        show_promise(result)


def show_promise(result: Promise) -> None:
    """Each location alone, then the promise (or why there is none)."""
    grid = Table(
        title=f"{result.quantity} x {result.sku} to {result.customer}/{result.ship_to} ({result.region}),"
        f" {result.service}, as of {result.as_of}"
    )
    for name in ("location", "quantity", "available", "ships", "delivered", "transit days", "note"):
        grid.add_column(name, justify="right" if name in ("quantity", "transit days") else "left")
    for option in result.options:
        grid.add_row(*_cells(option))
    out.print(grid)
    out.print(_verdict(result))


def _cells(option: SourcePromise) -> list[str]:
    def text(value: object) -> str:
        return "-" if value is None else str(value)

    return [
        option.location,
        str(option.quantity),
        text(option.available_date),
        text(option.ship_date),
        text(option.delivery_date),
        text(option.transit_days),
        option.reason or "",
    ]


def _verdict(result: Promise) -> str:
    if result.delivery_date is None:
        return (
            f"no promise: {result.shortfall} of {result.quantity} not covered by supply"
            f" within {result.horizon_days} days"
        )
    if result.split:
        parts = " + ".join(f"{p.quantity} from {p.location} ({p.delivery_date})" for p in result.sources)
        verdict = f"promise: delivered by {result.delivery_date}, split: {parts}"
    else:
        source = result.sources[0].location
        verdict = f"promise: {result.quantity} from {source}, delivered by {result.delivery_date}"
    if result.meets_requested_date is False:
        verdict += f" (after the requested {result.requested_date})"
    return verdict
