"""Browsing: lists and single documents for the entry points, optionally limited to one customer.

``customer`` limits a look-up to one customer's documents (a portal user's account): another
customer's document is reported exactly as an unknown one, so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from o2c.domain.errors import NotFound, ValidationFailed
from o2c.services.results import OrderSummary, summarise
from o2c.store.events import Event
from o2c.store.listings import (
    LISTINGS,
    Criteria,
    Window,
    lines_of_invoice,
    lines_of_receipt,
    lines_of_shipment,
    ship_tos_of,
)
from o2c.store.uow import UnitOfWork

__all__ = ["Criteria", "Page", "browse", "document", "entity_events", "find", "order"]

Kind = Literal[
    "customers",
    "products",
    "stock",
    "quotes",
    "orders",
    "shipments",
    "invoices",
    "payments",
    "returns",
    "purchase_orders",
    "receipts",
    "transfers",
]

# What one document of a kind is called in messages, and the key it is looked up by.
_NAMES: dict[str, tuple[str, str]] = {
    "customers": ("customer", "code"),
    "products": ("product", "sku"),
    "quotes": ("quote", "number"),
    "orders": ("order", "number"),
    "shipments": ("shipment", "number"),
    "invoices": ("invoice", "number"),
    "returns": ("return", "number"),
    "purchase_orders": ("purchase order", "number"),
    "receipts": ("receipt", "number"),
    "transfers": ("transfer", "number"),
}
# Entity types of the event log, and the kind of document each is.
EVENT_KINDS: dict[str, Kind] = {
    "order": "orders",
    "quote": "quotes",
    "shipment": "shipments",
    "invoice": "invoices",
    "return": "returns",
    "purchase_order": "purchase_orders",
    "transfer": "transfers",
}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_offset: int | None  # None: this is the last page


def sort_keys(kind: Kind) -> list[str]:
    return sorted(LISTINGS[kind].keys)


def browse(
    uow: UnitOfWork, kind: Kind, criteria: Criteria, limit: int, offset: int, sort: str | None = None
) -> Page:
    """One page of documents of a kind, filtered and sorted (``-key`` for descending)."""
    listing = LISTINGS[kind]
    sort = sort or listing.default_sort
    if sort.lstrip("-") not in listing.keys:
        raise ValidationFailed(
            f"cannot sort {kind} by {sort!r}: use one of {', '.join(sort_keys(kind))}", field="sort"
        )
    asked = [*criteria.equal, *(k for k in ("status", "customer") if getattr(criteria, k) is not None)]
    for key in asked:
        if key not in listing.keys:
            raise ValidationFailed(f"cannot filter {kind} by {key!r}", field=key)
    with uow:
        rows = listing.rows(uow.connection, criteria, Window(limit, offset, sort))
    more = len(rows) > limit
    return Page(rows[:limit], offset + limit if more else None)


def document(uow: UnitOfWork, kind: Kind, key: str, customer: str | None = None) -> dict[str, Any]:
    """One document (its listing row), within one customer's documents when ``customer`` is given."""
    with uow:
        return find(uow, kind, key, customer)


def find(uow: UnitOfWork, kind: Kind, key: str, customer: str | None = None) -> dict[str, Any]:
    """As :func:`document`, inside the caller's open unit of work."""
    name, column = _NAMES[kind]
    rows = LISTINGS[kind].rows(
        uow.connection,
        Criteria(customer=customer, equal={column: key}),
        Window(1, 0, column),
    )
    if not rows:
        raise NotFound(f"{name} {key} does not exist", **{column: key})
    return rows[0]


def customer_account(uow: UnitOfWork, code: str, customer: str | None = None) -> dict[str, Any]:
    with uow:
        row = find(uow, "customers", code, customer)
        return {**row, "ship_tos": ship_tos_of(uow.connection, code)}


def shipment(uow: UnitOfWork, number: str, customer: str | None = None) -> dict[str, Any]:
    with uow:
        row = find(uow, "shipments", number, customer)
        return {**row, "lines": lines_of_shipment(uow.connection, number)}


def invoice(uow: UnitOfWork, number: str, customer: str | None = None) -> dict[str, Any]:
    with uow:
        row = find(uow, "invoices", number, customer)
        return {**row, "lines": lines_of_invoice(uow.connection, number)}


def receipt(uow: UnitOfWork, number: str) -> dict[str, Any]:
    with uow:
        row = find(uow, "receipts", number)
        return {**row, "lines": lines_of_receipt(uow.connection, number)}


@dataclass(frozen=True)
class VersionedOrder:
    summary: OrderSummary
    version: int  # changes with every saved change: the order's ETag


def order(uow: UnitOfWork, number: str, customer: str | None = None) -> VersionedOrder:
    with uow:
        return find_order(uow, number, customer)


def find_order(uow: UnitOfWork, number: str, customer: str | None = None) -> VersionedOrder:
    loaded = uow.orders.get(number)
    if customer is not None and loaded.customer_code != customer:
        raise NotFound(f"order {number} does not exist", order_number=number)
    return VersionedOrder(summarise(loaded), loaded.version)


def entity_events(
    uow: UnitOfWork, entity_type: str, entity_id: str, limit: int | None = None, offset: int = 0
) -> list[Event]:
    """The recorded events of a document, oldest first (``limit`` from ``offset``, default: all); an
    unknown document is NotFound."""
    kind = EVENT_KINDS.get(entity_type)
    if kind is None:
        raise ValidationFailed(
            f"unknown entity type {entity_type!r}: use one of {', '.join(sorted(EVENT_KINDS))}",
            field="entity_type",
        )
    with uow:
        find(uow, kind, entity_id)
        return uow.events.for_entity(entity_type, entity_id, limit, offset)
