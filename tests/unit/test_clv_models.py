"""BG/NBD, Gamma-Gamma and retention CLV: published values, parameter recovery, identities, refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from o2c.analytics.clv import (
    BGNBDModel,
    BGNBDParams,
    FitFailed,
    GammaGammaParams,
    bgnbd_log_likelihood,
    discounted_clv,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    retention_clv,
)
from o2c.analytics.clv_simulation import simulate_bgnbd, simulate_spend
from o2c.analytics.clv_summary import CustomerSummary, TimeUnit, read_transaction_log, summarise_transactions
from o2c.domain.errors import ValidationFailed

# The CDNOW sample (2,357 customers who first bought in Q1 1997, their purchases to June 1998), as
# shipped with the `lifetimes` package (MIT); see tests/data/README.md.
CDNOW = Path(__file__).parents[1] / "data" / "cdnow_sample.csv"


@pytest.fixture(scope="module")
def cdnow() -> CustomerSummary:
    log = read_transaction_log(
        CDNOW, customer_col="customer", date_col="date", amount_col="amount", date_format="%Y%m%d"
    )
    # Calibration: the 39 weeks 1997-01-01 .. 1997-09-30, as in Fader, Hardie & Lee (2005).
    return summarise_transactions(log, calibration_end=date(1997, 9, 30), time_unit=TimeUnit.WEEK)


def test_bgnbd_on_the_cdnow_sample_reproduces_the_published_estimates(cdnow: CustomerSummary) -> None:
    model = fit_bgnbd(cdnow.frequency, cdnow.recency, cdnow.T)
    # Fader, Hardie & Lee (2005), section 5: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    r, alpha, a, b = model.params
    assert r == pytest.approx(0.243, abs=0.0006)
    assert alpha == pytest.approx(4.414, abs=0.006)
    assert a == pytest.approx(0.793, abs=0.0006)
    assert b == pytest.approx(2.426, abs=0.006)
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert model.customers == 2357


def test_gamma_gamma_on_the_cdnow_sample_reproduces_the_published_estimates(cdnow: CustomerSummary) -> None:
    repeat = cdnow.frequency > 0
    model = fit_gamma_gamma(cdnow.frequency, cdnow.monetary_value)
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, gamma = 15.44
    # on the 946 CDNOW customers with repeat purchases in the calibration period.
    assert int(repeat.sum()) == 946 == model.customers
    p, q, gamma = model.params
    assert p == pytest.approx(6.25, abs=0.01)
    assert q == pytest.approx(3.74, abs=0.01)
    assert gamma == pytest.approx(15.44, abs=0.02)


def test_a_model_fitted_in_days_is_the_weekly_model_with_alpha_scaled_by_seven() -> None:
    log = read_transaction_log(CDNOW, customer_col="customer", date_col="date", date_format="%Y%m%d")
    weeks = summarise_transactions(log, calibration_end=date(1997, 9, 30), time_unit=TimeUnit.WEEK)
    days = summarise_transactions(log, calibration_end=date(1997, 9, 30), time_unit=TimeUnit.DAY)
    in_weeks = fit_bgnbd(weeks.frequency, weeks.recency, weeks.T)
    in_days = fit_bgnbd(days.frequency, days.recency, days.T)
    # lambda is a rate per unit: alpha (a scale of time) multiplies by 7, the shape parameters stay.
    assert in_days.params.alpha == pytest.approx(7 * in_weeks.params.alpha, rel=2e-3)
    for name in ("r", "a", "b"):
        assert getattr(in_days.params, name) == pytest.approx(getattr(in_weeks.params, name), rel=2e-3)


# Tolerances of the recovery tests: with n customers the standard errors scale as 1/sqrt(n); on the
# 2,357 CDNOW customers they are about 5 % (r, alpha), 20 % (a) and 25 % (b) of the estimates, so on
# 50,000 customers about 1 %, 1.2 %, 4.5 % and 6 %. The tolerances below are about 2.5 standard errors.
RECOVERY = 50_000


def test_bgnbd_recovers_the_parameters_it_was_simulated_from() -> None:
    true = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    rng = np.random.default_rng(7)
    history = simulate_bgnbd(true, rng.uniform(26, 39, RECOVERY), seed=11)
    model = fit_bgnbd(history.frequency, history.recency, history.T)
    assert model.params.r == pytest.approx(true.r, rel=0.04)
    assert model.params.alpha == pytest.approx(true.alpha, rel=0.05)
    assert model.params.a == pytest.approx(true.a, rel=0.12)
    assert model.params.b == pytest.approx(true.b, rel=0.15)
    at_truth, _ = bgnbd_log_likelihood(true, history.frequency, history.recency, history.T)
    assert model.log_likelihood >= at_truth  # a maximum, not just a nearby point


def test_bgnbd_recovers_a_population_of_frequent_loyal_buyers_too() -> None:
    true = BGNBDParams(r=2.0, alpha=8.0, a=0.5, b=6.0)
    history = simulate_bgnbd(true, np.full(RECOVERY, 52.0), seed=3)
    model = fit_bgnbd(history.frequency, history.recency, history.T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(model.params, name) == pytest.approx(getattr(true, name), rel=0.12), name


def test_gamma_gamma_recovers_the_parameters_it_was_simulated_from() -> None:
    true = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    frequency = np.random.default_rng(5).integers(1, 12, RECOVERY).astype(float)
    spend = simulate_spend(true, frequency, seed=9)
    model = fit_gamma_gamma(frequency, spend)
    # p and gamma trade off against each other (their product sets the mean): over six seeds at this
    # size they spread by about 5 % each, q by 1 %, the population mean p gamma / (q - 1) by under 1 %.
    assert model.params.p == pytest.approx(true.p, rel=0.15)
    assert model.params.q == pytest.approx(true.q, rel=0.04)
    assert model.params.gamma == pytest.approx(true.gamma, rel=0.15)
    fitted_mean = model.params.p * model.params.gamma / (model.params.q - 1)
    assert fitted_mean == pytest.approx(true.p * true.gamma / (true.q - 1), rel=0.02)
    at_truth, _ = gamma_gamma_log_likelihood(true, frequency, spend)
    assert model.log_likelihood >= at_truth


def _numeric_gradient(f, log_params: np.ndarray, step: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    gradient = np.zeros_like(log_params)
    for i in range(len(log_params)):
        up, down = log_params.copy(), log_params.copy()
        up[i] += step
        down[i] -= step
        gradient[i] = (f(up) - f(down)) / (2 * step)
    return gradient


def test_the_analytic_gradients_match_finite_differences(cdnow: CustomerSummary) -> None:
    x, tx, t = cdnow.frequency, cdnow.recency, cdnow.T
    point = np.log([0.5, 3.0, 1.3, 0.8])  # b < 1 exercises b + x - 1 < 1

    def bgnbd(lp: np.ndarray) -> float:
        return bgnbd_log_likelihood(BGNBDParams(*np.exp(lp)), x, tx, t)[0]

    _, analytic = bgnbd_log_likelihood(BGNBDParams(*np.exp(point)), x, tx, t)
    np.testing.assert_allclose(analytic, _numeric_gradient(bgnbd, point), rtol=1e-4)

    repeat = x > 0
    gg_point = np.log([4.0, 3.0, 20.0])

    def gamma_gamma(lp: np.ndarray) -> float:
        return gamma_gamma_log_likelihood(
            GammaGammaParams(*np.exp(lp)), x[repeat], cdnow.monetary_value[repeat]
        )[0]

    _, gg_analytic = gamma_gamma_log_likelihood(
        GammaGammaParams(*np.exp(gg_point)), x[repeat], cdnow.monetary_value[repeat]
    )
    np.testing.assert_allclose(gg_analytic, _numeric_gradient(gamma_gamma, gg_point), rtol=1e-4)


def test_p_alive_is_one_without_repeats_and_falls_with_silence() -> None:
    model = fit_bgnbd([2, 1, 0, 0, 3, 5], [30.0, 2.0, 0, 0, 20.0, 35.0], [39.0] * 6)
    r, alpha, a, b = model.params
    alive = model.p_alive([0, 3, 3], [0.0, 38.0, 10.0], [39.0, 39.0, 39.0])
    assert alive[0] == 1.0  # BG/NBD: nobody drops out before a repeat purchase
    # x = 3, t_x = 10, T = 39: 1 / (1 + a / (b + 2) * ((alpha + 39) / (alpha + 10)) ** (r + 3))
    assert alive[2] == pytest.approx(1 / (1 + a / (b + 2) * ((alpha + 39) / (alpha + 10)) ** (r + 3)))
    assert alive[1] > alive[2]  # the same buyer seen recently is more likely alive


def test_expected_purchases_of_a_customer_just_acquired_equal_the_unconditional_expectation() -> None:
    model = fit_bgnbd([2, 1, 0, 0, 3, 5], [30.0, 2.0, 0, 0, 20.0, 35.0], [39.0] * 6)
    # With x = 0, t_x = 0, T = 0 the conditional expectation (eq. 10) reduces to E[X(t)] (eq. 7).
    for t in (1.0, 10.0, 52.0):
        assert model.expected_purchases(t, [0], [0.0], [0.0])[0] == pytest.approx(
            float(model.expected_purchases_new(t))
        )


def test_expected_purchases_of_new_customers_match_a_simulated_population() -> None:
    true = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    model = BGNBDModel(true, log_likelihood=0.0, customers=0, evaluations=0)  # the true model
    history = simulate_bgnbd(true, np.full(200_000, 39.0), seed=21)
    # Monte Carlo standard error: sd(x) / sqrt(n) ~ 2.5 / 450 ~ 0.006 on a mean of ~1.
    assert history.frequency.mean() == pytest.approx(float(model.expected_purchases_new(39.0)), abs=0.02)


def test_discounted_clv_without_discounting_is_margin_times_value_times_purchases(
    cdnow: CustomerSummary,
) -> None:
    x, tx, t, z = cdnow.frequency[:50], cdnow.recency[:50], cdnow.T[:50], cdnow.monetary_value[:50]
    purchases = fit_bgnbd(cdnow.frequency, cdnow.recency, cdnow.T)
    spend = fit_gamma_gamma(cdnow.frequency, cdnow.monetary_value)
    plain = discounted_clv(purchases, spend, x, tx, t, z, horizon=52, discount_rate=0.0, margin=0.3)
    expected = 0.3 * spend.expected_average_value(x, z) * purchases.expected_purchases(52, x, tx, t)
    np.testing.assert_allclose(plain, expected, rtol=1e-10)
    discounted = discounted_clv(purchases, spend, x, tx, t, z, horizon=52, discount_rate=0.002, margin=0.3)
    assert np.all(discounted < plain)
    assert np.all(discounted > plain / 1.002**52)  # purchases come before the end of the horizon


def test_expected_average_value_shrinks_towards_the_population_mean() -> None:
    model = fit_gamma_gamma([1, 2, 3, 4, 2], [10.0, 30.0, 20.0, 25.0, 15.0])
    p, q, gamma = model.params
    population = p * gamma / (q - 1)
    few, many = model.expected_average_value([1, 20], [100.0, 100.0])
    assert model.expected_average_value([0], [0.0])[0] == pytest.approx(population)
    # (gamma + x z) p / (p x + q - 1) with x = 1, z = 100
    assert few == pytest.approx((gamma + 100.0) * p / (p + q - 1))
    assert abs(many - 100.0) < abs(few - 100.0)


def test_a_fit_stopped_by_its_iteration_limit_has_not_converged() -> None:
    frequency, recency, big_t = [2, 1, 0, 0, 3], [30.4, 1.7, 0, 0, 20.0], [38.9, 38.9, 38.9, 38.9, 38.9]
    with pytest.raises(FitFailed, match="BG/NBD: the fit did not converge after 1 iterations"):
        fit_bgnbd(frequency, recency, big_t, max_iterations=1)
    with pytest.raises(FitFailed, match="Gamma-Gamma: the fit did not converge"):
        fit_gamma_gamma([1, 2, 3, 4, 2], [10.0, 30.0, 20.0, 25.0, 15.0], max_iterations=1)


def test_retention_clv_matches_the_hand_computed_sum() -> None:
    # m = 100, r = 0.8, d = 0.1: q = 0.8 / 1.1 = 0.727273; 100 * (q + q^2 + q^3) = 72.727 + 52.893 + 38.467
    assert retention_clv(100, 0.8, 0.1, 3) == pytest.approx(164.087, abs=0.001)
    # infinite horizon: m r / (1 + d - r) = 80 / 0.3
    assert retention_clv(100, 0.8, 0.1, None) == pytest.approx(266.667, abs=0.001)
    assert retention_clv(100, 0.8, 0.1, 400) == pytest.approx(retention_clv(100, 0.8, 0.1, None))


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "field"),
    [
        ([1, -1], [1.0, 0.0], [2.0, 2.0], "frequency"),
        ([1.5, 1], [1.0, 1.0], [2.0, 2.0], "frequency"),
        ([1, 1], [3.0, 1.0], [2.0, 2.0], "recency"),
        ([0, 1], [1.0, 1.0], [2.0, 2.0], "recency"),
        ([1, 1], [1.0, float("nan")], [2.0, 2.0], "recency"),
        ([1, 1], [1.0], [2.0, 2.0], "frequency"),
    ],
)
def test_an_impossible_summary_is_refused_with_the_field(
    frequency: list[float], recency: list[float], age: list[float], field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        fit_bgnbd(frequency, recency, age)
    assert raised.value.field == field


def test_a_population_without_repeat_purchases_cannot_be_fitted() -> None:
    with pytest.raises(FitFailed, match="no customer made a repeat purchase"):
        fit_bgnbd([0, 0, 0, 0], [0.0, 0.0, 0.0, 0.0], [5.0, 6.0, 7.0, 8.0])
    with pytest.raises(FitFailed, match=r"3 customer\(s\) are too few to fit four parameters"):
        fit_bgnbd([1, 0, 2], [1.0, 0.0, 3.0], [5.0, 6.0, 7.0])
    with pytest.raises(ValidationFailed, match="positive"):
        fit_gamma_gamma([1, 2], [10.0, 0.0])
    with pytest.raises(ValidationFailed):
        retention_clv(100, 1.0, 0.1, None)
