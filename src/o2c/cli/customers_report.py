"""``o2c report customers | abc-xyz | service-economics | sla``: the customer analytics reports.

The commands are attached to the shared ``report`` group with :func:`register_customer_reports`.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from o2c.analytics.abc_xyz import Subject, classify
from o2c.analytics.cost_to_serve import parse_rate
from o2c.analytics.customer_report import CustomerReport, customer_report
from o2c.analytics.names import NameKind, require_known
from o2c.analytics.periods import Period, Window
from o2c.analytics.segmentation import Zone
from o2c.analytics.service_economics import (
    SERVICE_LEVELS,
    service_economics,
    totals_by_class,
    totals_by_level,
)
from o2c.analytics.sla import breaches, sla_compliance
from o2c.cli.common import Format, FormatOption, date_option, decimal_option, out, print_json, state_of
from o2c.cli.sheets import Sheet, print_sheet

FromOption = Annotated[str | None, typer.Option("--from", help="First day of the period (YYYY-MM-DD).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day of the period (YYYY-MM-DD).")]


def window_of(first: str | None, last: str | None) -> Window:
    return Window.of_dates(
        date_option(first, "--from") if first else None, date_option(last, "--to") if last else None
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _report_json(report: CustomerReport) -> dict[str, Any]:
    return {
        "rates": report.rates,
        "zone_split": {
            "net_sales": report.split.net_sales,
            "cost_to_serve": report.split.cost_to_serve,
            "at_medians": report.split.at_medians,
        },
        "customers_active": report.customers,
        "pareto_vital_few": report.vital_few,
        "clv_horizon_weeks": report.clv_horizon_weeks,
        "clv_note": report.clv_note,
        "customers": [
            {
                "customer": line.customer.code,
                "name": line.customer.name,
                "segment": line.customer.segment,
                **line.customer.profit.as_json(),
                "zone": line.zone,
                "action": line.action,
                "pareto_rank": line.pareto_rank,
                "cumulative_profit_share": line.cumulative_profit_share,
                "vital_few": line.vital_few,
                "p_alive": line.p_alive,
                "expected_purchases": line.expected_purchases,
                "clv": line.clv,
            }
            for line in report.lines
        ],
        "segments": {name: p.as_json() for name, p in report.segments.items()},
    }


def _print_report(report: CustomerReport) -> None:
    table = Sheet(
        "customer profitability",
        ("customer", "segment"),
        (
            "net sales",
            "gross profit",
            "op. contrib.",
            "cost-to-serve",
            "net profit",
            "zone",
            "rank",
            "cum. %",
            "CLV",
        ),
    )
    for line in report.lines:
        p = line.customer.profit
        table.add_row(
            line.customer.code,
            line.customer.segment,
            _money(p.net_sales),
            _money(p.gross_profit),
            _money(p.operating_profit_contribution),
            _money(p.cost_to_serve),
            _money(p.net_profit),
            str(line.zone),
            str(line.pareto_rank),
            f"{100 * line.cumulative_profit_share:.1f}",
            "-" if line.clv is None else f"{line.clv:,.2f}",
        )
    print_sheet(out, table)
    segments = Sheet("segments", ("segment",), ("net sales", "gross profit", "cost-to-serve", "net profit"))
    for name, p in report.segments.items():
        segments.add_row(
            name, _money(p.net_sales), _money(p.gross_profit), _money(p.cost_to_serve), _money(p.net_profit)
        )
    print_sheet(out, segments)
    split = "medians" if report.split.at_medians else "thresholds"
    out.print(
        f"zones split at {split}: net sales > {_money(report.split.net_sales)}, "
        f"cost-to-serve > {_money(report.split.cost_to_serve)}; "
        f"{report.vital_few} of {report.customers} customers make 80 % of the profit"
    )
    if report.clv_note:
        out.print(report.clv_note)


def report_customers(
    ctx: typer.Context,
    first: FromOption = None,
    last: ToOption = None,
    zone: Annotated[Zone | None, typer.Option(help="Only customers of this zone.")] = None,
    segment: Annotated[str | None, typer.Option(help="Only customers of this segment.")] = None,
    rate: Annotated[
        list[str] | None, typer.Option(help="ACTIVITY=AMOUNT for this report (repeatable).")
    ] = None,
    sales_threshold: Annotated[str | None, typer.Option(help="Split zones here, not at the median.")] = None,
    cost_threshold: Annotated[str | None, typer.Option(help="Split zones here, not at the median.")] = None,
    clv_weeks: Annotated[float, typer.Option(help="CLV horizon in weeks.")] = 52.0,
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate of the CLV.")] = 0.10,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Profitability, cost-to-serve, zone, Pareto rank and CLV per customer; totals per segment."""
    window = window_of(first, last)
    with state_of(ctx).engine().connect() as conn:
        require_known(conn, NameKind.SEGMENT, segment)
    report = customer_report(
        state_of(ctx).engine(),
        window,
        rates=dict(parse_rate(r) for r in rate or []),
        sales_threshold=decimal_option(sales_threshold, "--sales-threshold") if sales_threshold else None,
        cost_threshold=decimal_option(cost_threshold, "--cost-threshold") if cost_threshold else None,
        zone=zone,
        segment=segment,
        clv_horizon_weeks=clv_weeks,
        annual_discount_rate=discount_rate,
    )
    if fmt is Format.JSON:
        print_json(_report_json(report))
    else:
        _print_report(report)


