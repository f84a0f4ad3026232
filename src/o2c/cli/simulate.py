"""``o2c simulate``: months of a distributor's operations through the service layer, or bulk facts.

The simulation (:mod:`o2c.sim`) needs a fresh database: it loads its own master data. ``--bulk``
writes benchmark-scale facts set-based (:mod:`o2c.sim.bulk`) instead of running the services.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Slice
from o2c.analytics.fill import entry_fill
from o2c.cli.common import Format, FormatOption, out, print_json, print_next_steps, state_of
from o2c.sim.config import SimulationConfig
from o2c.sim.operations import SimulationResult, simulate
from o2c.store.migrate import upgrade

simulate_app = typer.Typer()


@simulate_app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Days to simulate.")] = 180,
    customers: Annotated[int, typer.Option("--customers", min=1, max=100_000, help="Customers.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same facts.")] = 1,
    orders_per_week: Annotated[
        float, typer.Option("--orders-per-week", min=0.01, max=50, help="Mean orders per customer a week.")
    ] = SimulationConfig.orders_per_customer_week,
    freight_error_rate: Annotated[
        float,
        typer.Option(
            "--freight-error-rate",
            min=0,
            max=1,
            help="Share of carrier freight bills above the rated freight.",
        ),
    ] = SimulationConfig.freight_billing_error_rate,
    bulk: Annotated[
        bool, typer.Option("--bulk", help="Write a year of facts set-based (benchmark scale), no services.")
    ] = False,
    bulk_orders: Annotated[
        int, typer.Option("--orders", min=1, max=20_000_000, help="Orders to write with --bulk.")
    ] = 1_000_000,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Simulate a distributor day by day on a fresh database: every fact made by o2c's own services.

    With --bulk, write --orders orders (about five lines each) over a year straight into the tables."""
    state = state_of(ctx)
    upgrade(state.engine(migrated=False))
    if bulk:
        _bulk(state.engine(), bulk_orders, seed, fmt)
        return
    config = SimulationConfig(
        days=days,
        customers=customers,
        orders_per_customer_week=orders_per_week,
        freight_billing_error_rate=freight_error_rate,
    )
    started = time.perf_counter()
    with _progress(days, fmt) as advance:
        result = simulate(state.engine(), config, seed, advance)
    elapsed = time.perf_counter() - started
    if fmt is Format.JSON:
        print_json({"seed": seed, "days": days, "customers": customers, "seconds": elapsed, **result.counts})
        return
    _show(result, elapsed)
    _show_worst_stockouts(state.engine())
    print_next_steps(state.url, next_steps(result.first_day, result.last_day))


def next_steps(first: date, last: date) -> list[str]:
    """What to run next on a simulated database: real commands with valid options."""
    as_of = f"--as-of {last}"
    return [
        f"report service --period month {as_of}",
        f"report service --period all --by segment {as_of}",
        f"report stockouts --by sku {as_of}",
        "report suppliers --period all",
        "report carriers --period all",
        f"report customers --from {first} --to {last}",
        "backorders",
        f"receivables aging {as_of}",
    ]


@contextmanager
def _progress(days: int, fmt: Format) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr, for interactive table output only."""
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=fmt is Format.JSON or not console.is_terminal,
    )
    task = bar.add_task("days", total=days)
    with bar:
        yield lambda day: bar.update(task, completed=day)


def _bulk(engine: Engine, orders: int, seed: int, fmt: Format) -> None:
    from o2c.sim.bulk import generate

    started = time.perf_counter()
    result = generate(engine, orders=orders, seed=seed)
    elapsed = time.perf_counter() - started
    if fmt is Format.JSON:
        print_json({"seed": seed, "as_of": result.as_of, "seconds": elapsed, **result.rows})
        return
    table = Table(
        "table", "rows", title=f"Bulk facts {result.first_day} to {result.as_of:%Y-%m-%d}, seed {seed}"
    )
    table.columns[1].justify = "right"
    for name, count in result.rows.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(f"{sum(result.rows.values()):,} rows in {elapsed:.1f} s")


def _show_worst_stockouts(engine: Engine, top: int = 5) -> None:
    """The SKUs whose stockouts cost most ordered value at entry (from the metrics engine)."""
    with engine.connect() as conn:
        fills = entry_fill(conn, Slice(period=None, by=Dimension.SKU))
    worst = sorted((f for f in fills if f.stockout_value > 0), key=lambda f: (-f.stockout_value, f.member))
    table = Table(
        "sku", "stockout value", "units short at entry", title=f"The {top} worst SKUs by stockout value"
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for f in worst[:top]:
        table.add_row(f.member, f"{f.stockout_value:,.2f}", f"{f.stockout_units:,}")
    out.print(table)


def _show(result: SimulationResult, elapsed: float) -> None:
    table = Table(
        "what happened", "count", title=f"{result.first_day} to {result.last_day}, seed {result.seed}"
    )
    table.columns[1].justify = "right"
    for name, count in result.counts.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(f"{result.config.days} days, {result.config.customers} customers simulated in {elapsed:.1f} s")
