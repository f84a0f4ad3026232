"""Expediting: the customer (or sales) asks to rush an order that has not shipped in full.

Use case, for the CLI, the API and the simulator (one transaction; the clock is ``uow.clock``)::

    expedite_order(uow, order_number: str, actor: str = "system") -> OrderSummary

It stamps ``orders.expedited_at`` once (an expedite is an activity of cost-to-serve) and records
``order.expedited``; a shipped, delivered, closed or cancelled order cannot be expedited.
"""

from __future__ import annotations

from o2c.services.results import OrderSummary, summarise
from o2c.store.events import Event
from o2c.store.uow import UnitOfWork, retrying


@retrying()
def expedite_order(uow: UnitOfWork, order_number: str, actor: str = "system") -> OrderSummary:
    """Mark an order as expedited (rushed through the warehouse)."""
    with uow:
        order = uow.orders.get(order_number)
        now = uow.clock.now()
        order.expedite(now)
        uow.orders.save(order)
        uow.events.record(
            Event("order", order.number, "order.expedited", now, actor, {"status": str(order.status)})
        )
        uow.commit()
        return summarise(order)
