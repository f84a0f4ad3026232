"""Orders built by hand for the unit tests: no database, no services, only the domain objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from o2c.domain.order import BackorderPolicy, Channel, Order, OrderLine, OrderStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
NOW = T0 + timedelta(days=1)
LATER = T0 + timedelta(days=5)


def make_line(line_no: int, ordered: int, **qty: int) -> OrderLine:
    """A line of ``ordered`` units; ``qty`` sets ``qty_<name>`` and what is left stays pending.

    ``make_line(1, 10, allocated=6, backordered=4)`` is a line with 6 reserved and 4 waiting for supply.
    """
    line = OrderLine(
        line_no=line_no,
        product_id=100 + line_no,
        sku=f"SKU-{line_no}",
        qty_ordered=ordered,
        unit_price=Decimal("10.00"),
        discount_amount=Decimal("0.00"),
        tax_amount=Decimal("0.00"),
        net_amount=Decimal("10.00") * ordered,
        unit_cost=Decimal("6.0000"),
    )
    for name, value in qty.items():
        attribute = f"qty_{name}"
        if not hasattr(line, attribute):
            raise TypeError(f"OrderLine has no {attribute}")
        setattr(line, attribute, value)
    if "pending" not in qty:
        accounted = (
            line.qty_allocated + line.qty_backordered + line.qty_cancelled + line.qty_lost + line.qty_shipped
        )
        line.qty_pending = ordered - accounted
    if line.qty_shipped:
        line.shipped_at = T0
    line.check_balance()
    return line


def make_order(
    status: OrderStatus,
    *lines: OrderLine,
    policy: BackorderPolicy = BackorderPolicy.ALLOW_PARTIAL,
    number: str = "SO-000001",
    **stamps: datetime,
) -> Order:
    order = Order(
        number=number,
        customer_id=1,
        ship_to_id=1,
        channel=Channel.WEB,
        backorder_policy=policy,
        status=status,
        received_at=T0,
        lines=list(lines),
        id=1,
        customer_code="ACME",
    )
    for name, value in stamps.items():
        if not hasattr(order, name):
            raise TypeError(f"Order has no {name}")
        setattr(order, name, value)
    return order


S = OrderStatus


def fresh_order(
    status: OrderStatus = S.OPEN, policy: BackorderPolicy = BackorderPolicy.ALLOW_PARTIAL
) -> Order:
    """Just entered: everything pending, nothing reserved yet (10 units on line 1, 5 on line 2)."""
    return make_order(status, make_line(1, 10), make_line(2, 5), policy=policy)


def order_in(status: OrderStatus) -> Order:
    """A consistent two-line order (10 + 5 units, all in stock) that has reached ``status``."""
    if status is S.CREDIT_HOLD:
        return fresh_order(status)
    if status is S.OPEN:
        return make_order(status, make_line(1, 10, allocated=10), make_line(2, 5, allocated=5))
    if status is S.RELEASED:
        return make_order(
            status, make_line(1, 10, allocated=10), make_line(2, 5, allocated=5), released_at=T0
        )
    if status is S.PICKED:
        return make_order(
            status,
            make_line(1, 10, allocated=10, picked=10),
            make_line(2, 5, allocated=5, picked=5),
            released_at=T0,
            picked_at=T0,
        )
    if status is S.PACKED:
        return make_order(
            status,
            make_line(1, 10, allocated=10, picked=10, packed=10),
            make_line(2, 5, allocated=5, picked=5, packed=5),
            released_at=T0,
            picked_at=T0,
            packed_at=T0,
        )
    if status is S.PARTIALLY_SHIPPED:
        return make_order(
            status,
            make_line(1, 10, shipped=10),
            make_line(2, 5, allocated=5, picked=5, packed=5),
            released_at=T0,
            picked_at=T0,
            packed_at=T0,
        )
    if status in (S.SHIPPED, S.DELIVERED, S.CLOSED):
        order = make_order(
            status,
            make_line(1, 10, shipped=10),
            make_line(2, 5, shipped=5),
            released_at=T0,
            picked_at=T0,
            packed_at=T0,
            shipped_at=T0,
        )
        if status is not S.SHIPPED:  # delivered in full
            for line in order.lines:
                line.qty_delivered, line.delivered_at = line.qty_shipped, T0
            order.delivered_at = T0
        if status is S.CLOSED:
            order.paid_at = T0
        return order
    assert status is S.CANCELLED
    return make_order(status, make_line(1, 10, cancelled=10), make_line(2, 5, cancelled=5), cancelled_at=T0)
