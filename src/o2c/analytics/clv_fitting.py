"""What the lifetime-value fitters share: input checks, collapsing identical customers, and the
maximisation of a log-likelihood over log-parameters (L-BFGS-B with analytic gradients)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

from o2c.domain.errors import O2CError, ValidationFailed

Floats = NDArray[np.float64]


class FitFailed(O2CError):
    """The likelihood could not be maximised (too few customers, or no repeat purchases at all)."""

    code = "fit_failed"
    http_status = 422


def as_floats(values: ArrayLike, name: str) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValidationFailed(f"{name} must be one-dimensional", field=name)
    if not np.all(np.isfinite(array)):
        raise ValidationFailed(f"{name} has a missing or infinite value", field=name)
    return array


def collapse(*columns: Floats) -> tuple[list[Floats], Floats]:
    """Identical customers become one row with a weight: the likelihood is a weighted sum."""
    order = np.lexsort(columns[::-1])
    ordered = [c[order] for c in columns]
    changed = np.zeros(len(order), dtype=bool)
    changed[0] = True
    for c in ordered:
        changed[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(changed)
    counts = np.diff(np.r_[starts, len(order)]).astype(np.float64)
    return [c[starts] for c in ordered], counts


MAX_ITERATIONS = 2000


def maximise(
    negative: Callable[[Floats], tuple[float, Floats]],
    start: Floats,
    model: str,
    max_iterations: int = MAX_ITERATIONS,
) -> tuple[Floats, float, int]:
    """Maximise a log-likelihood over log-parameters with L-BFGS-B.

    :class:`FitFailed` when the likelihood is not finite at the end, or when the optimiser stopped at
    its iteration or evaluation limit (``status`` 1: not converged). An abnormal line-search end
    (``status`` 2) at a finite optimum is accepted: it is how L-BFGS-B often stops at a flat maximum.
    """
    if max_iterations < 1:
        raise ValidationFailed(f"max iterations {max_iterations} must be at least 1", field="max_iterations")
    result = minimize(
        negative, np.log(start), jac=True, method="L-BFGS-B", options={"maxiter": max_iterations}
    )
    if not np.isfinite(result.fun):
        raise FitFailed(f"{model}: the likelihood is not finite at the optimum ({result.message})")
    if result.status == 1:
        raise FitFailed(f"{model}: the fit did not converge after {result.nit} iterations ({result.message})")
    return np.exp(result.x), -float(result.fun), int(result.nfev)
