"""Bulk writes of the supply side: stockout episodes, purchase orders with their inspected receipts,
and the stock rows brought in line with the open orders (``allocated`` = what open lines reserve)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from o2c.sim.bulk_documents import Ids, line_numbers
from o2c.sim.bulk_flow import Flow
from o2c.sim.bulk_orders import Orders
from o2c.sim.bulk_supply import DAY, Episodes, PurchaseLines
from o2c.sim.bulk_writer import BulkWriter, Dates, Instants, Numbers
from o2c.sim.policy import ReorderPolicy
from o2c.sim.world import LOCATIONS, World
from o2c.store.master_tables import stock, suppliers
from o2c.store.numbering import DocumentKind
from o2c.store.supply_tables import (
    purchase_order_lines,
    purchase_orders,
    receipt_lines,
    receipts,
    stockout_episodes,
)


def write_stock_and_supply(
    writer: BulkWriter,
    world: World,
    policy: ReorderPolicy,
    episodes: Episodes,
    purchases: PurchaseLines,
    drawn: Orders,
    flow: Flow,
    as_of: int,
) -> dict[str, int]:
    ids = Ids.read(writer, world)
    places = len(LOCATIONS)
    rows: dict[str, int] = {}
    ended = episodes.end <= as_of
    rows["stockout_episodes"] = writer.insert(
        stockout_episodes,
        {
            "product_id": ids.product[episodes.key // places],
            "location_id": ids.location[episodes.key % places],
            "started_at": Instants(episodes.start),
            "ended_at": Instants(np.where(ended, episodes.end, -1)),
        },
    )
    rows |= _write_purchases(writer, world, ids, purchases, as_of)
    _write_stock(writer, world, policy, ids, episodes, drawn, flow, as_of)
    return rows


def _write_purchases(
    writer: BulkWriter, world: World, ids: Ids, lines: PurchaseLines, as_of: int
) -> dict[str, int]:
    places = len(LOCATIONS)
    supplier_index = {s.code: i for i, s in enumerate(world.suppliers)}
    sku_supplier = np.array([supplier_index[s.supplier] for s in world.skus], dtype=np.int64)
    supplier = sku_supplier[lines.key // places]
    location = lines.key % places
    # One PO per supplier, DC and day it was placed; lines keep their (creation-sorted) order.
    header_key = (lines.created // DAY) * 1_000_000 + supplier * 100 + location
    _, first, header = np.unique(header_key, return_index=True, return_inverse=True)
    order = np.argsort(header, kind="stable")
    header, location, supplier = header[order], location[order], supplier[order]
    key = lines.key[order]
    po_ids = np.arange(1, first.size + 1, dtype=np.int64)
    created = lines.created[first]
    # The PO arrives at once: at its latest line's time, so a receipt is one document.
    arrival = np.full(first.size, 0, dtype=np.int64)
    np.maximum.at(arrival, header, lines.received[order])
    received = arrival <= as_of
    supplier_ids = dict(writer.conn.execute(select(suppliers.c.code, suppliers.c.id)).all())
    supplier_id = np.array([supplier_ids[s.code] for s in world.suppliers], dtype=np.int64)
    head_supplier = np.zeros(first.size, dtype=np.int64)
    head_supplier[header] = supplier
    head_location = np.zeros(first.size, dtype=np.int64)
    head_location[header] = location
    got = np.where(received[header], lines.delivered[order], 0)
    rejected = np.where(received[header], lines.rejected[order], 0)
    line_ids = np.arange(1, key.size + 1, dtype=np.int64)
    rows = {
        "purchase_orders": writer.insert(
            purchase_orders,
            {
                "id": po_ids,
                "number": Numbers(DocumentKind.PURCHASE_ORDER, po_ids),
                "supplier_id": supplier_id[head_supplier],
                "location_id": ids.location[head_location],
                "status": np.where(received, "closed", "open").astype(object),
                "created_at": Instants(created),
                "closed_at": Instants(np.where(received, arrival, -1)),
            },
        ),
        "purchase_order_lines": writer.insert(
            purchase_order_lines,
            {
                "id": line_ids,
                "purchase_order_id": po_ids[header],
                "line_no": line_numbers(header),
                "product_id": ids.product[key // places],
                "qty_ordered": lines.ordered[order],
                "qty_received": got,
                "qty_accepted": got - rejected,
                "qty_rejected": rejected,
                "unit_cost": np.array([int(s.cost * 10_000) for s in world.skus], dtype=np.int64)[
                    key // places
                ],
                "promised_date": Dates(lines.promised_day[order]),
                "expected_date": Dates(np.maximum(lines.promised_day[order], arrival[header] // DAY)),
            },
        ),
    }
    done = np.flatnonzero(received)
    receipt_of = np.zeros(first.size, dtype=np.int64)
    receipt_of[done] = np.arange(1, done.size + 1)
    rows["receipts"] = writer.insert(
        receipts,
        {
            "id": receipt_of[done],
            "number": Numbers(DocumentKind.RECEIPT, receipt_of[done]),
            "location_id": ids.location[head_location[done]],
            "purchase_order_id": po_ids[done],
            "received_at": Instants(arrival[done]),
        },
    )
    came = np.flatnonzero(received[header] & (got > 0))
    rows["receipt_lines"] = writer.insert(
        receipt_lines,
        {
            "receipt_id": receipt_of[header[came]],
            "product_id": ids.product[key[came] // places],
            "purchase_order_line_id": line_ids[came],
            "qty_received": got[came],
            "qty_accepted": (got - rejected)[came],
            "qty_rejected": rejected[came],
            "reject_reason": np.where(rejected[came] > 0, "failed inspection", "").astype(object),
        },
    )
    writer.numbering(DocumentKind.PURCHASE_ORDER, int(po_ids.size))
    writer.numbering(DocumentKind.RECEIPT, int(done.size))
    return rows


def _write_stock(
    writer: BulkWriter,
    world: World,
    policy: ReorderPolicy,
    ids: Ids,
    episodes: Episodes,
    drawn: Orders,
    flow: Flow,
    as_of: int,
) -> None:
    """Allocated = what open lines reserve there; on hand adds nothing where a stockout is open."""
    places = len(LOCATIONS)
    keys = len(world.skus) * places
    line_key = drawn.lines.sku * places + drawn.lines.location
    allocated = np.bincount(line_key, weights=flow.allocated, minlength=keys).astype(np.int64)
    out_now = np.zeros(keys, dtype=bool)
    out_now[episodes.key[episodes.end > as_of]] = True
    spare = np.array([policy.initial_on_hand(s.sku, code) for s in world.skus for code, _ in LOCATIONS])
    on_hand = allocated + np.where(out_now, 0, spare)
    product = ids.product[np.arange(keys) // places]
    location = ids.location[np.arange(keys) % places]
    mark = "?" if writer.sqlite else "%s"
    writer.cursor.executemany(
        f"UPDATE {stock.name} SET on_hand = {mark}, allocated = {mark}"
        f" WHERE product_id = {mark} AND location_id = {mark}",
        list(zip(on_hand.tolist(), allocated.tolist(), product.tolist(), location.tolist(), strict=True)),
    )
