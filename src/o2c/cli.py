"""The ``o2c`` command line (Typer + Rich).

User errors (bad input, illegal actions, unknown numbers) are one line on stderr and exit status 2,
mapped in :func:`main` and nowhere else; usage errors are Typer's own, also status 2.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from o2c.config import Settings
from o2c.domain.clock import SystemClock
from o2c.domain.errors import O2CError, ValidationFailed
from o2c.services.billing import PaymentRequest, receivables_aging, record_payment
from o2c.services.fulfilment import (
    DeliverRequest,
    DeliveryException,
    ShipRequest,
    cancel_order,
    deliver_shipment,
    pack_order,
    pick_order,
    release_credit_hold,
    release_order,
    ship_order,
)
from o2c.services.importing import ImportKind, import_csv
from o2c.services.ordering import PlaceOrderRequest, get_order, place_order
from o2c.services.queries import order_events
from o2c.services.quoting import QuoteRequest, convert_quote, create_quote
from o2c.services.results import OrderSummary
from o2c.store.database import create_db_engine
from o2c.store.migrate import ensure_current, upgrade
from o2c.store.uow import UnitOfWork

app = typer.Typer(
    name="o2c",
    help="Order-to-cash and customer service: orders, stock, shipping, invoicing and cash.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
order_app = typer.Typer(help="Place, inspect and move orders through the cycle.", no_args_is_help=True)
quote_app = typer.Typer(help="Price baskets and convert them into orders.", no_args_is_help=True)
shipment_app = typer.Typer(help="Record proof of delivery.", no_args_is_help=True)
payment_app = typer.Typer(help="Record customer payments.", no_args_is_help=True)
receivables_app = typer.Typer(help="Open receivables.", no_args_is_help=True)
app.add_typer(order_app, name="order")
app.add_typer(quote_app, name="quote")
app.add_typer(shipment_app, name="shipment")
app.add_typer(payment_app, name="payment")
app.add_typer(receivables_app, name="receivables")

out = Console()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class Stage(StrEnum):
    RELEASED = "released"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"


class State:
    """What the root callback hands to every command: the database URL, opened on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    def engine(self, *, migrated: bool = True) -> Engine:
        if self._engine is None:
            self._engine = create_db_engine(self.url)
            if migrated:
                ensure_current(self._engine, self.url)
        return self._engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine(), SystemClock())


def _state(ctx: typer.Context) -> State:
    state = ctx.obj
    assert isinstance(state, State)
    return state


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        help="Database URL (default: $O2C_DATABASE_URL or sqlite:///o2c.db).",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who does this (recorded in the event log).")]


@app.callback()
def root(ctx: typer.Context, database: DatabaseOption = None) -> None:
    ctx.obj = State(database or Settings().database_url)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database schema, or bring it up to date."""
    state = _state(ctx)
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
    report = import_csv(_state(ctx).uow(), kind, _readable(file), actor=actor)
    out.print(f"{kind}: {report.created} created, {report.updated} updated")


@app.command()
def demo(ctx: typer.Context) -> None:
    """Initialise a database, load the sample data and walk orders through the whole cycle."""
    from o2c.sim.walkthrough import run_walkthrough

    state = _state(ctx)
    upgrade(state.engine(migrated=False))
    run_walkthrough(state.engine(), out)


# --- orders ------------------------------------------------------------------------------------


@order_app.command("place")
def order_place(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="JSON order: customer, ship_to, channel, lines[{sku, quantity}].")
    ],
    idempotency_key: Annotated[str | None, typer.Option(help="Resending with the same key is safe.")] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Enter an order: validate, price, credit-check and reserve stock."""
    body = _json_file(file)
    if idempotency_key is not None:
        body["idempotency_key"] = idempotency_key
    request = PlaceOrderRequest.model_validate(body)
    _show_order(place_order(_state(ctx).uow(), request, actor), fmt)


