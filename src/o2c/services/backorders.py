"""Backorder allocation when supply arrives (placeholder: being written)."""

from __future__ import annotations

from collections.abc import Iterable

from o2c.store.uow import UnitOfWork


def allocate_arrivals(uow: UnitOfWork, arrivals: Iterable[tuple[int, int]], actor: str) -> list[str]:
    """Allocate open backorders of the ``(product_id, location_id)`` pairs that just received stock.

    Runs inside the caller's open unit of work (no commit here). Returns the order numbers touched.
    """
    return []
