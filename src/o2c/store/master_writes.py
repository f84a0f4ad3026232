"""The writes of a master-data import: upserts by natural key, ship-tos, alternates, prices, stock counts.

The look-ups that decide between insert and update live here too, beside the writes they serve: they
run in the importing transaction and, for stock, lock the rows they return (in id order, as the
reservation code does), so what the import checked is still true when it writes. Rows are written in
key order, so two concurrent imports take their locks in the same order. No commit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, insert, select, update

from o2c.domain.errors import Conflict
from o2c.store.master_tables import price_list_items, price_lists, product_alternates, ship_tos, stock

K = TypeVar("K")

_CHUNK = 500  # keeps IN (...) lists well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Upserted:
    created: int
    updated: int


@dataclass(frozen=True)
class StockCount:
    """A stock row as the import found it (locked until the transaction ends)."""

    stock_id: int
    on_hand: int
    allocated: int


def _chunks(keys: Iterable[K]) -> Iterator[list[K]]:
    ordered = sorted(set(keys))  # type: ignore[type-var]
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


class MasterDataWriter:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def ids(self, table: Table, key: str, keys: Iterable[str]) -> dict[str, int]:
        """Surrogate id by natural key (``code`` or ``sku``) of the rows that exist."""
        column = table.c[key]
        found: dict[str, int] = {}
        for chunk in _chunks(keys):
            found.update(
                (k, int(i))
                for k, i in self._conn.execute(select(column, table.c.id).where(column.in_(chunk)))
            )
        return found

    def existing_keys(self, table: Table, key: str, keys: Iterable[str]) -> set[str]:
        column = table.c[key]
        return {
            k
            for chunk in _chunks(keys)
            for k in self._conn.execute(select(column).where(column.in_(chunk))).scalars()
        }

    def upsert(self, table: Table, key: str, rows: Mapping[str, Mapping[str, Any]]) -> Upserted:
        """Update the rows whose natural key exists (only the columns given), insert the others."""
        column = table.c[key]
        existing = self.existing_keys(table, key, rows)
        for k in sorted(rows):
            if k not in existing:
                self._conn.execute(insert(table).values({key: k, **rows[k]}))
            elif rows[k]:
                self._conn.execute(update(table).where(column == k).values(dict(rows[k])))
        return Upserted(len(rows) - len(existing), len(existing))

    def add_price_lists(self, codes: Iterable[str]) -> dict[str, int]:
        """Ids of these price lists, creating (named after its code) each one that is new."""
        codes = set(codes)
        for code in sorted(codes - self.existing_keys(price_lists, "code", codes)):
            self._conn.execute(insert(price_lists).values(code=code, name=code))
        return self.ids(price_lists, "code", codes)

    def upsert_prices(self, prices: Mapping[tuple[int, int], Decimal]) -> Upserted:
        """Unit prices by (price list id, product id)."""
        existing = self._existing_pairs(
            price_list_items.c.price_list_id, price_list_items.c.product_id, prices
        )
        for list_id, product_id in sorted(prices):
            price = prices[list_id, product_id]
            if (list_id, product_id) in existing:
                self._conn.execute(
                    update(price_list_items)
                    .where(
                        price_list_items.c.price_list_id == list_id,
                        price_list_items.c.product_id == product_id,
                    )
                    .values(unit_price=price)
                )
            else:
                self._conn.execute(
                    insert(price_list_items).values(
                        price_list_id=list_id, product_id=product_id, unit_price=price
                    )
                )
        return Upserted(len(prices) - len(existing), len(existing))

    def upsert_ship_tos(self, addresses: Mapping[tuple[int, str], Mapping[str, Any]]) -> None:
        """Ship-to addresses by (customer id, ship-to code); a customer's other addresses stay."""
        existing = self._existing_pairs(ship_tos.c.customer_id, ship_tos.c.code, addresses)
        for customer_id, code in sorted(addresses):
            values = dict(addresses[customer_id, code])
            if (customer_id, code) in existing:
                self._conn.execute(
                    update(ship_tos)
                    .where(ship_tos.c.customer_id == customer_id, ship_tos.c.code == code)
                    .values(values)
                )
            else:
                self._conn.execute(insert(ship_tos).values(customer_id=customer_id, code=code, **values))

    def replace_alternates(self, alternates: Mapping[int, Sequence[int]]) -> None:
        """Each product's alternates become exactly these, ranked 1, 2, … in the order given."""
        for product_id in sorted(alternates):
            self._conn.execute(
                delete(product_alternates).where(product_alternates.c.product_id == product_id)
            )
            ranked = [
                {"product_id": product_id, "alternate_id": alternate_id, "rank": rank}
                for rank, alternate_id in enumerate(alternates[product_id], 1)
            ]
            if ranked:
                self._conn.execute(insert(product_alternates), ranked)

    def lock_stock(
        self, product_ids: Iterable[int], location_ids: Iterable[int]
    ) -> dict[tuple[int, int], StockCount]:
        """Stock rows of these products at these locations, by (product, location) id; locked in id order."""
        locations = sorted(set(location_ids))
        found: dict[tuple[int, int], StockCount] = {}
        for chunk in _chunks(product_ids):
            rows = self._conn.execute(
                select(
                    stock.c.id, stock.c.product_id, stock.c.location_id, stock.c.on_hand, stock.c.allocated
                )
                .where(stock.c.product_id.in_(chunk), stock.c.location_id.in_(locations))
                .order_by(stock.c.id)
                .with_for_update()
            )
            found.update(
                {(r.product_id, r.location_id): StockCount(r.id, r.on_hand, r.allocated) for r in rows}
            )
        return found

    def count_stock(
        self, product_id: int, location_id: int, on_hand: int, current: StockCount | None
    ) -> None:
        """Set on hand to a counted quantity; never below what is allocated (guarded, row count checked)."""
        if current is None:
            self._conn.execute(
                insert(stock).values(product_id=product_id, location_id=location_id, on_hand=on_hand)
            )
            return
        result = self._conn.execute(
            update(stock)
            .where(stock.c.id == current.stock_id, stock.c.allocated <= on_hand)
            .values(on_hand=on_hand)
        )
        if result.rowcount != 1:
            raise Conflict(
                f"stock {current.stock_id} changed underneath: cannot count {on_hand}",
                stock_id=current.stock_id,
            )

    def _existing_pairs(self, first: Any, second: Any, pairs: Iterable[tuple[K, Any]]) -> set[tuple[K, Any]]:
        """Which of these (first, second) key pairs already exist in the table of these two columns."""
        wanted = set(pairs)
        found: set[tuple[K, Any]] = set()
        for chunk in _chunks(f for f, _ in wanted):
            rows = self._conn.execute(select(first, second).where(first.in_(chunk)))
            found.update((f, s) for f, s in rows if (f, s) in wanted)
        return found
