"""What a delivery-date promise reads: two prepared statements (:mod:`o2c.store.driver`).

1. **Destination and sources**: the customer, its named (or else first) ship-to and the SKU's id, and
   every location with its lane to the ship-to's region for the carrier service, in one statement
   (the lanes join on the region the same statement looks up).
2. **Supply and demand** of the SKU at every location: the plan statement of
   :mod:`o2c.store.supply_demand` for one product (where what the rows mean is defined).

A promise is the read the order desk makes most, and these are the only statements it runs: through
``Connection.execute`` SQLAlchemy's bookkeeping cost more than SQLite spent on the destination, and on
PostgreSQL the statements are prepared once per connection (see
:func:`o2c.store.database.statement_reads`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, true
from sqlalchemy.sql import Select

from o2c.store.driver import Prepared
from o2c.store.master_tables import customers, locations, ship_tos
from o2c.store.supply_demand import (
    SourcingLocation,
    SupplyAndDemand,
    lane_to,
    plan_of_product,
    plans_of,
    product_id_of_sku,
)
from o2c.store.supply_tables import lanes


@dataclass(frozen=True)
class Destination:
    """What a promise to a customer's ship-to needs to know, read at once (None: no such row)."""

    customer_active: bool
    ship_to_code: str | None
    region: str | None
    product_id: int | None


def _destination_and_sources(named_ship_to: bool) -> Select[Any]:
    """One row per location (one with NULL location columns if there is none), each carrying the
    destination; no row for an unknown customer."""
    ship_to = ship_tos.c.customer_id == customers.c.id
    if named_ship_to:
        ship_to = and_(ship_to, ship_tos.c.code == bindparam("ship_to"))
    destination = (
        select(
            customers.c.active,
            ship_tos.c.code.label("ship_to_code"),
            ship_tos.c.region.label("destination_region"),
            product_id_of_sku.scalar_subquery().label("product_id"),
        )
        .select_from(customers.outerjoin(ship_tos, ship_to))
        .where(customers.c.code == bindparam("customer"))
        .order_by(ship_tos.c.id)
        .limit(1)
        .subquery("destination")
    )
    return (
        select(
            destination.c.active,
            destination.c.ship_to_code,
            destination.c.destination_region,
            destination.c.product_id,
            locations.c.id.label("location_id"),
            locations.c.code.label("location_code"),
            locations.c.region,
            locations.c.processing_days,
            locations.c.pick_pack_days,
            lanes.c.transit_days,
        )
        .select_from(
            destination.outerjoin(locations, true()).outerjoin(
                lanes, lane_to(destination.c.destination_region, bindparam("service"))
            )
        )
        .order_by(locations.c.id)
    )


_TO_NAMED_SHIP_TO = Prepared(_destination_and_sources(named_ship_to=True))
_TO_FIRST_SHIP_TO = Prepared(_destination_and_sources(named_ship_to=False))
_PLAN = Prepared(plan_of_product)


def destination_and_sources(
    conn: Connection, customer: str, ship_to: str | None, sku: str, service: str
) -> tuple[Destination | None, list[SourcingLocation]]:
    """The destination (None for an unknown customer) and every location, with the transit days of
    its lane to the destination's region for ``service`` (None: no lane, or no ship-to)."""
    params = {"customer": customer, "ship_to": ship_to, "sku": sku, "service": service}
    rows = (_TO_NAMED_SHIP_TO if ship_to else _TO_FIRST_SHIP_TO).rows(conn, params)
    if not rows:
        return None, []
    first = rows[0]
    destination = Destination(
        bool(first.active), first.ship_to_code, first.destination_region, first.product_id
    )
    sources = [
        SourcingLocation(
            r.location_id, r.location_code, r.region, r.processing_days, r.pick_pack_days, r.transit_days
        )
        for r in rows
        if r.location_id is not None
    ]
    return destination, sources


def supply_and_demand(conn: Connection, product_id: int) -> dict[int, SupplyAndDemand]:
    """Supply and demand of one SKU by location id (only locations with some)."""
    rows = _PLAN.values(conn, {"product_id": product_id})
    return {at: plan for (_, at), plan in plans_of(rows).items()}
