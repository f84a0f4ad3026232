"""Bulk carrier freight bills, as the simulation's finance desk records them (``sim.outbound``).

Each delivered shipment is billed 2-10 days after delivery, if that is before the as-of instant: the
rated freight, or at the billing error rate 3-15 % above it, half of those disputed. A dispute is
settled 5-20 days after the bill, if that is before the as-of instant too: the carrier upholds seven in
ten (corrected to the rated freight), the rest are withdrawn (settled as invoiced).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from o2c.domain.freight import DisputeOutcome
from o2c.sim.bulk_supply import DAY
from o2c.sim.bulk_writer import BulkWriter, Instants
from o2c.sim.outbound import DISPUTE_REASON, DISPUTED_SHARE, UPHELD_SHARE
from o2c.store.freight_tables import carrier_freight_bills

I64 = NDArray[np.int64]


def write_freight_bills(
    writer: BulkWriter,
    rng: np.random.Generator,
    shipment: I64,
    carrier: I64,
    delivered_at: I64,
    freight: I64,
    as_of: int,
    error_rate: float,
) -> int:
    """Bills for the delivered shipments (``delivered_at`` >= 0) whose bill date is not after ``as_of``;
    ``shipment``, ``carrier`` are database ids, ``freight`` the rated freight in cents."""
    n = shipment.size
    billed_at = delivered_at + (rng.uniform(2, 10, n) * DAY).astype(np.int64)
    in_error = rng.random(n) < error_rate
    over = rng.integers(300, 1501, n)  # 3.00 % to 15.00 %, in basis points
    invoiced = np.where(in_error, (freight * (10_000 + over) + 5_000) // 10_000, freight)
    disputed = in_error & (rng.random(n) < DISPUTED_SHARE)
    settled_at = billed_at + (rng.uniform(5, 20, n) * DAY).astype(np.int64)
    upheld = rng.random(n) < UPHELD_SHARE
    billed = (delivered_at >= 0) & (billed_at <= as_of)
    settled = disputed & (settled_at <= as_of)
    keep = np.flatnonzero(billed)
    settled_k = settled[keep]
    outcome = np.where(upheld[keep], DisputeOutcome.UPHELD.value, DisputeOutcome.WITHDRAWN.value)
    return writer.insert(
        carrier_freight_bills,
        {
            "shipment_id": shipment[keep],
            "carrier_id": carrier[keep],
            "invoiced_amount": invoiced[keep],
            "expected_amount": freight[keep],
            "billed_at": Instants(billed_at[keep]),
            "disputed": disputed[keep],
            "dispute_reason": [DISPUTE_REASON if d else None for d in disputed[keep].tolist()],
            "settlement": [
                o if s else None for o, s in zip(outcome.tolist(), settled_k.tolist(), strict=True)
            ],
            "settled_amount": [
                (f if u else i) if s else None
                for f, i, u, s in zip(
                    freight[keep].tolist(),
                    invoiced[keep].tolist(),
                    upheld[keep].tolist(),
                    settled_k.tolist(),
                    strict=True,
                )
            ],
            "settled_at": Instants(np.where(settled_k, settled_at[keep], -1)),
        },
    )
