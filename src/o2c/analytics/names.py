"""The one check every report filter goes through: a name that is not in the database is an error.

A report filtered by a segment, SKU, customer, carrier, supplier or location nobody ever recorded
would otherwise answer with an empty report, which reads like "nothing happened" rather than
"there is no such thing" (a typo). :func:`require_known` refuses it with one :class:`NotFound` naming
what is unknown, and for kinds with few members (segments, carriers, …) the names that exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from o2c.domain.errors import NotFound
from o2c.store.master_tables import carriers, customers, locations, products, suppliers


class NameKind(StrEnum):
    SEGMENT = "segment"
    SKU = "SKU"
    CUSTOMER = "customer"
    CARRIER = "carrier"
    SUPPLIER = "supplier"
    LOCATION = "location"


_COLUMNS: dict[NameKind, Any] = {
    NameKind.SEGMENT: customers.c.segment,
    NameKind.SKU: products.c.sku,
    NameKind.CUSTOMER: customers.c.code,
    NameKind.CARRIER: carriers.c.code,
    NameKind.SUPPLIER: suppliers.c.code,
    NameKind.LOCATION: locations.c.code,
}
LISTED = 12  # the known names are listed in the error when there are at most this many


def require_known(conn: Connection, kind: NameKind, names: str | Iterable[str] | None) -> None:
    """Raise :class:`NotFound` unless every name in ``names`` exists as a ``kind`` (None: no filter)."""
    if names is None:
        return
    wanted = {names} if isinstance(names, str) else set(names)
    if not wanted:
        return
    column = _COLUMNS[kind]
    found = set(conn.execute(select(column).where(column.in_(sorted(wanted))).distinct()).scalars())
    missing = sorted(wanted - found)
    if not missing:
        return
    known = list(conn.execute(select(column).distinct().order_by(column).limit(LISTED + 1)).scalars())
    listed = f" ({kind}s: {', '.join(known)})" if 0 < len(known) <= LISTED else ""
    unknown = ", ".join(repr(m) for m in missing)
    raise NotFound(f"no {kind} {unknown} in the database{listed}", kind=str(kind), names=missing)
