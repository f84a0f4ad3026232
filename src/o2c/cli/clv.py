"""``o2c clv fit``: BG/NBD + Gamma-Gamma lifetime value of any transaction log (CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from o2c.analytics.clv_fitting import MAX_ITERATIONS
from o2c.analytics.clv_report import CustomerValuation, value_customers
from o2c.analytics.clv_summary import TimeUnit, read_transaction_log, summarise_transactions
from o2c.cli.common import Format, FormatOption, date_option, out, print_json, readable
from o2c.domain.errors import ValidationFailed

clv_app = typer.Typer(help="Customer lifetime value (BG/NBD and Gamma-Gamma).", no_args_is_help=True)

TABLE_ROWS = 20


def _rows(valuation: CustomerValuation, limit: int | None) -> list[dict[str, Any]]:
    s = valuation.summary
    order = (
        np.argsort(-valuation.clv) if valuation.clv is not None else np.argsort(-valuation.expected_purchases)
    )
    if limit is not None:
        order = order[:limit]
    rows = []
    for i in order:
        row: dict[str, Any] = {
            "customer": str(s.customers[i]),
            "frequency": int(s.frequency[i]),
            "recency": round(float(s.recency[i]), 4),
            "T": round(float(s.T[i]), 4),
            "expected_purchases": round(float(valuation.expected_purchases[i]), 4),
            "p_alive": round(float(valuation.p_alive[i]), 4),
        }
        if valuation.clv is not None and valuation.expected_value is not None:
            row["monetary_value"] = round(float(s.monetary_value[i]), 4)
            row["expected_average_value"] = round(float(valuation.expected_value[i]), 4)
            row["clv"] = round(float(valuation.clv[i]), 2)
        if valuation.holdout is not None:
            row["holdout_predicted"] = round(float(valuation.holdout.predicted[i]), 4)
            row["holdout_actual"] = int(valuation.holdout.actual[i])
        rows.append(row)
    return rows


def _document(valuation: CustomerValuation, limit: int | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "customers": len(valuation.summary.customers),
        "time_unit": str(valuation.summary.time_unit),
        "horizon": valuation.horizon,
        "bgnbd": {
            "params": valuation.purchases.params._asdict(),
            "log_likelihood": valuation.purchases.log_likelihood,
        },
    }
    if valuation.spend is not None:
        document["gamma_gamma"] = {
            "params": valuation.spend.params._asdict(),
            "log_likelihood": valuation.spend.log_likelihood,
            "customers": valuation.spend.customers,
        }
    if valuation.holdout is not None:
        h = valuation.holdout
        document["holdout"] = {
            "length": h.length,
            "predicted_total": float(h.predicted.sum()),
            "actual_total": float(h.actual.sum()),
            "mean_absolute_error": h.mean_absolute_error,
            "by_frequency": [
                {"frequency": g[0], "customers": g[1], "mean_predicted": g[2], "mean_actual": g[3]}
                for g in h.groups
            ],
        }
    document["per_customer"] = _rows(valuation, limit)
    return document


def _print_tables(valuation: CustomerValuation, limit: int) -> None:
    params = Table("model", "parameter", "value", "log-likelihood", title="fitted parameters")
    for name, value in valuation.purchases.params._asdict().items():
        params.add_row("BG/NBD", name, f"{value:.4f}", f"{valuation.purchases.log_likelihood:.2f}")
    if valuation.spend is not None:
        for name, value in valuation.spend.params._asdict().items():
            params.add_row("Gamma-Gamma", name, f"{value:.4f}", f"{valuation.spend.log_likelihood:.2f}")
    out.print(params)
    if valuation.holdout is not None:
        h = valuation.holdout
        check = Table("frequency", "customers", "mean predicted", "mean actual", title="holdout purchases")
        for label, count, predicted, actual in h.groups:
            check.add_row(label, str(count), f"{predicted:.3f}", f"{actual:.3f}")
        check.add_row("all", str(len(h.actual)), f"{h.predicted.mean():.3f}", f"{h.actual.mean():.3f}")
        out.print(check)
    rows = _rows(valuation, limit)
    columns = [c for c in _TABLE_COLUMNS if c in rows[0]]
    shown = Table(
        *(_TABLE_COLUMNS[c] for c in columns), title=f"top {len(rows)} of {len(valuation.summary.customers)}"
    )
    for row in rows:
        shown.add_row(*(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in columns))
    out.print(shown)


_TABLE_COLUMNS = {
    "customer": "customer",
    "frequency": "x",
    "recency": "t_x",
    "T": "T",
    "expected_purchases": "E(purchases)",
    "p_alive": "P(alive)",
    "expected_average_value": "E(value)",
    "clv": "CLV",
    "holdout_predicted": "holdout pred.",
    "holdout_actual": "holdout actual",
}


@clv_app.command("fit")
def clv_fit(
    transactions: Annotated[Path, typer.Option(help="CSV transaction log with a header row.")],
    customer_col: Annotated[str, typer.Option(help="Column with the customer key.")],
    date_col: Annotated[str, typer.Option(help="Column with the transaction date.")],
    calibration_end: Annotated[str, typer.Option(help="Last day of the calibration period (YYYY-MM-DD).")],
    amount_col: Annotated[str | None, typer.Option(help="Column with the amount (enables CLV).")] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strptime format, e.g. %Y%m%d (default ISO).")
    ] = None,
    holdout_end: Annotated[
        str | None, typer.Option(help="Last day of the holdout period (YYYY-MM-DD).")
    ] = None,
    time_unit: Annotated[TimeUnit, typer.Option(help="Unit of recency, T and the horizon.")] = TimeUnit.WEEK,
    horizon: Annotated[
        float | None, typer.Option(help="CLV horizon in time units (default one year).")
    ] = None,
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate for CLV.")] = 0.10,
    margin: Annotated[float, typer.Option(help="Profit margin as a fraction of spend.")] = 1.0,
    limit: Annotated[
        int | None, typer.Option(help="Customers listed, highest CLV first (table: 20).")
    ] = None,
    max_iterations: Annotated[
        int, typer.Option(help="Optimiser iterations allowed per model before the fit counts as failed.")
    ] = MAX_ITERATIONS,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Fit BG/NBD (and Gamma-Gamma with amounts) and value every customer of a transaction log."""
    log = read_transaction_log(
        readable(transactions),
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        date_format=date_format,
    )
    end = date_option(calibration_end, "--calibration-end")
    holdout = date_option(holdout_end, "--holdout-end") if holdout_end else None
    if holdout is not None and holdout <= end:
        raise ValidationFailed("--holdout-end must be after --calibration-end", field="holdout-end")
    first = log.days.min()
    if first > np.datetime64(end, "D"):
        raise ValidationFailed(
            f"--calibration-end {end} is before every transaction (the first is on {first})",
            field="calibration-end",
        )
    summary = summarise_transactions(log, calibration_end=end, holdout_end=holdout, time_unit=time_unit)
    span = horizon if horizon is not None else 365.0 / time_unit.days
    if span <= 0:
        raise ValidationFailed(f"--horizon {span} must be positive", field="horizon")
    valuation = value_customers(
        summary,
        horizon=span,
        annual_discount_rate=discount_rate,
        margin=margin,
        max_iterations=max_iterations,
    )
    if fmt is Format.JSON:
        print_json(_document(valuation, limit))
    else:
        _print_tables(valuation, limit if limit is not None else TABLE_ROWS)
