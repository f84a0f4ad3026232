"""``o2c sla`` and ``o2c rates``: the configuration the customer analytics read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from o2c.analytics.cost_to_serve import DEFAULT_RATES, activity_rates_in_force, parse_rate, set_activity_rate
from o2c.analytics.sla import TARGETS, Agreement, agreements, set_agreement
from o2c.cli.common import Format, FormatOption, decimal_option, out, print_json, state_of
from o2c.domain.clock import SystemClock

sla_app = typer.Typer(help="Service level agreements per segment or customer.", no_args_is_help=True)
rates_app = typer.Typer(help="Activity rates of cost-to-serve.", no_args_is_help=True)


@sla_app.command("set")
def sla_set(
    ctx: typer.Context,
    segment: Annotated[str | None, typer.Option(help="The agreement of a whole segment.")] = None,
    customer: Annotated[str | None, typer.Option(help="The agreement of one customer (wins).")] = None,
    fill_rate: Annotated[str | None, typer.Option(help="Minimum unit fill rate, 0..1.")] = None,
    otif: Annotated[str | None, typer.Option(help="Minimum OTIF, 0..1.")] = None,
    lead_time_days: Annotated[int | None, typer.Option(help="Maximum mean order lead time.")] = None,
    response_hours: Annotated[int | None, typer.Option(help="Maximum mean case response time.")] = None,
    resolution_hours: Annotated[int | None, typer.Option(help="Maximum mean case resolution time.")] = None,
) -> None:
    """Create or replace the agreement of a segment or a customer."""
    agreement = Agreement(
        segment=segment,
        customer=customer,
        min_fill_rate=decimal_option(fill_rate, "--fill-rate") if fill_rate else None,
        min_otif=decimal_option(otif, "--otif") if otif else None,
        max_lead_time_days=lead_time_days,
        max_response_hours=response_hours,
        max_resolution_hours=resolution_hours,
    )
    with state_of(ctx).engine().begin() as conn:
        set_agreement(conn, agreement, SystemClock().now())
    out.print(f"agreement of {agreement.scope} saved")


@sla_app.command("list")
def sla_list(ctx: typer.Context, fmt: FormatOption = Format.TABLE) -> None:
    """Every agreement: segments, then customers."""
    with state_of(ctx).engine().connect() as conn:
        found = agreements(conn)
    if fmt is Format.JSON:
        print_json([asdict(a) for a in found])
        return
    table = Table("agreement", *TARGETS, title="service level agreements")
    for a in found:
        table.add_row(a.scope, *("-" if getattr(a, t) is None else str(getattr(a, t)) for t in TARGETS))
    out.print(table)


@rates_app.command("set")
def rates_set(ctx: typer.Context, rate: Annotated[str, typer.Argument(help="ACTIVITY=AMOUNT")]) -> None:
    """Store the rate of one activity (money per occurrence)."""
    activity, amount = parse_rate(rate)
    with state_of(ctx).engine().begin() as conn:
        set_activity_rate(conn, activity, amount, SystemClock().now())
    out.print(f"{activity}: {amount}")


@rates_app.command("list")
def rates_list(ctx: typer.Context, fmt: FormatOption = Format.TABLE) -> None:
    """The rates in force: stored ones, else the defaults."""
    with state_of(ctx).engine().connect() as conn:
        rates = activity_rates_in_force(conn)
    if fmt is Format.JSON:
        print_json(rates)
        return
    table = Table("activity", "rate", "default", title="activity rates")
    for activity, rate in rates.items():
        table.add_row(activity, str(rate), str(DEFAULT_RATES[activity]))
    out.print(table)
