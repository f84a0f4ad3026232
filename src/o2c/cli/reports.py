"""``o2c report service | suppliers | carriers | stockouts``: the service metrics reports.

The commands join the shared ``report`` group (customer analytics adds its own) through
:func:`register_service_reports`. Rich tables for people; ``--format csv`` (one flat record per row:
each rate, then its ``_numerator`` and ``_denominator``) and ``--format json`` (metrics named as in
DOMAIN.md) for tools.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Annotated, Any

import typer

from o2c.analytics.delivery import OnTimeBasis
from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Distribution, Ratio, Slice, as_json
from o2c.analytics.fill import entry_fill
from o2c.analytics.names import NameKind, require_known
from o2c.analytics.periods import Period, Window
from o2c.analytics.scorecards import carrier_scorecard, supplier_scorecard
from o2c.analytics.service import ScorecardRow, flatten, service_scorecard
from o2c.analytics.stockouts import stockout_periods, stockout_snapshot
from o2c.cli.common import date_option, out, print_json, state_of
from o2c.cli.sheets import Sheet, print_sheet
from o2c.domain.clock import SystemClock
from o2c.domain.errors import ValidationFailed


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class PeriodChoice(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


PeriodOption = Annotated[
    PeriodChoice, typer.Option("--period", help="Bucket by UTC day, ISO week (Monday), month, or all.")
]
ByOption = Annotated[Dimension | None, typer.Option("--by", help="Break down by.", show_default=False)]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First UTC day (YYYY-MM-DD).", show_default=False)
]
ToOption = Annotated[str | None, typer.Option("--to", help="Last UTC day, included.", show_default=False)]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Instant for snapshots (ISO, UTC; default now).", show_default=False),
]
ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")]
SupplierOption = Annotated[
    list[str] | None, typer.Option("--supplier", help="Only this supplier (repeatable).", show_default=False)
]
CarrierOption = Annotated[
    list[str] | None, typer.Option("--carrier", help="Only this carrier (repeatable).", show_default=False)
]


def _slice(period: PeriodChoice, by: Dimension | None, first: str | None, last: str | None) -> Slice:
    window = Window.of_dates(
        date_option(first, "from") if first else None, date_option(last, "to") if last else None
    )
    return Slice(None if period is PeriodChoice.ALL else Period(period), by, window)


def _as_of(text: str | None) -> datetime:
    if text is None:
        return SystemClock().now()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"as-of {text!r} is not an ISO date or time", field="as_of") from None
    if len(text) == 10:  # a bare date: the end of that UTC day
        parsed = datetime.combine(parsed.date(), time.max)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _pct(value: Ratio | None) -> str:
    return "-" if value is None or value.value is None else f"{value.value:.1%}"


def _hours(value: Distribution | None, stat: str = "mean") -> str:
    number = getattr(value, stat) if value is not None else None
    return "-" if number is None else f"{number:.1f}"


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _write_csv(records: Iterable[dict[str, Any]]) -> None:
    rows = list(records)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    writer = csv.DictWriter(sys.stdout, fieldnames=list(names), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _emit(fmt: ReportFormat, body: Any, rows: list[dict[str, Any]], sheet: Callable[[], Sheet]) -> None:
    if fmt is ReportFormat.JSON:
        print_json(body)
    elif fmt is ReportFormat.CSV:
        _write_csv(flatten(r) for r in rows)
    else:
        print_sheet(out, sheet())


def report_service(
    ctx: typer.Context,
    period: PeriodOption = PeriodChoice.MONTH,
    by: ByOption = None,
    first: FromOption = None,
    last: ToOption = None,
    on_time: Annotated[
        OnTimeBasis, typer.Option("--on-time", help="On time against.")
    ] = OnTimeBasis.PROMISED,
    as_of: AsOfOption = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """Fill rates, OTIF, perfect order, cycle times, order-to-cash and DSO by period (and --by)."""
    spec = _slice(period, by, first, last)
    card = service_scorecard(state_of(ctx).engine(), spec, _as_of(as_of), on_time)
    body = card.as_json()
    _emit(fmt, body, body["rows"], lambda: _service_table(card.rows, by, card.not_available))


def _service_table(rows: list[ScorecardRow], by: Dimension | None, missing: list[str]) -> Sheet:
    caption = f"not by {by}: {'; '.join(missing)}" if missing else None
    table = Sheet(
        "service scorecard",
        ("period", str(by or "all")),
        (
            "unit fill",
            "line fill",
            "order fill",
            "value fill",
            "OTIF",
            "perfect",
            "POI",
            "cycle h",
            "cycle p90 h",
            "O2C h",
            "DSO d",
        ),
        caption=caption,
    )
    for r in rows:
        f, d, total = r.fill, r.delivery, r.stages.get("total")
        table.add_row(
            r.period,
            r.member,
            _pct(f.unit_fill_rate if f else None),
            _pct(f.line_fill_rate if f else None),
            _pct(f.order_fill_rate if f else None),
            _pct(f.value_fill_rate if f else None),
            _pct(d.otif if d else None),
            _pct(d.perfect_order_rate if d else None),
            "-" if d is None or d.perfect_order_index is None else f"{d.perfect_order_index:.1%}",
            _hours(total),
            _hours(total, "p90"),
            _hours(r.stages.get("order_to_cash")),
            _number(r.sales_outstanding.dso if r.sales_outstanding else None),
        )
    return table


def report_suppliers(
    ctx: typer.Context,
    period: PeriodOption = PeriodChoice.MONTH,
    first: FromOption = None,
    last: ToOption = None,
    supplier: Annotated[
        list[str] | None,
        typer.Option("--supplier", help="Only this supplier (repeatable).", show_default=False),
    ] = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """Supplier scorecard: on-time receipt, quality, price index, lead time, quantity accuracy."""
    spec = _slice(period, None, first, last)
    with state_of(ctx).engine().connect() as conn:
        require_known(conn, NameKind.SUPPLIER, supplier)
        scores = [s for s in supplier_scorecard(conn, spec) if not supplier or s.supplier in supplier]
    rows = as_json(scores)

    def table() -> Sheet:
        t = Sheet(
            "supplier scorecard",
            ("period", "supplier"),
            ("on time", "rejected", "price index", "lead h", "lead sd", "qty exact"),
        )
        for s in scores:
            t.add_row(
                s.period,
                s.supplier,
                _pct(s.on_time_receipt),
                _pct(s.quality),
                _number(s.price_index.value, 3),
                _hours(s.lead_time),
                _hours(s.lead_time, "std_dev"),
                _pct(s.quantity_accuracy),
            )
        return t

    _emit(fmt, {"rows": rows}, rows, table)


def report_carriers(
    ctx: typer.Context,
    period: PeriodOption = PeriodChoice.MONTH,
    first: FromOption = None,
    last: ToOption = None,
    carrier: Annotated[
        list[str] | None,
        typer.Option("--carrier", help="Only this carrier (repeatable).", show_default=False),
    ] = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """Carrier scorecard: on-time delivery, transit time, damage rate, freight billing accuracy, cost."""
    spec = _slice(period, None, first, last)
    with state_of(ctx).engine().connect() as conn:
        require_known(conn, NameKind.CARRIER, carrier)
        scores = [s for s in carrier_scorecard(conn, spec) if not carrier or s.carrier in carrier]
    rows = as_json(scores)

    def table() -> Sheet:
        t = Sheet(
            "carrier scorecard",
            ("period", "carrier"),
            ("on time", "transit h", "transit sd", "damaged", "bills exact", "per shipment", "per kg"),
        )
        for s in scores:
            t.add_row(
                s.period,
                s.carrier,
                _pct(s.on_time_delivery),
                _hours(s.transit_time),
                _hours(s.transit_time, "std_dev"),
                _pct(s.damage_rate),
                _pct(s.freight_billing_accuracy),
                _number(s.cost_per_shipment.value, 2),
                _number(s.cost_per_kg.value if s.cost_per_kg else None, 2),
            )
        return t

    _emit(fmt, {"rows": rows}, rows, table)


def report_stockouts(
    ctx: typer.Context,
    period: PeriodOption = PeriodChoice.MONTH,
    by: Annotated[
        Dimension | None, typer.Option("--by", help="Break down by sku or location.", show_default=False)
    ] = None,
    first: FromOption = None,
    last: ToOption = None,
    as_of: AsOfOption = None,
    fmt: ReportFormatOption = ReportFormat.TABLE,
) -> None:
    """Items in stockout (now and time-weighted), age of open stockouts, time to recover, value."""
    spec = _slice(period, by, first, last)
    now = _as_of(as_of)
    with state_of(ctx).engine().connect() as conn:
        snapshot = stockout_snapshot(conn, now, by)
        periods = stockout_periods(conn, spec, now)
        value = {(f.period, f.member): f for f in entry_fill(conn, spec)}
    rows: list[dict[str, Any]] = []
    for p in periods:
        f = value.get((p.period, p.member))
        rows.append(
            {
                "period": p.period,
                "member": p.member,
                "items_in_stockout": p.items_in_stockout.as_json(),
                "average_time_to_recover": p.time_to_recover.as_json(),
                "stockout_value": {
                    "value": f.stockout_value if f else 0,
                    "units": f.stockout_units if f else 0,
                },
            }
        )
    current = [
        {
            "member": s.member,
            "items_in_stockout": s.items_in_stockout.as_json(),
            "average_age_of_stockouts": s.average_age_of_stockouts,
        }
        for s in snapshot
    ]

    def table() -> Sheet:
        t = Sheet(
            "stockouts",
            ("period", str(by or "all")),
            ("in stockout (time-weighted)", "recovered", "recover h", "value"),
        )
        for p, r in zip(periods, rows, strict=True):
            t.add_row(
                p.period,
                p.member,
                _pct(p.items_in_stockout),
                str(p.time_to_recover.count),
                _hours(p.time_to_recover),
                str(r["stockout_value"]["value"]),
            )
        now_line = ", ".join(
            f"{s.member}: {_pct(s.items_in_stockout)} out, age {_number(s.average_age_of_stockouts)} h"
            for s in snapshot
        )
        t.caption = f"as of {now.isoformat(timespec='seconds')}: {now_line or 'no items'}"
        return t

    _emit(fmt, {"as_of": now, "now": current, "rows": rows}, rows, table)


def register_service_reports(report_app: typer.Typer) -> None:
    """Attach ``service``, ``suppliers``, ``carriers`` and ``stockouts`` to the ``report`` group."""
    report_app.command("service")(report_service)
    report_app.command("suppliers")(report_suppliers)
    report_app.command("carriers")(report_carriers)
    report_app.command("stockouts")(report_stockouts)
