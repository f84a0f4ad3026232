"""Distributions of many durations per group (cycle-time stages) against a plain per-group reference."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from o2c.analytics.figures import Distribution, distributions


def _reference(groups: np.ndarray, seconds: np.ndarray) -> dict[int, Distribution]:
    """Each group on its own: Python's statistics and NumPy's linear percentile (percentile_cont)."""
    found = {}
    for group in sorted(set(groups.tolist())):
        values = seconds[groups == group].tolist()
        deviation = statistics.stdev(values) / 3600 if len(values) > 1 else None
        found[group] = Distribution(
            len(values),
            round(statistics.fmean(values) / 3600, 6),
            round(float(np.percentile(values, 50)) / 3600, 6),
            round(float(np.percentile(values, 90)) / 3600, 6),
            None if deviation is None else round(deviation, 6),
        )
    return found


def _close(found: dict[int, Distribution], expected: dict[int, Distribution]) -> None:
    assert found.keys() == expected.keys()
    for group, want in expected.items():
        got = found[group]
        assert got.count == want.count, group
        for name in ("mean", "median", "p90", "std_dev"):
            assert getattr(got, name) == pytest.approx(getattr(want, name), abs=2e-6), (group, name)


@pytest.mark.parametrize(
    ("low", "high", "top_group"),
    [
        (0, 10 * 86_400, 1_000),  # durations of days
        (-3_600, 3_600, 1_000),  # a stamp before the one it is measured from gives a negative duration
        (0, 10 * 86_400, 2**50),  # too wide for one key of group and value: sorted column by column
    ],
)
def test_distributions_match_each_group_computed_alone(low: int, high: int, top_group: int) -> None:
    rng = np.random.default_rng(7)
    groups = rng.choice(np.array([0, 3, 4, 17, top_group]), size=2_000).astype(np.int64)
    groups[:1] = 99  # a group of one value: no deviation
    seconds = rng.integers(low, high, size=groups.size, dtype=np.int64)
    _close(distributions(groups, seconds), _reference(groups, seconds))


def test_ties_and_order_of_input_do_not_matter() -> None:
    groups = np.array([2, 1, 2, 1, 2, 2, 1], dtype=np.int64)
    seconds = np.array([7200, 3600, 3600, 3600, 7200, 0, 10800], dtype=np.int64)
    found = distributions(groups, seconds)
    assert found[1] == Distribution(3, 1.666667, 1.0, 2.6, pytest.approx(1.154701, abs=1e-6))
    assert found[2] == Distribution(4, 1.25, 1.5, 2.0, pytest.approx(0.957427, abs=1e-6))
    flipped = distributions(groups[::-1].copy(), seconds[::-1].copy())
    assert flipped == found


def test_no_values_no_groups() -> None:
    assert distributions(np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == {}
