"""Confidence intervals over replications (Student t), for single KPIs and paired differences."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean over replications with its 95% confidence interval (Student t)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def to_json(self) -> dict[str, object]:
        return {"mean": _finite(self.mean), "ci95": [_finite(self.low), _finite(self.high)]}


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def estimate(values: np.ndarray | list[float], confidence: float = CONFIDENCE) -> Estimate:
    """Mean and t-interval of `values`; NaNs (a KPI undefined in a replication) are dropped.

    With one replication the interval is undefined (NaN), not zero: one run says nothing of its
    own spread.
    """
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1)
    sem = float(data.std(ddof=1)) / math.sqrt(n)
    if sem == 0:
        return Estimate(mean, mean, mean, n)
    # Student t quantile; scipy.special gives the same value as scipy.stats.t.ppf without the
    # second it takes to import scipy.stats (the CLI and the app pay that on every start).
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * sem
    return Estimate(mean, mean - half, mean + half, n)


def prediction_interval(values: np.ndarray | list[float], confidence: float = CONFIDENCE) -> Estimate:
    """The mean of `values` and the interval that holds one more draw from the same distribution
    with probability `confidence`: mean ± t·s·√(1 + 1/n). One period of a real line is one such
    draw, so this (not the narrower CI of the mean) is what an observed period is judged against."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n < 2:
        mean = float(data.mean()) if n else math.nan
        return Estimate(mean, math.nan, math.nan, n)
    mean = float(data.mean())
    spread = float(data.std(ddof=1)) * math.sqrt(1 + 1 / n)
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * spread
    return Estimate(mean, mean - half, mean + half, n)