def report_abc_xyz(
    ctx: typer.Context,
    subject: Annotated[Subject, typer.Option("--of", help="Classify customers or SKUs.")] = Subject.SKU,
    first: FromOption = None,
    last: ToOption = None,
    a: Annotated[float, typer.Option("--a", help="Cumulative revenue share closing class A.")] = 0.80,
    b: Annotated[float, typer.Option("--b", help="Cumulative revenue share closing class B.")] = 0.95,
    x: Annotated[float, typer.Option("--x", help="Weekly demand CV closing class X.")] = 0.5,
    y: Annotated[float, typer.Option("--y", help="Weekly demand CV closing class Y.")] = 1.0,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """ABC classes by revenue and XYZ classes by the variability of weekly demand."""
    with state_of(ctx).engine().connect() as conn:
        items = classify(conn, subject, window_of(first, last), abc=(a, b), xyz=(x, y))
    if fmt is Format.JSON:
        print_json(
            [
                {
                    subject.value: i.key,
                    "revenue": i.revenue,
                    "abc": i.abc,
                    "weekly_mean": i.weekly_mean,
                    "weekly_cv": i.weekly_cv,
                    "xyz": i.xyz,
                    "class": i.abc_xyz,
                }
                for i in items
            ]
        )
        return
    table = Table(subject.value, "revenue", "ABC", "weekly mean", "CV", "XYZ", title=f"ABC/XYZ of {subject}s")
    for i in items:
        cv = "-" if i.weekly_cv is None else f"{i.weekly_cv:.2f}"
        table.add_row(i.key, _money(i.revenue), i.abc, f"{i.weekly_mean:,.2f}", cv, i.xyz)
    out.print(table)


def report_service_economics(
    ctx: typer.Context,
    first: FromOption = None,
    last: ToOption = None,
    holding_rate: Annotated[float, typer.Option(help="Yearly holding cost as a share of unit cost.")] = 0.25,
    lead_time: Annotated[float, typer.Option(help="Lead time in days when no receipt was recorded.")] = 14.0,
    sku: Annotated[list[str] | None, typer.Option(help="Only these SKUs (repeatable).")] = None,
    by_class: Annotated[bool, typer.Option("--by-class", help="Also totals per ABC class of SKU.")] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Safety stock and holding cost of cycle service levels 80 % to 99.9 %, per SKU and in total."""
    window = window_of(first, last)
    with state_of(ctx).engine().connect() as conn:
        require_known(conn, NameKind.SKU, sku)
        rows = service_economics(conn, window, holding_rate=holding_rate, default_lead_time_days=lead_time)
        abc = {i.key: i.abc for i in classify(conn, Subject.SKU, window)} if by_class else {}
    if sku:
        rows = [r for r in rows if r.sku in set(sku)]
    totals = totals_by_level(rows)
    classes = totals_by_class(rows, abc) if by_class else {}
    if fmt is Format.JSON:
        print_json(
            {
                "skus": [asdict(r) for r in rows],
                "totals": [asdict(t) for t in totals],
                "classes": {name: [asdict(t) for t in levels] for name, levels in classes.items()},
            }
        )
        return
    if classes:
        per_class = Table(
            "ABC class", *(f"{100 * s:g} %" for s in SERVICE_LEVELS), title="holding cost / year"
        )
        for name, levels in classes.items():
            per_class.add_row(name, *(f"{t.holding_cost:,.0f}" for t in levels))
        out.print(per_class)
    table = Table("SKU", "d/day", "sd", "LT days", "sd LT", *(f"SS {100 * s:g}%" for s in SERVICE_LEVELS))
    for r in rows:
        stocks = [f"{level.safety_stock:,.0f}" for level in r.levels]
        lead = f"{r.lead_time_days:.1f}" + ("" if r.lead_time_observed else "*")
        table.add_row(
            r.sku, f"{r.demand_per_day:.2f}", f"{r.demand_sd:.2f}", lead, f"{r.lead_time_sd:.1f}", *stocks
        )
    out.print(table)
    cost = Table(
        "service level", "z", "safety stock (units)", "holding cost / year", "cost of the last point"
    )
    for i, t in enumerate(totals):
        step = ""
        if i:
            points = 100 * (t.service_level - totals[i - 1].service_level)
            step = f"{(t.holding_cost - totals[i - 1].holding_cost) / points:,.2f}"
        cost.add_row(
            f"{100 * t.service_level:g} %",
            f"{t.z:.3f}",
            f"{t.safety_stock:,.0f}",
            f"{t.holding_cost:,.2f}",
            step,
        )
    out.print(cost)
    out.print("* lead time of all receipts (no receipt of this SKU in the period)")


def report_sla(
    ctx: typer.Context,
    first: FromOption = None,
    last: ToOption = None,
    period: Annotated[Period, typer.Option(help="Compliance per day, week or month.")] = Period.MONTH,
    breaches_only: Annotated[bool, typer.Option("--breaches", help="Only the missed targets.")] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Compliance with the service level agreements per customer and period, and the breaches."""
    with state_of(ctx).engine().connect() as conn:
        checks = sla_compliance(conn, window_of(first, last), period)
    shown = breaches(checks) if breaches_only else checks
    if fmt is Format.JSON:
        print_json(
            {
                "checks": len(checks),
                "met": sum(c.met for c in checks),
                "rows": [{**asdict(c), "met": c.met} for c in shown],
            }
        )
        return
    table = Table(
        "customer", "agreement", "period", "target", "agreed", "actual", "met", title="SLA compliance"
    )
    for c in shown:
        table.add_row(
            c.customer,
            c.scope,
            c.period,
            c.target,
            f"{c.target_value:g}",
            f"{c.actual:.3f}",
            "yes" if c.met else "NO",
        )
    out.print(table)
    out.print(f"{sum(c.met for c in checks)} of {len(checks)} targets met")


def register_customer_reports(report_app: typer.Typer) -> None:
    """Attach the customer analytics reports to the ``report`` group."""
    report_app.command("customers")(report_customers)
    report_app.command("abc-xyz")(report_abc_xyz)
    report_app.command("service-economics")(report_service_economics)
    report_app.command("sla")(report_sla)


# The shared ``report`` group: created here, joined by the service reports (cli/reports.py).
customer_report_app = typer.Typer(help="Reports over recorded facts.", no_args_is_help=True)
register_customer_reports(customer_report_app)
