"""Fitting a time distribution to observed durations: the schema's families, chosen by AIC.

Each candidate family of `twin.config.dists` with a closed-form parameterisation (exponential,
gamma, lognormal, Weibull, normal) is fitted by maximum likelihood (scipy.stats, location fixed at
zero). Durations still running at the end of the log are right-censored: they enter the
exponential's estimate (total time over complete observations, its exact MLE) and every family's
likelihood through its survival function, while the other families' parameters are fitted on the
complete values (a log has about one censored value per machine, and a censored numerical fit
costs seconds). The family with the lowest AIC = 2k - 2 log L wins; a family whose
fitted parameters fall outside what the line schema accepts (a normal's cv above 0.5, a Weibull
shape below 0.3) is not a candidate. A sample with (almost) no spread is deterministic.

What is reported with the winner, so a reader can judge it: n (and how many censored), the mean
with its 95% CI (Student t on the complete values; for an exponential with censored values, the
exact chi-square interval of total time over events), the cv with a bootstrap 95% CI, and
the Kolmogorov-Smirnov p-value of the complete values against the fitted distribution (optimistic,
since the parameters were fitted on the same data: a low p-value is a real misfit, a high one is
no proof).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from twin.config.dists import MAX_CV, MAX_NORMAL_CV, MIN_CV, MIN_WEIBULL_SHAPE

FAMILIES: tuple[str, ...] = ("exponential", "gamma", "lognormal", "weibull", "normal")
"""The candidate families, in the order they are tried (ties in AIC go to the earlier one)."""

MIN_OBSERVATIONS = 10
"""Below this many observations a fit is reported with a warning (its CI says how little it knows)."""

FEW = 3
"""Complete values below which no family is fitted (see `fit_durations`)."""

DETERMINISTIC_CV = 1e-3
"""A sample whose cv is below this is taken as a fixed time (`deterministic`)."""

BOOTSTRAP = 200
"""Bootstrap resamples of the cv's interval (seeded: the same log gives the same report)."""


@dataclass
class Fit:
    """A fitted distribution and what it rests on."""

    family: str
    spec: dict[str, Any]
    """The distribution as the line YAML writes it ({dist: gamma, mean: 2.1, cv: 0.3})."""
    n: int
    censored: int = 0
    mean: float = math.nan
    mean_ci: tuple[float, float] = (math.nan, math.nan)
    cv: float = math.nan
    cv_ci: tuple[float, float] = (math.nan, math.nan)
    aic: float = math.nan
    ks_p: float = math.nan
    candidates: dict[str, float] = field(default_factory=dict)
    """AIC of every family that could be fitted."""

    def comment(self) -> str:
        """One line for the YAML: family, n, mean CI, fit quality."""
        censored = f" ({self.censored} censored)" if self.censored else ""
        ks = f", KS p={self.ks_p:.2f}" if math.isfinite(self.ks_p) else ""
        ci = (f", mean 95% CI [{_g(self.mean_ci[0])}, {_g(self.mean_ci[1])}]"
              if math.isfinite(self.mean_ci[0]) else ", no CI")
        chosen = " by AIC" if len(self.candidates) > 1 else ""
        return f"{self.family}{chosen}, n={self.n}{censored}{ci}{ks}"

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "spec": self.spec, "n": self.n, "censored": self.censored,
                "mean": _finite(self.mean), "mean_ci": [_finite(v) for v in self.mean_ci],
                "cv": _finite(self.cv), "cv_ci": [_finite(v) for v in self.cv_ci],
                "aic": _finite(self.aic), "ks_p": _finite(self.ks_p),
                "candidates": {k: _finite(v) for k, v in self.candidates.items()}}


def fit_durations(values: Any, censored: Any = (), *, random: bool = False) -> Fit:
    """The best of the schema's families for positive durations `values` (complete observations)
    and `censored` (still running when the log ended: known to last at least that long).

    With fewer than `FEW` complete values no family can be told from another: a processing time
    is then deterministic at the mean, and a time that is `random` by nature (between failures, a
    repair, between arrivals) exponential, the distribution that assumes nothing but its mean."""
    x = np.asarray(values, dtype=float)
    c = np.asarray(censored, dtype=float)
    x, c = x[np.isfinite(x) & (x > 0)], c[np.isfinite(c) & (c > 0)]
    n = len(x) + len(c)
    if len(x) == 0:
        raise ValueError("no complete observation to fit")
    mean_ci = _mean_ci(x, ())
    cv, cv_ci = _cv(x)
    if random and len(x) < FEW:
        mean = float((x.sum() + c.sum()) / len(x))
        return Fit("exponential", {"dist": "exponential", "mean": _round(mean)}, n, len(c), mean,
                   _mean_ci(x, c if len(c) else np.zeros(1)), cv, cv_ci)
    if len(x) < FEW or cv < DETERMINISTIC_CV:
        mean = float(x.mean())
        return Fit("deterministic", {"dist": "deterministic", "mean": _round(mean)}, n, len(c), mean,
                   mean_ci, 0.0 if len(x) >= 2 else math.nan, cv_ci)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _best(x, c, n, mean_ci, cv, cv_ci)


