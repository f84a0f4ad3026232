"""``o2c po`` and ``o2c transfer``: the inbound side, purchase orders to suppliers and transfers
between our own locations.

Both are merged into :data:`supply_app`, which the root app registers in one line; bad input raises
:class:`~o2c.domain.errors.ValidationFailed` (or a Pydantic error), which ``o2c.cli.main`` turns into
one line on stderr and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from o2c.cli.common import (
    ActorOption,
    Format,
    FormatOption,
    date_option,
    decimal_option,
    json_file,
    line_qty,
    out,
    print_json,
    state_of,
)
from o2c.domain.errors import ValidationFailed
from o2c.domain.inbound import DEFAULT_OVER_RECEIPT_TOLERANCE
from o2c.services.purchasing import (
    PurchaseOrderRequest,
    PurchaseOrderSummary,
    ShipmentNoticeRequest,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    get_purchase_order,
    notify_shipment,
    reschedule_purchase_order_line,
)
from o2c.services.receiving import ReceiptSummary, ReceiveRequest, receive_purchase_order
from o2c.services.transfers import (
    ReceiveTransferRequest,
    ShipTransferRequest,
    TransferRequest,
    TransferSummary,
    cancel_transfer,
    create_transfer,
    get_transfer,
    receive_transfer,
    ship_transfer,
)

po_app = typer.Typer(
    help="Purchase orders: create, shipping notices, receive, reschedule.", no_args_is_help=True
)
transfer_app = typer.Typer(help="Transfers between our own locations.", no_args_is_help=True)
supply_app = typer.Typer()
supply_app.add_typer(po_app, name="po")
supply_app.add_typer(transfer_app, name="transfer")

LineOption = Annotated[list[str] | None, typer.Option("--line", help="See the command's help; repeatable.")]
OptionalFile = Annotated[Path | None, typer.Argument(help="JSON body (instead of --line options).")]


def receipt_line(text: str) -> dict[str, Any]:
    """``LINE:RECEIVED[:REJECTED[:REASON]]`` → a receipt line; the reason may contain colons."""
    parts = text.split(":", 3)
    numbers = parts[:3]
    if len(parts) < 2 or not all(p.isdigit() for p in numbers):
        raise ValidationFailed(f"--line {text!r} is not LINE:RECEIVED[:REJECTED[:REASON]]", field="--line")
    line: dict[str, Any] = {"line_no": int(parts[0]), "received": int(parts[1])}
    if len(parts) > 2:
        line["rejected"] = int(parts[2])
    if len(parts) > 3:
        line["reason"] = parts[3]
    return line


def _body(
    file: Path | None, lines: list[dict[str, Any]], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    if file is not None and lines:
        raise ValidationFailed("give a JSON file or --line options, not both", field="--line")
    if file is not None:
        return json_file(file)
    return {**(extra or {}), "lines": lines}


# --- purchase orders -----------------------------------------------------------------------------


@po_app.command("create")
def po_create(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="JSON: supplier, location, lines[{sku, quantity, unit_cost, promised_date}]."),
    ],
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "buyer",
) -> None:
    """Order goods from a supplier for one of our locations."""
    request = PurchaseOrderRequest.model_validate(json_file(file))
    show_purchase_order(create_purchase_order(state_of(ctx).uow(), request, actor), fmt)


@po_app.command("notify")
def po_notify(
    ctx: typer.Context,
    number: str,
    file: OptionalFile = None,
    expected: Annotated[str | None, typer.Option(help="Expected arrival, YYYY-MM-DD.")] = None,
    reference: Annotated[str, typer.Option(help="The supplier's delivery note number.")] = "",
    line: LineOption = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "buyer",
) -> None:
    """Record an advance shipping notice: --expected DATE and --line LINE:QTY, or a JSON file."""
    header: dict[str, Any] = {"reference": reference}
    if expected is not None:
        header["expected_date"] = date_option(expected, "--expected")
    lines = [{"line_no": n, "quantity": q} for n, q in (line_qty(v, "--line") for v in line or [])]
    request = ShipmentNoticeRequest.model_validate(_body(file, lines, header))
    notice = notify_shipment(state_of(ctx).uow(), number, request, actor)
    if fmt is Format.JSON:
        print_json(notice)
        return
    table = Table(
        "line", "sku", "quantity", title=f"shipping notice {notice.number} for {notice.purchase_order}"
    )
    for line_no, sku, qty in notice.lines:
        table.add_row(str(line_no), sku, str(qty))
    out.print(table)
    out.print(f"expected {notice.expected_date}" + _at_risk(notice.at_risk_orders))


@po_app.command("receive")
def po_receive(
    ctx: typer.Context,
    number: str,
    file: OptionalFile = None,
    line: LineOption = None,
    tolerance: Annotated[str, typer.Option(help="Over-receipt tolerance, a fraction.")] = str(
        DEFAULT_OVER_RECEIPT_TOLERANCE
    ),
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "receiving",
) -> None:
    """Receive goods with inspection: --line LINE:RECEIVED[:REJECTED[:REASON]] (repeatable) or a JSON
    file {lines: [{line_no, received, rejected, reason}]}. Accepted goods go on hand."""
    request = ReceiveRequest.model_validate(_body(file, [receipt_line(v) for v in line or []]))
    limit = decimal_option(tolerance, "--tolerance")
    show_receipt(receive_purchase_order(state_of(ctx).uow(), number, request, actor, tolerance=limit), fmt)


@po_app.command("reschedule")
def po_reschedule(
    ctx: typer.Context,
    number: str,
    line_no: Annotated[int, typer.Argument(metavar="LINE", help="PO line number.")],
    expected: Annotated[str | None, typer.Option(help="New expected date, YYYY-MM-DD.")] = None,
    quantity: Annotated[int | None, typer.Option(help="New quantity (not below what was received).")] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "buyer",
) -> None:
    """A supplier slips a line or ships less; the SKU's customer promises are re-checked."""
    new_date = date_option(expected, "--expected") if expected is not None else None
    summary = reschedule_purchase_order_line(
        state_of(ctx).uow(), number, line_no, expected_date=new_date, quantity=quantity, actor=actor
    )
    show_purchase_order(summary, fmt)


