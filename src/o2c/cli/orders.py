"""``o2c order``, ``o2c quote`` and ``o2c shipment``: the sales side of the cycle."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import (
    ActorOption,
    Format,
    FormatOption,
    decimal_option,
    json_file,
    line_qty,
    out,
    print_json,
    state_of,
)
from o2c.domain.errors import ValidationFailed
from o2c.services.fulfilment import (
    DeliverRequest,
    DeliveryException,
    ShipRequest,
    advance_order,
    cancel_order,
    deliver_shipment,
    release_credit_hold,
    ship_order,
)
from o2c.services.ordering import PlaceOrderRequest, get_order, place_order
from o2c.services.queries import order_events
from o2c.services.quoting import QuoteRequest, convert_quote, create_quote
from o2c.services.results import OrderSummary

order_app = typer.Typer(help="Place, inspect and move orders through the cycle.", no_args_is_help=True)
quote_app = typer.Typer(help="Price baskets and convert them into orders.", no_args_is_help=True)
shipment_app = typer.Typer(help="Record proof of delivery and carrier freight bills.", no_args_is_help=True)


class Stage(StrEnum):
    RELEASED = "released"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"


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
    body = json_file(file)
    if idempotency_key is not None:
        body["idempotency_key"] = idempotency_key
    request = PlaceOrderRequest.model_validate(body)
    show_order(place_order(state_of(ctx).uow(), request, actor), fmt)


@order_app.command("show")
def order_show(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """Show an order, its lines and the time of every stage."""
    show_order(get_order(state_of(ctx).uow(), number), fmt)


@order_app.command("events")
def order_events_(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """The order's event history, oldest first."""
    history = order_events(state_of(ctx).uow(), number)
    if fmt is Format.JSON:
        print_json([e.__dict__ for e in history])
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
    """Move an order forward: release, pick, pack, ship (shipping needs --carrier and --tracking).

    All the steps are one transaction: if one is refused, the order is left as it was."""
    if to is Stage.SHIPPED and not (carrier and tracking):
        raise ValidationFailed("shipping needs --carrier and --tracking", field="carrier")
    ship = ShipRequest(
        carrier=carrier or "-",
        tracking_number=tracking or "-",
        freight_cost=decimal_option(freight, "--freight"),
    )
    show_order(advance_order(state_of(ctx).uow(), number, to.value, ship, actor), fmt)


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
    quantities = dict(line_qty(v, "--line") for v in line) if line else None
    request = ShipRequest(
        carrier=carrier,
        tracking_number=tracking,
        quantities=quantities,
        freight_cost=decimal_option(freight, "--freight"),
    )
    show_order(ship_order(state_of(ctx).uow(), number, request, actor), fmt)


@order_app.command("cancel")
def order_cancel(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Cancel what has not shipped; reserved stock becomes available again."""
    show_order(cancel_order(state_of(ctx).uow(), number, actor), fmt)


@order_app.command("release-hold")
def order_release_hold(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "finance"
) -> None:
    """Accept the credit risk of an order on credit hold; it is then reserved."""
    show_order(release_credit_hold(state_of(ctx).uow(), number, actor), fmt)


# --- quotes, deliveries, payments ----------------------------------------------------------------


@quote_app.command("create")
def quote_create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON basket.")],
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Price a basket for a customer, valid for a number of days."""
    quote = create_quote(state_of(ctx).uow(), QuoteRequest.model_validate(json_file(file)), actor)
    if fmt is Format.JSON:
        print_json(quote)
        return
    title = f"quote {quote.number} for {quote.customer}"
    table = Table("sku", "quantity", "unit price", "net", "promised", title=title)
    for (sku, qty, price, net), day in zip(quote.lines, quote.line_promises, strict=True):
        table.add_row(sku, str(qty), str(price), str(net), _promised(day, False))
    out.print(table)
    out.print(
        f"total {quote.total} (tax {quote.tax_total}), valid until {quote.valid_until:%Y-%m-%d %H:%M} UTC,"
        f" delivery {_promised(quote.promised_date, False)}"
    )


@quote_app.command("convert")
def quote_convert(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "cli"
) -> None:
    """Turn an open quote into an order at the quoted prices."""
    show_order(convert_quote(state_of(ctx).uow(), number, actor=actor), fmt)


@shipment_app.command("deliver")
def shipment_deliver(
    ctx: typer.Context,
    number: str,
    received_by: Annotated[str, typer.Option(help="Who signed the proof of delivery.")] = "consignee",
    short: Annotated[list[str] | None, typer.Option(help="LINE:QTY delivered short (repeatable).")] = None,
    damaged: Annotated[
        list[str] | None, typer.Option(help="LINE:QTY delivered damaged (repeatable).")
    ] = None,
    wrong_item: Annotated[
        list[str] | None, typer.Option(help="LINE:QTY delivered as the wrong product (repeatable).")
    ] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "cli",
) -> None:
    """Record proof of delivery of a shipment, with short, damaged or wrong-item quantities."""
    exceptions: dict[int, dict[str, int]] = {}
    options = (("short", short or []), ("damaged", damaged or []), ("wrong_item", wrong_item or []))
    for option, values in options:
        for line_no, qty in (line_qty(v, f"--{option.replace('_', '-')}") for v in values):
            exceptions.setdefault(line_no, {"line_no": line_no})[option] = qty
    request = DeliverRequest(
        received_by=received_by, exceptions=[DeliveryException.model_validate(e) for e in exceptions.values()]
    )
    show_order(deliver_shipment(state_of(ctx).uow(), number, request, actor), fmt)


def show_order(order: OrderSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(order)
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
        "substituted",
        "promised",
        "net",
        title=title,
    )
    for ln in order.lines:
        table.add_row(
            f"{ln.line_no}" + (f" (for {ln.substitute_for_line_no})" if ln.substitute_for_line_no else ""),
            ln.sku,
            str(ln.ordered),
            str(ln.allocated),
            str(ln.backordered),
            str(ln.lost),
            str(ln.cancelled),
            str(ln.shipped),
            str(ln.delivered),
            str(ln.substituted),
            _promised(ln.promised_date, ln.promise_at_risk),
            str(ln.net_amount),
        )
    out.print(table)
    stages = ", ".join(f"{k.removesuffix('_at')} {v:%Y-%m-%d %H:%M}" for k, v in order.stages.items() if v)
    promised = f" · promised {order.promised_date}" if order.promised_date else ""
    out.print(f"total {order.total} (tax {order.tax_total}){promised} · {stages}")


def _promised(day: date | None, at_risk: bool) -> str:
    return ("-" if day is None else day.isoformat()) + (" at risk" if at_risk else "")
