"""CSV import of master data and stock counts: every row checked first, then all written or nothing.

A user loading a spreadsheet wants to fix every bad row in one pass, and must never be left with half
a file in the database: so :func:`import_csv` parses every row (:mod:`o2c.services.import_rows`),
then checks keys and references against the database and the file itself, and only when no row is
bad writes them all in one transaction. Otherwise it raises
:class:`~o2c.domain.errors.ImportRejected` listing every bad row by line number (the header is line 1),
and within the line each bad cell by its column: ``line 4: column list_price: '-1' is negative``.
Rows are upserted by their natural key, so importing a corrected or newer file again updates in place.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlalchemy import Table

from o2c.domain.errors import ImportRejected, RowProblem
from o2c.services.backorders import allocate_arrivals
from o2c.services.import_fields import Fields
from o2c.services.import_rows import (
    FORMATS,
    CustomerRow,
    ImportKind,
    MasterRow,
    PriceRow,
    ProductRow,
    RowFormat,
    StockRow,
)
from o2c.services.repromising import repromise_many
from o2c.store.events import Event
from o2c.store.lanes import upsert_lanes
from o2c.store.master_tables import (
    carriers,
    customers,
    locations,
    price_lists,
    products,
    segment_discounts,
    suppliers,
    tax_rates,
)
from o2c.store.master_writes import MasterDataWriter, StockCount, Upserted
from o2c.store.uow import UnitOfWork, retrying

R = TypeVar("R")

LOAD_ORDER: tuple[ImportKind, ...] = (
    ImportKind.LOCATIONS,
    ImportKind.LANES,
    ImportKind.CARRIERS,
    ImportKind.SUPPLIERS,
    ImportKind.TAX_RATES,
    ImportKind.SEGMENT_DISCOUNTS,
    ImportKind.PRODUCTS,  # before price lists (their SKUs) and stock
    ImportKind.PRICE_LISTS,  # before customers (their price list)
    ImportKind.CUSTOMERS,
    ImportKind.STOCK,  # after locations and products
)
"""An order of kinds in which every reference of a file is to rows imported before it."""


@dataclass(frozen=True)
class ImportReport:
    kind: ImportKind
    created: int
    updated: int


def import_csv(
    uow: UnitOfWork, kind: ImportKind, source: TextIO | Path, *, actor: str = "import"
) -> ImportReport:
    """Import one CSV file of ``kind`` in one transaction, or raise ImportRejected and write nothing."""
    name = str(source) if isinstance(source, Path) else str(getattr(source, "name", "<stream>"))
    text = _read_text(source)
    if isinstance(text, RowProblem):
        raise ImportRejected(name, [text])
    rows, problems = read_rows(text, FORMATS[kind])
    if problems and not rows:
        raise ImportRejected(name, problems)
    counted = _load(uow, kind, rows, problems, name, actor)
    return ImportReport(kind, counted.created, counted.updated)


def load_sample_data(uow: UnitOfWork, *, actor: str = "sample") -> list[ImportReport]:
    """Import the demo data set shipped in ``o2c/sample/<kind>.csv``, one file per kind in LOAD_ORDER."""
    folder = resources.files("o2c") / "sample"
    reports = []
    for kind in LOAD_ORDER:
        with resources.as_file(folder / f"{kind}.csv") as path:
            reports.append(import_csv(uow, kind, path, actor=actor))
    return reports


# --- from a file to rows -------------------------------------------------------------------------


def _read_text(source: TextIO | Path) -> str | RowProblem:
    """The file's text (UTF-8, with or without the byte-order mark Excel writes), or why not."""
    try:
        if isinstance(source, Path):
            return source.read_bytes().decode("utf-8-sig")
        return source.read().removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1 if isinstance(error.object, bytes) else 1
        return RowProblem(line, f"not a UTF-8 text file (byte {error.start + 1}): save it as CSV UTF-8")


def read_rows(text: str, fmt: RowFormat[R]) -> tuple[list[R], list[RowProblem]]:
    """Every valid row of the file and a problem for each bad one; an unreadable file is one problem."""
    records = _records(text)
    if isinstance(records, RowProblem):
        return [], [records]
    if not records:
        return [], [RowProblem(1, f"the file is empty: expected a header row ({','.join(fmt.columns)})")]
    (_, header), *data = records
    header = [column.lower() for column in header]
    header_problem = _header_problem(header, fmt)
    if header_problem:
        return [], [RowProblem(1, header_problem)]
    rows: list[R] = []
    problems: list[RowProblem] = []
    for line, values in data:
        row = _parse(line, header, values, fmt)
        if isinstance(row, RowProblem):
            problems.append(row)
        else:
            rows.append(row)
    return rows, problems


