"""The customer report: profitability, zone, Pareto rank and lifetime value of every customer.

:func:`customer_report` is what ``o2c report customers`` and the API call. Zones and the Pareto curve
are computed over all customers active in the period (so a filter by zone or segment does not move
the medians), then the filters apply.

Lifetime value comes from o2c's own invoices: each customer's invoices up to the end of the period,
one transaction per customer and UTC day (summed in SQL), are the calibration history of BG/NBD and
Gamma-Gamma (weeks), observed to the end of the period or the last invoice, whichever is earlier;
the expected revenue over the horizon is discounted and multiplied by the
customer's net profit margin in the period (net profit / net sales, so a customer who costs more to
serve than he brings has a negative CLV). With too little history to fit, CLV is left out with the
reason in ``clv_note``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

import numpy as np
from sqlalchemy import BigInteger, Connection, func, select, type_coerce

from o2c.analytics.clv_report import CustomerValuation, value_customers
from o2c.analytics.clv_summary import TimeUnit, TransactionLog, summarise_transactions
from o2c.analytics.cost_to_serve import activity_rates_in_force
from o2c.analytics.periods import Window, utc_date
from o2c.analytics.profitability import (
    CustomerProfit,
    Profitability,
    customer_profitability,
    segment_profitability,
)
from o2c.analytics.reads import Source, connected
from o2c.analytics.segmentation import ACTIONS, Zone, ZoneSplit, pareto, zone_of, zone_split
from o2c.domain.errors import O2CError, ValidationFailed
from o2c.domain.money import MONEY_SCALE
from o2c.store.master_tables import customers
from o2c.store.tables import invoices

WEEKS_PER_YEAR = 52.0


@dataclass(frozen=True)
class CustomerLine:
    customer: CustomerProfit
    zone: Zone
    pareto_rank: int
    cumulative_profit_share: float
    vital_few: bool
    p_alive: float | None = None
    expected_purchases: float | None = None  # over the CLV horizon
    clv: float | None = None

    @property
    def action(self) -> str:
        return ACTIONS[self.zone]


@dataclass(frozen=True)
class CustomerReport:
    window: Window
    rates: dict[str, Decimal]
    split: ZoneSplit
    lines: list[CustomerLine]
    segments: dict[str, Profitability]
    vital_few: int  # customers making 80 % of the positive profit, of all active
    customers: int
    clv_horizon_weeks: float
    clv_note: str | None


def _invoice_log(conn: Connection, window: Window) -> TransactionLog:
    """Invoiced amount per customer and UTC day up to the end of the period (one row per day)."""
    day = utc_date(invoices.c.issued_at, conn.dialect.name).label("day")
    statement = (
        select(invoices.c.customer_id, day, func.sum(type_coerce(invoices.c.subtotal, BigInteger)))
        .where(*Window(None, window.end).contains(invoices.c.issued_at))
        .group_by(invoices.c.customer_id, day)
    )
    rows = conn.execute(statement).all()
    codes = {row[0]: row[1] for row in conn.execute(select(customers.c.id, customers.c.code))}
    return TransactionLog(
        np.array([codes[r[0]] for r in rows], dtype=np.str_),
        np.array([str(r[1])[:10] for r in rows], dtype="datetime64[D]"),
        np.array([int(r[2]) / 10**MONEY_SCALE for r in rows], dtype=np.float64),
    )


def _values(
    source: Source, window: Window, horizon: float, rate: float
) -> tuple[dict[str, tuple[float, float, float]], str | None]:
    """``(P(alive), expected purchases, CLV revenue)`` by customer code, or why there are none."""
    values: dict[str, tuple[float, float, float]] = {}
    try:
        with connected(source) as conn:
            valuation = _valuation(conn, window, horizon, rate)
    except O2CError as error:
        return values, f"no lifetime value: {error}"
    if valuation.clv is not None:
        for i, code in enumerate(valuation.summary.customers):
            values[str(code)] = (
                float(valuation.p_alive[i]),
                float(valuation.expected_purchases[i]),
                float(valuation.clv[i]),
            )
    return values, None


def _valuation(conn: Connection, window: Window, horizon: float, rate: float) -> CustomerValuation:
    if window.end is None:
        raise ValidationFailed("lifetime value needs a period with an end (--to)", field="to")
    log = _invoice_log(conn, window)
    if len(log.customers) == 0:
        raise ValidationFailed("no invoices before the end of the period", field="to")
    # The history ends at the last invoice: a period reaching into the future must not make every
    # customer look lost.
    last_day = min((window.end - timedelta(microseconds=1)).date(), log.days.max().astype(object))
    summary = summarise_transactions(log, calibration_end=last_day, time_unit=TimeUnit.WEEK)
    return value_customers(summary, horizon=horizon, annual_discount_rate=rate)


def customer_report(
    source: Source,
    window: Window,
    *,
    rates: dict[str, Decimal] | None = None,
    sales_threshold: Decimal | None = None,
    cost_threshold: Decimal | None = None,
    zone: Zone | None = None,
    segment: str | None = None,
    clv_horizon_weeks: float = WEEKS_PER_YEAR,
    annual_discount_rate: float = 0.10,
) -> CustomerReport:
    """Profitability, zone, Pareto rank and CLV per customer, and profitability per segment.

    Parameters
    ----------
    source : Connection or Engine
        Nothing is written. Given an engine, the lifetime values are read and fitted while the
        profitability facts are read side by side (:mod:`o2c.analytics.reads`).
    window : Window
        The period ``[start, end)``.
    rates : dict, optional
        Activity rates for this report only (see :mod:`o2c.analytics.cost_to_serve`).
    sales_threshold, cost_threshold : Decimal, optional
        Where the zone grid is split; the medians by default.
    zone, segment : optional
        Only customers of this zone / segment in ``lines`` (segments and totals are unfiltered).
    clv_horizon_weeks, annual_discount_rate : float
        Horizon and discount rate of the lifetime value.
    """
    with connected(source) as conn:
        in_force = activity_rates_in_force(conn, rates)
    value = partial(_values, window=window, horizon=clv_horizon_weeks, rate=annual_discount_rate)
    if isinstance(source, Connection):
        rows = customer_profitability(source, window, rates=rates)
        values, note = value(source)
    else:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="o2c-clv") as pool:
            valued = pool.submit(lambda: value(source))
            rows = customer_profitability(source, window, rates=rates)
            values, note = valued.result()
    split = zone_split(
        [r.profit.net_sales for r in rows],
        [r.profit.cost_to_serve for r in rows],
        sales_threshold=sales_threshold,
        cost_threshold=cost_threshold,
    )
    curve = pareto({r.code: r.profit.net_profit for r in rows})
    ranks = {r.key: (i + 1, r) for i, r in enumerate(curve.ranks)}
    lines = []
    for row in rows:
        rank, point = ranks[row.code]
        alive, purchases, revenue = values.get(row.code, (None, None, None))
        margin = float(row.profit.net_profit / row.profit.net_sales) if row.profit.net_sales else 0.0
        lines.append(
            CustomerLine(
                customer=row,
                zone=zone_of(row.profit.net_sales, row.profit.cost_to_serve, split),
                pareto_rank=rank,
                cumulative_profit_share=point.cumulative_share,
                vital_few=point.vital_few,
                p_alive=alive,
                expected_purchases=purchases,
                clv=None if revenue is None else revenue * margin,
            )
        )
    chosen = [
        line
        for line in lines
        if (zone is None or line.zone is zone) and (segment is None or line.customer.segment == segment)
    ]
    return CustomerReport(
        window=window,
        rates=in_force,
        split=split,
        lines=chosen,
        segments=segment_profitability(rows),
        vital_few=curve.vital_few,
        customers=len(rows),
        clv_horizon_weeks=clv_horizon_weeks,
        clv_note=note,
    )
