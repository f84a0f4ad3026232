"""Order cycle time by stage, and order-to-cash: mean, median, 90th percentile and deviation.

Each stage is the time between two stamps of the order (``orders.*_at``); an order counts in a stage
once both stamps exist, and is placed in the period of the stage's **end** stamp (when the stage was
completed and its length became known):

============  =========================================  ===========================
stage         from → to                                  period by
============  =========================================  ===========================
transmittal   ``customer_sent_at`` → ``received_at``     ``received_at``
processing    ``received_at`` → ``released_at``          ``released_at``
pick_pack     ``released_at`` → ``packed_at``            ``packed_at``
delivery      ``shipped_at`` → ``delivered_at``          ``delivered_at``
total         ``customer_sent_at`` (else ``received_at``)  ``delivered_at``
              → ``delivered_at``
order_to_cash ``received_at`` → ``paid_at`` (last        ``paid_at``
              payment settling the order)
============  =========================================  ===========================

``shipped_at`` is the last shipment and ``delivered_at`` the last delivery, so a split order is
measured to its completion. Durations are whole seconds (see :mod:`o2c.analytics.periods`), reported
in hours: mean, median and 90th percentile (linear interpolation) and the sample standard deviation
— the variability of a stage matters to a customer as much as its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, and_, case, func, literal_column, select, union_all

from o2c.analytics.dimensions import ORDER_DIMENSIONS, order_member, require
from o2c.analytics.figures import Distribution, Slice, run_distributions
from o2c.analytics.periods import bucket_key, epoch_seconds
from o2c.store.tables import orders

DIMENSIONS = ORDER_DIMENSIONS
_o = orders.c
STAGES: dict[str, tuple[ColumnElement[Any], ColumnElement[Any]]] = {
    "transmittal": (_o.customer_sent_at, _o.received_at),
    "processing": (_o.received_at, _o.released_at),
    "pick_pack": (_o.released_at, _o.packed_at),
    "delivery": (_o.shipped_at, _o.delivered_at),
    "total": (func.coalesce(_o.customer_sent_at, _o.received_at), _o.delivered_at),
    "order_to_cash": (_o.received_at, _o.paid_at),
}


@dataclass(frozen=True)
class StageTime:
    """The distribution of one stage's duration (hours) over the orders completing it in a period."""

    period: str
    member: str
    stage: str
    hours: Distribution


def _measured(conn: Connection, spec: Slice, stages: tuple[str, ...]) -> Any:
    """(stage, period, member, seconds) of every stage completed in the window.

    One pass over ``orders`` converts each stamp once — to epoch seconds, and an end stamp in the
    window to its period (NULL outside it) — and the stages are then unpivoted from that one result.
    """
    dialect = conn.dialect.name
    source, member = order_member(spec.by, orders, dialect)
    stamps: dict[str, ColumnElement[Any]] = {}
    ends: dict[str, ColumnElement[Any]] = {}
    for name in stages:
        start, end = STAGES[name]
        stamps.setdefault(str(start), start)
        stamps.setdefault(str(end), end)
        ends.setdefault(str(end), end)
    keys = {text: f"s{i}" for i, text in enumerate(stamps)}
    columns: list[Any] = [member.label("member")]
    columns += [epoch_seconds(stamp, dialect).label(f"{keys[text]}_epoch") for text, stamp in stamps.items()]
    columns += [
        case((and_(*spec.window.contains(end)), bucket_key(end, spec.period, dialect))).label(
            f"{keys[text]}_period"
        )
        for text, end in ends.items()
    ]
    per_order = select(*columns).select_from(source).cte("per_order")

    def stage(name: str) -> Any:
        start, end = (keys[str(stamp)] for stamp in STAGES[name])
        began, ended, period = (
            per_order.c[f"{start}_epoch"],
            per_order.c[f"{end}_epoch"],
            per_order.c[f"{end}_period"],
        )
        return select(
            literal_column(f"'{name}'", String).label("stage"),
            period.label("period"),
            per_order.c.member,
            (ended - began).label("seconds"),
        ).where(period.is_not(None), began.is_not(None))

    return union_all(*(stage(name) for name in stages))


def cycle_times(conn: Connection, spec: Slice, stages: tuple[str, ...] = tuple(STAGES)) -> list[StageTime]:
    """Cycle time of each stage (and order-to-cash) per period and member, in hours.

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    spec : Slice
        Period buckets (by each stage's end stamp), breakdown (segment, customer, channel, carrier)
        and window (on the end stamp).
    stages : tuple of str
        Which of :data:`STAGES` to measure (all by default).

    Returns
    -------
    list of StageTime
        One row per period, member and stage with at least one order, in that order.
    """
    require("cycle time", spec.by, DIMENSIONS)
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}")
    measured = _measured(conn, spec, stages).subquery("stages")
    found = run_distributions(conn, select(measured), ["period", "member", "stage"])
    order = {name: i for i, name in enumerate(STAGES)}
    keys = sorted(found, key=lambda k: (k[0], k[1], order[k[2]]))
    return [StageTime(period, member, stage, found[period, member, stage]) for period, member, stage in keys]