def _records(text: str) -> list[tuple[int, list[str]]] | RowProblem:
    """(first line, stripped values) of every non-blank record; a quoted value may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader, None)
        except csv.Error as error:
            return RowProblem(line, f"not a valid CSV file: {error}")
        if values is None:
            return records
        stripped = [value.strip() for value in values]
        if any(stripped):
            records.append((line, stripped))


def _header_problem(header: list[str], fmt: RowFormat[Any]) -> str | None:
    faults = [
        f"{what}: {', '.join(names)}"
        for what, names in (
            ("missing column(s)", [c for c in fmt.required if c not in header]),
            ("unknown column(s)", [c for c in header if c not in fmt.columns]),
            ("repeated column(s)", sorted({c for c in header if header.count(c) > 1})),
        )
        if names
    ]
    if not faults:
        return None
    if len(header) == 1 and ";" in header[0]:
        faults.append("columns must be separated by commas, not semicolons")
    return "; ".join(faults) + f" (expected {','.join(fmt.columns)})"


def _parse(line: int, header: list[str], values: list[str], fmt: RowFormat[R]) -> R | RowProblem:
    if len(values) != len(header):
        return RowProblem(line, f"{len(values)} values, but the header has {len(header)} columns")
    fields = Fields(line, dict(zip(header, values, strict=True)))
    row = fmt.parse(fields)
    return RowProblem(line, "; ".join(fields.problems)) if fields.problems else row


# --- checks against the database, then the writes -------------------------------------------------


@dataclass
class _Batch:
    """One file's import in its transaction: the writer, and the problems found while parsing."""

    uow: UnitOfWork
    writer: MasterDataWriter
    source: str
    problems: list[RowProblem]
    actor: str

    def check(self, problems: Iterable[RowProblem]) -> None:
        """Stop before the first write when any row of the file is bad; one entry per bad line."""
        reasons: dict[int, list[str]] = {}
        for problem in [*self.problems, *problems]:
            reasons.setdefault(problem.line, []).append(problem.reason)
        if reasons:
            raise ImportRejected(self.source, [RowProblem(n, "; ".join(reasons[n])) for n in sorted(reasons)])


@retrying()
def _load(
    uow: UnitOfWork, kind: ImportKind, rows: list[Any], problems: list[RowProblem], source: str, actor: str
) -> Upserted:
    with uow:
        batch = _Batch(uow, MasterDataWriter(uow.connection), source, problems, actor)
        counted = _LOADERS[kind](batch, rows)
        uow.commit()
    return counted


def duplicate_keys(keyed: Iterable[tuple[int, object, str]]) -> Iterator[RowProblem]:
    """A problem for each (line, key, label) whose key an earlier line of the file already has."""
    first: dict[object, int] = {}
    for line, key, label in keyed:
        earlier = first.setdefault(key, line)
        if earlier != line:
            yield RowProblem(line, f"{label} is already on line {earlier}")


def _master_loader(table: Table, key: str, what: str) -> Callable[[_Batch, list[MasterRow]], Upserted]:
    def load(batch: _Batch, rows: list[MasterRow]) -> Upserted:
        batch.check(duplicate_keys((r.line, r.key, f"{what} {r.key}") for r in rows))
        return batch.writer.upsert(table, key, {r.key: r.values for r in rows})

    return load


def _load_prices(batch: _Batch, rows: list[PriceRow]) -> Upserted:
    product_ids = batch.writer.ids(products, "sku", (r.sku for r in rows))
    batch.check(
        [
            *duplicate_keys(
                (r.line, (r.price_list, r.sku), f"price of {r.sku} in {r.price_list}") for r in rows
            ),
            *(
                RowProblem(r.line, f"column sku: unknown SKU {r.sku}")
                for r in rows
                if r.sku not in product_ids
            ),
        ]
    )
    list_ids = batch.writer.add_price_lists(r.price_list for r in rows)
    return batch.writer.upsert_prices(
        {(list_ids[r.price_list], product_ids[r.sku]): r.unit_price for r in rows}
    )


def _load_customers(batch: _Batch, rows: list[CustomerRow]) -> Upserted:
    list_ids = batch.writer.ids(price_lists, "code", (r.price_list for r in rows if r.price_list))
    unknown_lists = [r for r in rows if r.price_list and r.price_list not in list_ids]
    batch.check(
        [
            *_customer_problems(rows),
            *(
                RowProblem(r.line, f"column price_list: unknown price list {r.price_list}")
                for r in unknown_lists
            ),
        ]
    )
    first: dict[str, CustomerRow] = {}
    for row in rows:
        first.setdefault(row.code, row)
    counted = batch.writer.upsert(
        customers, "code", {code: _customer_values(r, list_ids) for code, r in first.items()}
    )
    ids = batch.writer.ids(customers, "code", first)
    batch.writer.upsert_ship_tos({(ids[r.code], r.ship_to.code): r.ship_to.values for r in rows if r.ship_to})
    return counted


def _customer_problems(rows: list[CustomerRow]) -> Iterator[RowProblem]:
    """Rows of one customer must agree on its terms; each (customer, ship-to) appears once."""
    first: dict[str, CustomerRow] = {}
    for row in rows:
        earlier, terms = first.setdefault(row.code, row).terms(), row.terms()
        differing = sorted(k for k in {*earlier, *terms} if earlier.get(k) != terms.get(k))
        if differing:
            yield RowProblem(
                row.line,
                f"customer {row.code}: {', '.join(differing)} differ(s) from line {first[row.code].line}",
            )
    yield from duplicate_keys(
        (r.line, (r.code, r.ship_to.code), f"ship-to {r.ship_to.code} of customer {r.code}")
        if r.ship_to
        else (r.line, (r.code, None), f"customer {r.code} without a ship-to")
        for r in rows
    )


