"""Read-only look-ups that span aggregates (an entity's history)."""

from __future__ import annotations

from o2c.store.events import Event
from o2c.store.uow import UnitOfWork


def order_events(uow: UnitOfWork, number: str) -> list[Event]:
    """Every recorded event of an order, oldest first; an unknown order is NotFound."""
    with uow:
        uow.orders.get(number)
        return uow.events.for_entity("order", number)
