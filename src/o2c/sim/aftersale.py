"""After the sale: returns, credit memos for billing errors, service cases and NPS surveys.

The seam where the simulator drives the after-sale services once they exist; until then it only
counts the events it would have caused, so a run's other facts do not depend on them.
"""

from __future__ import annotations

from o2c.services.results import OrderSummary
from o2c.sim.runtime import OrderTrack, Run


def after_delivery(run: Run, track: OrderTrack | None, summary: OrderSummary) -> None:
    """A delivered order may come back (return), need a correction (billing error) or a case."""
    if track is None:
        return
    if run.chance(run.config.return_rate):
        run.tally["returns (not simulated yet)"] += 1
