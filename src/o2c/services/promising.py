"""Available-to-promise and delivery-date promises (placeholder: being written)."""

from __future__ import annotations

from o2c.store.uow import UnitOfWork


def repromise(uow: UnitOfWork, product_id: int, location_id: int, actor: str) -> list[str]:
    """Re-promise the open backordered lines of one SKU-location after its supply changed.

    Runs inside the caller's open unit of work (no commit here). Returns the order numbers flagged at risk.
    """
    return []
