"""One CSV row's cells → typed values, each fault noted instead of raised.

A bad value does not stop the parse of its row: every column is checked and each fault noted, so a user
fixing a file sees all of a row's faults at once instead of one per attempt. An empty or absent cell is
``None`` to the ``optional_*`` accessors and a fault to the required ones. What belongs here knows
cells (text, decimals, whole numbers, booleans, choices) and their limits, not the kinds of file:
those are :mod:`o2c.services.import_rows`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from o2c.domain.money import parse_decimal

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

MAX_QUANTITY = 2_147_483_647  # a 32-bit INTEGER column
MAX_AMOUNT = Decimal("1e12")
ONE = Decimal(1)

_INTEGER = re.compile(r"[+-]?\d+")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class Fields:
    """The values of one data row by column name; accessors note faults instead of raising.

    A faulty accessor returns a harmless fallback of the right type: the row is discarded anyway
    once :attr:`problems` is not empty.
    """

    def __init__(self, line: int, values: Mapping[str, str]) -> None:
        self.line = line
        self._values = values
        self.problems: list[str] = []

    def has(self, column: str) -> bool:
        """Whether the file has this column at all (empty or not)."""
        return column in self._values

    def raw(self, column: str) -> str:
        return self._values.get(column, "")

    def note(self, problem: str, column: str | None = None) -> None:
        """Note a fault of the row, or of one cell of it (``column``): "column price: '-1' is negative"."""
        self.problems.append(f"column {column}: {problem}" if column else problem)

    def text(self, column: str, limit: int) -> str:
        return self._required(column, self.optional_text(column, limit), "")

    def optional_text(self, column: str, limit: int) -> str | None:
        return self._convert(column, _text(column, limit))

    def decimal(self, column: str, *, scale: int, maximum: Decimal = MAX_AMOUNT) -> Decimal:
        value = self.optional_decimal(column, scale=scale, maximum=maximum)
        return self._required(column, value, Decimal(0))

    def optional_decimal(self, column: str, *, scale: int, maximum: Decimal = MAX_AMOUNT) -> Decimal | None:
        return self._convert(column, _decimal(column, scale, maximum))

    def integer(self, column: str, minimum: int = 0, maximum: int = MAX_QUANTITY) -> int:
        return self._required(column, self.optional_integer(column, minimum, maximum), 0)

    def optional_integer(self, column: str, minimum: int = 0, maximum: int = MAX_QUANTITY) -> int | None:
        return self._convert(column, _integer(column, minimum, maximum))

    def optional_boolean(self, column: str) -> bool | None:
        return self._convert(column, _boolean(column))

    def choice(self, column: str, allowed: type[E]) -> E:
        fallback = next(iter(allowed))
        return self._required(column, self._convert(column, _choice(column, allowed)), fallback)

    def _convert(self, column: str, convert: Callable[[str], T]) -> T | None:
        raw = self.raw(column)
        if not raw:
            return None
        try:
            return convert(raw)
        except ValueError as error:
            # The converters say "<column> '<value>' is …": the column goes in front, once.
            self.note(str(error).removeprefix(f"{column} "), column)
            return None

    def _required(self, column: str, value: T | None, fallback: T) -> T:
        if value is None and not self.raw(column):
            self.note("no value, but it is required", column)
        return fallback if value is None else value


def _text(column: str, limit: int) -> Callable[[str], str]:
    def convert(raw: str) -> str:
        if len(raw) > limit:
            raise ValueError(f"{column} longer than {limit} characters")
        return raw

    return convert


def _decimal(column: str, scale: int, maximum: Decimal) -> Callable[[str], Decimal]:
    def convert(raw: str) -> Decimal:
        value = parse_decimal(raw, scale=scale, what=column)
        if value > maximum:
            hint = f": give rates as fractions ({raw}% is {value / 100})" if maximum == ONE else ""
            raise ValueError(f"{column} {raw!r} is above {maximum}{hint}")
        return value

    return convert


def _integer(column: str, minimum: int, maximum: int) -> Callable[[str], int]:
    def convert(raw: str) -> int:
        if not _INTEGER.fullmatch(raw):
            raise ValueError(f"{column} {raw!r} is not a whole number")
        value = int(raw)
        if not minimum <= value <= maximum:
            raise ValueError(f"{column} {raw!r} is not between {minimum} and {maximum}")
        return value

    return convert


def _boolean(column: str) -> Callable[[str], bool]:
    def convert(raw: str) -> bool:
        try:
            return _BOOLEANS[raw.lower()]
        except KeyError:
            raise ValueError(f"{column} {raw!r} is not one of true/false/yes/no/1/0") from None

    return convert


def _choice(column: str, allowed: type[E]) -> Callable[[str], E]:
    def convert(raw: str) -> E:
        try:
            return allowed(raw.lower())
        except ValueError:
            names = ", ".join(str(member) for member in allowed)
            raise ValueError(f"{column} {raw!r} is not one of {names}") from None

    return convert
