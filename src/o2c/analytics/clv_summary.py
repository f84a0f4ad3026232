"""From a transaction log to the per-customer summary the lifetime-value models are fitted on.

A transaction log is any list of (customer, date, amount) rows: o2c's own invoices, or a CSV file
exported from elsewhere (:func:`read_transaction_log`). :func:`summarise_transactions` turns it into
``frequency``, ``recency``, ``T`` and ``monetary_value`` for a calibration period, and the number of
purchases in an optional holdout period, with the conventions of Fader, Hardie & Lee (2005):

* all purchases of a customer on one day are one transaction (their amounts added up);
* only customers whose first purchase falls on or before the calibration end are summarised;
* ``frequency`` = transactions in the calibration period - 1 (repeat transactions);
* ``recency`` = time from the first to the last calibration transaction (0 without repeats);
* ``T`` = time from the first purchase to the calibration end (the end date is inside the period);
* ``monetary_value`` = mean value of the repeat transactions (0 without repeats);
* ``holdout_frequency`` = transactions after the calibration end up to the holdout end.

Times are in days or weeks (days / 7, fractional) as the CDNOW studies measure them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from o2c.domain.errors import ValidationFailed


class TimeUnit(StrEnum):
    DAY = "day"
    WEEK = "week"

    @property
    def days(self) -> int:
        return 7 if self is TimeUnit.WEEK else 1


@dataclass(frozen=True)
class TransactionLog:
    """Transactions as parallel arrays: customer key, day, amount (NaN where none was given)."""

    customers: NDArray[np.str_]
    days: NDArray[np.datetime64]
    amounts: NDArray[np.float64]


@dataclass(frozen=True)
class CustomerSummary:
    """One row per customer of the calibration cohort, in ``customers`` order."""

    customers: NDArray[np.str_]
    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary_value: NDArray[np.float64]
    holdout_frequency: NDArray[np.float64] | None
    holdout_length: float | None
    time_unit: TimeUnit


def _where(path: Path, line: int, column: str) -> str:
    return f"{path}: line {line}, column {column!r}"


def _parse_days(
    path: Path, texts: list[str], lines: list[int], column: str, date_format: str | None
) -> NDArray[np.datetime64]:
    # Dates repeat a lot in a log: parse each distinct text once, and find its first line on failure.
    distinct, inverse = np.unique(np.asarray(texts, dtype=np.str_), return_inverse=True)
    parsed = np.empty(len(distinct), dtype="datetime64[D]")
    for i, text in enumerate(distinct):
        try:
            # A calendar day is all that is kept, so the missing zone does not matter.
            moment = datetime.strptime(text, date_format) if date_format else datetime.fromisoformat(text)  # noqa: DTZ007
        except ValueError:
            expected = f"--date-format {date_format}" if date_format else "ISO 8601 (YYYY-MM-DD)"
            line = lines[texts.index(str(text))]
            raise ValidationFailed(
                f"{_where(path, line, column)}: date {str(text)!r} does not match {expected}",
                field="date-col",
            ) from None
        parsed[i] = np.datetime64(moment.date(), "D")
    return parsed[inverse.ravel()]


def _amounts(path: Path, texts: list[str], lines: list[int], column: str) -> NDArray[np.float64]:
    try:
        values = np.asarray(texts, dtype=np.float64)
    except ValueError:  # some cell is not a number: find which, NaN marks it
        values = np.array([_number(t) for t in texts], dtype=np.float64)
    for bad, reason in ((~np.isfinite(values), "is not a number"), (values < 0, "is negative")):
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValidationFailed(
                f"{_where(path, lines[i], column)}: amount {texts[i]!r} {reason}", field="amount-col"
            )
    return values


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def read_transaction_log(
    path: Path,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    date_format: str | None = None,
) -> TransactionLog:
    """Read a CSV transaction log with a header row; the named columns must exist.

    Every refusal (:class:`~o2c.domain.errors.ValidationFailed`) names the file, and the line and
    column of a bad cell: an empty file or one without rows, an unknown column, a row without a
    customer or date, a date that does not parse, an amount that is not a finite number or is
    negative.

    Parameters
    ----------
    date_format : str, optional
        A :func:`datetime.strptime` format (``%Y%m%d``); ISO 8601 dates or date-times by default.
        A time of day is dropped: purchases of one day are merged anyway.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        if not header:
            raise ValidationFailed(f"{path}: the file is empty (expected a header row)", field="transactions")
        for option, column in (
            ("customer-col", customer_col),
            ("date-col", date_col),
            ("amount-col", amount_col),
        ):
            if column is not None and column not in header:
                raise ValidationFailed(
                    f"{path}: no column {column!r} (columns: {', '.join(header)})", field=option
                )
        customers: list[str] = []
        dates: list[str] = []
        amounts: list[str] = []
        lines: list[int] = []
        wanted = [(customer_col, customers), (date_col, dates)]
        if amount_col is not None:
            wanted.append((amount_col, amounts))
        for row in reader:
            for column, values in wanted:
                cell = (row[column] or "").strip()
                if not cell:
                    raise ValidationFailed(
                        f"{_where(path, reader.line_num, column)}: no value", field="transactions"
                    )
                values.append(cell)
            lines.append(reader.line_num)
    if not customers:
        raise ValidationFailed(f"{path}: no transactions (only a header row)", field="transactions")
    money = _amounts(path, amounts, lines, amount_col) if amount_col else np.full(len(customers), np.nan)
    days = _parse_days(path, dates, lines, date_col, date_format)
    return TransactionLog(np.asarray(customers, dtype=np.str_), days, money)


