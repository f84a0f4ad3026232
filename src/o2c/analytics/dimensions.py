"""What a metric can be broken down by, and the SQL that names each row's member.

A metric is computed at a grain — the order, the order line, the shipment, the invoice, the stockout
episode — and can only be broken down by a dimension that grain has: an order has a segment, a
customer, a channel and a carrier (the carrier of its first shipment), but no single SKU; a line has a
SKU and a location. Each metric module states the dimensions it supports; asking for another raises
:class:`~o2c.domain.errors.ValidationFailed` naming the metric.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, FromClause, Subquery, Table, func, select

from o2c.analytics.periods import ALL
from o2c.domain.errors import ValidationFailed
from o2c.store.master_tables import carriers, customers, locations, products
from o2c.store.tables import order_lines, orders, shipments


class Dimension(StrEnum):
    """A breakdown of a metric: every row of the result is one member (``None``: no breakdown)."""

    SEGMENT = "segment"
    CUSTOMER = "customer"
    CHANNEL = "channel"
    CARRIER = "carrier"
    SKU = "sku"
    LOCATION = "location"


ORDER_DIMENSIONS = frozenset({Dimension.SEGMENT, Dimension.CUSTOMER, Dimension.CHANNEL, Dimension.CARRIER})
LINE_DIMENSIONS = frozenset(
    {Dimension.SEGMENT, Dimension.CUSTOMER, Dimension.CHANNEL, Dimension.SKU, Dimension.LOCATION}
)
CUSTOMER_DIMENSIONS = frozenset({Dimension.SEGMENT, Dimension.CUSTOMER})  # attributes of the customer
NOT_SHIPPED = "-"  # the member of orders without a shipment (by carrier) or lines without a location


def require(metric: str, dimension: Dimension | None, supported: frozenset[Dimension]) -> None:
    """Refuse a breakdown the metric's grain does not have."""
    if dimension is not None and dimension not in supported:
        names = ", ".join(sorted(supported))
        raise ValidationFailed(f"{metric} cannot be broken down by {dimension} (only by {names})", field="by")


def _first_carrier() -> Subquery:
    """Each shipped order's carrier: the carrier of its first shipment."""
    first = (
        select(shipments.c.order_id, func.min(shipments.c.id).label("shipment_id"))
        .group_by(shipments.c.order_id)
        .subquery("first_shipment")
    )
    return (
        select(first.c.order_id, carriers.c.code)
        .join(shipments, shipments.c.id == first.c.shipment_id)
        .join(carriers, carriers.c.id == shipments.c.carrier_id)
        .subquery("order_carrier")
    )


def _attribute(dialect: str, table: Table, column: str, key: ColumnElement[int]) -> ColumnElement[str]:
    """A master-data attribute of each row, looked up by primary key.

    On SQLite a correlated lookup: joined instead, its planner drives the query from the small master
    table through a secondary index into the large one, a random read per row (several times slower
    over millions of rows). PostgreSQL plans the join well and runs a subquery per row badly.
    """
    lookup = select(table.c[column]).where(table.c.id == key).scalar_subquery()
    return lookup if dialect == "sqlite" else table.c[column]


def customer_labels(conn: Connection, dimension: Dimension) -> dict[int, str]:
    """Each customer's member (segment or code) by customer id: for reads that fetch facts with their
    customer id and name the members afterwards, once per customer."""
    column = customers.c.segment if dimension is Dimension.SEGMENT else customers.c.code
    return {int(i): str(m) for i, m in conn.execute(select(customers.c.id, column))}


def order_member(
    dimension: Dimension | None, source: FromClause, dialect: str
) -> tuple[FromClause, ColumnElement[str]]:
    """Join what ``source`` (which contains ``orders``) needs to name each order's member."""
    if dimension is None:
        return source, ALL
    if dimension is Dimension.CHANNEL:
        return source, orders.c.channel
    if dimension in (Dimension.SEGMENT, Dimension.CUSTOMER):
        column = "segment" if dimension is Dimension.SEGMENT else "code"
        member = _attribute(dialect, customers, column, orders.c.customer_id)
        if dialect == "sqlite":
            return source, member
        return source.join(customers, customers.c.id == orders.c.customer_id), member
    if dimension is Dimension.CARRIER:
        carrier = _first_carrier()
        joined = source.outerjoin(carrier, carrier.c.order_id == orders.c.id)
        return joined, func.coalesce(carrier.c.code, NOT_SHIPPED)
    raise ValidationFailed(f"an order has no single {dimension}", field="by")


def line_member(
    dimension: Dimension | None, source: FromClause, dialect: str
) -> tuple[FromClause, ColumnElement[str]]:
    """Join what ``source`` (``order_lines`` joined to ``orders``) needs to name each line's member."""
    if dimension is Dimension.SKU:
        sku = _attribute(dialect, products, "sku", order_lines.c.product_id)
        if dialect == "sqlite":
            return source, sku
        return source.join(products, products.c.id == order_lines.c.product_id), sku
    if dimension is Dimension.LOCATION:
        joined = source.outerjoin(locations, locations.c.id == order_lines.c.location_id)
        return joined, func.coalesce(locations.c.code, NOT_SHIPPED)
    if dimension is Dimension.CARRIER:
        raise ValidationFailed("a line is not broken down by carrier", field="by")
    return order_member(dimension, source, dialect)
