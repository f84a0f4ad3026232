"""Time-phased available-to-promise (APICS), as pure functions over period buckets.

The service layer buckets dated supply and demand of one SKU at one location with :func:`bucket_by_day`,
computes :func:`cumulative_atp`, and asks :func:`earliest_period` for the first bucket that can carry a
new promise; lead times are added after that. Only the look-ahead form is offered: ATP without
look-ahead can promise the same units twice (once now, and again when a later block runs short), and
o2c must never promise a date the supply does not cover.

Periods are numbered from 0 (the current one). The projected balance at the end of period ``t`` is
``B(t) = on_hand + sum(receipts[0..t]) - sum(orders[0..t])``; the docstrings state results in terms of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import accumulate, pairwise

from o2c.domain.errors import ValidationFailed


class InvalidATPInput(ValidationFailed, ValueError):
    """ATP input that cannot describe a supply plan; a ``ValueError`` too, as plain callers expect."""

    code = "invalid_atp_input"


def discrete_atp(on_hand: int, receipts: Sequence[int], orders: Sequence[int]) -> list[int]:
    """Discrete available-to-promise per period, with look-ahead netting.

    Parameters
    ----------
    on_hand : int
        Stock on hand at the start of period 0.
    receipts : Sequence[int]
        ``receipts[i]`` is the scheduled receipt (MPS quantity) due in period ``i``.
    orders : Sequence[int]
        ``orders[i]`` is the quantity already promised to customers for period ``i``.

    Returns
    -------
    list[int]
        One ATP per period. Before netting, a *block* starts at period 0 and at every later period
        with a receipt, and runs until the next one::

            ATP[0] = on_hand + receipts[0] - sum(orders[0 .. next receipt - 1])
            ATP[k] = receipts[k] - sum(orders[k .. next receipt - 1])   (receipts[k] > 0)
            ATP[i] = 0                                                  (other periods)

        Look-ahead: going backwards, a negative block ATP is set to 0 and its shortfall is taken
        from the nearest earlier block, and so on, so that units already needed by a later block are
        not offered earlier. Only period 0 can stay negative: it then shows by how much customer
        orders already exceed all supply (an overcommitment the caller must see, not hide).
        The sum over all periods is always ``on_hand + sum(receipts) - sum(orders)``.

    Raises
    ------
    InvalidATPInput
        (a ``ValueError``) on an empty horizon, lengths that differ, or a negative quantity.

    References
    ----------
    APICS Dictionary, "available-to-promise (ATP)" and "discrete available-to-promise";
    APICS CPIM, Master Planning of Resources: ATP with look-ahead.
    """
    _check_plan(on_hand, receipts, orders)
    atp = [0] * len(receipts)
    block = 0
    for period, (receipt, due) in enumerate(zip(receipts, orders, strict=True)):
        if period > 0 and receipt > 0:
            block = period
        atp[block] += receipt - due
    atp[0] += on_hand
    shortfall = 0
    for period in range(len(atp) - 1, 0, -1):
        net = atp[period] + shortfall
        atp[period], shortfall = max(net, 0), min(net, 0)
    atp[0] += shortfall
    return atp


def cumulative_atp(on_hand: int, receipts: Sequence[int], orders: Sequence[int]) -> list[int]:
    """Cumulative available-to-promise per period, with look-ahead.

    Parameters
    ----------
    on_hand, receipts, orders
        As for :func:`discrete_atp`.

    Returns
    -------
    list[int]
        ``CATP[p] = ATP[0] + ... + ATP[p]`` over the look-ahead discrete ATP, which equals
        ``min(B(t) for t >= p)``: the largest quantity that can be added to ``orders[p]`` without
        any projected balance from ``p`` on going negative, i.e. without breaking any existing
        promise. A promise for a later period may use at least as much, so ``CATP`` never decreases.
        A negative value is an overcommitment that later supply must make up first.

    Raises
    ------
    InvalidATPInput
        As for :func:`discrete_atp`.

    References
    ----------
    APICS Dictionary, "cumulative available-to-promise"; APICS CPIM, ATP with look-ahead.
    """
    return list(accumulate(discrete_atp(on_hand, receipts, orders)))


def cumulative_supply(on_hand: int, receipts: Sequence[int]) -> list[int]:
    """:func:`cumulative_atp` with no orders: on hand plus the receipts so far, per period.

    With nothing promised no block is short, so look-ahead netting moves nothing and the cumulative
    ATP is the running supply itself; re-promising, which takes its claims from the lines rather than
    the stored demand, needs it for every SKU-location of a batch. Refuses what :func:`cumulative_atp`
    refuses.
    """
    if not receipts or on_hand < 0 or min(receipts) < 0:
        _check_plan(on_hand, receipts, [0] * len(receipts))
    return list(accumulate(receipts, initial=on_hand))[1:]


def earliest_period(cumulative: Sequence[int], quantity: int) -> int | None:
    """The first period for which ``quantity`` more can be promised, or ``None`` within the horizon.

    Parameters
    ----------
    cumulative : Sequence[int]
        The result of :func:`cumulative_atp` (with look-ahead, hence non-decreasing).
    quantity : int
        The quantity of the new promise, at least 1.

    Returns
    -------
    int or None
        The least ``p`` with ``CATP[p] = ATP[0] + ... + ATP[p] >= quantity``. The test on the running
        sum alone is enough because look-ahead netting has already removed from earlier periods
        whatever later orders need: promising ``quantity`` in ``p`` leaves every projected balance
        non-negative (or, under an overcommitment, no lower than it already was), and promising it
        in any earlier period would not.

    Raises
    ------
    InvalidATPInput
        If ``quantity`` < 1, or ``cumulative`` decreases somewhere (it then is not a look-ahead
        cumulative ATP, and the first period that covers ``quantity`` may break a later promise).

    References
    ----------
    APICS Dictionary, "available-to-promise"; APICS CPIM, order promising with cumulative ATP.
    """
    if quantity < 1:
        raise InvalidATPInput(f"a promise needs a quantity of at least 1, got {quantity}", field="quantity")
    for period, (before, after) in enumerate(pairwise(cumulative), start=1):
        if after < before:
            raise InvalidATPInput(
                f"cumulative ATP decreases at period {period} ({before} -> {after}): "
                "pass the look-ahead result of cumulative_atp",
                field="cumulative",
            )
    return next((period for period, atp in enumerate(cumulative) if atp >= quantity), None)


def bucket_by_day(start: date, days: int, events: Iterable[tuple[date, int]]) -> list[int]:
    """Sum dated quantities into ``days`` daily buckets, bucket 0 being ``start``.

    An event dated before ``start`` counts in bucket 0: an overdue receipt is still expected and an
    overdue order is still owed, so both belong to "now". Events on or after ``start + days`` are
    beyond the horizon and dropped. Quantities must not be negative, as for :func:`discrete_atp`.
    """
    if days < 1:
        raise InvalidATPInput(f"the horizon needs at least one day, got {days}", field="days")
    buckets = [0] * days
    for when, quantity in events:
        if quantity < 0:
            raise InvalidATPInput(f"negative quantity {quantity} on {when.isoformat()}", field="events")
        offset = max((when - start).days, 0)
        if offset < days:
            buckets[offset] += quantity
    return buckets


def _check_plan(on_hand: int, receipts: Sequence[int], orders: Sequence[int]) -> None:
    if len(receipts) != len(orders):
        raise InvalidATPInput(
            f"receipts has {len(receipts)} periods but orders has {len(orders)}", field="orders"
        )
    if not receipts:
        raise InvalidATPInput("ATP needs at least one period", field="receipts")
    if on_hand < 0:
        raise InvalidATPInput(f"on_hand is negative ({on_hand})", field="on_hand")
    for name, quantities in (("receipts", receipts), ("orders", orders)):
        for period, quantity in enumerate(quantities):
            if quantity < 0:
                raise InvalidATPInput(f"{name}[{period}] is negative ({quantity})", field=name)
