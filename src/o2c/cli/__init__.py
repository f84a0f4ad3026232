"""The ``o2c`` command line (Typer + Rich).

One Typer sub-app per area lives in a module of this package; this module assembles them and maps
errors to exit statuses in :func:`main`, the one place that does: user errors (bad input, illegal
actions, unknown numbers) and usage errors (unknown option or command, missing argument, bad choice or
number) are one line on stderr and exit status 2. The Typer app runs with ``standalone_mode=False`` so
that Click's usage errors reach :func:`main` instead of being drawn as a Rich box.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pydantic
import typer
from sqlalchemy.exc import OperationalError

# Typer vendors its own Click; its usage errors are these classes, not the ``click`` package's.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from o2c.cli.access import access_app
from o2c.cli.after_sale import case_app, credit_app, nps_app, return_app
from o2c.cli.backorders import backorders_app
from o2c.cli.cash import payment_app, receivables_app
from o2c.cli.clv import clv_app
from o2c.cli.common import ActorOption, DatabaseOption, State, out, print_next_steps, readable, state_of
from o2c.cli.customer_config import rates_app, sla_app
from o2c.cli.customers_report import customer_report_app
from o2c.cli.freight import register_freight_commands
from o2c.cli.orders import order_app, quote_app, shipment_app
from o2c.cli.promising import promising_app
from o2c.cli.reports import register_service_reports
from o2c.cli.simulate import simulate_app
from o2c.cli.supply import supply_app
from o2c.config import Settings
from o2c.domain.errors import O2CError
from o2c.services.importing import ImportKind, import_csv
from o2c.store.migrate import upgrade

app = typer.Typer(
    name="o2c",
    help="Order-to-cash and customer service: orders, stock, shipping, invoicing and cash.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(order_app, name="order")
app.add_typer(quote_app, name="quote")
app.add_typer(shipment_app, name="shipment")
register_freight_commands(shipment_app)  # o2c shipment freight-bill
app.add_typer(payment_app, name="payment")
app.add_typer(receivables_app, name="receivables")
app.add_typer(backorders_app, name="backorders")
app.add_typer(supply_app)  # o2c po …, o2c transfer …
app.add_typer(promising_app)  # o2c atp, o2c promise: top-level commands
app.add_typer(simulate_app)  # o2c simulate
app.add_typer(clv_app, name="clv")
app.add_typer(customer_report_app, name="report")  # o2c report customers | abc-xyz | …
register_service_reports(customer_report_app)  # o2c report service | suppliers | carriers | stockouts
app.add_typer(sla_app, name="sla")
app.add_typer(rates_app, name="rates")
app.add_typer(return_app, name="return")  # after sale; also adds o2c order expedite
app.add_typer(credit_app, name="credit")
app.add_typer(case_app, name="case")
app.add_typer(nps_app, name="nps")
app.add_typer(access_app)  # o2c serve, o2c user …, o2c token …


@app.callback()
def root(ctx: typer.Context, database: DatabaseOption = None) -> None:
    ctx.obj = State(database or Settings().database_url)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database schema, or bring it up to date."""
    state = state_of(ctx)
    upgrade(state.engine(migrated=False))
    out.print(f"database ready: {state.url}")


@app.command("import")
def import_(
    ctx: typer.Context,
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="CSV file with a header row.")],
    actor: ActorOption = "import",
) -> None:
    """Import master data or stock from CSV: a file with any bad row imports nothing."""
    report = import_csv(state_of(ctx).uow(), kind, readable(file), actor=actor)
    out.print(f"{kind}: {report.created} created, {report.updated} updated")


@app.command()
def demo(ctx: typer.Context) -> None:
    """Initialise a database, load the sample data and walk orders through the whole cycle."""
    from o2c.sim.walkthrough import run_walkthrough

    state = state_of(ctx)
    upgrade(state.engine(migrated=False))
    print_next_steps(state.url, run_walkthrough(state.engine(), out))
    out.print("Or import your own data: [cyan]o2c import customers FILE.csv[/cyan] (see README).")


def _pydantic_message(error: pydantic.ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "input"
    more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def fail(message: str, status: int = 2) -> None:
    sys.stderr.write(f"o2c: error: {message}\n")
    raise SystemExit(status)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _usage_message(error: UsageError) -> str:
    command = error.ctx.command_path if error.ctx is not None else "o2c"
    return f"{command}: {_one_line(error.format_message())} (see --help)"


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``o2c`` script: the one place errors become exit statuses."""
    try:
        status = app(args=args, prog_name="o2c", standalone_mode=False)
    except NoArgsIsHelpError as error:
        error.show()  # a bare group (``o2c``, ``o2c report``) prints its help, as Click does
        raise SystemExit(2) from None
    except UsageError as error:
        fail(_usage_message(error))
    except ClickException as error:
        fail(_one_line(error.format_message()), status=error.exit_code)
    except typer.Abort:
        fail("aborted", status=1)
    except O2CError as error:
        fail(str(error))
    except pydantic.ValidationError as error:
        fail(_pydantic_message(error))
    except OperationalError as error:
        fail(f"database error: {str(error.orig).strip().splitlines()[0]}", status=1)
    else:
        if isinstance(status, int) and status != 0:  # typer.Exit(code) with standalone_mode=False
            raise SystemExit(status)
