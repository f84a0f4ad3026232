"""Column types that keep money exact and time in UTC on SQLite and PostgreSQL alike.

How a value is stored is defined once, by the plain functions below; the column types apply them, and
whatever runs a statement (``Connection.execute``, or :mod:`o2c.store.driver` on the hot path) applies
the column types' processors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

from o2c.domain.money import from_minor, to_minor


def stored_minor(value: Decimal | int | None, scale: int) -> int | None:
    """An amount as stored: a count of ``10**-scale`` units (``Decimal('12.34')`` → ``1234`` at scale 2);
    an amount with more decimals than the column holds is refused."""
    if value is None:
        return None
    return to_minor(value if isinstance(value, Decimal) else Decimal(value), scale)


def loaded_minor(value: Any, scale: int) -> Decimal | None:
    """The amount a stored count of ``10**-scale`` units stands for."""
    if value is None:
        return None
    return from_minor(int(value), scale)


def stored_utc(value: datetime | None, *, naive: bool) -> datetime | None:
    """An instant as stored: in UTC, without its zone where the column keeps none (SQLite); a naive
    datetime is refused, its zone would be a guess."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: o2c stores UTC")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None) if naive else value


def loaded_utc(value: datetime | None) -> datetime | None:
    """A stored instant, timezone-aware in UTC (a naive one was stored as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Minor(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of ``10**-scale`` units (cents at scale 2).

    SQLite has no exact decimal type (``NUMERIC`` becomes a float), so both databases store the same
    integer and SQL sums stay exact. A value with more decimals than the column holds is refused.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return stored_minor(value, self.scale)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return loaded_minor(value, self.scale)

    # The processors SQLAlchemy (and store.driver) apply: the same conversions as the two methods
    # above, without TypeDecorator's layers of calls around them. Every amount an order writes or
    # reads passes through here, some forty per order. The integer impl has no processor of its own
    # on either driver, so there is nothing to chain.

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], int | None]:
        scale = self.scale

        def process(value: Any) -> int | None:
            if value is None:
                return None
            # to_minor, inlined: a call less for each of those forty amounts.
            scaled = (value if value.__class__ is Decimal else Decimal(value)).scaleb(scale)
            minor = int(scaled)
            if minor != scaled:
                raise ValueError(f"{value} has more than {scale} decimal places")
            return minor

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Decimal | None]:
        exponent = -self.scale

        def process(value: Any) -> Decimal | None:
            if value is None:
                return None
            return Decimal(value if value.__class__ is int else int(value)).scaleb(exponent)

        return process


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; ``timestamptz`` on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return stored_utc(value, naive=dialect.name == "sqlite")

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return loaded_utc(value)

    # As for Minor: the same conversions, composed once with the impl's own processors instead of
    # through TypeDecorator's layers. On SQLite the text written is SQLAlchemy's DATETIME storage
    # format ("2026-03-02 09:00:00.000000"), which ``isoformat`` produces in C.

    # Many rows of a batch carry the same instant (every event and fact of one transaction has its
    # clock's time; the lines of one order its receipt time), so the last conversion is kept and
    # reused: one (value, result) pair, replaced whole, so that threads sharing it never see halves.

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        if dialect.name == "sqlite":
            last: tuple[datetime | None, str | None] = (None, None)

            def to_sqlite(value: datetime | None) -> str | None:
                nonlocal last
                seen, text = last
                if value is seen and value is not None:
                    return text
                stored = stored_utc(value, naive=True)
                text = None if stored is None else stored.isoformat(" ", "microseconds")
                last = (value, text)
                return text

            return to_sqlite
        impl_process = self.impl_instance.dialect_impl(dialect).bind_processor(dialect)

        def to_aware(value: datetime | None) -> Any:
            stored = stored_utc(value, naive=False)
            return impl_process(stored) if impl_process is not None and stored is not None else stored

        return to_aware

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        impl_process = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        last: tuple[Any, datetime | None] = (None, None)

        def process(value: Any) -> datetime | None:
            nonlocal last
            if value is None:
                return None
            seen, loaded = last
            if value == seen:  # text on SQLite, an aware datetime on PostgreSQL: equal means the same instant
                return loaded
            loaded = loaded_utc(impl_process(value) if impl_process is not None else value)
            last = (value, loaded)
            return loaded

        return process
