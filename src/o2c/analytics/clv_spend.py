"""The Gamma-Gamma model of average transaction value (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

Re-exported by :mod:`o2c.analytics.clv`, whose documented API it is part of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from o2c.analytics.clv_fitting import MAX_ITERATIONS, FitFailed, Floats, as_floats, collapse, maximise
from o2c.domain.errors import ValidationFailed


class GammaGammaParams(NamedTuple):
    """Transaction values ~ Gamma(p, nu) per customer, nu ~ Gamma(q, gamma) across customers."""

    p: float
    q: float
    gamma: float


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, frequency: Floats, monetary_value: Floats, weights: Floats | None = None
) -> tuple[float, Floats]:
    """Log-likelihood of the Gamma-Gamma spend model and its gradient w.r.t. ``log(p, q, gamma)``.

    .. math:: \\ell_i = \\ln\\Gamma(px+q) - \\ln\\Gamma(px) - \\ln\\Gamma(q) + q\\ln\\gamma + (px-1)\\ln
              \\bar z + px\\ln x - (px+q)\\ln(\\gamma + x\\bar z)

    over customers with x > 0 repeat transactions of mean value mean value z (Fader & Hardie 2013, eq. 3).
    """
    p, q, gamma = params
    x, z = frequency, monetary_value
    w = np.ones_like(x) if weights is None else weights
    px = p * x
    log_total = np.log(gamma + x * z)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(z)
        + px * np.log(x)
        - (px + q) * log_total
    )
    grad_p = x * (digamma(px + q) - digamma(px) + np.log(z) + np.log(x) - log_total)
    grad_q = digamma(px + q) - digamma(q) + np.log(gamma) - log_total
    grad_gamma = q / gamma - (px + q) / (gamma + x * z)
    gradient = np.array([np.dot(w, g) for g in (grad_p, grad_q, grad_gamma)]) * np.array(params)
    return float(np.dot(w, ll)), gradient


@dataclass(frozen=True)
class GammaGammaModel:
    """A fitted Gamma-Gamma model of average transaction value."""

    params: GammaGammaParams
    log_likelihood: float
    customers: int
    evaluations: int

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Floats:
        """Expected mean transaction value of each customer, given x repeat purchases of mean mean value z.

        .. math:: E[Z\\mid x,\\bar z] = \\frac{(\\gamma + x\\bar z)\\,p}{px + q - 1}

        A weighted average of the population mean pgamma/(q-1) and the customer's own mean; for x = 0 it
        is the population mean. Needs q > 1.
        """
        p, q, gamma = self.params
        x = as_floats(frequency, "frequency")
        z = as_floats(monetary_value, "monetary_value")
        z = np.where(x > 0, z, 0.0)
        return np.asarray((gamma + x * z) * p / (p * x + q - 1), dtype=np.float64)


def fit_gamma_gamma(
    frequency: ArrayLike, monetary_value: ArrayLike, *, max_iterations: int = MAX_ITERATIONS
) -> GammaGammaModel:
    """Fit the Gamma-Gamma spend model by maximum likelihood on customers with repeat purchases.

    Parameters
    ----------
    frequency : array_like
        Repeat transactions x per customer; customers with x = 0 carry no information and are ignored.
    monetary_value : array_like
        Mean value of each customer's repeat transactions (must be > 0 where x > 0).
    max_iterations : int
        L-BFGS-B iterations allowed; a fit that has not converged by then raises ``FitFailed``.

    Returns
    -------
    GammaGammaModel
        ``params`` (``p``, ``q``, ``gamma``), ``log_likelihood`` and ``expected_average_value``.
    """
    x = as_floats(frequency, "frequency")
    z = as_floats(monetary_value, "monetary_value")
    if len(x) != len(z):
        raise ValidationFailed(
            "frequency and monetary_value must have the same length", field="monetary_value"
        )
    repeat = x > 0
    if np.any(z[repeat] <= 0):
        raise ValidationFailed(
            "monetary value must be positive for customers with repeat purchases", field="monetary_value"
        )
    if np.count_nonzero(repeat) < 2:
        raise FitFailed("Gamma-Gamma: fewer than two customers with repeat purchases")
    (cx, cz), weights = collapse(x[repeat], z[repeat])
    start = np.array([1.0, 2.0, float(np.mean(z[repeat]))])

    def negative(log_params: Floats) -> tuple[float, Floats]:
        value, gradient = gamma_gamma_log_likelihood(GammaGammaParams(*np.exp(log_params)), cx, cz, weights)
        return -value, -gradient

    fitted, ll, evaluations = maximise(negative, start, "Gamma-Gamma", max_iterations)
    return GammaGammaModel(
        GammaGammaParams(*map(float, fitted)), ll, int(np.count_nonzero(repeat)), evaluations
    )
