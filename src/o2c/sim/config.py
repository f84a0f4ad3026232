"""The knobs of the simulation, with their defaults (documented in ``docs/simulation.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SEGMENTS = ("strategic", "wholesale", "retail")
REGIONS = ("east", "central", "west")


@dataclass(frozen=True)
class Segment:
    """How the customers of one segment behave: their share, channels, lines per order, policies."""

    name: str
    share: float  # of customers
    tier: int
    channels: tuple[tuple[str, float], ...]  # (channel, weight)
    lines_per_order: float  # mean; lines = 1 + Poisson(mean - 1)
    quantity_scale: float  # multiplies a SKU's typical line quantity
    policies: tuple[tuple[str, float], ...]  # (backorder policy, weight)
    credit_limit: float | None  # None: no limit; else a multiple of the customer's monthly spend
    terms_days: tuple[int, ...]
    requested_date_share: float  # orders that carry a requested date
    substitution_share: float  # customers who accept an alternate SKU


SEGMENT_PROFILES = (
    Segment(
        "strategic",
        0.10,
        1,
        (("edi", 0.7), ("sales_rep", 0.3)),
        5.0,
        3.0,
        (("allow_partial", 0.6), ("ship_complete", 0.4)),
        None,
        (45, 60),
        0.6,
        0.7,
    ),
    Segment(
        "wholesale",
        0.30,
        2,
        (("edi", 0.45), ("web", 0.25), ("phone", 0.15), ("sales_rep", 0.15)),
        3.5,
        1.5,
        (("allow_partial", 0.6), ("ship_complete", 0.2), ("cancel_remainder", 0.2)),
        3.0,
        (30, 45),
        0.3,
        0.4,
    ),
    Segment(
        "retail",
        0.60,
        3,
        (("web", 0.5), ("marketplace", 0.3), ("phone", 0.2)),
        2.2,
        1.0,
        (("allow_partial", 0.5), ("cancel_remainder", 0.5)),
        1.5,
        (15, 30),
        0.1,
        0.2,
    ),
)


@dataclass(frozen=True)
class SimulationConfig:
    """Everything a run depends on besides the seed. Rates are probabilities per event named."""

    days: int = 180
    customers: int = 300
    start: date = date(2026, 1, 5)  # a Monday
    skus: int = 160
    suppliers: int = 8
    carriers: int = 4
    # Demand
    orders_per_customer_week: float = 0.3  # mean over customers; individual volumes are Pareto
    pareto_alpha: float = 1.16  # the shape that gives the 80/20 rule
    weekend_share: float = 0.15  # a weekend day's volume relative to a weekday (web, marketplace)
    erratic_share: float = 0.3  # SKUs with erratic demand (lognormal quantity, sigma 1.0 vs 0.35)
    seasonal_share: float = 0.4  # SKUs with a yearly sine season of amplitude up to 0.6
    # Customer behaviour
    cancel_rate: float = 0.02  # an order cancelled by the customer within hours of entry
    backorder_patience_days: float = 21.0  # mean days a customer waits for a backorder before cancelling
    backorder_cancel_rate: float = 0.5  # customers who do cancel once their patience runs out
    quote_share: float = 0.25  # sales-rep orders that start as a quote
    quote_loss_rate: float = 0.3  # quotes never converted
    promise_inquiry_share: float = 0.05  # orders preceded by a delivery-date inquiry (ATP promise)
    late_payer_share: float = 0.25  # customers who pay late on average
    partial_payment_rate: float = 0.05  # invoices paid in two instalments
    # Operations
    wrong_pick_rate: float = 0.004  # shipped lines with a wrong item in them
    short_delivery_rate: float = 0.005  # shipments delivered short
    billing_error_rate: float = 0.01  # invoices that need a correction (credit memo)
    freight_billing_error_rate: float = 0.05  # carrier freight bills above the rated freight
    return_rate: float = 0.02  # delivered orders with a return
    case_rate: float = 0.03  # delivered orders with a complaint (service case)
    # Supply
    safety_factor: float = 0.8  # z of the reorder point: modest, so stockouts happen and recover
    review_days: int = 7  # order quantity covers this many days of demand (at least)
    transfers_per_day: int = 3  # most rebalancing transfers a day

    def __post_init__(self) -> None:
        if self.days < 1 or self.customers < 1:
            raise ValueError("a simulation needs at least one day and one customer")
        if not 0 <= self.freight_billing_error_rate <= 1:
            raise ValueError("the freight billing error rate is a probability, from 0 to 1")