def _best(x: np.ndarray, c: np.ndarray, n: int, mean_ci: tuple[float, float], cv: float,
          cv_ci: tuple[float, float]) -> Fit:
    candidates: dict[str, tuple[float, Any, dict[str, Any]]] = {}
    for family in FAMILIES:
        fitted = _fit(family, x, float((x.sum() + c.sum()) / len(x)))
        if fitted is None:
            continue
        frozen, spec, k = fitted
        loglik = float(np.sum(frozen.logpdf(x)) + (np.sum(frozen.logsf(c)) if len(c) else 0.0))
        if math.isfinite(loglik):
            candidates[family] = (2 * k - 2 * loglik, frozen, spec)
    if not candidates:
        mean = float(x.mean())
        return Fit("exponential", {"dist": "exponential", "mean": _round(mean)}, n, len(c), mean,
                   mean_ci, cv, cv_ci)
    best = min(candidates, key=lambda f: candidates[f][0])
    aic, frozen, spec = candidates[best]
    if best == "exponential" and len(c):
        mean_ci = _mean_ci(x, c)
    ks_p = float(stats.kstest(x, frozen.cdf).pvalue) if len(x) >= 3 else math.nan
    return Fit(best, spec, n, len(c), float(frozen.mean()), mean_ci, cv, cv_ci, aic, ks_p,
               {f: v[0] for f, v in candidates.items()})


def _fit(family: str, data: np.ndarray,
         censored_mean: float) -> tuple[Any, dict[str, Any], int] | None:
    """(frozen scipy distribution, YAML spec, number of parameters), or None if out of the schema.
    `censored_mean` is the exponential's MLE with the censored values (total time / complete)."""
    try:
        if family == "exponential":
            frozen = stats.expon(scale=censored_mean)
            return frozen, {"dist": "exponential", "mean": _round(censored_mean)}, 1
        if family == "weibull":
            shape, _, scale = stats.weibull_min.fit(data, floc=0)
            if not MIN_WEIBULL_SHAPE <= shape <= 20:
                return None
            frozen = stats.weibull_min(shape, scale=scale)
            return frozen, {"dist": "weibull", "mean": _round(frozen.mean()), "shape": _round(shape)}, 2
        if family == "normal":
            loc, scale = stats.norm.fit(data)
            if loc <= 0 or scale / loc > MAX_NORMAL_CV:
                return None
            return stats.norm(loc, scale), {"dist": "normal", "mean": _round(loc),
                                            "cv": _round(scale / loc)}, 2
        if family == "gamma":
            a, _, scale = stats.gamma.fit(data, floc=0)
            frozen, cv = stats.gamma(a, scale=scale), 1 / math.sqrt(a)
        else:
            s, _, scale = stats.lognorm.fit(data, floc=0)
            frozen, cv = stats.lognorm(s, scale=scale), math.sqrt(math.expm1(s * s))
    except (ValueError, RuntimeError, FloatingPointError, OverflowError, ZeroDivisionError):
        return None
    if not (MIN_CV <= cv <= MAX_CV) or not math.isfinite(frozen.mean()):
        return None
    return frozen, {"dist": family, "mean": _round(frozen.mean()), "cv": _round(cv)}, 2


def _mean_ci(x: np.ndarray, c: Any) -> tuple[float, float]:
    if len(c):  # time-censored exponential: 2T / chi2 quantiles with 2r (and 2r + 2) degrees
        total, r = float(x.sum() + c.sum()), len(x)
        return (2 * total / stats.chi2.ppf(0.975, 2 * r + 2), 2 * total / stats.chi2.ppf(0.025, 2 * r))
    if len(x) < 2:
        return (math.nan, math.nan)
    sem = float(stats.sem(x))
    if not sem > 0:  # no spread: the mean is known exactly
        return (float(x.mean()), float(x.mean()))
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sem)
    return (float(low), float(high))


def _cv(x: np.ndarray) -> tuple[float, tuple[float, float]]:
    if len(x) < 2 or x.mean() <= 0:
        return math.nan, (math.nan, math.nan)
    cv = float(x.std(ddof=1) / x.mean())
    rng = np.random.default_rng(20_260_301)
    samples = x[rng.integers(0, len(x), size=(BOOTSTRAP, len(x)))]
    cvs = samples.std(axis=1, ddof=1) / samples.mean(axis=1)
    return cv, (float(np.quantile(cvs, 0.025)), float(np.quantile(cvs, 0.975)))


def _round(value: float) -> float:
    """Four significant digits: what a log can tell, and what a person reads in the YAML."""
    return float(f"{float(value):.4g}")


def _g(value: float) -> str:
    return f"{value:.4g}"


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