@po_app.command("show")
def po_show(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """Show a purchase order and what each line has received."""
    show_purchase_order(get_purchase_order(state_of(ctx).uow(), number), fmt)


@po_app.command("close")
def po_close(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "buyer"
) -> None:
    """Close an order by hand: what is still outstanding will not come."""
    show_purchase_order(close_purchase_order(state_of(ctx).uow(), number, actor), fmt)


@po_app.command("cancel")
def po_cancel(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "buyer"
) -> None:
    """Cancel an order nothing has been received against."""
    show_purchase_order(cancel_purchase_order(state_of(ctx).uow(), number, actor), fmt)


# --- transfers -----------------------------------------------------------------------------------


@transfer_app.command("create")
def transfer_create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON: from_location, to_location, lines[{sku, quantity}].")],
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "planner",
) -> None:
    """Plan a transfer between two of our locations."""
    request = TransferRequest.model_validate(json_file(file))
    show_transfer(create_transfer(state_of(ctx).uow(), request, actor), fmt)


@transfer_app.command("ship")
def transfer_ship(
    ctx: typer.Context,
    number: str,
    expected: Annotated[str, typer.Option(help="Expected arrival, YYYY-MM-DD.")],
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "warehouse",
) -> None:
    """Ship from the source, taking only available stock (never what customers have reserved)."""
    request = ShipTransferRequest(expected_date=date_option(expected, "--expected"))
    show_transfer(ship_transfer(state_of(ctx).uow(), number, request, actor), fmt)


@transfer_app.command("receive")
def transfer_receive(
    ctx: typer.Context,
    number: str,
    line: Annotated[
        list[str] | None, typer.Option(help="LINE:QTY received (repeatable); default: all.")
    ] = None,
    fmt: FormatOption = Format.TABLE,
    actor: ActorOption = "receiving",
) -> None:
    """Receive in-transit goods at the destination, all or some lines in part."""
    lines = [{"line_no": n, "quantity": q} for n, q in (line_qty(v, "--line") for v in line or [])]
    request = ReceiveTransferRequest.model_validate({"lines": lines or None})
    show_receipt(receive_transfer(state_of(ctx).uow(), number, request, actor), fmt)


@transfer_app.command("show")
def transfer_show(ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE) -> None:
    """Show a transfer and what has arrived."""
    show_transfer(get_transfer(state_of(ctx).uow(), number), fmt)


@transfer_app.command("cancel")
def transfer_cancel(
    ctx: typer.Context, number: str, fmt: FormatOption = Format.TABLE, actor: ActorOption = "planner"
) -> None:
    """Cancel a transfer that has not shipped."""
    show_transfer(cancel_transfer(state_of(ctx).uow(), number, actor), fmt)


# --- output --------------------------------------------------------------------------------------


def _at_risk(orders: tuple[str, ...]) -> str:
    return f" · promises re-checked, at risk: {', '.join(orders)}" if orders else ""


def show_purchase_order(po: PurchaseOrderSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(po)
        return
    title = f"purchase order {po.number} · {po.supplier} → {po.location} · {po.status}"
    table = Table(
        "line",
        "sku",
        "ordered",
        "received",
        "accepted",
        "rejected",
        "outstanding",
        "unit cost",
        "promised",
        "expected",
        title=title,
    )
    for ln in po.lines:
        table.add_row(
            str(ln.line_no),
            ln.sku,
            *(str(q) for q in (ln.ordered, ln.received, ln.accepted, ln.rejected, ln.outstanding)),
            str(ln.unit_cost),
            ln.promised_date.isoformat(),
            ln.expected_date.isoformat(),
        )
    out.print(table)
    closed = f" · closed {po.closed_at:%Y-%m-%d %H:%M}" if po.closed_at else ""
    out.print(f"created {po.created_at:%Y-%m-%d %H:%M}{closed}" + _at_risk(po.at_risk_orders))


def show_receipt(receipt: ReceiptSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(receipt)
        return
    title = f"receipt {receipt.number} · {receipt.source} ({receipt.source_status}) · at {receipt.location}"
    table = Table("line", "sku", "received", "accepted", "rejected", "reason", title=title)
    for ln in receipt.lines:
        table.add_row(
            str(ln.line_no), ln.sku, str(ln.received), str(ln.accepted), str(ln.rejected), ln.reason
        )
    out.print(table)
    allocated = ", ".join(receipt.allocated_orders) or "none"
    out.print(f"backorders allocated: {allocated}" + _at_risk(receipt.at_risk_orders))


def show_transfer(transfer: TransferSummary, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(transfer)
        return
    expected = f" (expected {transfer.expected_date})" if transfer.expected_date else ""
    title = (
        f"transfer {transfer.number} · {transfer.from_location} → {transfer.to_location} · {transfer.status}"
    )
    table = Table("line", "sku", "quantity", "received", "in transit", title=title + expected)
    moving = transfer.status == "in_transit"
    for ln in transfer.lines:
        in_transit = ln.quantity - ln.received if moving else 0
        table.add_row(str(ln.line_no), ln.sku, str(ln.quantity), str(ln.received), str(in_transit))
    out.print(table)
