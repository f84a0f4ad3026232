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

How: one read of ``orders`` gives each order's member and every stamp as epoch seconds (in chunks,
as raw numbers, :meth:`~o2c.store.driver.Prepared.chunks`); each stage is then a difference of two
columns, bucketed by its end stamp and summarised per period and member by
:func:`~o2c.analytics.figures.distributions`. Exact percentiles need every value of a group in order:
one array sort per stage costs a fraction of a database sort of the same values, on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Connection, func, select

from o2c.analytics.dimensions import (
    CUSTOMER_DIMENSIONS,
    ORDER_DIMENSIONS,
    customer_labels,
    order_member,
    require,
)
from o2c.analytics.figures import Distribution, Slice, distributions
from o2c.analytics.periods import Window, bucket_codes, code_label, epoch_of, epoch_seconds
from o2c.store.driver import Prepared
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
_CHUNK = 100_000  # orders per fetch: a few MB of raw values at a time


@dataclass(frozen=True)
class StageTime:
    """The distribution of one stage's duration (hours) over the orders completing it in a period."""

    period: str
    member: str
    stage: str
    hours: Distribution


@dataclass(frozen=True)
class _Stamps:
    """Every order's member (a code into ``members``) and stamps (epoch seconds, NaN when unset),
    the stamps keyed by their SQL text (as in :data:`STAGES`)."""

    members: list[str]
    member_codes: NDArray[np.int64]
    epochs: dict[str, NDArray[np.float64]]


def _read_stamps(conn: Connection, spec: Slice, stages: tuple[str, ...]) -> _Stamps:
    """One pass over ``orders``: each order's member and the stamps the stages need.

    Every stage ends at or after the order's receipt, so orders received after the window's end are
    left out in SQL; the window itself is applied to each stage's end stamp by :func:`_completed`.
    """
    dialect = conn.dialect.name
    by_customer = spec.by in CUSTOMER_DIMENSIONS
    # A customer's segment or code is looked up once per customer afterwards, not once per order.
    source, member = (orders, _o.customer_id) if by_customer else order_member(spec.by, orders, dialect)
    stamps = {str(stamp): stamp for name in stages for stamp in STAGES[name]}
    names = {text: f"s{i}" for i, text in enumerate(stamps)}
    statement = select(
        member.label("member"),
        *(epoch_seconds(stamp, dialect).label(names[t]) for t, stamp in stamps.items()),
    ).select_from(source)
    if spec.window.end is not None:
        statement = statement.where(_o.received_at < spec.window.end)
    row_type = np.dtype([("member", object), *((name, np.float64) for name in names.values())])
    parts = [np.array(chunk, dtype=row_type) for chunk in Prepared(statement).chunks(conn, size=_CHUNK)]
    table = np.concatenate(parts) if parts else np.empty(0, dtype=row_type)
    if by_customer:
        assert spec.by is not None
        members, codes = _customer_codes(table["member"], customer_labels(conn, spec.by))
    else:
        members, codes = _coded(table["member"])
    columns = {text: table[name] for text, name in names.items()}
    return _Stamps(members, codes, columns)


def _customer_codes(ids: NDArray[np.object_], labels: dict[int, str]) -> tuple[list[str], NDArray[np.int64]]:
    """Members and codes of orders known by their customer id, ``labels`` naming each customer."""
    distinct, inverse = np.unique(ids.astype(np.int64), return_inverse=True)
    members, codes = _coded(np.array([labels[i] for i in distinct.tolist()], dtype=object))
    return members, codes[inverse] if codes.size else codes


def _coded(values: NDArray[np.object_]) -> tuple[list[str], NDArray[np.int64]]:
    """The distinct members in order, and each order's member as an index into them. A dict of the few
    members codes a million orders several times faster than sorting their texts."""
    first_seen: dict[str, int] = {}
    codes = np.fromiter((first_seen.setdefault(v, len(first_seen)) for v in values), np.int64, len(values))
    members = sorted(first_seen)
    rank = np.array([members.index(m) for m in first_seen], dtype=np.int64)
    return members, rank[codes] if codes.size else codes


def _completed(stamps: _Stamps, stage: str, window: Window) -> tuple[Any, Any, Any]:
    """(end epoch, member code, seconds) of every order that completed ``stage`` inside the window."""
    began, ended = (stamps.epochs[str(stamp)] for stamp in STAGES[stage])
    done = ~np.isnan(began) & ~np.isnan(ended)
    if window.start is not None:
        done &= ended >= epoch_of(window.start)
    if window.end is not None:
        done &= ended < epoch_of(window.end)
    end = ended[done].astype(np.int64)
    return end, stamps.member_codes[done], end - began[done].astype(np.int64)


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
    stamps = _read_stamps(conn, spec, stages)
    width = max(len(stamps.members), 1)
    found: list[StageTime] = []
    for stage in stages:
        end, member, seconds = _completed(stamps, stage, spec.window)
        groups = bucket_codes(end, spec.period) * width + member
        for group, hours in distributions(groups, seconds).items():
            period, code = divmod(group, width)
            found.append(StageTime(code_label(period, spec.period), stamps.members[code], stage, hours))
    order = {name: i for i, name in enumerate(STAGES)}
    return sorted(found, key=lambda s: (s.period, s.member, order[s.stage]))
