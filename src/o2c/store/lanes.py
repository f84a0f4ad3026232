"""Lanes: transit days from a location's region to a ship-to's region, per carrier service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, bindparam, insert, update

from o2c.store.master_writes import Upserted
from o2c.store.supply_tables import lanes

_update_lane = (
    update(lanes)
    .where(
        lanes.c.origin_region == bindparam("b_origin_region"),
        lanes.c.destination_region == bindparam("b_destination_region"),
        lanes.c.service == bindparam("b_service"),
    )
    .values(transit_days=bindparam("b_transit_days"))
)
_insert_lane = insert(lanes)


def upsert_lanes(conn: Connection, rows: Sequence[Mapping[str, object]]) -> Upserted:
    """Set the transit days of lanes, inserting those that are new. No commit.

    Parameters
    ----------
    conn : Connection
        The importing transaction.
    rows : Sequence[Mapping[str, object]]
        ``origin_region``, ``destination_region``, ``service`` and ``transit_days`` of each lane.

    Returns
    -------
    Upserted
        How many lanes were created and how many updated.
    """
    created = 0
    for row in rows:
        if not conn.execute(_update_lane, {f"b_{k}": v for k, v in row.items()}).rowcount:
            conn.execute(_insert_lane, dict(row))
            created += 1
    return Upserted(created, len(rows) - created)