def _customer_values(row: CustomerRow, list_ids: dict[str, int]) -> dict[str, object]:
    if not row.sets_price_list:
        return row.values
    return {**row.values, "price_list_id": list_ids[row.price_list] if row.price_list else None}


def _load_products(batch: _Batch, rows: list[ProductRow]) -> Upserted:
    skus = {r.sku for r in rows}
    alternates = {a for r in rows for a in r.alternates or ()}
    known = skus | batch.writer.ids(products, "sku", alternates - skus).keys()
    batch.check(
        [
            *duplicate_keys((r.line, r.sku, f"product {r.sku}") for r in rows),
            *(
                RowProblem(r.line, f"column alternates: unknown SKU(s) {', '.join(unknown)}")
                for r in rows
                if (unknown := [a for a in r.alternates or () if a not in known])
            ),
        ]
    )
    counted = batch.writer.upsert(products, "sku", {r.sku: r.values for r in rows})
    ids = batch.writer.ids(products, "sku", skus | alternates)
    batch.writer.replace_alternates(
        {ids[r.sku]: [ids[a] for a in r.alternates] for r in rows if r.alternates is not None}
    )
    return counted


def _load_stock(batch: _Batch, rows: list[StockRow]) -> Upserted:
    """Set counted quantities; each count is an event, so stock history is kept as recorded facts."""
    product_ids = batch.writer.ids(products, "sku", (r.sku for r in rows))
    location_ids = batch.writer.ids(locations, "code", (r.location for r in rows))
    counts = batch.writer.lock_stock(product_ids.values(), location_ids.values())
    batch.check(
        [
            *duplicate_keys((r.line, (r.sku, r.location), f"stock of {r.sku} at {r.location}") for r in rows),
            *(p for r in rows if (p := _stock_problem(r, product_ids, location_ids, counts))),
        ]
    )
    now, created = batch.uow.clock.now(), 0
    lowered: list[tuple[int, int]] = []
    for row in rows:
        key = (product_ids[row.sku], location_ids[row.location])
        current = counts.get(key)
        batch.writer.count_stock(*key, row.on_hand, current)
        created += current is None
        if current is not None and row.on_hand < current.on_hand:
            lowered.append(key)
        payload = {"on_hand": row.on_hand, "previous": current.on_hand if current else 0}
        batch.uow.events.record(
            Event("stock", f"{row.sku}@{row.location}", "stock.counted", now, batch.actor, payload)
        )
    # Counted stock serves the backorders waiting for it, and opens or closes stockout episodes; a count
    # that found less may leave a promise uncovered (one made on the stock not yet reserved, for an
    # order on credit hold): those lines are re-promised, flagged at risk.
    allocate_arrivals(batch.uow, ((product_ids[r.sku], location_ids[r.location]) for r in rows), batch.actor)
    repromise_many(batch.uow, lowered, batch.actor)
    return Upserted(created, len(rows) - created)


def _stock_problem(
    row: StockRow,
    product_ids: dict[str, int],
    location_ids: dict[str, int],
    counts: dict[tuple[int, int], StockCount],
) -> RowProblem | None:
    faults = [
        *([f"column sku: unknown SKU {row.sku}"] if row.sku not in product_ids else []),
        *([f"column location: unknown location {row.location}"] if row.location not in location_ids else []),
    ]
    current = None if faults else counts.get((product_ids[row.sku], location_ids[row.location]))
    if current is not None and row.on_hand < current.allocated:
        faults.append(
            f"column on_hand: {row.on_hand} is below the {current.allocated} already allocated to orders"
            f" at {row.location}: ship, cancel or move those allocations first"
        )
    return RowProblem(row.line, "; ".join(faults)) if faults else None


def _load_lanes(batch: _Batch, rows: list[MasterRow]) -> Upserted:
    batch.check(duplicate_keys((r.line, r.key, f"lane {r.key}") for r in rows))
    return upsert_lanes(batch.uow.connection, [r.values for r in rows])


_LOADERS: dict[ImportKind, Callable[[_Batch, Any], Upserted]] = {
    ImportKind.LOCATIONS: _master_loader(locations, "code", "location"),
    ImportKind.LANES: _load_lanes,
    ImportKind.CARRIERS: _master_loader(carriers, "code", "carrier"),
    ImportKind.SUPPLIERS: _master_loader(suppliers, "code", "supplier"),
    ImportKind.TAX_RATES: _master_loader(tax_rates, "region", "tax rate of region"),
    ImportKind.SEGMENT_DISCOUNTS: _master_loader(segment_discounts, "segment", "discount of segment"),
    ImportKind.PRICE_LISTS: _load_prices,
    ImportKind.CUSTOMERS: _load_customers,
    ImportKind.PRODUCTS: _load_products,
    ImportKind.STOCK: _load_stock,
}

__all__ = ["LOAD_ORDER", "ImportKind", "ImportReport", "import_csv", "load_sample_data", "read_rows"]