@order_app.command("show")
def order_show(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """Show an order, its lines and the time of every stage."""
    _show_order(get_order(_state(ctx).uow(), number), fmt)


@order_app.command("events")
def order_events_(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """The order's event history, oldest first."""
    history = order_events(_state(ctx).uow(), number)
    if fmt is Format.JSON:
        _print_json([e.__dict__ for e in history])
        return
    table = Table("when (UTC)", "event", "actor", "payload")
    for e in history:
        table.add_row(
            e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), e.event_type, e.actor, json.dumps(e.payload)
        )
    out.print(table)


@order_app.command("advance")
def order_advance(
    ctx: typer.Context,
    number: str,
    to: Annotated[Stage, typer.Option("--to", help="Stage to reach; the steps in between are done too.")],
    carrier: Annotated[str, typer.Option(help="Carrier code, for shipping.")] = "",
    tracking: Annotated[str, typer.Option(help="Tracking number, for shipping.")] = "",
    freight: Annotated[str, typer.Option(help="Freight cost, for shipping.")] = "0.00",
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Move an order forward: release, pick, pack, ship (shipping needs --carrier and --tracking)."""
    state = _state(ctx)
    if to is Stage.SHIPPED and not (carrier and tracking):
        raise ValidationFailed("shipping needs --carrier and --tracking", field="carrier")
    ship = ShipRequest(
        carrier=carrier or "-", tracking_number=tracking or "-", freight_cost=_decimal(freight, "--freight")
    )
    order = get_order(state.uow(), number)
    shipped_now = False
    while order.status != to.value and not (shipped_now and order.status == "partially_shipped"):
        rank = _ADVANCE_RANK.get(order.status)
        if rank is None or rank >= _ADVANCE_RANK[to.value]:
            raise ValidationFailed(f"order {number} is {order.status}: cannot advance it to {to}", field="to")
        if order.status == "packed":
            order = ship_order(state.uow(), number, ship, actor)
            shipped_now = True
        else:
            order = _ADVANCE_STEP[order.status](state.uow(), number, actor)
    _show_order(order, fmt)


# Where each status stands on the way to shipped, and the step that moves it on.
_ADVANCE_RANK = {"open": 0, "partially_shipped": 0, "released": 1, "picked": 2, "packed": 3, "shipped": 4}
_ADVANCE_STEP = {
    "open": release_order,
    "partially_shipped": release_order,
    "released": pick_order,
    "picked": pack_order,
}


@order_app.command("ship")
def order_ship(
    ctx: typer.Context,
    number: str,
    carrier: Annotated[str, typer.Option(help="Carrier code.")],
    tracking: Annotated[str, typer.Option(help="Tracking number.")],
    line: Annotated[
        list[str] | None, typer.Option(help="LINE:QTY to ship (repeatable); default: everything packed.")
    ] = None,
    freight: Annotated[str, typer.Option(help="Freight cost.")] = "0.00",
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "warehouse",
) -> None:
    """Ship packed goods, all or some lines (a partial shipment), and invoice what shipped."""
    quantities = dict(_line_qty(v, "--line") for v in line) if line else None
    request = ShipRequest(
        carrier=carrier,
        tracking_number=tracking,
        quantities=quantities,
        freight_cost=_decimal(freight, "--freight"),
    )
    _show_order(ship_order(_state(ctx).uow(), number, request, actor), fmt)


@order_app.command("cancel")
def order_cancel(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Cancel what has not shipped; reserved stock becomes available again."""
    _show_order(cancel_order(_state(ctx).uow(), number, actor), fmt)


@order_app.command("release-hold")
def order_release_hold(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "finance"
) -> None:
    """Accept the credit risk of an order on credit hold; it is then reserved."""
    _show_order(release_credit_hold(_state(ctx).uow(), number, actor), fmt)


# --- quotes, deliveries, payments ----------------------------------------------------------------


@quote_app.command("create")
def quote_create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON basket.")],
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Price a basket for a customer, valid for a number of days."""
    quote = create_quote(_state(ctx).uow(), QuoteRequest.model_validate(_json_file(file)), actor)
    if fmt is Format.JSON:
        _print_json(quote)
        return
    table = Table("sku", "quantity", "unit price", "net", title=f"quote {quote.number} for {quote.customer}")
    for sku, qty, price, net in quote.lines:
        table.add_row(sku, str(qty), str(price), str(net))
    out.print(table)
    out.print(
        f"total {quote.total} (tax {quote.tax_total}), valid until {quote.valid_until:%Y-%m-%d %H:%M} UTC"
    )


@quote_app.command("convert")
def quote_convert(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Turn an open quote into an order at the quoted prices."""
    _show_order(convert_quote(_state(ctx).uow(), number, actor=actor), fmt)


@shipment_app.command("deliver")
def shipment_deliver(
    ctx: typer.Context,
    number: str,
    received_by: Annotated[str, typer.Option(help="Who signed the proof of delivery.")] = "consignee",
    short: Annotated[list[str] | None, typer.Option(help="LINE:QTY delivered short (repeatable).")] = None,
    damaged: Annotated[
        list[str] | None, typer.Option(help="LINE:QTY delivered damaged (repeatable).")
    ] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Record proof of delivery of a shipment, with short or damaged quantities."""
    exceptions: dict[int, dict[str, int]] = {}
    for option, values in (("short", short or []), ("damaged", damaged or [])):
        for line_no, qty in (_line_qty(v, f"--{option}") for v in values):
            exceptions.setdefault(line_no, {"line_no": line_no})[option] = qty
    request = DeliverRequest(
        received_by=received_by, exceptions=[DeliveryException.model_validate(e) for e in exceptions.values()]
    )
    _show_order(deliver_shipment(_state(ctx).uow(), number, request, actor), fmt)


@payment_app.command("record")
def payment_record(
    ctx: typer.Context,
    invoice: str,
    amount: str,
    reference: Annotated[str, typer.Option(help="Bank reference.")] = "",
    actor: ActorOption = "finance",
) -> None:
    """Record a payment (partial payments are fine) against an invoice."""
    request = PaymentRequest(invoice=invoice, amount=_decimal(amount, "amount"), reference=reference)
    status = record_payment(_state(ctx).uow(), request, actor)
    out.print(f"invoice {invoice}: {status}")


@receivables_app.command("aging")
def receivables_aging_(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD); default today.")] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Open receivables per customer by days past due."""
    rows = receivables_aging(_state(ctx).uow(), _date(as_of, "--as-of") if as_of else None)
    if fmt is Format.JSON:
        _print_json([{"customer": r.customer_code, **r.buckets, "total": r.total} for r in rows])
        return
    table = Table(
        "customer", "current", "1-30", "31-60", "61-90", "over 90", "total", title="receivables aging"
    )
    for r in rows:
        table.add_row(r.customer_code, *(str(v) for v in r.buckets.values()), str(r.total))
    out.print(table)


# --- presentation and input parsing ----------------------------------------------------------------


def _show_order(order: OrderSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        _print_json(order)
        return
    title = f"order {order.number} · {order.customer} · {order.status}" + (
        " (replayed)" if order.replayed else ""
    )
    table = Table(
        "line",
        "sku",
        "ordered",
        "allocated",
        "backordered",
        "lost",
        "cancelled",
        "shipped",
        "delivered",
        "net",
        title=title,
    )
    for ln in order.lines:
        table.add_row(
            str(ln.line_no),
            ln.sku,
            str(ln.ordered),
            str(ln.allocated),
            str(ln.backordered),
            str(ln.lost),
            str(ln.cancelled),
            str(ln.shipped),
            str(ln.delivered),
            str(ln.net_amount),
        )
    out.print(table)
    stages = ", ".join(f"{k.removesuffix('_at')} {v:%Y-%m-%d %H:%M}" for k, v in order.stages.items() if v)
    out.print(f"total {order.total} (tax {order.tax_total}) · {stages}")


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable_python(value), indent=2) + "\n")


def _readable(path: Path) -> Path:
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file", field="file")
    return path


def _json_file(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(_readable(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"{path}: not valid JSON ({error})", field="file") from None
    if not isinstance(body, dict):
        raise ValidationFailed(f"{path}: expected a JSON object", field="file")
    return body


def _decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValidationFailed(f"{what} {text!r} is not a number", field=what) from None


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{what} {text!r} is not a date (YYYY-MM-DD)", field=what) from None


def _line_qty(text: str, what: str) -> tuple[int, int]:
    line, _, qty = text.partition(":")
    if not (line.isdigit() and qty.isdigit()):
        raise ValidationFailed(f"{what} {text!r} is not LINE:QTY", field=what)
    return int(line), int(qty)


def _pydantic_message(error: pydantic.ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "input"
    more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def fail(message: str, status: int = 2) -> None:
    sys.stderr.write(f"o2c: error: {message}\n")
    raise SystemExit(status)


def main() -> None:
    """Entry point of the ``o2c`` script: the one place errors become exit statuses."""
    try:
        app()
    except O2CError as error:
        fail(str(error))
    except pydantic.ValidationError as error:
        fail(_pydantic_message(error))
    except OperationalError as error:
        fail(f"database error: {str(error.orig).strip().splitlines()[0]}", status=1)