def summarise_transactions(
    log: TransactionLog,
    *,
    calibration_end: date,
    holdout_end: date | None = None,
    time_unit: TimeUnit = TimeUnit.WEEK,
) -> CustomerSummary:
    """Per-customer (frequency, recency, T, monetary value) for the calibration period ending on
    ``calibration_end`` (inclusive), and the holdout purchases up to ``holdout_end`` (inclusive)."""
    cal_end = np.datetime64(calibration_end, "D")
    last_day = np.datetime64(holdout_end, "D") if holdout_end else cal_end
    if last_day < cal_end:
        raise ValidationFailed("the holdout must end after the calibration period", field="holdout_end")
    if not np.any(log.days <= cal_end):
        raise ValidationFailed(
            f"calibration end {calibration_end} is before every transaction", field="calibration_end"
        )
    keep = log.days <= last_day
    keys, customer_index = np.unique(log.customers[keep], return_inverse=True)
    days = log.days[keep].astype(np.int64)
    amounts = log.amounts[keep]
    # One transaction per customer and day: sort by (customer, day), sum amounts of equal keys.
    order = np.lexsort((days, customer_index))
    cust, day, amount = customer_index[order], days[order], amounts[order]
    starts = np.flatnonzero(np.r_[True, (cust[1:] != cust[:-1]) | (day[1:] != day[:-1])])
    cust, day, amount = cust[starts], day[starts], np.add.reduceat(amount, starts) if len(amount) else amount
    first = np.full(len(keys), np.iinfo(np.int64).max)
    np.minimum.at(first, cust, day)
    in_cohort = first <= cal_end.astype(np.int64)
    calibration = day <= cal_end.astype(np.int64)
    unit = float(time_unit.days)
    count = np.bincount(cust[calibration], minlength=len(keys)).astype(np.float64)
    last = np.full(len(keys), np.iinfo(np.int64).min)
    np.maximum.at(last, cust[calibration], day[calibration])
    last = np.where(in_cohort, last, first)  # no calibration purchase: outside the cohort anyway
    is_first = calibration & (day == first[cust])
    repeat_total = np.bincount(
        cust[calibration & ~is_first], weights=amount[calibration & ~is_first], minlength=len(keys)
    )
    frequency = np.maximum(count - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_total / np.maximum(frequency, 1), 0.0)
    if np.all(np.isnan(amounts)):
        monetary = np.full(len(keys), np.nan)  # a log without amounts: no monetary value at all
    holdout = None
    if holdout_end is not None:
        holdout = np.bincount(cust[~calibration], minlength=len(keys)).astype(np.float64)[in_cohort]
    return CustomerSummary(
        customers=keys[in_cohort],
        frequency=frequency[in_cohort],
        recency=np.where(frequency > 0, (last - first) / unit, 0.0)[in_cohort],
        T=((cal_end.astype(np.int64) - first) / unit)[in_cohort],
        monetary_value=monetary[in_cohort],
        holdout_frequency=holdout,
        holdout_length=float((last_day - cal_end).astype(np.int64)) / unit if holdout_end else None,
        time_unit=time_unit,
    )
