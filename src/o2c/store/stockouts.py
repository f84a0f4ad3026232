"""The facts behind the stockout metrics: stockout episodes, and what became of every shortfall.

A **stockout episode** of a SKU-location starts when its available stock (on hand - allocated)
reaches 0 and ends when it is above 0 again. :meth:`StockoutLog.refresh` brings the episodes of the
given stock rows up to date in two set-based statements; call it, in the transaction that changed
them, for every stock row whose availability may have changed, *with the rows locked* (every use case
that changes stock locks them first), so that two transactions never judge the same row at once. A
partial unique index keeps at most one open episode per SKU-location in any case, and the insert
gives way to an existing open episode rather than fail.

A **shortfall outcome** records what became of a quantity that could not be allocated when the order
was entered: ``backordered`` or ``lost`` (cut by the ``cancel_remainder`` policy) at entry, then
``allocated`` (supply arrived), ``substituted`` (an alternate stood in) or ``cancelled`` (the
customer cancelled the backorder: a lost sale).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Insert,
    Select,
    String,
    Update,
    and_,
    any_,
    bindparam,
    case,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

from o2c.store.batches import array_param, arrayed, arrays, columns_of, types_of
from o2c.store.driver import Prepared
from o2c.store.master_tables import stock
from o2c.store.supply_tables import shortfall_outcomes, stockout_episodes
from o2c.store.tables import order_lines

_episodes = stockout_episodes.c
_open_episode = exists().where(
    _episodes.product_id == stock.c.product_id,
    _episodes.location_id == stock.c.location_id,
    _episodes.ended_at.is_(None),
)


def _out_of_stock(given: ColumnElement[bool]) -> Select[Any]:
    """The ``given`` stock rows at 0 available with no open episode."""
    return (
        select(stock.c.product_id, stock.c.location_id, bindparam("at", type_=_episodes.started_at.type))
        .where(given, stock.c.on_hand - stock.c.allocated <= 0, ~_open_episode)
        .order_by(stock.c.id)
    )


def _open_statement(dialect: str, given: ColumnElement[bool]) -> Insert:
    """INSERT … SELECT of the rows that ran out, giving way to an open episode of the same SKU-location."""
    columns = ["product_id", "location_id", "started_at"]
    if dialect == "postgresql":
        pg = postgresql.insert(stockout_episodes).from_select(columns, _out_of_stock(given))
        return pg.on_conflict_do_nothing(
            index_elements=["product_id", "location_id"], index_where=_episodes.ended_at.is_(None)
        )
    if dialect == "sqlite":
        lite = sqlite.insert(stockout_episodes).from_select(columns, _out_of_stock(given))
        return lite.on_conflict_do_nothing(
            index_elements=["product_id", "location_id"], index_where=_episodes.ended_at.is_(None)
        )
    return insert(stockout_episodes).from_select(columns, _out_of_stock(given))


def _close_statement(given: ColumnElement[bool]) -> Update:
    """End the open episodes of the ``given`` rows that are above 0 again. Clocks of concurrent
    transactions may disagree by a little: an episode never ends before it started."""
    at = bindparam("at", type_=_episodes.ended_at.type)
    return (
        update(stockout_episodes)
        .where(
            _episodes.ended_at.is_(None),
            exists().where(
                given,
                stock.c.product_id == _episodes.product_id,
                stock.c.location_id == _episodes.location_id,
                stock.c.on_hand - stock.c.allocated > 0,
            ),
        )
        .values(ended_at=case((_episodes.started_at > at, _episodes.started_at), else_=at))
    )


# Elsewhere the rows are listed (an expanding IN, run through Core).
_listed = stock.c.id.in_(bindparam("stock_ids", expanding=True))
_OPEN = {name: _open_statement(name, _listed) for name in ("sqlite", "default")}
_close = _close_statement(_listed)
# On PostgreSQL the rows travel as one array: the statements are then prepared once, and may be sent
# in a pipeline (store.pipeline) behind the writes that changed the rows.
_in_array = stock.c.id == any_(array_param("stock_ids", BigInteger()))
_open_sent = Prepared(_open_statement("postgresql", _in_array))
_close_sent = Prepared(_close_statement(_in_array))


class StockoutLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def refresh(self, stock_ids: Iterable[int], at: datetime) -> None:
        """Open an episode for every given row at 0 available without one; close those above 0."""
        ids = sorted(set(stock_ids))
        if not ids:
            return
        dialect = self._conn.dialect.name
        if dialect == "postgresql":  # sent: in a pipeline, without waiting for it
            _open_sent.send(self._conn, {"stock_ids": ids, "at": at})
            _close_sent.send(self._conn, {"stock_ids": ids, "at": at})
            return
        self._conn.execute(_OPEN.get(dialect, _OPEN["default"]), {"stock_ids": ids, "at": at})
        self._conn.execute(_close, {"stock_ids": ids, "at": at})


class Shortfall(NamedTuple):
    """What became of ``quantity`` units of an order line (``line_no`` of order ``order_id``); a named
    tuple, cheap to build by the ten thousand (a batch of receipts)."""

    order_id: int
    line_no: int
    product_id: int
    location_id: int | None
    quantity: int
    outcome: str  # one of supply_tables.SHORTFALL_OUTCOMES
    occurred_at: datetime


# The line is named by (order, line number): at entry the lines are stored without reading their ids.
_record = Prepared(
    insert(shortfall_outcomes).values(
        order_line_id=select(order_lines.c.id)
        .where(
            and_(
                order_lines.c.order_id == bindparam("order_id"),
                order_lines.c.line_no == bindparam("line_no"),
            )
        )
        .scalar_subquery(),
        product_id=bindparam("product_id"),
        location_id=bindparam("location_id"),
        quantity=bindparam("quantity"),
        outcome=bindparam("outcome"),
        occurred_at=bindparam("occurred_at"),
    )
)
_OUTCOME_COLUMNS = ("product_id", "location_id", "quantity", "outcome", "occurred_at")
_facts = arrays(
    {**types_of(order_lines, ["order_id", "line_no"]), **types_of(shortfall_outcomes, _OUTCOME_COLUMNS)}
)
# The same rows in one statement on PostgreSQL (see store.batches): the lines found by a join.
_record_arrayed = insert(shortfall_outcomes).from_select(
    ["order_line_id", *_OUTCOME_COLUMNS],
    select(order_lines.c.id, *[_facts.c[name] for name in _OUTCOME_COLUMNS]).join(
        order_lines,
        and_(order_lines.c.order_id == _facts.c.order_id, order_lines.c.line_no == _facts.c.line_no),
    ),
)


# Facts of lines whose ids are known (a backorder allocation reads them): no look-up of the line per
# row, one instant and outcome for all of them.
_LINE_FACT_COLUMNS = ("order_line_id", "product_id", "location_id", "quantity")
_LINE_FACT_PARAMETERS = (*_LINE_FACT_COLUMNS, "outcome", "occurred_at")
_record_line = Prepared(
    insert(shortfall_outcomes).values(
        {name: bindparam(name) for name in _LINE_FACT_COLUMNS}
        | {"outcome": bindparam("outcome"), "occurred_at": bindparam("occurred_at", type_=String)}
    )
)
_line_facts = arrays(types_of(shortfall_outcomes, _LINE_FACT_COLUMNS))
_record_lines_arrayed = Prepared(
    insert(shortfall_outcomes).from_select(
        [*_LINE_FACT_COLUMNS, "outcome", "occurred_at"],
        select(
            *[_line_facts.c[name] for name in _LINE_FACT_COLUMNS],
            bindparam("outcome", type_=shortfall_outcomes.c.outcome.type),
            bindparam("occurred_at", type_=shortfall_outcomes.c.occurred_at.type),
        ),
    )
)


class ShortfallLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record_lines(
        self, rows: Sequence[tuple[int, int, int | None, int]], outcome: str, at: datetime
    ) -> None:
        """``(order line id, product id, location id, quantity)`` rows, all of one ``outcome`` at one
        instant (those of quantity 0 left out): one statement over arrays on PostgreSQL, a batch of
        rows as they are elsewhere (SQLite; the instant converted once, bound as the text stored)."""
        rows = [r for r in rows if r[3] > 0]
        if rows and self._conn.dialect.name == "postgresql":  # no join to plan: arrays at any size
            given = {f"a_{name}": [r[i] for r in rows] for i, name in enumerate(_LINE_FACT_COLUMNS)}
            _record_lines_arrayed.send(self._conn, {**given, "outcome": outcome, "occurred_at": at})
        elif rows:
            dialect = self._conn.dialect
            stored = shortfall_outcomes.c.occurred_at.type.dialect_impl(dialect).bind_processor(dialect)
            instant = stored(at) if stored is not None else at
            _record_line.execute_values(
                self._conn, _LINE_FACT_PARAMETERS, [(*r, outcome, instant) for r in rows]
            )

    def record(self, rows: Iterable[Shortfall]) -> None:
        params = [
            {
                "order_id": r.order_id,
                "line_no": r.line_no,
                "product_id": r.product_id,
                "location_id": r.location_id,
                "quantity": r.quantity,
                "outcome": r.outcome,
                "occurred_at": r.occurred_at,
            }
            for r in rows
            if r.quantity > 0
        ]
        if arrayed(self._conn, len(params)):
            self._conn.execute(
                _record_arrayed, columns_of(params, ["order_id", "line_no", *_OUTCOME_COLUMNS])
            )
        elif params:
            _record.execute_many(self._conn, params)
