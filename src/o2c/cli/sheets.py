"""Report tables that fit the terminal: no figure is ever cut to an ellipsis.

A :class:`Sheet` is a report as people read it: key columns that say what a row is (period, segment,
customer) and figure columns. Rich, given a table wider than the terminal, shrinks columns until
``96.3%`` prints as ``9…``; :func:`print_sheet` instead splits the figures over as many tables as the
width needs, each repeating the key columns, so every figure is printed whole. On a wide terminal it
is one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.box import HEAVY_HEAD
from rich.cells import cell_len
from rich.console import Console
from rich.table import Column, Table

# Each column costs its text plus one space of padding either side and one rule; the table one more rule.
_COLUMN_CHROME, _TABLE_CHROME = 3, 1


@dataclass
class Sheet:
    """A report's rows, already formatted: each row is its key cells, then its figure cells."""

    title: str | None
    keys: Sequence[str]
    figures: Sequence[str]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    caption: str | None = None

    def add_row(self, *cells: str) -> None:
        if len(cells) != len(self.keys) + len(self.figures):
            raise ValueError(f"a row of {self.title!r} needs {len(self.keys) + len(self.figures)} cells")
        self.rows.append(cells)


def print_sheet(console: Console, sheet: Sheet) -> None:
    """Print ``sheet`` as one table, or as several side by side in figures if the terminal is narrow."""
    for table in fitted_tables(sheet, console.width):
        console.print(table)


def fitted_tables(sheet: Sheet, width: int) -> list[Table]:
    """The tables ``sheet`` is printed as at ``width`` columns: figures packed in order into as few
    tables as fit, each with the key columns first (a figure wider than the width alone gets a table
    of its own). Widths are set here, not left to Rich, whose shrinking cuts cells."""
    least, most = _widths(sheet, header_words=True), _widths(sheet, header_words=False)
    keys = list(range(len(sheet.keys)))
    room = width - _TABLE_CHROME - sum(least[i] + _COLUMN_CHROME for i in keys)
    groups: list[list[int]] = [[]]
    used = 0
    for i in range(len(keys), len(least)):
        if groups[-1] and used + least[i] + _COLUMN_CHROME > room:
            groups.append([])
            used = 0
        groups[-1].append(i)
        used += least[i] + _COLUMN_CHROME
    tables = []
    for n, group in enumerate(groups, start=1):
        spare = room - sum(least[i] + _COLUMN_CHROME for i in group)
        given = {}
        for i in [*keys, *group]:  # room left over unwraps headers, left to right
            given[i] = least[i] + max(0, min(spare, most[i] - least[i]))
            spare -= given[i] - least[i]
        tables.append(_table(sheet, given, n, len(groups)))
    return tables


def _widths(sheet: Sheet, *, header_words: bool) -> list[int]:
    """Per column, the widest cell or header: with ``header_words``, the narrowest width that cuts
    nothing (headers may wrap between words, cells never); without, the width that wraps nothing."""
    headers = [*sheet.keys, *sheet.figures]
    return [
        max(
            max((cell_len(w) for w in (header.split() if header_words else [header])), default=0),
            max((cell_len(row[i]) for row in sheet.rows), default=0),
        )
        for i, header in enumerate(headers)
    ]


def _table(sheet: Sheet, widths: dict[int, int], n: int, of: int) -> Table:
    headers = [*sheet.keys, *sheet.figures]
    columns = [
        Column(
            headers[i],
            width=w,
            no_wrap=i < len(sheet.keys),
            justify="left" if i < len(sheet.keys) else "right",
        )
        for i, w in widths.items()
    ]
    title = sheet.title if of == 1 or sheet.title is None else f"{sheet.title} ({n}/{of})"
    table = Table(*columns, title=title, caption=sheet.caption if n == of else None, box=HEAVY_HEAD)
    for row in sheet.rows:
        table.add_row(*(row[i] for i in widths))
    return table
