"""Load a simulated world through the product's own CSV import (``services.importing``).

The files are rendered in memory exactly as a user would write them, so the simulation's master data
passes the same validation as anyone's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from o2c.services.import_rows import ImportKind
from o2c.services.importing import LOAD_ORDER, ImportReport, import_csv
from o2c.sim.config import REGIONS
from o2c.sim.policy import ReorderPolicy
from o2c.sim.world import DISCOUNTS, LOCATIONS, TAX_RATES, World, transit_days
from o2c.store.uow import UnitOfWork

Row = Iterable[object]


def _csv(header: tuple[str, ...], rows: Iterable[Row]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    buffer.seek(0)
    buffer.name = "simulation"
    return buffer


def master_files(world: World, policy: ReorderPolicy) -> dict[ImportKind, io.StringIO]:
    """The CSV files of the world, one per import kind."""
    return {
        ImportKind.LOCATIONS: _csv(
            ("code", "name", "region"), ((c, f"{c} warehouse", r) for c, r in LOCATIONS)
        ),
        ImportKind.LANES: _csv(
            ("origin_region", "destination_region", "service", "transit_days"),
            ((o, d, "ground", transit_days(o, d)) for o in REGIONS for d in REGIONS),
        ),
        ImportKind.CARRIERS: _csv(
            ("code", "name", "service"), ((c.code, c.name, c.service) for c in world.carriers)
        ),
        ImportKind.SUPPLIERS: _csv(
            ("code", "name", "lead_time_days"), ((s.code, s.name, s.lead_days) for s in world.suppliers)
        ),
        ImportKind.TAX_RATES: _csv(("region", "rate"), TAX_RATES.items()),
        ImportKind.SEGMENT_DISCOUNTS: _csv(("segment", "discount_rate"), DISCOUNTS.items()),
        ImportKind.PRODUCTS: _csv(
            ("sku", "name", "list_price", "standard_cost", "weight_kg", "volume_l", "active", "alternates"),
            (
                (s.sku, s.name, s.list_price, s.cost, s.weight_kg, "1.000", "true", "|".join(s.alternates))
                for s in world.skus
            ),
        ),
        ImportKind.PRICE_LISTS: _csv(("price_list_code", "sku", "unit_price"), ()),
        ImportKind.CUSTOMERS: _csv(
            (
                "code",
                "name",
                "segment",
                "tier",
                "channel",
                "credit_limit",
                "payment_terms_days",
                "backorder_policy",
                "allow_substitution",
                "ship_to_code",
                "ship_to_region",
            ),
            (
                (
                    c.code,
                    c.name,
                    c.segment.name,
                    c.segment.tier,
                    c.channel,
                    "" if c.credit_limit is None else c.credit_limit,
                    c.terms_days,
                    c.policy,
                    "yes" if c.substitutes else "no",
                    "MAIN",
                    c.region,
                )
                for c in world.customers
            ),
        ),
        ImportKind.STOCK: _csv(
            ("sku", "location", "on_hand"),
            ((sku, location, policy.initial_on_hand(sku, location)) for sku, location in policy.positions()),
        ),
    }


def load_world(uow: Callable[[], UnitOfWork], world: World, policy: ReorderPolicy) -> list[ImportReport]:
    """Import every file of the world, in the order their references need."""
    files = master_files(world, policy)
    return [
        import_csv(uow(), kind, files[kind], actor="simulation")
        for kind in LOAD_ORDER
        if kind is not ImportKind.PRICE_LISTS
    ]
