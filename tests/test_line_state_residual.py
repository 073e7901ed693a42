"""Remaining times given the time already spent (`twin.engine.sampling.residual_inverse`): the
conditional distribution of X - e given X > e, for every kind of distribution the engine draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from twin.config import Line
from twin.engine.sampling import inverse_cdf, residual_inverse, scipy_distribution

N = 20_000
Z = stats.norm.ppf(1 - 0.001 / 2)
"""Two-sided 99.9% normal quantile: the tolerance of each mean check, in standard errors."""


def spec(data: object):
    """A validated distribution spec (the path YAML takes)."""
    return Line.model_validate({"stations": [{"name": "s", "process": data}]}).stations[0].process


CONTINUOUS = [
    ({"dist": "lognormal", "mean": 5.0, "cv": 0.8}, 6.0),
    ({"dist": "lognormal", "mean": 5.0, "cv": 0.3}, 2.0),
    ({"dist": "gamma", "mean": 5.0, "cv": 0.5}, 7.0),
    ({"dist": "gamma", "mean": 5.0, "cv": 2.0}, 3.0),
    ({"dist": "weibull", "mean": 5.0, "shape": 2.5}, 4.0),
    ({"dist": "weibull", "mean": 5.0, "shape": 0.7}, 4.0),
    ({"dist": "normal", "mean": 5.0, "cv": 0.3}, 5.5),
    ({"dist": "uniform", "min": 2.0, "max": 6.0}, 3.0),
    ({"dist": "triangular", "min": 1.0, "mode": 2.0, "max": 6.0}, 2.5),
    ({"dist": "exponential", "mean": 5.0}, 9.0),
]


@pytest.mark.parametrize(("data", "elapsed"), CONTINUOUS, ids=[f"{d['dist']}-e{e:g}" for d, e in CONTINUOUS])
def test_the_residual_has_the_conditional_distribution(data: dict, elapsed: float) -> None:
    """Seeded draws of R = X - e | X > e: their mean within 99.9% of the exact mean residual
    (∫ S(t) dt from e, over S(e), by quadrature), and a KS test against P(R <= r) = 1 - S(e+r)/S(e)."""
    dist = scipy_distribution(spec(data))
    u = np.random.default_rng(7).random(N)
    residuals = residual_inverse(spec(data), elapsed)(u)
    assert (residuals >= 0).all()
    survival = dist.sf(elapsed)
    upper = dist.support()[1]
    exact = integrate.quad(dist.sf, elapsed, upper, limit=200)[0] / survival
    error = residuals.std(ddof=1) / math.sqrt(N)
    assert abs(residuals.mean() - exact) < Z * error, (residuals.mean(), exact, error)
    ks = stats.kstest(residuals, lambda r: 1 - dist.sf(elapsed + np.asarray(r)) / survival)
    assert ks.pvalue > 0.001, ks


def test_an_exponential_is_memoryless_and_a_lognormal_is_not() -> None:
    u = np.random.default_rng(3).random(N)
    exponential = spec({"dist": "exponential", "mean": 5.0})
    assert np.array_equal(residual_inverse(exponential, 50.0)(u), inverse_cdf(exponential)(u))
    lognormal = spec({"dist": "lognormal", "mean": 5.0, "cv": 1.0})
    fresh, late = inverse_cdf(lognormal)(u).mean(), residual_inverse(lognormal, 20.0)(u).mean()
    assert late > 1.5 * fresh  # a heavy tail: the longer it has run, the longer it still runs


def test_nothing_elapsed_draws_what_a_fresh_draw_draws() -> None:
    u = np.random.default_rng(5).random(1000)
    for data, _ in CONTINUOUS:
        assert np.array_equal(residual_inverse(spec(data), 0.0)(u), inverse_cdf(spec(data))(u))


def test_the_kinds_without_a_density() -> None:
    u = np.random.default_rng(1).random(5000)
    assert set(residual_inverse(spec(5.0), 2.0)(u)) == {3.0}  # deterministic: what is left
    assert set(residual_inverse(spec(5.0), 7.0)(u)) == {0.0}  # overdue: done at once
    empirical = residual_inverse(spec({"dist": "empirical", "values": [1.0, 3.0, 4.0, 8.0]}), 3.5)(u)
    assert set(empirical) == {0.5, 4.5}  # among the values above the elapsed time, evenly
    assert abs((empirical == 0.5).mean() - 0.5) < Z * math.sqrt(0.25 / len(u))
    trace = residual_inverse(spec({"dist": "trace", "values": [2.0, 6.0]}), 1.0)(u)
    assert set(trace) == {1.0, 5.0}
    beyond = residual_inverse(spec({"dist": "uniform", "min": 2.0, "max": 6.0}), 7.0)(u)
    assert set(beyond) == {0.0}  # past the support: done at once
