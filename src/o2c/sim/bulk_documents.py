"""Bulk writes of the sales side: orders and lines, shipments with exceptions and freight bills,
invoices, payments and shortfall outcomes, from the arrays of :mod:`o2c.sim.bulk_orders` and
:mod:`o2c.sim.bulk_flow`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from o2c.sim.bulk_flow import Flow
from o2c.sim.bulk_freight import write_freight_bills
from o2c.sim.bulk_orders import CHANNELS, HOUR, POLICIES, Customers, Orders, Skus
from o2c.sim.bulk_supply import DAY
from o2c.sim.bulk_writer import BulkWriter, Dates, Instants, Numbers
from o2c.sim.world import LOCATIONS, World
from o2c.store.master_tables import carriers, customers, locations, products, ship_tos
from o2c.store.numbering import DocumentKind
from o2c.store.supply_tables import shortfall_outcomes
from o2c.store.tables import invoice_lines, invoices, order_lines, orders, payments, shipment_lines, shipments

I64 = NDArray[np.int64]


@dataclass
class Ids:
    """Database ids of the master data, in the world's order."""

    customer: I64
    ship_to: I64
    product: I64
    location: I64
    carrier: I64

    @staticmethod
    def read(writer: BulkWriter, world: World) -> Ids:
        conn = writer.conn

        def ids(column: Any, key: Any, codes: list[str]) -> I64:
            found: dict[str, int] = {k: v for k, v in conn.execute(select(key, column))}
            return np.array([found[c] for c in codes], dtype=np.int64)

        codes = [c.code for c in world.customers]
        ship_to = dict(
            conn.execute(
                select(customers.c.code, ship_tos.c.id).join(
                    ship_tos, ship_tos.c.customer_id == customers.c.id
                )
            ).all()
        )
        return Ids(
            ids(customers.c.id, customers.c.code, codes),
            np.array([ship_to[c] for c in codes], dtype=np.int64),
            ids(products.c.id, products.c.sku, [s.sku for s in world.skus]),
            ids(locations.c.id, locations.c.code, [code for code, _ in LOCATIONS]),
            ids(carriers.c.id, carriers.c.code, [c.code for c in world.carriers]),
        )


def _share(amount: I64, part: I64, whole: I64) -> I64:
    """``amount * part / whole`` rounded half up (non-negative integers)."""
    return (2 * amount * part + whole) // (2 * whole)


