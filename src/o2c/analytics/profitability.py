"""Profitability per customer and per segment over a period.

For each customer with any activity or sales in the window ``[start, end)`` (DOMAIN.md, "Customer
analytics"):

* net sales = invoiced - credited (invoice and credit memo subtotals, tax excluded, by issue date);
* cost of goods sold = invoiced quantity * the line's unit cost - the cost of returned units received
  back into stock (disposition ``restock``) in the period;
* gross profit = net sales - cost of goods sold;
* operating profit contribution (single allocation criterion) = gross profit - invoices * the average
  cost per invoice (the ``invoice`` activity rate);
* cost-to-serve = Σ activity count * activity rate (orders, lines, shipments, deliveries, expedites,
  returns, service cases, credit holds; :mod:`o2c.analytics.cost_to_serve`) + actual freight;
* net profit = gross profit - cost-to-serve.

Amounts are exact :class:`~decimal.Decimal`; cost-to-serve and the profits keep the four decimals of
the rates and unit costs (round for display only).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from o2c.analytics.cost_to_serve import (
    COST_TO_SERVE_ACTIVITIES,
    CustomerFacts,
    activity_rates_in_force,
    customer_facts,
)
from o2c.analytics.periods import Window
from o2c.analytics.reads import Source, connected
from o2c.store.master_tables import customers


@dataclass(frozen=True)
class Profitability:
    """The profit and loss of one customer (or a total over several) for a period."""

    invoiced: Decimal
    credited: Decimal
    cost_of_goods: Decimal
    invoices: int
    activities: dict[str, int]
    activity_cost: Decimal
    freight: Decimal
    invoice_cost: Decimal  # invoices * average cost per invoice

    @property
    def net_sales(self) -> Decimal:
        return self.invoiced - self.credited

    @property
    def gross_profit(self) -> Decimal:
        return self.net_sales - self.cost_of_goods

    @property
    def operating_profit_contribution(self) -> Decimal:
        return self.gross_profit - self.invoice_cost

    @property
    def cost_to_serve(self) -> Decimal:
        return self.activity_cost + self.freight

    @property
    def net_profit(self) -> Decimal:
        return self.gross_profit - self.cost_to_serve

    def as_json(self) -> dict[str, Any]:
        return {
            "net_sales": self.net_sales,
            "invoiced": self.invoiced,
            "credited": self.credited,
            "cost_of_goods": self.cost_of_goods,
            "gross_profit": self.gross_profit,
            "invoices": self.invoices,
            "operating_profit_contribution": self.operating_profit_contribution,
            "activities": self.activities,
            "activity_cost": self.activity_cost,
            "freight": self.freight,
            "cost_to_serve": self.cost_to_serve,
            "net_profit": self.net_profit,
        }


@dataclass(frozen=True)
class CustomerProfit:
    code: str
    name: str
    segment: str
    tier: int
    profit: Profitability


def _profitability(facts: CustomerFacts, rates: dict[str, Decimal]) -> Profitability:
    activities = {a: facts.counts[a] for a in COST_TO_SERVE_ACTIVITIES}
    return Profitability(
        invoiced=facts.invoiced,
        credited=facts.credited,
        cost_of_goods=facts.cost_of_goods - facts.cost_returned,
        invoices=facts.counts["invoice"],
        activities=activities,
        activity_cost=sum((n * rates[a] for a, n in activities.items()), Decimal(0)),
        freight=facts.freight,
        invoice_cost=facts.counts["invoice"] * rates["invoice"],
    )


def customer_profitability(
    source: Source, window: Window, *, rates: dict[str, Decimal] | None = None
) -> list[CustomerProfit]:
    """Profitability of every customer active in ``window``, in customer code order.

    Parameters
    ----------
    source : Connection or Engine
        Nothing is written; given an engine, the facts of each table are read side by side
        (:mod:`o2c.analytics.reads`).
    window : Window
        The period ``[start, end)``; each fact is placed by its own date (orders by receipt,
        shipments by shipping or delivery, invoices and credit memos by issue, returns by
        authorisation, cases by opening).
    rates : dict, optional
        Activity rates for this report only, over those stored in ``activity_rates`` and the
        defaults (:data:`o2c.analytics.cost_to_serve.DEFAULT_RATES`).
    """
    facts = customer_facts(source, window)
    if not facts:
        return []
    c = customers.c
    with connected(source) as conn:
        in_force = activity_rates_in_force(conn, rates)
        # Customers are few beside their orders: read them all rather than bind thousands of ids.
        master = conn.execute(select(c.id, c.code, c.name, c.segment, c.tier).order_by(c.code)).all()
    return [
        CustomerProfit(m.code, m.name, m.segment, m.tier, _profitability(facts[m.id], in_force))
        for m in master
        if m.id in facts
    ]


def total(profits: list[Profitability]) -> Profitability:
    """The sum of several customers' profitability (a segment, or everyone)."""
    activities = {a: sum(p.activities[a] for p in profits) for a in COST_TO_SERVE_ACTIVITIES}
    return Profitability(
        invoiced=sum((p.invoiced for p in profits), Decimal(0)),
        credited=sum((p.credited for p in profits), Decimal(0)),
        cost_of_goods=sum((p.cost_of_goods for p in profits), Decimal(0)),
        invoices=sum(p.invoices for p in profits),
        activities=activities,
        activity_cost=sum((p.activity_cost for p in profits), Decimal(0)),
        freight=sum((p.freight for p in profits), Decimal(0)),
        invoice_cost=sum((p.invoice_cost for p in profits), Decimal(0)),
    )


def segment_profitability(rows: list[CustomerProfit]) -> dict[str, Profitability]:
    """Profitability per customer segment, from the per-customer rows, in segment order."""
    segments: dict[str, list[Profitability]] = {}
    for row in rows:
        segments.setdefault(row.segment, []).append(row.profit)
    return {segment: total(segments[segment]) for segment in sorted(segments)}
