"""Bulk supply facts: stockout episodes per SKU-location, and the purchase orders and receipts that
end them and replenish in between (what the supplier scorecard reads).

Episodes are an alternating renewal process per SKU-location: in stock for Exp(45 days), out of
stock for Exp(4 days) (Exp(9 days) for erratic SKUs). Every episode ends with a receipt; besides,
every SKU-location is replenished about every two weeks. POs of a supplier and DC on the same day
share a header; suppliers are late (by 1 to lead/2 days), short (50-90 %) and have units rejected
at their world's rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DAY = 86_400
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass
class Episodes:
    key: I64  # sku index * locations + location index, sorted by (key, start)
    start: I64
    end: I64  # may lie after the as-of instant: then the episode is open

    def covering(self, key: I64, at: I64, span: int) -> tuple[NDArray[np.bool_], I64]:
        """For instants ``at`` of SKU-locations ``key``: in an episode, and when that episode ends."""
        g_start = self.key * span + self.start
        g_at = key * span + at
        idx = np.searchsorted(g_start, g_at, side="right") - 1
        safe = np.maximum(idx, 0)
        inside = (idx >= 0) & (self.key[safe] == key) & (at < self.end[safe])
        return inside, self.end[safe]


def draw_episodes(
    rng: np.random.Generator, keys: int, erratic: NDArray[np.bool_], t0: int, t1: int
) -> Episodes:
    """Episodes starting in ``[t0, t1)`` for SKU-locations ``0..keys-1`` (``erratic`` per key)."""
    cycles = max(4, int((t1 - t0) / (40 * DAY)) * 2 + 4)
    up = rng.exponential(45 * DAY, size=(keys, cycles))
    down = rng.exponential(np.where(erratic, 9 * DAY, 4 * DAY)[:, None], size=(keys, cycles)) + 3600
    start = t0 + np.cumsum(up + down, axis=1) - down
    end = start + down
    key = np.broadcast_to(np.arange(keys)[:, None], (keys, cycles))
    keep = start < t1
    return Episodes(key[keep].astype(np.int64), start[keep].astype(np.int64), end[keep].astype(np.int64))


@dataclass
class PurchaseLines:
    key: I64  # SKU-location
    created: I64
    promised_day: I64  # days since 1970
    received: I64  # instant the goods came in (may lie after the as-of instant: still open)
    ordered: I64
    delivered: I64  # what the supplier shipped (short: less)
    rejected: I64


def draw_purchases(
    rng: np.random.Generator,
    episodes: Episodes,
    keys: int,
    lead_days: I64,  # per key: its supplier's nominal lead time
    late_rate: F64,
    short_rate: F64,
    reject_rate: F64,
    units_per_day: F64,  # per key
    t0: int,
    t1: int,
) -> PurchaseLines:
    """Replenishments every ~14 days plus one receipt at the end of every episode."""
    per_key = max(1, int((t1 - t0) / (14 * DAY)))
    regular_key = np.repeat(np.arange(keys), per_key)
    regular_at = t0 + rng.uniform(0, t1 - t0, size=regular_key.size).astype(np.int64)
    key = np.concatenate([regular_key, episodes.key])
    lead = lead_days[key] * DAY
    late = np.where(
        rng.random(key.size) < late_rate[key], rng.uniform(1, np.maximum(lead_days[key] / 2, 1.5)), 0
    )
    # A receipt that ends an episode was placed so that it arrives then.
    received_goal = np.concatenate([regular_at + lead[: regular_key.size], episodes.end])
    received = (received_goal + (late * DAY).astype(np.int64)).astype(np.int64)
    received = (received // DAY) * DAY + rng.uniform(7, 11, size=key.size).astype(np.int64) * 3600
    created = received - lead - (late * DAY).astype(np.int64)
    ordered = np.maximum(1, np.ceil(units_per_day[key] * 14 * rng.uniform(0.8, 1.2, size=key.size))).astype(
        np.int64
    )
    short = rng.random(key.size) < short_rate[key]
    delivered = np.where(
        short, np.maximum(1, (ordered * rng.uniform(0.5, 0.9, size=key.size)).astype(np.int64)), ordered
    )
    rejects = rng.random(key.size) < reject_rate[key]
    rejected = np.where(rejects, np.minimum(delivered, np.maximum(1, delivered // 10)), 0)
    in_window = created >= t0
    order = np.lexsort((key[in_window], created[in_window]))
    pick = np.flatnonzero(in_window)[order]
    return PurchaseLines(
        key[pick],
        created[pick],
        ((created[pick] // DAY) + lead_days[key[pick]]).astype(np.int64),
        received[pick],
        ordered[pick],
        delivered[pick],
        rejected[pick].astype(np.int64),
    )