def write_documents(
    writer: BulkWriter,
    rng: np.random.Generator,
    world: World,
    customers_: Customers,
    skus: Skus,
    drawn: Orders,
    flow: Flow,
    as_of: int,
    billing_error_rate: float,
) -> dict[str, int]:
    ids = Ids.read(writer, world)
    lines = drawn.lines
    n, m = drawn.received.size, lines.qty.size
    order_ids = np.arange(1, n + 1, dtype=np.int64)
    # --- shipments: shipment 1 of every order whose first cycle shipped, then every second one
    ship_orders = np.concatenate([np.flatnonzero(flow.done1), np.flatnonzero(flow.done2)])
    second = np.concatenate([np.zeros(flow.done1.sum(), bool), np.ones(flow.done2.sum(), bool)])
    k = ship_orders.size
    ship_ids = np.arange(1, k + 1, dtype=np.int64)
    cycle_at = {
        name: np.where(
            second, getattr(flow.second, name)[ship_orders], getattr(flow.first, name)[ship_orders]
        )
        for name in ("shipped", "delivered", "carrier")
    }
    delivered = cycle_at["delivered"] <= as_of
    # shipment id of each line's first and second shipment (0: none)
    ship_of1 = np.zeros(n, dtype=np.int64)
    ship_of2 = np.zeros(n, dtype=np.int64)
    ship_of1[ship_orders[~second]] = ship_ids[~second]
    ship_of2[ship_orders[second]] = ship_ids[second]
    s1 = ship_of1[lines.order] * (flow.part1 > 0)
    s2 = ship_of2[lines.order] * (flow.part2 > 0)
    sl_line = np.concatenate([np.flatnonzero(s1), np.flatnonzero(s2)])
    sl_ship = np.concatenate([s1[s1 > 0], s2[s2 > 0]])
    sl_qty = np.concatenate([flow.part1[s1 > 0], flow.part2[s2 > 0]])
    sl_before = np.concatenate([np.zeros((s1 > 0).sum(), np.int64), np.where(s1 > 0, flow.part1, 0)[s2 > 0]])
    sl_delivered = delivered[sl_ship - 1]
    damage_rate = np.array([c.damage_rate for c in world.carriers])[cycle_at["carrier"][sl_ship - 1]]
    p = sl_qty.size
    damaged = np.where(sl_delivered & (rng.random(p) < damage_rate / 2), rng.integers(1, sl_qty + 1), 0)
    short = np.where(sl_delivered & (rng.random(p) < 0.003), rng.integers(1, sl_qty + 1), 0)
    short = np.minimum(short, sl_qty - damaged)
    wrong = np.where(sl_delivered & (rng.random(p) < 0.004), rng.integers(1, sl_qty + 1), 0)
    wrong = np.minimum(wrong, sl_qty - damaged - short)
    # --- per order line, what arrived
    line_delivered = np.bincount(
        sl_line, weights=np.where(sl_delivered, sl_qty - short, 0), minlength=m
    ).astype(np.int64)
    line_damaged = np.bincount(sl_line, weights=damaged, minlength=m).astype(np.int64)
    line_wrong = np.bincount(sl_line, weights=wrong, minlength=m).astype(np.int64)
    line_shipped_at = np.full(m, -1, dtype=np.int64)
    np.maximum.at(line_shipped_at, sl_line, cycle_at["shipped"][sl_ship - 1])
    line_delivered_at = np.full(m, -1, dtype=np.int64)
    np.maximum.at(line_delivered_at, sl_line, np.where(sl_delivered, cycle_at["delivered"][sl_ship - 1], -1))
    # --- invoices: one per shipment, amounts the line's cumulative share (as the service does)
    net = _share(lines.net_c[sl_line], sl_before + sl_qty, lines.qty[sl_line]) - _share(
        lines.net_c[sl_line], sl_before, lines.qty[sl_line]
    )
    tax = _share(lines.tax_c[sl_line], sl_before + sl_qty, lines.qty[sl_line]) - _share(
        lines.tax_c[sl_line], sl_before, lines.qty[sl_line]
    )
    inv_sub = np.bincount(sl_ship - 1, weights=net, minlength=k).astype(np.int64)
    inv_tax = np.bincount(sl_ship - 1, weights=tax, minlength=k).astype(np.int64)
    cust = drawn.customer[ship_orders]
    issued = cycle_at["shipped"]
    due_day = issued // DAY + customers_.terms_days[cust]
    paid_at = (due_day + np.round(customers_.late_days[cust] + rng.uniform(-3, 3, size=k))) * DAY
    paid_at = np.maximum(
        paid_at.astype(np.int64) + rng.uniform(10 * HOUR, 16 * HOUR, size=k).astype(np.int64), issued + DAY
    )
    paid = paid_at <= as_of
    # --- order stage timestamps and status at as-of
    status = np.array(flow.status, dtype=object)
    all_paid = np.bincount(ship_orders, weights=~paid, minlength=n) == 0
    last_paid = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_paid, ship_orders, np.where(paid, paid_at, -1))
    settled = np.isin(status, ("shipped", "delivered")) & all_paid & (flow.done1 | flow.done2)
    status = np.where(settled & (status == "delivered"), "closed", status)
    has1 = np.bincount(lines.order, weights=flow.part1 > 0, minlength=n) > 0
    first = {
        name: np.where(has1, getattr(flow.first, name), getattr(flow.second, name))
        for name in ("released", "picked", "packed")
    }
    shipped_done = np.isin(status, ("shipped", "delivered", "closed"))
    last_ship = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_ship, ship_orders, cycle_at["shipped"])
    last_delivery = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_delivery, ship_orders, cycle_at["delivered"])
    first_invoice = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_invoice, ship_orders, issued)

    def upto(at: I64) -> I64:
        return np.where((at >= 0) & (at <= as_of), at, -1)

    transit_promise = 2 + 1  # processing + pick/pack days, then a day on the home lane
    line_promised = (
        np.where(lines.short > 0, lines.filled_at // DAY, drawn.received[lines.order] // DAY)
        + transit_promise
    )
    line_promised = np.maximum(
        line_promised, np.where(drawn.requested_day[lines.order] >= 0, drawn.requested_day[lines.order], 0)
    )
    order_promised = np.full(n, -1, dtype=np.int64)
    np.maximum.at(order_promised, lines.order, line_promised)
    rows: dict[str, int] = {}
    cust_of = drawn.customer
    rows["orders"] = writer.insert(
        orders,
        {
            "id": order_ids,
            "number": Numbers(DocumentKind.ORDER, order_ids),
            "customer_id": ids.customer[cust_of],
            "ship_to_id": ids.ship_to[cust_of],
            "channel": np.array(CHANNELS, dtype=object)[customers_.channel[cust_of]],
            "backorder_policy": np.array(POLICIES, dtype=object)[customers_.policy[cust_of]],
            "status": status,
            "requested_date": Dates(drawn.requested_day),
            "promised_date": Dates(order_promised),
            "subtotal": np.bincount(lines.order, weights=lines.net_c, minlength=n).astype(np.int64),
            "tax_total": np.bincount(lines.order, weights=lines.tax_c, minlength=n).astype(np.int64),
            "customer_sent_at": Instants(drawn.sent),
            "received_at": Instants(drawn.received),
            "released_at": Instants(upto(first["released"])),
            "picked_at": Instants(upto(first["picked"])),
            "packed_at": Instants(upto(first["packed"])),
            "shipped_at": Instants(np.where(shipped_done, last_ship, -1)),
            "delivered_at": Instants(np.where(np.isin(status, ("delivered", "closed")), last_delivery, -1)),
            "invoiced_at": Instants(upto(np.where(first_invoice <= as_of, first_invoice, -1))),
            "paid_at": Instants(np.where(settled, last_paid, -1)),
            "cancelled_at": Instants(flow.cancelled_at),
        },
    )
    rows["order_lines"] = writer.insert(
        order_lines,
        {
            "id": np.arange(1, m + 1, dtype=np.int64),
            "order_id": order_ids[lines.order],
            "line_no": line_numbers(lines.order),
            "product_id": ids.product[lines.sku],
            "location_id": ids.location[lines.location],
            "qty_ordered": lines.qty,
            "qty_allocated_at_entry": lines.at_entry,
            "qty_allocated": flow.allocated,
            "qty_backordered": flow.backordered,
            "qty_cancelled": flow.cancelled,
            "qty_lost": lines.lost,
            "qty_picked": flow.picked,
            "qty_packed": flow.packed,
            "qty_shipped": flow.shipped,
            "qty_delivered": line_delivered,
            "qty_damaged": line_damaged,
            "qty_wrong_item": line_wrong,
            "unit_price": lines.unit_c,
            "discount_amount": lines.discount_c,
            "net_amount": lines.net_c,
            "tax_amount": lines.tax_c,
            "unit_cost": skus.cost_u[lines.sku],
            "promised_date": Dates(line_promised),
            "shipped_at": Instants(line_shipped_at),
            "delivered_at": Instants(line_delivered_at),
        },
    )
    weight = np.bincount(sl_ship - 1, weights=skus.weight_g[lines.sku[sl_line]] * sl_qty, minlength=k).astype(
        np.int64
    )
    per_kg = np.array([int(c.per_kg * 100) for c in world.carriers])[cycle_at["carrier"]]
    base = np.array([int(c.base_freight * 100) for c in world.carriers])[cycle_at["carrier"]]
    freight = base + (per_kg * weight + 500) // 1000
    delivered_at = np.where(delivered, cycle_at["delivered"], -1)
    rows["shipments"] = writer.insert(
        shipments,
        {
            "id": ship_ids,
            "number": Numbers(DocumentKind.SHIPMENT, ship_ids),
            "order_id": order_ids[ship_orders],
            "carrier_id": ids.carrier[cycle_at["carrier"]],
            "tracking_number": Numbers(DocumentKind.SHIPMENT, ship_ids + 90_000_000),
            "status": np.where(delivered, "delivered", "shipped").astype(object),
            "shipped_at": Instants(cycle_at["shipped"]),
            "delivered_at": Instants(delivered_at),
            "received_by": ["dock" if d else None for d in delivered.tolist()],
            "freight_cost": freight,
            "weight_g": weight,
        },
    )
    # A stream of its own, so that billing leaves every other draw of a seed as it was.
    rows["carrier_freight_bills"] = write_freight_bills(
        writer,
        rng.spawn(1)[0],
        ship_ids,
        ids.carrier[cycle_at["carrier"]],
        delivered_at,
        freight,
        as_of,
        billing_error_rate,
    )
    rows["shipment_lines"] = writer.insert(
        shipment_lines,
        {
            "shipment_id": sl_ship,
            "order_line_id": sl_line + 1,
            "quantity": sl_qty,
            "qty_short": short,
            "qty_damaged": damaged,
            "qty_wrong_item": wrong,
        },
    )
    rows["invoices"] = writer.insert(
        invoices,
        {
            "id": ship_ids,
            "number": Numbers(DocumentKind.INVOICE, ship_ids),
            "order_id": order_ids[ship_orders],
            "shipment_id": ship_ids,
            "customer_id": ids.customer[cust],
            "status": np.where(paid, "paid", "open").astype(object),
            "issued_at": Instants(issued),
            "due_date": Dates(due_day),
            "subtotal": inv_sub,
            "tax_total": inv_tax,
            "amount_paid": np.where(paid, inv_sub + inv_tax, 0),
            "paid_at": Instants(np.where(paid, paid_at, -1)),
        },
    )
    rows["invoice_lines"] = writer.insert(
        invoice_lines,
        {
            "invoice_id": sl_ship,
            "order_line_id": sl_line + 1,
            "quantity": sl_qty,
            "unit_price": lines.unit_c[sl_line],
            "net_amount": net,
            "tax_amount": tax,
        },
    )
    payers = np.flatnonzero(paid & (inv_sub + inv_tax > 0))
    rows["payments"] = writer.insert(
        payments,
        {
            "invoice_id": ship_ids[payers],
            "customer_id": ids.customer[cust[payers]],
            "amount": (inv_sub + inv_tax)[payers],
            "received_at": Instants(paid_at[payers]),
            "reference": Numbers(DocumentKind.INVOICE, ship_ids[payers] + 80_000_000),
        },
    )
    rows["shortfall_outcomes"] = _write_shortfalls(writer, ids, drawn, flow, as_of)
    writer.numbering(DocumentKind.ORDER, n)
    writer.numbering(DocumentKind.SHIPMENT, k)
    writer.numbering(DocumentKind.INVOICE, k)
    return rows


def line_numbers(order: I64) -> I64:
    """1, 2, 3... within each order (lines are grouped by order)."""
    starts = np.r_[0, np.flatnonzero(np.diff(order)) + 1]
    counts = np.diff(np.r_[starts, order.size])
    numbers: I64 = np.arange(order.size) - np.repeat(starts, counts) + 1
    return numbers


def _write_shortfalls(writer: BulkWriter, ids: Ids, drawn: Orders, flow: Flow, as_of: int) -> int:
    lines = drawn.lines
    received = drawn.received[lines.order]
    early_at = np.where(flow.early[lines.order], flow.cancelled_at[lines.order], -1)
    short = lines.short > 0
    # after the backorder: cancelled with the order, dropped by the customer, or allocated on arrival
    cancelled_with = short & (early_at >= 0) & (early_at < lines.filled_at)
    dropped = short & flow.dropped & (early_at < 0)
    filled = short & ~cancelled_with & ~dropped & (lines.filled_at <= as_of)
    parts = [
        (lines.lost > 0, lines.lost, "lost", received),
        (short, lines.short, "backordered", received),
        (cancelled_with, lines.short, "cancelled", early_at),
        (dropped, lines.short, "cancelled", lines.dropped_at),
        (filled, lines.short, "allocated", lines.filled_at),
    ]
    which = [np.flatnonzero(mask) for mask, *_ in parts]
    at = np.concatenate([when[w] for w, (_, _, _, when) in zip(which, parts, strict=True)])
    idx = np.concatenate(which)
    return writer.insert(
        shortfall_outcomes,
        {
            "order_line_id": idx + 1,
            "product_id": ids.product[lines.sku[idx]],
            "location_id": ids.location[lines.location[idx]],
            "quantity": np.concatenate([qty[w] for w, (_, qty, _, _) in zip(which, parts, strict=True)]),
            "outcome": np.concatenate(
                [np.full(w.size, name, dtype=object) for w, (_, _, name, _) in zip(which, parts, strict=True)]
            ),
            "occurred_at": Instants(at),
        },
    )
